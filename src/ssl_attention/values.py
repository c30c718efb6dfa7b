"""Plain value types that more than one layer speaks (models/attention produce them, the store
records them, the API serves them). Nothing here imports torch, zarr or SQLAlchemy, so every
layer may import it without pulling in another layer's machinery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

IMAGE_MASS = "image_mass"  # a VLM's (T, L, H) float32 share of each text token's attention on the image


@dataclass(frozen=True)
class VlmToken:
    """One stored text token: its id, its text, its role and its position in the sequence."""

    id: int
    text: str
    role: str  # "template" (chat scaffolding, markers), "prompt" or "answer"
    position: int


@dataclass(frozen=True)
class DiscoveredFile:
    """A gallery file as discovery finds it (data/gallery.py) and the catalog records it."""

    id: str  # relative path without extension, `/` → `__`
    path: str  # relative to the gallery folder
    size: int
    mtime_ns: int


class AnnotationBox(NamedTuple):
    """One ground-truth region: a box (normalised corners), optionally outlined by polygons."""

    image_id: str
    label: str
    x0: float
    y0: float
    x1: float
    y1: float
    polygons: tuple[tuple[float, ...], ...] = ()
    mask: tuple[int, int, tuple[int, ...]] | None = None  # (height, width, column-major run lengths)


@dataclass(frozen=True)
class TextLayer:
    """One layer of a text's captured attention, as the store keeps it (`store/text_layout.py`):
    per slot (fused, then each head) and query row, the kept keys and the row's summary."""

    counts: Any  # (S, N) uint16: kept keys of each row
    keys: Any  # (K,) int32: kept keys, slot by slot, row by row, ascending within a row
    values: Any  # (K,) float32: their probabilities
    summary: Any  # (S, 3, N) float32: residual, entropy (nats), sink of each row
    received: Any  # (S, N) float32: attention received by each key
    mean: Any  # (S, M, M) float32: overview, mean over blocks
    max: Any  # (S, M, M) float32: overview, max over blocks
    stats: Any  # (1 + H, 5) float32: entropy, sink, previous_token, induction, distance per slot
