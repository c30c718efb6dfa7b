"""`TextRecorder` folds one layer chunk by chunk: many chunks, a block that cuts N, rows short,
mid-length (the padded top-k path) and long, causal alone or with a sliding window; every array
against the loop reference of `tests/text_reference.py` on dense numpy softmax rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ssl_attention.attention.text import TextRecorder
from ssl_attention.values import TextLayer
from tests.text_reference import reference_layer

HEADS, KV_HEADS, N, DIM = 2, 1, 600, 8
KEEP, MAX_KEYS, BLOCK = 0.9, 8, 16  # rows of 128..511 keys take the padded top-k path


def dense(q: np.ndarray, k: np.ndarray, window: int | None) -> np.ndarray:
    """(H, N, N) causal softmax of q·kᵀ in float64, keys outside the window masked."""
    logits = np.einsum("hqd,hkd->hqk", q.astype(np.float64), k.astype(np.float64))
    query, key = np.indices((N, N))
    allowed = key <= query
    if window is not None:
        allowed &= query - key < window
    logits[:, ~allowed] = -np.inf
    logits -= logits.max(axis=-1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("fold", ["torch", "numba"])  # text_fold.Fold and CpuFold (the CPU default)
@pytest.mark.parametrize("window", [None, 100])
def test_one_layer_in_many_chunks_is_the_dense_reference(window, fold):
    rng = np.random.default_rng(7)
    q = (rng.normal(size=(HEADS, N, DIM)) * 1.2).astype(np.float32)
    k = rng.normal(size=(KV_HEADS, N, DIM)).astype(np.float32)
    ids = rng.integers(0, 40, size=N)  # a small vocabulary: induction targets recur
    mask = None
    if window is not None:
        query, key = np.indices((N, N))
        mask = torch.from_numpy((key <= query) & (query - key < window))[None, None]
    module = nn.Identity()
    found: list[TextLayer] = []
    recorder = TextRecorder(
        [module],
        torch.from_numpy(ids)[None],
        lambda layer, rows: found.append(rows),
        keep_mass=KEEP,
        max_keys=MAX_KEYS,
        per_head=True,
        block=BLOCK,
        query_chunk_bytes=(1 + HEADS) * N * 24 * 45,  # torch fold: 45 rows a chunk (14), CPU fold: 162 (4)
        fold=fold,
    )
    with recorder.recording():
        recorder.observe(module, torch.from_numpy(q)[None], torch.from_numpy(k)[None], mask, 1.0)
    got = found[0]
    probs = dense(q, np.repeat(k, HEADS // KV_HEADS, axis=0), window)
    want = reference_layer(probs, ids, keep_mass=KEEP, max_keys=MAX_KEYS, block=BLOCK, per_head=True)
    np.testing.assert_array_equal(got.counts, want.counts)
    np.testing.assert_array_equal(got.keys, want.keys)
    np.testing.assert_allclose(got.values, want.values, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.summary, want.summary, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got.received, want.received, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.max, want.max, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.stats, want.stats, rtol=1e-4, atol=1e-5)
    assert (got.counts == MAX_KEYS).any() and (got.counts < MAX_KEYS).any()  # both stopping rules
    assert got.stats[:, 3].min() > 0  # induction targets were found
