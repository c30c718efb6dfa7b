"""Reading maps for a request: chunk from the cache (or the store), slice, fuse, normalise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.backend.services.heatmap import Box, HeatmapStyle, render_heatmap, scale_values
from app.backend.services.slices import Normalize, SliceSpec, normalize, select_slice
from app.backend.services.store import AttentionStore, StoredModel


@dataclass(frozen=True)
class Maps:
    """Float16 values ready to send, with the min and max of the stored values they came from."""

    values: np.ndarray
    low: np.float16
    high: np.float16


def _finish(raw: np.ndarray, mode: Normalize) -> Maps:
    return Maps(normalize(raw, mode), raw.min(), raw.max())


def read_map(
    store: AttentionStore, model: StoredModel, row: int, sha256: str, spec: SliceSpec, mode: Normalize
) -> Maps:
    """The (gh, gw) map of `spec`."""
    chunk = store.read_chunk(model, spec.array_path, row, sha256)
    return _finish(select_slice(chunk, spec), mode)


def read_heads(
    store: AttentionStore, model: StoredModel, row: int, sha256: str, spec: SliceSpec, mode: Normalize
) -> tuple[Maps, np.ndarray, np.ndarray]:
    """The (H, gh, gw) maps of every head of `spec.layer`, with each head's min and max."""
    raw = store.read_chunk(model, f"{spec.method}/heads", row, sha256)[spec.layer]
    return _finish(raw, mode), raw.min(axis=(1, 2)), raw.max(axis=(1, 2))


def read_prefix(store: AttentionStore, model: StoredModel, row: int, sha256: str) -> np.ndarray:
    """(L, H, n_prefix) shares of attention on each prefix token."""
    return store.read_chunk(model, "prefix/heads", row, sha256)


def heatmap_png(
    store: AttentionStore,
    model: StoredModel,
    row: int,
    sha256: str,
    spec: SliceSpec,
    style: HeatmapStyle,
    frame: tuple[int, int],
    background: Image.Image | None,
    boxes: Sequence[Box],
) -> bytes:
    """The map of `spec` drawn over a `frame` (w, h) with `style`: see `render_heatmap`."""
    maps = read_map(store, model, row, sha256, spec, "none")
    low, high = style.value_range(float(maps.low), float(maps.high))
    return render_heatmap(
        scale_values(maps.values, low, high),
        frame,
        colormap=style.colormap,
        interpolation=style.interpolation,
        opacity=style.opacity,
        background=background,
        boxes=boxes,
    )
