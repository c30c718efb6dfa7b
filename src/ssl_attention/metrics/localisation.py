"""Localisation metrics of one attention map against ground-truth boxes, on an evaluation frame.

All functions take a non-negative map already on the frame (see `frame.upsample`) unless they
say otherwise, and the union of the boxes as a boolean mask of the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ssl_attention.metrics.frame import Frame, cells_to_frame


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def top_percent_mask(values: np.ndarray, percent: float) -> np.ndarray:
    """The `percent`% highest pixels (exactly that many; ties broken by position)."""
    flat = values.ravel()
    keep = round(flat.size * percent / 100)
    mask = np.zeros(flat.size, dtype=bool)
    if keep > 0:
        order = np.argsort(-flat, kind="stable")
        mask[order[:keep]] = True
    return mask.reshape(values.shape)


def iou_top_percent(upsampled: np.ndarray, boxes: np.ndarray, percent: float) -> float:
    """IoU of the top-`percent`% attention area with the union of the boxes."""
    return iou(top_percent_mask(upsampled, percent), boxes)


def mass_mask(grid_map: np.ndarray, mass: float) -> np.ndarray:
    """DINO's mask on the patch grid: the fewest top patches holding at least `mass` of the attention."""
    flat = grid_map.ravel().astype(np.float64)
    total = flat.sum()
    mask = np.zeros(flat.size, dtype=bool)
    if total <= 0:
        return mask.reshape(grid_map.shape)
    order = np.argsort(-flat, kind="stable")
    cumulative = np.cumsum(flat[order]) / total
    count = int(np.searchsorted(cumulative, mass - 1e-12) + 1)
    mask[order[: min(count, flat.size)]] = True
    return mask.reshape(grid_map.shape)


def mass_mask_iou(grid_map: np.ndarray, boxes: np.ndarray, frame: Frame, mass: float) -> float:
    """Jaccard of the DINO-style mass mask (cells mapped onto the frame) with the boxes."""
    return iou(cells_to_frame(mass_mask(grid_map, mass), frame), boxes)


def pointing_hit(
    upsampled: np.ndarray,
    boxes: Sequence[tuple[float, float, float, float]],
    frame: Frame,
    tolerance_px: float,
) -> float:
    """1 when the map's maximum lies within `tolerance_px` (original image pixels) of a box, else 0."""
    return point_hits(int(np.argmax(upsampled)), boxes, frame, tolerance_px)


def point_hits(
    flat_index: int, boxes: Sequence[tuple[float, float, float, float]], frame: Frame, tolerance_px: float
) -> float:
    """The pointing test for the frame pixel `flat_index` (row-major)."""
    y, x = divmod(flat_index, frame.width)
    # the pixel centre in original image pixels
    px, py = (x + 0.5) / frame.scale, (y + 0.5) / frame.scale
    width, height = frame.width / frame.scale, frame.height / frame.scale
    for x0, y0, x1, y1 in boxes:
        dx = max(x0 * width - px, 0.0, px - x1 * width)
        dy = max(y0 * height - py, 0.0, py - y1 * height)
        if np.hypot(dx, dy) <= tolerance_px:
            return 1.0
    return 0.0


def energy_in_boxes(upsampled: np.ndarray, boxes: np.ndarray) -> float:
    """Share of the attention mass that falls inside the boxes."""
    total = float(upsampled.sum())
    return float(upsampled[boxes].sum() / total) if total > 0 else 0.0
