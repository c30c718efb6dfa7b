"""Gallery files: resolving them safely inside the images folder, decoding, thumbnails."""

from __future__ import annotations

import io
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from app.backend.services.cache import ByteLRUCache
from app.backend.services.errors import ImageUnreadable
from ssl_attention.data import gallery  # noqa: F401  (sets PIL's decompression-bomb limit)

THUMBNAIL_QUALITY = 85


@dataclass(frozen=True)
class GalleryFile:
    path: Path  # resolved, inside the images folder
    media_type: str
    stat: os.stat_result

    @property
    def version(self) -> str:
        """Changes whenever the file's content may have changed."""
        return f"{self.stat.st_size}-{self.stat.st_mtime_ns}"


def resolve_gallery_file(root: Path, relative: str) -> GalleryFile:
    """The regular file `relative` names under `root`, never anything outside it.

    `relative` comes from the catalog, not from the request; still, absolute paths, `..`
    and symlinks that lead out of the folder are refused like a missing file.
    """
    try:
        base = root.resolve(strict=True)
        target = (base / relative).resolve(strict=True)
        if "\x00" in relative or not target.is_relative_to(base) or not target.is_file():
            raise FileNotFoundError
        stat = target.stat()
    except (OSError, RuntimeError, ValueError):
        raise ImageUnreadable("the image file is missing from the gallery folder") from None
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return GalleryFile(target, media_type, stat)


def open_rgb(path: Path, fit: int | None = None) -> Image.Image:
    """Decode an image as RGB; with `fit`, shrink it so its longer side is at most `fit` pixels
    (JPEGs decode directly at a reduced scale first; the aspect ratio is the original's)."""
    try:
        with Image.open(path) as opened:
            target = opened.size if fit is None else fit_within(*opened.size, min(fit, max(opened.size)))
            if target != opened.size:
                opened.draft("RGB", target)
            opened.load()
            image = opened.convert("RGB")
    except UnidentifiedImageError:
        raise ImageUnreadable("the file is not an image that can be decoded") from None
    except Image.DecompressionBombError:
        raise ImageUnreadable("the image is too large to decode") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageUnreadable(f"the image cannot be decoded ({type(error).__name__})") from None
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def fit_within(width: int, height: int, side: int) -> tuple[int, int]:
    """(w, h) with the same aspect ratio and the longer side equal to `side`."""
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class Thumbnails:
    """JPEG thumbnails, the longer side `size` pixels, kept in a byte-bounded LRU cache."""

    def __init__(self, cache_bytes: int) -> None:
        self.cache: ByteLRUCache[bytes] = ByteLRUCache(cache_bytes)

    def get(self, file: GalleryFile, size: int) -> bytes:
        return self.cache.get_or_load(
            (str(file.path), file.version, size), lambda: self._make(file.path, size)
        )

    @staticmethod
    def _make(path: Path, size: int) -> bytes:
        image = open_rgb(path, fit=size)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
        return buffer.getvalue()
