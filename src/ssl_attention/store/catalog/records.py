"""What the catalog hands out and takes in: plain frozen values, no SQLAlchemy.

Nothing outside the catalog package ever sees an ORM row; the reader turns every row into one of
these before its session closes. `DiscoveredFile` and `AnnotationBox` are made by data/ too, so
they live in `ssl_attention.values` and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ssl_attention.values import AnnotationBox, DiscoveredFile

__all__ = [
    "AnnotationBox",
    "DiscoveredFile",
    "ImageEntry",
    "ImageFacts",
    "ImageInfo",
    "MetricSummary",
    "MetricValue",
    "RunInfo",
    "ShiftSummary",
    "ShiftValue",
    "StorePairing",
    "StoredAnnotation",
    "VlmSample",
]


@dataclass(frozen=True)
class ImageInfo:
    id: str
    path: str
    sha256: str | None
    width: int | None
    height: int | None
    error: str | None
    models: tuple[str, ...]  # models whose maps for this image are complete
    annotations: int = 0  # ground-truth regions of this image


@dataclass(frozen=True)
class ImageFacts:
    """What decoding an image found: its content hash and size (`CatalogWriter.mark_done` records
    them with the rows it marks, in the same transaction)."""

    image_id: str
    sha256: str
    width: int
    height: int


@dataclass(frozen=True)
class ImageEntry:
    """An image's content hash, its decode error if any, and its row for one model when that is done."""

    id: str
    sha256: str | None
    error: str | None
    row: int | None  # None until the image's maps for the model are complete


@dataclass(frozen=True)
class VlmSample:
    """One image × VLM × prompt whose maps are written."""

    image_id: str
    model: str
    prompt_index: int
    prompt: str
    answer: str
    n_tokens: int


@dataclass(frozen=True)
class RunInfo:
    """One precompute run of one model: what it ran with, how it ended."""

    id: int
    model: str
    checkpoint: str
    weights: str
    params: Mapping[str, Any]
    status: str  # running, done, failed, interrupted, killed
    started_at: dt.datetime
    finished_at: dt.datetime | None
    images_done: int
    images_failed: int
    seconds: float | None
    bytes_written: int | None
    error: str | None


@dataclass(frozen=True)
class StoredAnnotation:
    """An `AnnotationBox` as the catalog keeps it: with its id and the source it was loaded from."""

    id: int
    image_id: str
    label: str
    x0: float
    y0: float
    x1: float
    y1: float
    source: str | None
    polygons: tuple[tuple[float, ...], ...] = ()
    mask: tuple[int, int, tuple[int, ...]] | None = None  # (height, width, column-major run lengths)

    def box(self) -> AnnotationBox:
        return AnnotationBox(
            self.image_id, self.label, self.x0, self.y0, self.x1, self.y1, self.polygons, self.mask
        )


@dataclass(frozen=True)
class MetricValue:
    image_id: str
    model: str
    method: str
    layer: int
    head: int  # -1 = fused
    metric: str
    value: float


@dataclass(frozen=True)
class MetricSummary:
    """A metric over images of one model × method × layer × head (× annotation label)."""

    model: str
    method: str
    layer: int
    head: int  # -1 = fused
    metric: str
    label: str  # "" = all images
    mean: float
    std: float
    ci_low: float
    ci_high: float
    count: int


@dataclass(frozen=True)
class ShiftValue:
    """How far a variant's map of one image moved from its base's: total variation in [0, 1]."""

    image_id: str
    model: str  # the variant
    base: str
    method: str
    layer: int
    head: int  # -1 = fused
    distance: float


@dataclass(frozen=True)
class ShiftSummary:
    """The distance of a variant from its base over the images both have, per method × layer × head."""

    model: str
    base: str
    method: str
    layer: int
    head: int  # -1 = fused
    mean: float
    ci_low: float  # bootstrap 95% interval of the mean
    ci_high: float
    n: int  # images


@dataclass(frozen=True)
class StorePairing:
    """Which store a catalog describes: the store's identity (a UUID also in the store's root
    attrs) and where it was last opened; both None for a catalog not paired yet.
    `has_entries`: whether the catalog holds any image × model row (what a re-pairing would reset)."""

    store_id: str | None
    store_url: str | None
    has_entries: bool
