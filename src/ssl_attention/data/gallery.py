"""Find the images of a gallery folder, name them, and decode them safely."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ssl_attention.values import DiscoveredFile

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
# Decompression bombs are refused rather than decoded (PIL warns at 89 Mpx, we stop at 179 Mpx).
Image.MAX_IMAGE_PIXELS = 178_956_970


def image_id_for(relative_path: str) -> str:
    """The id of an image: its relative path without extension, with `/` replaced by `__`."""
    stem = relative_path.rsplit(".", 1)[0] if "." in Path(relative_path).name else relative_path
    return stem.replace("/", "__")


@dataclass(frozen=True)
class Discovery:
    files: list[DiscoveredFile]
    skipped: list[tuple[str, str]]  # (relative path, why)


def discover(folder: str | Path) -> Discovery:
    """Every file with an image suffix under `folder`, in id order. Hidden files are ignored."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(
            f"image folder {root} does not exist; pass --images DIR or set SSL_ATTENTION_IMAGES"
        )
    files: dict[str, DiscoveredFile] = {}
    skipped: list[tuple[str, str]] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        image_id = image_id_for(relative)
        if image_id in files:
            skipped.append((relative, f"same id '{image_id}' as {files[image_id].path}"))
            continue
        stat = path.stat()
        files[image_id] = DiscoveredFile(image_id, relative, stat.st_size, stat.st_mtime_ns)
    return Discovery([files[k] for k in sorted(files)], skipped)


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image  # RGB, fully loaded
    sha256: str
    width: int
    height: int


class ImageDecodeError(ValueError):
    """A gallery file that is not a readable image."""


def decode(path: str | Path) -> DecodedImage:
    """Read and fully decode an image as RGB; truncated or non-image files raise ImageDecodeError."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ImageDecodeError(f"cannot read file: {error.strerror or error}") from error
    digest = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()  # raises on truncated data (LOAD_TRUNCATED_IMAGES stays False)
            image = opened.convert("RGB")
    except UnidentifiedImageError as error:
        raise ImageDecodeError("not an image PIL can read") from error
    except Image.DecompressionBombError as error:
        raise ImageDecodeError(f"image too large: {error}") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageDecodeError(f"broken image data: {error}") from error
    return DecodedImage(image, digest, image.width, image.height)
