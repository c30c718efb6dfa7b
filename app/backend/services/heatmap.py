"""Heatmap PNGs: a map upsampled to the image frame, coloured, optionally blended and boxed;
and the gate that bounds how many are drawn at once (`RenderGate`)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.backend.services.errors import InvalidParameter, Unavailable
from app.backend.services.slices import Normalize

Colormap = Literal["viridis", "magma", "inferno", "plasma", "cividis", "turbo", "gray"]
Interpolation = Literal["nearest", "bilinear", "bicubic"]

RESAMPLING = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
}
HEATMAP_MIN, HEATMAP_MAX, HEATMAP_DEFAULT = 16, 2048, 512  # bounds and default of `size` (pixels)
BOX_COLOR = (0, 255, 136)
PNG_COMPRESS_LEVEL = 4


class RenderBusy(Unavailable):
    """Every render slot is taken and the queue is full, or a queued render waited too long (503)."""

    retry_after = "1"


class RenderGate:
    """At most `slots` renders at once; up to `queue` more wait (each at most `wait_s` seconds)
    for a slot; beyond that a render is refused at once with `RenderBusy` (503 + Retry-After).

    A heatmap at `size=2048` holds ~160 MB of intermediate arrays (docs/benchmarks.md) and a CPU
    core for a fraction of a second or more; unbounded, a burst of them fills the server's
    threadpool (which cheap requests such as /health share) and its memory. Bounded, a burst costs at most `slots` renders of
    memory and `slots + queue` threads; the rest of the API stays responsive."""

    def __init__(self, slots: int, queue: int, wait_s: float) -> None:
        self.slots, self.queue, self.wait_s = slots, queue, wait_s
        self._free = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._waiting = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a render slot for the block; raises RenderBusy when none can be had."""
        if not self._free.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self.queue:
                    raise RenderBusy(
                        f"{self.slots} heatmaps are being drawn and {self._waiting} wait; retry in a moment"
                    )
                self._waiting += 1
            try:
                acquired = self._free.acquire(timeout=self.wait_s)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not acquired:
                raise RenderBusy(f"no heatmap slot came free within {self.wait_s:g} s; retry in a moment")
        try:
            yield
        finally:
            self._free.release()


@dataclass(frozen=True)
class HeatmapStyle:
    """How a map is drawn. The colormap's ends are the map's own min and max (`minmax`) or 0 and 1
    (`none`), each overridable by `vmin`/`vmax`."""

    colormap: Colormap = "viridis"
    size: int = HEATMAP_DEFAULT  # longer side in pixels; the image's aspect ratio
    normalize: Normalize = "minmax"
    vmin: float | None = None
    vmax: float | None = None
    overlay: bool = True
    opacity: float = 0.6
    boxes: bool = False
    interpolation: Interpolation = "bilinear"

    def __post_init__(self) -> None:
        if self.vmin is not None and self.vmax is not None and not self.vmax > self.vmin:
            raise InvalidParameter(
                "vmax", f"vmax ({self.vmax}) must be greater than vmin ({self.vmin})", {"min": 0, "max": 1}
            )

    def value_range(self, low: float, high: float) -> tuple[float, float]:
        """The values at the colormap's two ends, for a map whose values span low..high."""
        start, end = (low, high) if self.normalize == "minmax" else (0.0, 1.0)
        return (start if self.vmin is None else self.vmin), (end if self.vmax is None else self.vmax)


@dataclass(frozen=True)
class Box:
    label: str
    x0: float  # corners normalised to [0, 1] by the image width and height
    y0: float
    x1: float
    y1: float


@cache
def colormap_lut(name: Colormap) -> np.ndarray:
    """(256, 3) uint8 lookup table of a matplotlib colormap."""
    from matplotlib import colormaps

    rgba = colormaps[name](np.linspace(0.0, 1.0, 256))
    lut: np.ndarray = np.round(rgba[:, :3] * 255).astype(np.uint8)
    return lut


def scale_values(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Map [vmin, vmax] onto [0, 1] (clipped); a zero range gives zeros."""
    wide = values.astype(np.float32)
    span = vmax - vmin
    if not span > 0:
        return np.zeros_like(wide)
    clipped: np.ndarray = np.clip((wide - vmin) / span, 0.0, 1.0)
    return clipped


def render_heatmap(
    unit_map: np.ndarray,
    size: tuple[int, int],
    *,
    colormap: Colormap,
    interpolation: Interpolation,
    opacity: float,
    background: Image.Image | None = None,
    boxes: Sequence[Box] = (),
) -> bytes:
    """PNG of `unit_map` (values in [0, 1] on the patch grid) stretched over a `size` (w, h) frame.

    With `background` (the image, any size) the colours are blended over it with `opacity`
    and the PNG is RGB; without it the PNG is RGBA with alpha `opacity`, ready to layer.
    """
    width, height = size
    field = Image.fromarray(unit_map.astype(np.float32)).resize(size, RESAMPLING[interpolation])
    indices = np.clip(np.rint(np.asarray(field) * 255.0), 0, 255).astype(np.uint8)
    colours = colormap_lut(colormap)[indices]
    if background is not None:
        base = np.asarray(background.convert("RGB").resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
        blended = base * (1.0 - opacity) + colours.astype(np.float32) * opacity
        result = Image.fromarray(np.clip(np.rint(blended), 0, 255).astype(np.uint8))
    else:
        alpha = np.full((height, width, 1), round(opacity * 255), dtype=np.uint8)
        result = Image.fromarray(np.concatenate([colours, alpha], axis=-1))
    if boxes:
        draw_boxes(result, boxes)
    buffer = io.BytesIO()
    result.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def draw_boxes(image: Image.Image, boxes: Sequence[Box]) -> None:
    """Outline each box (with a dark halo so it shows on any colour) and write its label."""
    width, height = image.size
    line = max(1, round(min(width, height) / 160))
    font = ImageFont.load_default(size=max(10, round(min(width, height) / 32)))
    draw = ImageDraw.Draw(image)
    for box in boxes:
        left_x, right_x = sorted((box.x0, box.x1))
        top_y, bottom_y = sorted((box.y0, box.y1))
        x0, x1 = round(left_x * (width - 1)), round(right_x * (width - 1))
        y0, y1 = round(top_y * (height - 1)), round(bottom_y * (height - 1))
        draw.rectangle((x0 - line, y0 - line, x1 + line, y1 + line), outline=(0, 0, 0), width=line)
        draw.rectangle((x0, y0, x1, y1), outline=BOX_COLOR, width=line)
        if box.label:
            left, top, right, bottom = draw.textbbox((x0 + line, y0 + line), box.label, font=font)
            draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=(0, 0, 0))
            draw.text((x0 + line, y0 + line), box.label, fill=BOX_COLOR, font=font)
