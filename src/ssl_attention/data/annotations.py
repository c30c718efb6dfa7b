"""Ground-truth boxes from a COCO-style `annotations.json` in the gallery folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ssl_attention.data.gallery import image_id_for

ANNOTATIONS_FILE = "annotations.json"


@dataclass(frozen=True)
class Box:
    image_id: str
    label: str
    # corners normalised to [0, 1] by the image's width and height
    x0: float
    y0: float
    x1: float
    y1: float


class AnnotationError(ValueError):
    """The annotation file is not the COCO-style JSON we read."""


def load_coco(path: Path) -> list[Box]:
    """COCO `bbox` = [x, y, width, height] in pixels of the image named by `file_name`."""
    try:
        data = json.loads(path.read_text())
        images = {img["id"]: img for img in data["images"]}
        labels = {cat["id"]: cat["name"] for cat in data["categories"]}
        boxes = []
        for ann in data["annotations"]:
            image = images[ann["image_id"]]
            width, height = float(image["width"]), float(image["height"])
            x, y, w, h = (float(v) for v in ann["bbox"])
            boxes.append(
                Box(
                    image_id_for(image["file_name"]),
                    labels[ann["category_id"]],
                    max(0.0, x / width),
                    max(0.0, y / height),
                    min(1.0, (x + w) / width),
                    min(1.0, (y + h) / height),
                )
            )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AnnotationError(f"{path} is not a COCO-style annotation file: {error!r}") from error
    return boxes


def gallery_annotations(folder: Path) -> list[Box] | None:
    """The gallery's boxes, or None when the folder has no annotations.json."""
    path = folder / ANNOTATIONS_FILE
    return load_coco(path) if path.is_file() else None
