"""Galleries on object storage (`s3://bucket/photos`, `gs://...`, any fsspec URL): discovery and reads.

A local folder (a path or `file://`) stays with `data/gallery.py`; these functions take the URL
of a gallery "folder" (a key prefix) and a path relative to it. Only keys under the prefix are
read: a relative path that is absolute, holds `..`, a backslash or a NUL is refused like a file
outside a local gallery. Credentials and the endpoint come from the environment as fsspec's
backend reads them (for S3: `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
`AWS_REGION`), so an S3-compatible server (MinIO, Ceph) works unchanged.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def is_remote(location: str | Path) -> bool:
    """Whether a gallery or store location is a URL of object storage (not a path, not `file://`)."""
    text = str(location) if isinstance(location, str) else ""
    return "://" in text and not text.startswith("file://")


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec file system of `url` and the path (bucket/prefix) it names, without a trailing `/`.
    fsspec (and its backend: s3fs for S3) comes with the `s3` extra; local galleries never need it."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    return fs, str(root).rstrip("/")


def safe_relative(relative: str) -> str | None:
    """`relative` when it names a key under a prefix (no absolute path, `..`, `.`, backslash, NUL)."""
    if not relative or "\x00" in relative or "\\" in relative or relative.startswith("/"):
        return None
    parts = relative.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        return None
    return relative if posixpath.normpath(relative) == relative else None


@dataclass(frozen=True)
class RemoteFile:
    url: str  # the object's full URL
    name: str  # its last path component
    size: int
    mtime_ns: int  # object storage keeps seconds: the last-modified time, in ns

    @property
    def version(self) -> str:
        return f"{self.size}-{self.mtime_ns}"


class RemoteUnreachable(FileNotFoundError):
    """A gallery URL whose objects cannot be listed (endpoint, credentials, permissions): said in
    one line like a missing folder."""


class RemoteMissing(OSError):
    """A relative path that names no object under the gallery URL (or one outside it)."""


def _mtime_ns(info: dict[str, Any]) -> int:
    stamp: Any = info.get("LastModified") or info.get("mtime") or info.get("updated")
    if isinstance(stamp, dt.datetime):
        return int(stamp.timestamp()) * 1_000_000_000
    try:
        return int(float(stamp or 0) * 1_000_000_000)
    except (TypeError, ValueError):
        return 0


def stat_remote(url: str, relative: str) -> RemoteFile:
    """The object `relative` names under the gallery `url`; RemoteMissing when there is none."""
    safe = safe_relative(relative)
    if safe is None:
        raise RemoteMissing(f"{relative!r} is not a path inside the gallery")
    fs, root = filesystem(url)
    key = f"{root}/{safe}"
    try:
        info = fs.info(key)
    except (FileNotFoundError, OSError) as error:
        raise RemoteMissing(f"no object {safe} under {url}") from error
    if info.get("type") != "file":
        raise RemoteMissing(f"{safe} under {url} is not an object")
    return RemoteFile(
        fs.unstrip_protocol(key), posixpath.basename(safe), int(info.get("size") or 0), _mtime_ns(info)
    )


def read_remote(url: str, relative: str) -> bytes:
    """The bytes of the object `relative` names under the gallery `url` (RemoteMissing, OSError)."""
    safe = safe_relative(relative)
    if safe is None:
        raise RemoteMissing(f"{relative!r} is not a path inside the gallery")
    fs, root = filesystem(url)
    try:
        data: bytes = fs.cat_file(f"{root}/{safe}")
    except FileNotFoundError as error:
        raise RemoteMissing(f"no object {safe} under {url}") from error
    return data


def read_object(url: str) -> bytes:
    """The bytes of the object at a full URL (as `stat_remote` names it)."""
    fs, key = filesystem(url)
    data: bytes = fs.cat_file(key)
    return data


def list_remote(url: str) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime ns) of every object under the gallery `url`, hidden ones aside."""
    try:
        fs, root = filesystem(url)
        found = fs.find(root, detail=True)
    except FileNotFoundError:  # no such bucket: no images
        return []
    except Exception as error:  # any backend's failure: the endpoint, the credentials, a bad URL
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise RemoteUnreachable(
            f"the images at {url} cannot be listed ({type(error).__name__}: {reason}); check the URL "
            "and the storage settings (for S3: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
        ) from None
    listed = []
    for key, info in found.items():
        relative = str(key)[len(root) + 1 :] if str(key).startswith(root + "/") else None
        if relative is None or info.get("type", "file") != "file" or safe_relative(relative) is None:
            continue
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        listed.append((relative, int(info.get("size") or 0), _mtime_ns(info)))
    return sorted(listed)
