"""Chunks as files: which exist, whether one decodes, and the root's consolidated metadata.

A map is stored chunk by chunk, and zarr answers a missing chunk with its fill value (zeros)
and an undecodable one with whatever the codec makes of it. These helpers let the reader and
the integrity check (`store/integrity.py`) tell stored data from a lost or damaged chunk:

- every array is written with `write_empty_chunks` on, so a written row always has its chunk
  file and a missing one is damage, never "all zeros";
- arrays created by this version end their codec chain with a CRC-32C checksum, so a truncated
  or garbled chunk fails to decode instead of decoding to garbage; older arrays (without it)
  are still caught when they decode to NaN or infinity.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.core.array_spec import ArrayConfigParams
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync

WRITE_EMPTY: ArrayConfigParams = {"write_empty_chunks": True}


class StoreError(RuntimeError):
    """The store cannot be used as asked (mismatching model group, locked, missing)."""


class DamagedMap(StoreError):
    """A stored map that the catalog says is complete cannot be read back: a chunk is missing or
    does not decode. `precompute` recomputes it (see docs/data-contract.md, "Guarantees")."""


def is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def local_path(url: str) -> Path:
    return Path(url.removeprefix("file://"))


def store_of(node: zarr.Array | zarr.Group) -> Any:
    return node.store_path.store


def chunk_path(array: zarr.Array, coords: tuple[int, ...]) -> str:
    """The store key of one chunk, e.g. `dinov2/cls/fused/c/3/0/0/0`."""
    return f"{array.store_path.path}/{array.metadata.encode_chunk_key(coords)}"


def _local_root(node: zarr.Array | zarr.Group) -> Path | None:
    """The folder of a local store (its fast path: plain file-system calls, no event loop)."""
    root = getattr(store_of(node), "root", None)
    return root if isinstance(root, Path) else None


def rows_per_object(array: zarr.Array) -> int:
    """Rows along the first axis that one stored object holds: a shard's length, or a chunk's."""
    shards = array.shards
    return shards[0] if shards else array.chunks[0]


def row_object(array: zarr.Array, row: int) -> tuple[int, ...]:
    """The grid coordinates of the object (chunk or shard) that holds `row` of a row-chunked array."""
    return (row // rows_per_object(array), *(0,) * (array.ndim - 1))


def chunk_exists(array: zarr.Array, coords: tuple[int, ...]) -> bool:
    root = _local_root(array)
    if root is not None:
        return os.path.isfile(root / chunk_path(array, coords))
    return bool(sync(store_of(array).exists(chunk_path(array, coords))))


def list_keys(store: Any, prefix: str) -> set[str]:
    """Every key under `prefix` (one listing: a directory walk on a local store)."""
    root = getattr(store, "root", None)
    if isinstance(root, Path):
        found: set[str] = set()
        for folder, _dirs, names in os.walk(root / prefix):
            relative = Path(folder).relative_to(root).as_posix()
            found.update(f"{relative}/{name}" for name in names)
        return found

    async def collect() -> set[str]:
        return {key async for key in store.list_prefix(prefix)}

    listed: set[str] = sync(collect())
    return listed


def first_axis_chunks(array: zarr.Array) -> set[int]:
    """Indices along the first axis of the objects (chunks, or shards of a sharded array) an array
    has stored, for arrays split only along it (a ViT group's arrays: `row_object` maps a row to
    its object). Streams the listing: keeps ints, not keys."""
    prefix = chunk_path(array, (0,) * array.ndim).rsplit("/c/", 1)[0] + "/c/"
    tail = "/".join("0" * (array.ndim - 1))
    root = _local_root(array)
    if root is not None:
        try:
            entries = list(os.scandir(root / prefix))
        except FileNotFoundError:
            return set()
        return {
            int(e.name) for e in entries if e.name.isdigit() and os.path.isfile(os.path.join(e.path, tail))
        }

    async def collect() -> set[int]:
        found: set[int] = set()
        async for key in store_of(array).list_prefix(prefix):
            head, _, rest = key[len(prefix) :].partition("/")
            if rest == tail and head.isdigit():
                found.add(int(head))
        return found

    rows: set[int] = sync(collect())
    return rows


def chunk_coords(array: zarr.Array) -> Iterator[tuple[int, ...]]:
    """Coordinates of every chunk of an array (none for an empty one)."""
    grid = [-(-n // c) for n, c in zip(array.shape, array.chunks, strict=True)]
    if any(n == 0 for n in grid):
        return
    yield from np.ndindex(*grid)


def decode(array: zarr.Array, selection: Any, what: str) -> np.ndarray:
    """Decode `array[selection]`; DamagedMap when a chunk fails its checksum or codec, or holds NaN/inf."""
    try:
        values = np.asarray(array[selection])
    except Exception as error:  # any codec failure of a chunk that exists is damage, whatever its type
        raise DamagedMap(f"{what} does not decode ({type(error).__name__})") from None
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise DamagedMap(f"{what} decodes to NaN or infinity")
    return values


def decode_together(reads: list[tuple[zarr.Array, Any, str]]) -> list[np.ndarray]:
    """`decode` of several (array, selection, what) at once: one round trip to zarr's event loop
    instead of one each (a text row's keys and values)."""

    async def gather() -> list[Any]:
        return list(await asyncio.gather(*(a._async_array.getitem(s) for a, s, _ in reads)))

    try:
        found = sync(gather())
    except Exception:  # as `decode`: name the first array that fails on its own
        return [decode(array, selection, what) for array, selection, what in reads]
    out = []
    for values, (_, _, what) in zip(found, reads, strict=True):
        values = np.asarray(values)
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise DamagedMap(f"{what} decodes to NaN or infinity")
        out.append(values)
    return out


# --- consolidated metadata ------------------------------------------------------------------------


@contextmanager
def root_lock(url: str) -> Iterator[None]:
    """Serialise rewrites of the root's metadata between runs of different models (local stores)."""
    if not is_local(url):
        yield
        return
    path = local_path(url).resolve()
    with open(path.parent / f".{path.name}.root.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def consolidate(url: str) -> None:
    """Write the root's consolidated metadata (what `xr.open_zarr` reads in one request)."""
    with root_lock(url), warnings.catch_warnings():
        # zarr notes that consolidated metadata is not (yet) part of the v3 spec; xarray reads it.
        warnings.filterwarnings("ignore", message="Consolidated metadata", category=UserWarning)
        zarr.consolidate_metadata(url, zarr_format=3)


def _root_metadata(url: str) -> tuple[Any, str, dict[str, Any] | None]:
    root = zarr.open_group(store=url, mode="r+", zarr_format=3, use_consolidated=False)
    store = store_of(root)
    key = f"{root.store_path.path}/zarr.json".lstrip("/")
    blob = sync(store.get(key, prototype=default_buffer_prototype()))
    return store, key, None if blob is None else json.loads(blob.to_bytes())


def is_consolidated(url: str) -> bool:
    metadata = _root_metadata(url)[2]
    return metadata is not None and metadata.get("consolidated_metadata") is not None


def unconsolidate(url: str) -> None:
    """Drop the root's consolidated metadata before a run changes the store's structure, so that no
    reader is handed shapes that are no longer true; `consolidate` writes it again at the run's end."""
    with root_lock(url):
        store, key, metadata = _root_metadata(url)
        if metadata is None or metadata.pop("consolidated_metadata", None) is None:
            return
        encoded = json.dumps(metadata, indent=2).encode()
        sync(store.set(key, default_buffer_prototype().buffer.from_bytes(encoded)))
