"""Put patch-grid maps and boxes on one evaluation frame.

Every model saw the whole image resized to a square, so cell (y, x) of a gh×gw map covers the
normalised image region [x/gw, (x+1)/gw) × [y/gh, (y+1)/gh) — whatever the patch size. Maps are
upsampled to a frame with the image's aspect ratio, the same bilinear interpolation for every
model (cell centres at (x + ½)/gw, edges clamped: what `F.interpolate(..., "bilinear",
align_corners=False)` does), so 14 px and 16 px grids line up on the same pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_FRAME = 224  # pixels on the longer side of the evaluation frame


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    scale: float  # frame pixels per original image pixel

    @classmethod
    def for_image(cls, width: int, height: int, longer_side: int = DEFAULT_FRAME) -> Frame:
        scale = longer_side / max(width, height)
        return cls(max(1, round(width * scale)), max(1, round(height * scale)), scale)


def linear_weights(source: int, target: int) -> np.ndarray:
    """(target, source) matrix of bilinear weights, half-pixel centres, clamped edges."""
    position = (np.arange(target) + 0.5) * source / target - 0.5
    position = np.clip(position, 0, source - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, source - 1)
    frac = position - low
    weights = np.zeros((target, source))
    np.add.at(weights, (np.arange(target), low), 1 - frac)
    np.add.at(weights, (np.arange(target), high), frac)
    return weights


def upsample(maps: np.ndarray, frame: Frame) -> np.ndarray:
    """(..., gh, gw) → (..., frame.height, frame.width), bilinear."""
    gh, gw = maps.shape[-2:]
    rows = linear_weights(gh, frame.height)
    cols = linear_weights(gw, frame.width)
    return np.einsum("yi,...ij,xj->...yx", rows, maps.astype(np.float64), cols, optimize=True)


def cells_to_frame(mask: np.ndarray, frame: Frame) -> np.ndarray:
    """A boolean (gh, gw) grid mask → the frame pixels whose centres fall in selected cells."""
    gh, gw = mask.shape
    ys = np.minimum(((np.arange(frame.height) + 0.5) * gh / frame.height).astype(int), gh - 1)
    xs = np.minimum(((np.arange(frame.width) + 0.5) * gw / frame.width).astype(int), gw - 1)
    return mask[np.ix_(ys, xs)]


def box_mask(boxes: Sequence[tuple[float, float, float, float]], frame: Frame) -> np.ndarray:
    """Union of normalised boxes (x0, y0, x1, y1) as frame pixels whose centres lie inside."""
    ys = (np.arange(frame.height) + 0.5) / frame.height
    xs = (np.arange(frame.width) + 0.5) / frame.width
    mask = np.zeros((frame.height, frame.width), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        mask |= ((ys >= y0) & (ys < y1))[:, None] & ((xs >= x0) & (xs < x1))[None, :]
    return mask


@dataclass(frozen=True)
class Region:
    """One annotation: a normalised box, and optionally polygons (flat x, y lists) outlining it."""

    box: tuple[float, float, float, float]
    polygons: tuple[tuple[float, ...], ...] = ()
    mask: tuple[int, int, tuple[int, ...]] | None = None  # (height, width, column-major run lengths)


def decode_runs(height: int, width: int, runs: Sequence[int]) -> np.ndarray:
    """COCO's run-length mask: alternating runs of 0 and 1 (zeros first), column-major."""
    values = np.repeat(np.arange(len(runs)) % 2 == 1, runs)
    return values.reshape(width, height).T


def _mask_masks(
    mask: tuple[int, int, tuple[int, ...]], frame: Frame, tolerance_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """(inside, within tolerance): the mask's value at each frame pixel centre, and the same
    grown by the tolerance (a disc in frame pixels: pixel accuracy)."""
    height, width, runs = mask
    pixels = decode_runs(height, width, runs)
    rows = np.minimum(((np.arange(frame.height) + 0.5) * height / frame.height).astype(int), height - 1)
    cols = np.minimum(((np.arange(frame.width) + 0.5) * width / frame.width).astype(int), width - 1)
    inside = pixels[np.ix_(rows, cols)]
    radius = tolerance_px * frame.scale
    reach = int(np.floor(radius))
    zone = inside.copy()
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if (dy or dx) and dy * dy + dx * dx <= radius * radius:
                shifted = np.zeros_like(inside)
                shifted[max(dy, 0) : frame.height + min(dy, 0), max(dx, 0) : frame.width + min(dx, 0)] = (
                    inside[max(-dy, 0) : frame.height + min(-dy, 0), max(-dx, 0) : frame.width + min(-dx, 0)]
                )
                zone |= shifted
    return inside, zone


def _polygon_masks(
    polygon: tuple[float, ...], frame: Frame, tolerance_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """(inside, within tolerance) for one polygon, tested at pixel centres in original pixels:
    even-odd rule for inside, the distance to the nearest edge for the tolerance."""
    width, height = frame.width / frame.scale, frame.height / frame.scale
    xs = np.asarray(polygon[0::2]) * width
    ys = np.asarray(polygon[1::2]) * height
    cx = ((np.arange(frame.width) + 0.5) / frame.scale)[None, :]
    cy = ((np.arange(frame.height) + 0.5) / frame.scale)[:, None]
    inside = np.zeros((frame.height, frame.width), dtype=bool)
    nearest = np.full((frame.height, frame.width), np.inf)
    for i in range(len(xs)):
        ax, ay, bx, by = xs[i - 1], ys[i - 1], xs[i], ys[i]
        crosses = (ay > cy) != (by > cy)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = ax + (cy - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (cx < x_at)
        length2 = (bx - ax) ** 2 + (by - ay) ** 2
        t = np.clip(((cx - ax) * (bx - ax) + (cy - ay) * (by - ay)) / length2, 0, 1) if length2 > 0 else 0.0
        nearest = np.minimum(nearest, np.hypot(cx - (ax + t * (bx - ax)), cy - (ay + t * (by - ay))))
    return inside, inside | (nearest <= tolerance_px)


def region_masks(
    regions: Sequence[Region], frame: Frame, tolerance_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """(inside, hit zone) on the frame.

    inside: pixels whose centres lie in a box — or, where the annotation has them, in its mask
    (sampled at the centre) or its polygons (even-odd rule).
    hit zone: pixels whose centres lie within `tolerance_px` original-image pixels of a region."""
    inside = box_mask([r.box for r in regions if not r.polygons and r.mask is None], frame)
    ys = (np.arange(frame.height) + 0.5) / frame.scale  # pixel centres in original pixels
    xs = (np.arange(frame.width) + 0.5) / frame.scale
    width, height = frame.width / frame.scale, frame.height / frame.scale
    zone = np.zeros_like(inside)
    for region in regions:
        if region.mask is not None:
            mask_inside, mask_zone = _mask_masks(region.mask, frame, tolerance_px)
            inside |= mask_inside
            zone |= mask_zone
            continue
        if region.polygons:
            for polygon in region.polygons:
                polygon_inside, polygon_zone = _polygon_masks(polygon, frame, tolerance_px)
                inside |= polygon_inside
                zone |= polygon_zone
            continue
        x0, y0, x1, y1 = region.box
        dx = np.maximum.reduce([x0 * width - xs, np.zeros_like(xs), xs - x1 * width])
        dy = np.maximum.reduce([y0 * height - ys, np.zeros_like(ys), ys - y1 * height])
        zone |= np.hypot(dy[:, None], dx[None, :]) <= tolerance_px
    return inside, zone
