"""The byte-bounded LRU cache."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.backend.services.cache import ByteLRUCache


def block(n_bytes: int, fill: int = 0) -> np.ndarray:
    return np.full(n_bytes, fill, dtype=np.uint8)


def test_evicts_least_recently_used_within_budget() -> None:
    cache: ByteLRUCache[np.ndarray] = ByteLRUCache(max_bytes=300)
    for key in "abc":
        cache.put(key, block(100))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", block(100))
    assert cache.get("b") is None
    assert {k for k in "acd" if cache.get(k) is not None} == {"a", "c", "d"}
    assert cache.stats().bytes == 300


def test_value_larger_than_budget_is_returned_not_kept() -> None:
    cache: ByteLRUCache[np.ndarray] = ByteLRUCache(max_bytes=50)
    assert cache.get_or_load("big", lambda: block(100)).nbytes == 100
    assert cache.get("big") is None
    assert cache.stats().items == 0


def test_replacing_a_key_keeps_the_byte_count_right() -> None:
    cache: ByteLRUCache[bytes] = ByteLRUCache(max_bytes=1000)
    cache.put("k", b"x" * 100)
    cache.put("k", b"y" * 10)
    assert cache.stats().bytes == 10
    assert cache.get("k") == b"y" * 10


def test_cached_arrays_are_read_only() -> None:
    cache: ByteLRUCache[np.ndarray] = ByteLRUCache(max_bytes=1000)
    value = cache.get_or_load("k", lambda: block(10))
    with pytest.raises(ValueError):
        value[0] = 1


def test_get_or_load_counts_hits_and_misses() -> None:
    cache: ByteLRUCache[np.ndarray] = ByteLRUCache(max_bytes=1000)
    loads = []
    for _ in range(3):
        cache.get_or_load("k", lambda: loads.append(1) or block(10))
    stats = cache.stats()
    assert (len(loads), stats.hits, stats.misses) == (1, 2, 1)


def test_discard_by_predicate() -> None:
    cache: ByteLRUCache[bytes] = ByteLRUCache(max_bytes=1000)
    for key in [("m1", 0), ("m1", 1), ("m2", 0)]:
        cache.put(key, b"z" * 10)
    assert cache.discard(lambda key: isinstance(key, tuple) and key[0] == "m1") == 2
    assert cache.stats().items == 1 and cache.stats().bytes == 10


def test_concurrent_use_keeps_the_budget() -> None:
    cache: ByteLRUCache[np.ndarray] = ByteLRUCache(max_bytes=10_000)

    def work(seed: int) -> None:
        for i in range(500):
            key = (seed * 7 + i) % 97
            cache.get_or_load(key, lambda key=key: block(100 + key, key))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = cache.stats()
    assert stats.bytes <= 10_000
    assert stats.hits + stats.misses == 8 * 500
