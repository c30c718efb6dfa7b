"""Maps that know nothing about the image, scored the same way as the models."""

from __future__ import annotations

import zlib

import numpy as np


def centre_gaussian(grid: tuple[int, int], sigma: float = 0.25) -> np.ndarray:
    """An isotropic Gaussian at the image centre; sigma as a fraction of each side."""
    gh, gw = grid
    ys = ((np.arange(gh) + 0.5) / gh - 0.5)[:, None]
    xs = ((np.arange(gw) + 0.5) / gw - 0.5)[None, :]
    values = np.exp(-(ys**2 + xs**2) / (2 * sigma**2))
    return values / values.sum()


def uniform_random(grid: tuple[int, int], image_id: str) -> np.ndarray:
    """Uniform noise, reproducible per image."""
    rng = np.random.default_rng(zlib.crc32(image_id.encode()))
    values = rng.random(grid)
    return values / values.sum()
