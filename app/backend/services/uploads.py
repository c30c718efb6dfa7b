"""Uploaded images, stored content-addressed inside the gallery: `uploads/<sha256 prefix>.<ext>`.

The name comes from the file's bytes and the extension from the format PIL reads in them — no
part of the client's file name or path is ever used — so the same file uploaded twice is one
image (id `uploads__<prefix>`, derived like every gallery id), and nothing is written outside
the gallery's `uploads` folder. A file is written under a hidden temporary name (discovery skips
hidden files) and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.backend.services.errors import Unavailable
from ssl_attention.data.gallery import (
    ImageDecodeError,
    ImageTooLarge,
    image_id_for,
    open_image,
    read_file,
)

UPLOADS = "uploads"
PREFIX_CHARS = 16  # 64 bits of the SHA-256: a different file with the same name is refused (409)
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp", "GIF": "gif", "TIFF": "tif"}


class UploadRefused(Exception):
    """An upload that is not stored; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class StoredUpload:
    image_id: str
    path: str  # relative to the gallery folder
    created: bool  # False: the same file was uploaded before


def check_image(data: bytes) -> str:
    """The extension of an image's format; UploadRefused when it is not a readable image of a
    format the gallery takes, or is over the pixel limit (`SSL_ATTENTION_MAX_IMAGE_PIXELS`)."""
    try:
        with open_image(io.BytesIO(data)) as opened:
            kind = opened.format or ""
            opened.load()  # a truncated or broken body is refused now, not by the worker
    except ImageTooLarge as error:
        raise UploadRefused(413, str(error)) from None
    except ImageDecodeError as error:
        raise UploadRefused(415, f"the upload is not an image ({error})") from None
    if kind not in EXTENSIONS:
        raise UploadRefused(
            415, f"{kind or 'this'} images are not taken; upload {', '.join(sorted(EXTENSIONS))}"
        )
    return EXTENSIONS[kind]


def uploads_folder(gallery: Path) -> Path:
    """The gallery's uploads folder (created), refused when it leads outside the gallery."""
    if not gallery.is_dir():
        raise Unavailable(f"the gallery folder {gallery} does not exist (SSL_ATTENTION_IMAGES)")
    base = gallery.resolve()
    folder = gallery / UPLOADS
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise Unavailable(f"the gallery's uploads folder cannot be created ({error.strerror})") from None
    if not folder.resolve().is_relative_to(base) or not folder.resolve().is_dir():
        raise Unavailable("the gallery's uploads folder leads outside the gallery; make it a plain folder")
    return folder


def store_upload(gallery: Path, data: bytes) -> StoredUpload:
    """Check `data` and store it in the gallery's uploads folder (once per content)."""
    extension = check_image(data)
    digest = hashlib.sha256(data).hexdigest()
    name = f"{digest[:PREFIX_CHARS]}.{extension}"
    relative = f"{UPLOADS}/{name}"
    folder = uploads_folder(gallery)
    target = folder / name
    if target.exists() or target.is_symlink():
        try:
            same = hashlib.sha256(read_file(target, within=gallery)).hexdigest() == digest
        except ImageDecodeError:
            same = False
        if not same:
            raise UploadRefused(409, f"another file is stored as {relative}; rename or remove it")
        return StoredUpload(image_id_for(relative), relative, created=False)
    handle, temporary = tempfile.mkstemp(prefix=".upload-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise Unavailable(f"the upload cannot be stored in the gallery ({error.strerror})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredUpload(image_id_for(relative), relative, created=True)
