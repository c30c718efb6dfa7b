"""COCO-style ground truth: the shipped sample boxes and the parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from ssl_attention.data.annotations import AnnotationError, gallery_annotations, load_coco

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


def test_shipped_sample_gallery_is_annotated_and_consistent() -> None:
    data = json.loads((SAMPLES / "annotations.json").read_text())
    photos = sorted(p.name for p in SAMPLES.glob("*.jpg"))
    assert 8 <= len(photos) <= 12
    assert sorted(img["file_name"] for img in data["images"]) == photos
    for image in data["images"]:
        with Image.open(SAMPLES / image["file_name"]) as opened:
            assert opened.size == (image["width"], image["height"])
    boxes = gallery_annotations(SAMPLES)
    assert boxes is not None and {b.image_id for b in boxes} == {p.removesuffix(".jpg") for p in photos}
    assert all(0 <= b.x0 < b.x1 <= 1 and 0 <= b.y0 < b.y1 <= 1 for b in boxes)
    for photo in photos:
        assert photo in (SAMPLES / "LICENSES.md").read_text()


def test_boxes_are_normalised_corners(tmp_path: Path) -> None:
    coco = {
        "images": [{"id": 7, "file_name": "zoo/cat.jpg", "width": 200, "height": 100}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [20, 10, 100, 50]}],
    }
    (tmp_path / "annotations.json").write_text(json.dumps(coco))
    (box,) = load_coco(tmp_path / "annotations.json")
    assert (box.image_id, box.label, box.x0, box.y0, box.x1, box.y1) == (
        "zoo__cat",
        "cat",
        0.1,
        0.1,
        0.6,
        0.6,
    )
    assert gallery_annotations(tmp_path / "nothing-here") is None


def test_malformed_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "annotations.json").write_text('{"images": []}')
    with pytest.raises(AnnotationError, match="not a COCO-style annotation file"):
        load_coco(tmp_path / "annotations.json")
