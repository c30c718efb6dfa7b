"""Ground-truth regions from annotation files: COCO-style JSON and WikiChurches' `building_parts.json`.

Both become `AnnotationBox`es: a label, the box as corners normalised to [0, 1] by the image's
width and height, and — where the file has them — polygons outlining the object inside the box.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ssl_attention.data.gallery import image_id_for
from ssl_attention.data.remote import RemoteMissing, is_remote, read_remote
from ssl_attention.values import AnnotationBox

ANNOTATIONS_FILE = "annotations.json"


class AnnotationError(ValueError):
    """The annotation file is in none of the formats we read."""


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def rle_counts_from_string(encoded: str) -> list[int]:
    """Decode COCO's compressed run-length string (pycocotools' `rleFrString`): 5-bit groups
    as characters from '0', a continuation bit, a sign bit, and every run from the fourth on
    stored as the difference to the run two before."""
    counts: list[int] = []
    position = 0
    while position < len(encoded):
        value, shift, more = 0, 0, True
        while more:
            char = ord(encoded[position]) - 48
            value |= (char & 0x1F) << (5 * shift)
            more = bool(char & 0x20)
            position += 1
            shift += 1
            if not more and char & 0x10:
                value |= -1 << (5 * shift)
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def coco_mask(segmentation: dict[str, Any]) -> tuple[int, int, tuple[int, ...]]:
    """A COCO run-length mask (compressed or not) as (height, width, column-major run lengths)."""
    height, width = (int(v) for v in segmentation["size"])
    counts = segmentation["counts"]
    runs = rle_counts_from_string(counts) if isinstance(counts, str) else [int(c) for c in counts]
    if sum(runs) != height * width or any(r < 0 for r in runs):
        raise ValueError(f"run lengths add up to {sum(runs)}, not {height}×{width}")
    return height, width, tuple(runs)


def coco_boxes(data: dict[str, Any]) -> list[AnnotationBox]:
    """COCO: `bbox` = [x, y, width, height] in pixels of the image named by `file_name`;
    `segmentation` polygons (lists of x, y pixel pairs) and run-length masks are kept too."""
    images = {img["id"]: img for img in data["images"]}
    labels = {cat["id"]: cat["name"] for cat in data["categories"]}
    boxes = []
    for ann in data["annotations"]:
        image = images[ann["image_id"]]
        width, height = float(image["width"]), float(image["height"])
        x, y, w, h = (float(v) for v in ann["bbox"])
        segmentation = ann.get("segmentation")
        polygons: tuple[tuple[float, ...], ...] = ()
        mask = coco_mask(segmentation) if isinstance(segmentation, dict) else None
        if isinstance(segmentation, list):
            polygons = tuple(
                tuple(_clamp(float(v) / (width if i % 2 == 0 else height)) for i, v in enumerate(polygon))
                for polygon in segmentation
                if len(polygon) >= 6
            )
        boxes.append(
            AnnotationBox(
                image_id_for(image["file_name"]),
                labels[ann["category_id"]],
                _clamp(x / width),
                _clamp(y / height),
                _clamp((x + w) / width),
                _clamp((y + h) / height),
                polygons,
                mask,
            )
        )
    return boxes


def wikichurches_boxes(data: dict[str, Any]) -> list[AnnotationBox]:
    """WikiChurches `building_parts.json`: `meta` names the feature types; per image file name,
    `bbox_groups[].elements[]` hold `left`, `top`, `width`, `height` (already normalised; a few
    are slightly negative and are clamped) and a `label` index into `meta`."""
    names = [entry["name"] for entry in data["meta"]]
    boxes = []
    for file_name, image in data["annotations"].items():
        for group in image.get("bbox_groups", []):
            for element in group.get("elements", []):
                left, top = float(element["left"]), float(element["top"])
                boxes.append(
                    AnnotationBox(
                        image_id_for(file_name),
                        names[element["label"]],
                        _clamp(left),
                        _clamp(top),
                        _clamp(left + float(element["width"])),
                        _clamp(top + float(element["height"])),
                    )
                )
    return boxes


def load_annotations(path: Path | str, text: str | None = None) -> list[AnnotationBox]:
    """Read a COCO-style or WikiChurches annotation file (told apart by their keys); `text`: its
    content when it was read already (a gallery on object storage; `path` then names it)."""
    try:
        data = json.loads(Path(path).read_text() if text is None else text)
        if isinstance(data.get("annotations"), list) and "images" in data:
            return coco_boxes(data)
        if isinstance(data.get("annotations"), dict) and "meta" in data:
            return wikichurches_boxes(data)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise AnnotationError(f"{path} is not a readable annotation file: {error!r}") from error
    raise AnnotationError(
        f"{path} is neither COCO-style JSON (images, annotations, categories) "
        "nor WikiChurches building_parts.json (meta, annotations)"
    )


def gallery_annotations(folder: Path | str) -> list[AnnotationBox] | None:
    """The gallery's boxes, or None when the folder (or URL prefix) has no annotations.json."""
    if is_remote(folder):
        try:
            data = read_remote(str(folder), ANNOTATIONS_FILE)
        except RemoteMissing:
            return None
        return load_annotations(
            f"{str(folder).rstrip('/')}/{ANNOTATIONS_FILE}", data.decode("utf-8", "replace")
        )
    path = Path(folder) / ANNOTATIONS_FILE
    return load_annotations(path) if path.is_file() else None
