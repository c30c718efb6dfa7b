"""Image → normalised pixels: the whole image resized (no crop) to a square input."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ssl_attention.models.normalization import Normalization


def to_pixels(image: Image.Image, size: int, normalization: Normalization) -> np.ndarray:
    """(3, size, size) float32. Bicubic resize of the full frame, so maps line up with the image and its boxes."""
    resized = image.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)
    pixels = np.asarray(resized, dtype=np.float32) / 255.0
    mean = np.asarray(normalization.mean, dtype=np.float32)
    std = np.asarray(normalization.std, dtype=np.float32)
    return np.ascontiguousarray(((pixels - mean) / std).transpose(2, 0, 1))
