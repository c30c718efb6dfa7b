"""Find the images of a gallery folder, name them, and decode them safely.

Only files whose real path (every symlink resolved) is inside the gallery folder are read: discovery
skips the others with a reason, and `decode(..., within=root)` refuses them even when a file was
swapped for a symlink after discovery. Images over the pixel limit (`data/limits.py`) are refused
from their header, before any pixel is decoded; 16-bit greyscale is scaled to 8 bits, not clipped.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, UnidentifiedImageError

from ssl_attention.data.limits import max_image_pixels, too_large, too_large_message
from ssl_attention.data.remote import RemoteMissing, is_remote, list_remote, read_remote
from ssl_attention.values import DiscoveredFile

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
MAX_IMAGE_ID_CHARS = 512  # the catalog's `images.id` column is VARCHAR(512)
BROKEN_DATA_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)

# The pixel limit is checked by `open_image` as soon as the header is read. PIL's own check is kept
# as a backstop at twice that limit; its warning below the backstop is redundant and silenced.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def image_id_for(relative_path: str) -> str:
    """The id of an image: its relative path without extension, with `/` replaced by `__`."""
    stem = relative_path.rsplit(".", 1)[0] if "." in Path(relative_path).name else relative_path
    return stem.replace("/", "__")


def printable_path(relative_path: str) -> str:
    """A file name as text even when it is not UTF-8 (`caf\\xe9.png`), safe to print or store."""
    return os.fsencode(relative_path).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Discovery:
    files: list[DiscoveredFile]
    skipped: list[tuple[str, str]]  # (printable relative path, why)


def discover(folder: str | Path) -> Discovery:
    """Every file with an image suffix under `folder`, in id order. Hidden files are ignored; a file
    that cannot get a usable id, or whose real path is outside `folder`, is skipped with a reason.
    `folder` may be the URL of a prefix on object storage (`data/remote.py`)."""
    if is_remote(folder):
        return _discover_remote(str(folder))
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(
            f"image folder {root} does not exist; pass --images DIR or set SSL_ATTENTION_IMAGES"
        )
    max_image_pixels()  # a bad SSL_ATTENTION_MAX_IMAGE_PIXELS stops the run before anything is written
    base = root.resolve()
    files: dict[str, DiscoveredFile] = {}
    skipped: list[tuple[str, str]] = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts):
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        why = unusable_reason(path, base, relative)
        if why is None:
            try:
                stat_result = path.stat()
            except OSError as error:
                why = f"cannot read file: {error.strerror or type(error).__name__}"
        if why is not None:
            skipped.append((printable_path(relative), why))
            continue
        image_id = image_id_for(relative)
        if image_id in files:
            skipped.append((relative, f"same id '{image_id}' as {files[image_id].path}"))
            continue
        files[image_id] = DiscoveredFile(image_id, relative, stat_result.st_size, stat_result.st_mtime_ns)
    return Discovery([files[k] for k in sorted(files)], skipped)


def _discover_remote(url: str) -> Discovery:
    max_image_pixels()
    files: dict[str, DiscoveredFile] = {}
    skipped: list[tuple[str, str]] = []
    for relative, size, mtime_ns in list_remote(url):
        if Path(relative).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        image_id = image_id_for(relative)
        if len(image_id) > MAX_IMAGE_ID_CHARS:
            skipped.append((relative, f"its id would be {len(image_id)} characters long; ids are at most "
                            f"{MAX_IMAGE_ID_CHARS} (shorten the key)"))  # fmt: skip
        elif image_id in files:
            skipped.append((relative, f"same id '{image_id}' as {files[image_id].path}"))
        else:
            files[image_id] = DiscoveredFile(image_id, relative, size, mtime_ns)
    return Discovery([files[k] for k in sorted(files)], skipped)


def unusable_reason(path: Path, base: Path, relative: str) -> str | None:
    """Why the gallery file `path` (`relative` to the folder whose real path is `base`) is not used."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8 (the catalog stores names as text): rename the file"
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "the file cannot be resolved (a broken or looping symlink)"
    if not real.is_relative_to(base):
        return "a symlink leading outside the gallery folder: only files inside it are read"
    id_length = len(image_id_for(relative))
    if id_length > MAX_IMAGE_ID_CHARS:
        return (
            f"its id would be {id_length} characters long; ids are at most {MAX_IMAGE_ID_CHARS} "
            "(shorten the file name or its folders)"
        )
    return None


class ImageDecodeError(ValueError):
    """A gallery file that is not a readable image."""


class ImageTooLarge(ImageDecodeError):
    """An image over the pixel limit (`SSL_ATTENTION_MAX_IMAGE_PIXELS`)."""


class OutsideGallery(ImageDecodeError):
    """A file that is missing, not a regular file, or whose real path is outside the gallery."""


def real_path_inside(root: str | Path, relative: str | Path) -> Path:
    """The real path of the regular file `relative` names under `root`; OutsideGallery when it is
    missing, not a regular file, or leads out of `root` (an absolute path, `..`, a symlink)."""
    try:
        base = Path(root).resolve(strict=True)
        target = (base / relative).resolve(strict=True)
        if "\x00" in str(relative) or not target.is_file():
            raise FileNotFoundError(relative)
    except (OSError, RuntimeError, ValueError) as error:
        raise OutsideGallery("cannot read file: it is missing or not a regular file") from error
    if not target.is_relative_to(base):
        raise OutsideGallery(
            "the file leads outside the gallery folder (a symlink); only files inside it are read"
        )
    return target


def open_no_follow(real_path: Path) -> IO[bytes]:
    """Open a resolved path for reading without following a symlink swapped in since it was resolved."""
    fd = os.open(real_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    file = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        file.close()
        raise OutsideGallery("cannot read file: it is not a regular file")
    return file


@contextmanager
def open_image(source: IO[bytes], max_pixels: int | None = None) -> Iterator[Image.Image]:
    """PIL's lazy open of `source` (only the header is read), refused when over the pixel limit.

    Errors of the body (`load()`, `convert()`) are reported like errors of the header: as
    ImageDecodeError with a reason."""
    limit = max_image_pixels() if max_pixels is None else max_pixels
    Image.MAX_IMAGE_PIXELS = limit  # PIL's backstop: it refuses above twice this by itself
    try:
        with Image.open(source) as opened:
            why = too_large(opened.width, opened.height, limit)
            if why is not None:
                raise ImageTooLarge(why)
            yield opened
    except ImageDecodeError:
        raise
    except UnidentifiedImageError as error:
        raise ImageDecodeError("not an image PIL can read") from error
    except Image.DecompressionBombError as error:  # over twice the limit: PIL refused it first
        raise ImageTooLarge(too_large_message(None, limit)) from error
    except BROKEN_DATA_ERRORS as error:
        raise ImageDecodeError(f"broken image data: {error}") from error


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB. 16-bit greyscale (modes `I;16*`, and `I` read as 0–65535) is scaled by 255/65535
    with rounding; PIL's own `convert` would clip everything above 255 to white."""
    if image.mode.startswith("I;16") or image.mode == "I":
        values = np.clip(np.asarray(image), 0, 65535).astype(np.uint32)
        eight = ((values * 255 + 32767) // 65535).astype(np.uint8)
        return Image.fromarray(eight).convert("RGB")
    return image.convert("RGB")


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image  # RGB, fully loaded
    sha256: str
    width: int
    height: int


def read_file(path: str | Path, within: str | Path | None = None) -> bytes:
    """The bytes of `path`; with `within`, only when its real path is inside that folder."""
    if within is not None:
        try:
            relative = Path(path).relative_to(within)
        except ValueError as error:
            raise OutsideGallery("the file is not inside the gallery folder") from error
        path = real_path_inside(within, relative)
    try:
        if within is None:
            return Path(path).read_bytes()
        with open_no_follow(Path(path)) as file:
            return file.read()
    except OSError as error:
        raise ImageDecodeError(f"cannot read file: {error.strerror or error}") from error


def decode(path: str | Path, *, within: str | Path | None = None) -> DecodedImage:
    """Read and fully decode an image as RGB; truncated, non-image or too large files raise
    ImageDecodeError. With `within` (the gallery folder), a file leading outside it is refused."""
    return decode_data(read_file(path, within))


def decode_in(gallery: str | Path, relative: str) -> DecodedImage:
    """Decode the gallery file `relative` (as discovered) of a local folder or a URL prefix."""
    if not is_remote(gallery):
        return decode(Path(gallery) / relative, within=Path(gallery))
    try:
        data = read_remote(str(gallery), relative)
    except RemoteMissing as error:
        raise OutsideGallery("cannot read file: it is missing from the gallery") from error
    except OSError as error:
        raise ImageDecodeError(f"cannot read file: {error}") from error
    return decode_data(data)


def decode_data(data: bytes) -> DecodedImage:
    """Fully decode an image file's bytes as RGB (ImageDecodeError when they are not one)."""
    digest = hashlib.sha256(data).hexdigest()
    with open_image(io.BytesIO(data)) as opened:
        opened.load()  # raises on truncated data (LOAD_TRUNCATED_IMAGES stays False)
        image = to_rgb(opened)
    return DecodedImage(image, digest, image.width, image.height)
