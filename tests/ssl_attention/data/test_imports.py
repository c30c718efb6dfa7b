"""data/ speaks plain values: discovering a gallery or reading its annotations needs no database."""

from __future__ import annotations

import subprocess
import sys

from ssl_attention.data.annotations import coco_boxes
from ssl_attention.store.catalog import AnnotationBox as CatalogBox
from ssl_attention.values import AnnotationBox


def test_gallery_and_annotations_do_not_import_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "import ssl_attention.data.gallery, ssl_attention.data.annotations\n"
        "found = sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'"
        " or m.startswith('ssl_attention.store'))\n"
        "print(','.join(found))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_catalog_takes_the_boxes_data_makes() -> None:
    data = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
        "categories": [{"id": 2, "name": "cat"}],
        "annotations": [{"image_id": 1, "category_id": 2, "bbox": [1, 2, 3, 4]}],
    }
    (box,) = coco_boxes(data)
    assert CatalogBox is AnnotationBox and isinstance(box, CatalogBox)
    assert box == AnnotationBox("a", "cat", 0.1, 0.2, 0.4, 0.6)
