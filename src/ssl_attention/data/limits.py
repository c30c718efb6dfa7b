"""How large an image may be before it is refused instead of decoded (decompression bombs).

A 219 KB PNG can declare 15000×15000 pixels and cost 2.6 GB once decoded. Every decoder of
gallery files (`precompute` and the API) reads the size from the file's header first and refuses
an image over `max_image_pixels()` before a single pixel is decoded.

The default, 100 megapixels, is above the largest photos of today's cameras (100–102 MP medium
format) and far above what any model looks at (ViTs read 224–518 px squares, the VLMs at most a
few megapixels), while one decode of it stays near 300 MB (RGB, 3 bytes a pixel) plus a copy
while converting. Set `SSL_ATTENTION_MAX_IMAGE_PIXELS` to change it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

MAX_PIXELS_ENV = "SSL_ATTENTION_MAX_IMAGE_PIXELS"
DEFAULT_MAX_IMAGE_PIXELS = 100_000_000


class LimitError(ValueError):
    """The environment sets a pixel limit that is not a positive whole number."""


def max_image_pixels(environ: Mapping[str, str] = os.environ) -> int:
    """The configured limit (`SSL_ATTENTION_MAX_IMAGE_PIXELS`, default 100 000 000 pixels)."""
    raw = environ.get(MAX_PIXELS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_IMAGE_PIXELS
    try:
        value = int(raw)  # also takes 100_000_000
    except ValueError:
        value = 0
    if value < 1:
        raise LimitError(
            f"{MAX_PIXELS_ENV}={raw!r} is not allowed: give a whole number of pixels of at least 1 "
            f"(default {DEFAULT_MAX_IMAGE_PIXELS})"
        )
    return value


def too_large(width: int, height: int, limit: int) -> str | None:
    """Why an image of `width`×`height` is refused, or None when it is within `limit`."""
    return None if width * height <= limit else too_large_message((width, height), limit)


def too_large_message(size: tuple[int, int] | None, limit: int) -> str:
    """One line for an image over `limit` (`size` unknown when PIL refused it before we saw it)."""
    what = (
        f"over {2 * limit / 1e6:g}"
        if size is None
        else f"{size[0]}×{size[1]} = {size[0] * size[1] / 1e6:.1f}"
    )
    return f"image too large: {what} megapixels; the limit is {limit / 1e6:g} megapixels ({MAX_PIXELS_ENV})"
