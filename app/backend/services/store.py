"""Read access to the Zarr attention store: model attributes and decoded per-image chunks.

The reader is opened lazily, so the service starts (and `/health` answers 503) before the
first precompute run creates the store. Model attributes are re-read at most every
`models_ttl` seconds, so a model added or rebuilt by a running precompute shows up; decoded
chunks go through a byte-bounded LRU cache keyed by everything that identifies their content.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import zarr.errors

from app.backend.services.cache import ByteLRUCache, CacheStats
from app.backend.services.errors import DamagedMaps, Unavailable
from ssl_attention.store.arrays import AttentionStoreReader, DamagedMap, StoreError
from ssl_attention.store.layout import GroupAttrs

# Lock files of running precompute jobs sit beside the model groups; zarr warns about them.
warnings.filterwarnings("ignore", message=r"Object at \..* is not recognized", category=UserWarning)

READ_ERRORS = (StoreError, OSError, ValueError, KeyError, zarr.errors.BaseZarrError)
ATTRS_CACHE_BYTES = 4 * 1024 * 1024  # JSON attrs of VLM samples and prompts (tokens): small


@dataclass(frozen=True)
class StoredModel:
    """A model group's attributes and a fingerprint that changes whenever they do."""

    attrs: GroupAttrs
    fingerprint: str


def damaged(key: str, error: DamagedMap) -> DamagedMaps:
    return DamagedMaps(
        f"the stored maps are damaged: {error}; run `precompute --models {key} --verify` to recompute them"
    )


def fingerprint(attrs: GroupAttrs) -> str:
    blob = json.dumps(attrs.to_attrs(), sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


class AttentionStore:
    """The store as the service sees it. Thread-safe; every method may block on I/O."""

    def __init__(self, url: str, *, cache_bytes: int, models_ttl: float) -> None:
        self.url = url
        self.models_ttl = models_ttl
        self.chunks: ByteLRUCache[np.ndarray] = ByteLRUCache(cache_bytes)
        self.attrs: ByteLRUCache[bytes] = ByteLRUCache(min(cache_bytes, ATTRS_CACHE_BYTES))
        self._reader: AttentionStoreReader | None = None
        self._models: dict[str, StoredModel] = {}
        self._models_read_at = -float("inf")
        self._lock = threading.Lock()

    def _open(self) -> AttentionStoreReader:
        if self._reader is None:
            try:
                self._reader = AttentionStoreReader(self.url)
            except StoreError as error:
                raise Unavailable(str(error)) from None
            except READ_ERRORS as error:
                raise Unavailable(
                    f"the attention store at {self.url} cannot be opened ({type(error).__name__})"
                ) from None
        return self._reader

    def models(self) -> dict[str, StoredModel]:
        """Model groups by key (re-read when older than `models_ttl`)."""
        with self._lock:
            if time.monotonic() - self._models_read_at < self.models_ttl:
                return self._models
            reader = self._open()
            try:
                fresh = reader.models()
            except (*READ_ERRORS, TypeError) as error:  # TypeError: a group's attrs lack a field
                self._reader = None  # the store may have been deleted: open it again next time
                raise Unavailable(
                    f"the attention store at {self.url} cannot be read ({type(error).__name__})"
                ) from None
            models = {key: StoredModel(attrs, fingerprint(attrs)) for key, attrs in fresh.items()}
            stale = {key for key, old in self._models.items() if key not in models or models[key] != old}
            for key in stale:
                reader.forget(key)  # rebuilt or removed: its array handles are stale
            if stale:
                self.chunks.discard(lambda cached: isinstance(cached, tuple) and cached[0] in stale)
                self.attrs.discard(lambda cached: isinstance(cached, tuple) and cached[0] in stale)
            self._models = models
            self._models_read_at = time.monotonic()
            return models

    def read_chunk(self, model: StoredModel, path: str, row: int, content_id: str) -> np.ndarray:
        """One image's decoded chunk of `model/path` (e.g. `cls/heads`), from the cache when possible.

        `content_id` (the image's sha256) is part of the cache key: when a changed image is
        recomputed into the same row, the old chunk is never served for it.
        """
        key = (model.attrs.key, model.fingerprint, path, row, content_id)
        return self.chunks.get_or_load(key, lambda: self._decode(model.attrs.key, path, row))

    def _decode(self, key: str, path: str, row: int) -> np.ndarray:
        reader = self._open()
        try:
            return reader.read_row(key, path, row)
        except DamagedMap as error:
            raise damaged(key, error) from None
        except READ_ERRORS as error:
            reader.forget(key)
            raise Unavailable(
                f"the attention store cannot be read for {key}/{path} row {row} "
                f"({type(error).__name__}; is a precompute run rebuilding it?)"
            ) from None

    def read_array(
        self, model: StoredModel, path: str, row: int, content_id: str, index: int | None = None
    ) -> np.ndarray:
        """A VLM sample's array `model/path` (e.g. `samples/3/prompts/0/text/fused`): the whole
        array, or its `index`-th entry along the first axis (one token's chunk), from the cache
        when possible. `row` and `content_id` identify the image, as in `read_chunk`."""
        key = (model.attrs.key, model.fingerprint, path, row, content_id, index)
        return self.chunks.get_or_load(key, lambda: self._decode_array(model.attrs.key, path, index))

    def _decode_array(self, key: str, path: str, index: int | None) -> np.ndarray:
        reader = self._open()
        try:
            return reader.read_array(key, path, index)
        except DamagedMap as error:
            raise damaged(key, error) from None
        except READ_ERRORS as error:
            raise Unavailable(
                f"the attention store cannot be read for {key}/{path} "
                f"({type(error).__name__}; is a precompute run rewriting it?)"
            ) from None

    def group_attrs(self, model: StoredModel, path: str, row: int, content_id: str) -> dict[str, Any]:
        """The attrs of a VLM sample's subgroup `model/path` (e.g. `samples/3/prompts/0`), cached."""
        key = (model.attrs.key, model.fingerprint, path, row, content_id)
        blob = self.attrs.get_or_load(key, lambda: self._read_attrs(model.attrs.key, path))
        found: dict[str, Any] = json.loads(blob)
        return found

    def _read_attrs(self, key: str, path: str) -> bytes:
        reader = self._open()
        try:
            return json.dumps(reader.group_attrs(key, path)).encode()
        except READ_ERRORS as error:
            raise Unavailable(
                f"the attention store cannot be read for {key}/{path} "
                f"({type(error).__name__}; is a precompute run rewriting it?)"
            ) from None

    def check(self) -> int:
        """Number of models in the store; raises Unavailable when it cannot be read."""
        return len(self.models())

    def cache_stats(self) -> CacheStats:
        return self.chunks.stats()
