"""Reading maps for a request: chunk from the cache (or the store), slice, fuse, normalise.

ViT groups hold one chunk per image and array; VLM groups hold the vision tower's arrays in
`samples/<row>/` and, per prompt, one chunk per text token in `samples/<row>/prompts/<k>/`
(`method=text`, averaged over a `TokenSpan`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.backend.services.heatmap import Box, HeatmapStyle, render_heatmap, scale_values
from app.backend.services.slices import Normalize, SliceSpec, fuse_layer, normalize
from app.backend.services.store import AttentionStore, StoredModel
from app.backend.services.vlm import TokenSpan
from ssl_attention.store.layout import IMAGE_MASS, VlmAttrs


@dataclass(frozen=True)
class Maps:
    """Float16 values ready to send, with the min and max of the stored values they came from."""

    values: np.ndarray
    low: np.float16
    high: np.float16


def _finish(raw: np.ndarray, mode: Normalize) -> Maps:
    return Maps(normalize(raw, mode), raw.min(), raw.max())


def read_layer(
    store: AttentionStore,
    model: StoredModel,
    row: int,
    sha256: str,
    spec: SliceSpec,
    array_path: str,
    span: TokenSpan | None = None,
) -> np.ndarray:
    """Layer `spec.layer` of the image's `array_path` (e.g. `cls/heads`): (gh, gw) from a fused
    array, (H, gh, gw) from a heads array. For `method=text`, the mean over `span`'s tokens."""
    if not isinstance(model.attrs, VlmAttrs):
        return store.read_chunk(model, array_path, row, sha256)[spec.layer]
    if spec.method != "text":  # the vision tower's arrays: one chunk per image
        return store.read_array(model, f"{VlmAttrs.sample_path(row)}/{array_path}", row, sha256)[spec.layer]
    if span is None:
        raise ValueError("method=text needs a TokenSpan")
    path = f"{VlmAttrs.prompt_path(row, span.prompt)}/{array_path}"
    layers = [store.read_array(model, path, row, sha256, token)[spec.layer] for token in span.tokens]
    if len(layers) == 1:
        return layers[0]
    mean: np.ndarray = np.stack(layers).astype(np.float32).mean(axis=0)
    return mean.astype(np.float16)


def read_map(
    store: AttentionStore,
    model: StoredModel,
    row: int,
    sha256: str,
    spec: SliceSpec,
    mode: Normalize,
    span: TokenSpan | None = None,
) -> Maps:
    """The (gh, gw) map of `spec` (of `span`'s tokens for `method=text`)."""
    values = read_layer(store, model, row, sha256, spec, spec.array_path, span)
    return _finish(fuse_layer(values, spec), mode)


def read_heads(
    store: AttentionStore,
    model: StoredModel,
    row: int,
    sha256: str,
    spec: SliceSpec,
    mode: Normalize,
    span: TokenSpan | None = None,
) -> tuple[Maps, np.ndarray, np.ndarray]:
    """The (H, gh, gw) maps of every head of `spec.layer`, with each head's min and max."""
    raw = read_layer(store, model, row, sha256, spec, f"{spec.method}/heads", span)
    return _finish(raw, mode), raw.min(axis=(1, 2)), raw.max(axis=(1, 2))


def read_image_mass(
    store: AttentionStore, model: StoredModel, row: int, sha256: str, prompt: int, head: int | None
) -> np.ndarray:
    """(T, L) float32: each text token's share of attention on the image per layer, for one
    head or the mean over heads."""
    mass = store.read_array(model, f"{VlmAttrs.prompt_path(row, prompt)}/{IMAGE_MASS}", row, sha256)
    if head is not None:
        return mass[:, :, head]
    fused: np.ndarray = mass.astype(np.float32).mean(axis=2)
    return fused


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
    span: TokenSpan | None = None,
) -> bytes:
    """The map of `spec` drawn over a `frame` (w, h) with `style`: see `render_heatmap`."""
    maps = read_map(store, model, row, sha256, spec, "none", span)
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
