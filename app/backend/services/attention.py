"""Reading maps for a request: chunk from the cache (or the store), slice, fuse, normalise, draw.

Where an image's maps are differs by kind (a ViT group holds one chunk per image and array; a
VLM group one subgroup per image and prompt): `kinds.api_of(attrs).read_layer` says. Everything
else here is the same for every kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.backend.services.catalog import LazyCatalog
from app.backend.services.heatmap import Box, HeatmapStyle, render_heatmap, scale_values
from app.backend.services.images import fit_within, open_rgb, resolve_gallery_file
from app.backend.services.kinds import api_of
from app.backend.services.slices import Normalize, SliceSpec, fuse_layer, normalize
from app.backend.services.store import AttentionStore
from app.backend.services.targets import Target, TokenSpan
from ssl_attention.store.catalog import ImageInfo


@dataclass(frozen=True)
class MapRequest:
    """A resolved request for maps of one image: the model's maps (`target`), which of them
    (`spec`), and for a text method the prompt and tokens (`span`, else None)."""

    target: Target
    spec: SliceSpec
    span: TokenSpan | None = None

    def cache_parts(self) -> tuple[object, ...]:
        """What identifies the maps read, for an ETag: the group's attribute fingerprint, the
        image's row and content hash and the slice (a text selection after any other parts)."""
        model = self.target.model
        return (model.fingerprint, self.target.row, self.target.sha256, self.spec)

    def span_parts(self) -> tuple[object, ...]:
        """What a text selection adds to an ETag (nothing otherwise: tags without one stay as they were)."""
        return () if self.span is None else (self.span,)


@dataclass(frozen=True)
class Maps:
    """Float16 values ready to send, with the min and max of the stored values they came from."""

    values: np.ndarray
    low: np.float16
    high: np.float16


@dataclass(frozen=True)
class PerHeadMaps(Maps):
    """Every head of one layer, with each head's min and max of the stored values."""

    head_low: np.ndarray
    head_high: np.ndarray


def read_layer(store: AttentionStore, asked: MapRequest, array_path: str) -> np.ndarray:
    """Layer `spec.layer` of the image's `array_path` (e.g. `cls/heads`): (gh, gw) from a fused
    array, (H, gh, gw) from a heads array. For a text method, the mean over the span's tokens."""
    spec = asked.spec
    api = api_of(asked.target.model.attrs)
    return api.read_layer(store, asked.target, spec.method, spec.layer, array_path, asked.span)


def read_map(store: AttentionStore, asked: MapRequest, mode: Normalize) -> Maps:
    """The (gh, gw) map of the request (of its span's tokens for a text method)."""
    raw = fuse_layer(read_layer(store, asked, asked.spec.array_path), asked.spec)
    return Maps(normalize(raw, mode), raw.min(), raw.max())


def read_heads(store: AttentionStore, asked: MapRequest, mode: Normalize) -> PerHeadMaps:
    """The (H, gh, gw) maps of every head of the request's layer, with each head's min and max."""
    raw = read_layer(store, asked, f"{asked.spec.method}/heads")
    return PerHeadMaps(normalize(raw, mode), raw.min(), raw.max(), raw.min(axis=(1, 2)), raw.max(axis=(1, 2)))


@dataclass(frozen=True)
class HeatmapScene:
    """What a heatmap is drawn over: the image's gallery path, the frame (w, h) and the boxes drawn."""

    path: str
    frame: tuple[int, int]
    boxes: tuple[Box, ...]


def heatmap_scene(catalog: LazyCatalog, image: ImageInfo, style: HeatmapStyle) -> HeatmapScene:
    """The frame of `image` (with a width and height) at `style.size`, and its annotation boxes
    when `style.boxes` asks for them (maps cover the full image: no crop)."""
    assert image.width is not None and image.height is not None
    boxes = [Box(a.label, a.x0, a.y0, a.x1, a.y1) for a in catalog.annotations(image.id)]
    drawn = tuple(boxes) if style.boxes else ()
    return HeatmapScene(image.path, fit_within(image.width, image.height, style.size), drawn)


def heatmap_png(
    store: AttentionStore, images: Path | str, asked: MapRequest, style: HeatmapStyle, scene: HeatmapScene
) -> bytes:
    """The map of the request drawn over the scene's frame with `style` (blended over the image
    from the gallery folder `images` when `style.overlay`): see `render_heatmap`."""
    background = None
    if style.overlay:
        background = open_rgb(resolve_gallery_file(images, scene.path), fit=style.size)
    maps = read_map(store, asked, "none")
    low, high = style.value_range(float(maps.low), float(maps.high))
    return render_heatmap(
        scale_values(maps.values, low, high),
        scene.frame,
        colormap=style.colormap,
        interpolation=style.interpolation,
        opacity=style.opacity,
        background=background,
        boxes=scene.boxes,
    )
