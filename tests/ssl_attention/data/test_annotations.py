"""COCO-style ground truth: the shipped sample boxes and the parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from ssl_attention.data.annotations import AnnotationError, gallery_annotations, load_annotations

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
    (box,) = load_annotations(tmp_path / "annotations.json")
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
    with pytest.raises(AnnotationError, match="neither COCO-style JSON"):
        load_annotations(tmp_path / "annotations.json")


def test_coco_polygons_are_kept_normalised(tmp_path: Path) -> None:
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
        "categories": [{"id": 2, "name": "roof"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 2,
                "bbox": [10, 5, 40, 20],
                "segmentation": [[10, 5, 50, 5, 30, 25]],
            },
            {
                "id": 2,
                "image_id": 1,
                "category_id": 2,
                "bbox": [0, 0, 10, 10],
                "segmentation": {"counts": [0, 5, 4995], "size": [50, 100]},
            },
        ],
    }
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    outlined, masked = load_annotations(tmp_path / "coco.json")
    assert outlined.polygons == ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),) and outlined.mask is None
    assert masked.polygons == () and masked.mask == (50, 100, (0, 5, 4995))


def test_wikichurches_building_parts(tmp_path: Path) -> None:
    parts = {
        "meta": [{"name": "Rose Window", "parents": []}, {"name": "Portal", "parents": []}],
        "annotations": {
            "Q42_wd0.jpg": {
                "styles": ["Q46261"],
                "bbox_groups": [
                    {
                        "group_label": 1,
                        "elements": [
                            {"left": -0.02, "top": 0.5, "width": 0.3, "height": 0.25, "label": 1},
                            {"left": 0.4, "top": 0.1, "width": 0.2, "height": 0.2, "label": 0},
                        ],
                    }
                ],
            }
        },
    }
    (tmp_path / "building_parts.json").write_text(json.dumps(parts))
    portal, rose = load_annotations(tmp_path / "building_parts.json")
    assert (portal.image_id, portal.label, portal.x0, portal.y0) == ("Q42_wd0", "Portal", 0.0, 0.5)
    assert portal.x1 == pytest.approx(0.28) and portal.y1 == pytest.approx(0.75)
    assert (rose.label, rose.x0, rose.x1) == ("Rose Window", 0.4, pytest.approx(0.6))


def test_coco_run_length_masks_compressed_and_not(tmp_path: Path) -> None:
    from ssl_attention.data.annotations import coco_mask, rle_counts_from_string

    # pycocotools' string form (rleToString): runs 3, 5, 2 as "352"; the fourth run, 4, is stored
    # as 4 - 5 = -1: the group 0b11111 with the sign bit → chr(48 + 31) = "O"
    assert rle_counts_from_string("352") == [3, 5, 2]
    assert rle_counts_from_string("352O") == [3, 5, 2, 4]
    assert rle_counts_from_string("4") == [4]
    # a run of 100: 5-bit groups 4 and 3 with the continuation bit on the first → "T3"
    assert rle_counts_from_string("T3") == [100]
    assert coco_mask({"size": [2, 5], "counts": "352"}) == (2, 5, (3, 5, 2))
    assert coco_mask({"size": [2, 5], "counts": [3, 5, 2]}) == (2, 5, (3, 5, 2))
    with pytest.raises(ValueError, match="add up to"):
        coco_mask({"size": [3, 5], "counts": [3, 5, 2]})
