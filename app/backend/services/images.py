"""Gallery files: resolving them safely inside the images folder, decoding (bounded), thumbnails."""

from __future__ import annotations

import io
import mimetypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, UnidentifiedImageError

from app.backend.services.cache import ByteLRUCache
from app.backend.services.errors import ImageUnreadable, Unavailable
from ssl_attention.data import gallery
from ssl_attention.data.limits import DEFAULT_MAX_IMAGE_PIXELS, LimitError, max_image_pixels
from ssl_attention.data.remote import RemoteFile, is_remote, read_object, stat_remote

THUMBNAIL_QUALITY = 85
# Pixels decoded at once by all requests together: one image at the default limit (about 300 MB
# as RGB, plus a copy while converting), or many ordinary photos side by side.
DECODE_BUDGET_PIXELS = DEFAULT_MAX_IMAGE_PIXELS
DECODE_WAIT_S = 20.0


@dataclass(frozen=True)
class GalleryFile:
    path: Path  # resolved, inside the images folder (a remote gallery: the object's name)
    media_type: str
    stat: os.stat_result | None  # None for an object of a gallery on object storage
    remote: RemoteFile | None = None

    @property
    def version(self) -> str:
        """Changes whenever the file's content may have changed."""
        if self.stat is None:
            assert self.remote is not None
            return self.remote.version
        return f"{self.stat.st_size}-{self.stat.st_mtime_ns}"

    def open(self) -> IO[bytes]:
        """The file's bytes, never following a symlink swapped in since it was resolved."""
        if self.remote is None:
            return gallery.open_no_follow(self.path)
        try:
            return io.BytesIO(read_object(self.remote.url))
        except OSError as error:
            raise gallery.OutsideGallery("the object cannot be read") from error


def resolve_gallery_file(root: Path | str, relative: str) -> GalleryFile:
    """The regular file `relative` names under `root`, never anything outside it.

    `relative` comes from the catalog, not from the request; still, absolute paths, `..`
    and symlinks that lead out of the folder are refused like a missing file. `root` may be the
    URL of a prefix on object storage: only keys under it are read (`data/remote.py`).
    """
    if is_remote(root):
        try:
            found = stat_remote(str(root), relative)
        except OSError:
            raise ImageUnreadable("the image file is missing from the gallery folder") from None
        media = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        return GalleryFile(Path(found.name), media, None, found)
    try:
        target = gallery.real_path_inside(root, relative)
        stat = target.stat()
    except (gallery.OutsideGallery, OSError):
        raise ImageUnreadable("the image file is missing from the gallery folder") from None
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return GalleryFile(target, media_type, stat)


class DecodeBudget:
    """At most `pixels` pixels being decoded at once across all requests (8 concurrent
    decompression bombs must not hold GBs); an image larger than the budget waits to run alone.
    A request that waits longer than `wait_s` is answered 503 with Retry-After."""

    def __init__(self, pixels: int, wait_s: float) -> None:
        self.pixels, self.wait_s = pixels, wait_s
        self.in_use = 0
        self.condition = threading.Condition()

    @contextmanager
    def slot(self, pixels: int) -> Iterator[None]:
        need = min(max(1, pixels), self.pixels)
        with self.condition:
            if not self.condition.wait_for(lambda: self.in_use + need <= self.pixels, timeout=self.wait_s):
                raise Unavailable("the server is busy decoding other large images; retry shortly")
            self.in_use += need
        try:
            yield
        finally:
            with self.condition:
                self.in_use -= need
                self.condition.notify_all()


DECODES = DecodeBudget(DECODE_BUDGET_PIXELS, DECODE_WAIT_S)


def open_rgb(source: Path | GalleryFile, fit: int | None = None) -> Image.Image:
    """Decode an image as RGB; with `fit`, shrink it so its longer side is at most `fit` pixels
    (JPEGs decode directly at a reduced scale first; the aspect ratio is the original's).

    `source` is a resolved gallery file (`resolve_gallery_file`, or its path); a symlink swapped in
    since is not followed. Images over the pixel limit are refused from their header (422)."""
    try:
        opener = source.open if isinstance(source, GalleryFile) else lambda: gallery.open_no_follow(source)
        with opener() as file, gallery.open_image(file) as opened:
            target = opened.size if fit is None else fit_within(*opened.size, min(fit, max(opened.size)))
            if target != opened.size:
                opened.draft("RGB", target)
            with DECODES.slot(opened.width * opened.height):  # the draft's size: what is decoded
                opened.load()
                image = gallery.to_rgb(opened)
                if image.size != target:
                    image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    except gallery.ImageTooLarge as error:
        raise ImageUnreadable(str(error)) from None
    except (gallery.OutsideGallery, OSError):
        raise ImageUnreadable("the image file is missing from the gallery folder") from None
    except gallery.ImageDecodeError as error:
        if isinstance(error.__cause__, UnidentifiedImageError):
            raise ImageUnreadable("the file is not an image that can be decoded") from None
        raise ImageUnreadable(f"the image cannot be decoded ({type(error.__cause__).__name__})") from None
    except LimitError as error:
        raise Unavailable(str(error)) from None
    return image


def fit_within(width: int, height: int, side: int) -> tuple[int, int]:
    """(w, h) with the same aspect ratio and the longer side equal to `side`."""
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class Thumbnails:
    """JPEG thumbnails, the longer side `size` pixels, kept in a byte-bounded LRU cache."""

    def __init__(self, cache_bytes: int) -> None:
        max_image_pixels()  # a bad SSL_ATTENTION_MAX_IMAGE_PIXELS stops the start with one line
        self.cache: ByteLRUCache[bytes] = ByteLRUCache(cache_bytes)

    def get(self, file: GalleryFile, size: int) -> bytes:
        where = file.remote.url if file.remote is not None else str(file.path)
        return self.cache.get_or_load((where, file.version, size), lambda: self._make(file, size))

    @staticmethod
    def _make(file: GalleryFile, size: int) -> bytes:
        image = open_rgb(file, fit=size)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
        return buffer.getvalue()
