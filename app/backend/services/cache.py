"""A thread-safe LRU cache bounded by bytes (decoded chunks, encoded thumbnails)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

V = TypeVar("V", np.ndarray, bytes)


def size_of(value: np.ndarray | bytes) -> int:
    return value.nbytes if isinstance(value, np.ndarray) else len(value)


@dataclass(frozen=True)
class CacheStats:
    items: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int


class ByteLRUCache(Generic[V]):
    """Keeps the most recently used values while their total size stays within `max_bytes`.

    A value larger than the whole budget is returned but not kept. Cached numpy arrays are
    made read-only, so a caller cannot change what the next request will see.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self._misses += 1
                return None
            self._items.move_to_end(key)
            self._hits += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        size = size_of(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= size_of(old)
            self._items[key] = value
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= size_of(evicted)

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        """The cached value, or `load()`'s result, kept for next time (two racing loads both run)."""
        value = self.get(key)
        if value is None:
            value = load()
            self.put(key, value)
        return value

    def discard(self, predicate: Callable[[Hashable], bool]) -> int:
        """Drop every entry whose key matches; returns how many were dropped."""
        with self._lock:
            doomed = [key for key in self._items if predicate(key)]
            for key in doomed:
                self._bytes -= size_of(self._items.pop(key))
            return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._items), self._bytes, self.max_bytes, self._hits, self._misses)
