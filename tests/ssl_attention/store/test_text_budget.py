"""Issue 12's store budget: the rounding of summaries and `received`, the overview block rule, a text
written with the earlier, finer overview still reading back, and the reader's per-slot caches
(a rewritten text is read anew). Compared with numpy's float64 and the loop reference of
`tests/text_reference.py`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ssl_attention.store.text_layout import (
    OVERVIEW_EXACT,
    OVERVIEW_MAX,
    OVERVIEW_MIN_BLOCK,
    RECEIVED_BITS,
    SUMMARY_BITS,
    LmAttrs,
    TextAttrs,
    overview_block,
)
from ssl_attention.store.text_writer import TextStoreWriter, round_mantissa
from ssl_attention.store.texts import TextAttentionReader
from tests.text_reference import block_pool, entropy, random_causal, reference_layer

HEADS, N, KEEP, MAX_KEYS = 2, 600, 0.9, 12


def attrs() -> LmAttrs:
    return LmAttrs(
        key="tiny_lm",
        family="llama",
        checkpoint="synthetic",
        weights="random",
        layers=1,
        heads=HEADS,
        kv_heads=1,
        context=4096,
        per_head=True,
        keep_mass=KEEP,
        max_keys=MAX_KEYS,
    )


def write(url: str, text_id: str, probs: np.ndarray, block: int) -> None:
    writer = TextStoreWriter(url)
    writer.prepare_lm(attrs(), rebuild=False)
    ids = np.arange(N) % 17
    text = TextAttrs(text_id, "math", N, 0, block, 1 + HEADS, f"d-{text_id}")
    node = writer.begin_text(
        attrs(), text, ids=ids.tolist(), texts=["t"] * N, roles=["user"] * N, messages=[0] * N
    )
    rows = reference_layer(probs, ids, keep_mass=KEEP, max_keys=MAX_KEYS, block=block, per_head=True)
    writer.write_layer(node, text, 0, rows)
    writer.finish_text(node, attrs(), text, rows.stats[None])


def test_round_mantissa_keeps_the_bits_it_says() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.random(10_000) ** 4, rng.random(1000) * 2000, [0.0, 1.0, 0.5]])
    for bits in (12, 16, 17, 19):
        rounded = round_mantissa(values.astype(np.float32), bits)
        assert rounded.dtype == np.float32
        error = np.abs(rounded.astype(np.float64) - values.astype(np.float32).astype(np.float64))
        assert np.all(
            error <= np.abs(values) * 2.0 ** -(bits + 1) * (1 + 1e-9)
        )  # nearest, within half a step
        assert np.all(rounded.view(np.uint32) & np.uint32((1 << (23 - bits)) - 1) == 0)  # dropped bits zero
    assert np.isnan(round_mantissa(np.array([np.nan], np.float32), 12)[0])
    assert np.isinf(round_mantissa(np.array([np.inf], np.float32), 12)[0])


def test_overview_block_rule() -> None:
    assert [overview_block(n) for n in (1, 100, 128, 129, 300, 512)] == [1, 1, 1, 2, 4, 4]
    assert [overview_block(n) for n in (513, 2000, 8192, 8193, 32768)] == [64, 64, 64, 128, 256]
    for n in (513, 2000, 8193, 32768, 100_000):
        b = overview_block(n)
        assert b >= OVERVIEW_MIN_BLOCK and -(-n // b) <= OVERVIEW_MAX and n > OVERVIEW_EXACT
        assert b == OVERVIEW_MIN_BLOCK or -(-n // (b // 2)) > OVERVIEW_MAX  # the smallest that fits


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, np.ndarray]:
    url = str(tmp_path_factory.mktemp("budget") / "store.zarr")
    probs = random_causal(HEADS, N, seed=5)
    write(url, "now", probs, overview_block(N))  # 64 since t12-budget
    write(url, "before", probs, 8)  # the rule before it: ⌈600 / 8⌉ = 75 ≤ 128
    return url, probs


@pytest.mark.parametrize("text_id", ["now", "before"])
def test_rows_summaries_and_tiles_read_back_within_what_is_kept(store, text_id) -> None:
    url, probs = store
    reader = TextAttentionReader(url)
    assert reader.info("tiny_lm", text_id).overview_block == (64 if text_id == "now" else 8)
    for head in (None, 0, 1):
        dense = (probs.mean(axis=0) if head is None else probs[head]).astype(np.float64)
        for query in (0, 1, 2, 77, 300, N - 1):
            row = reader.row("tiny_lm", text_id, 0, head, query)
            assert row.residual == pytest.approx(1 - dense[query, row.keys].sum(), abs=2.0**-14 + 1e-6)
            assert row.entropy == pytest.approx(entropy(dense[query, : query + 1]), abs=2.0**-14 + 1e-5)
            assert row.sink == pytest.approx(dense[query, 0], abs=2.0**-20 + 1e-7)
            np.testing.assert_allclose(row.values, dense[query, row.keys], rtol=1e-3, atol=1e-4)
        received = reader.received("tiny_lm", text_id, 0, head)
        np.testing.assert_allclose(received, dense.sum(axis=0), rtol=2.0 ** -(RECEIVED_BITS + 1) + 1e-6)
        for block in (64, 128):  # from the overview (every key pooled): the dense matrix's blocks
            for reduce in ("mean", "max"):
                tile = reader.matrix("tiny_lm", text_id, 0, head, block, 0, N, 0, N, reduce)
                np.testing.assert_allclose(tile, block_pool(dense, block, reduce), rtol=2e-3, atol=2e-4)
        kept = np.zeros_like(dense)  # finer than the new overview: pooled from the kept keys
        for q in range(N):
            row = reader.row("tiny_lm", text_id, 0, head, q)
            kept[q, row.keys] = row.values
        tile = reader.matrix("tiny_lm", text_id, 0, head, 4, 128, 384, 0, 256, "max")
        np.testing.assert_allclose(tile, block_pool(kept, 4, "max")[32:96, :64], rtol=2e-3, atol=2e-4)
        tile = reader.matrix("tiny_lm", text_id, 0, head, 8, 128, 384, 0, 256, "mean")
        fine = dense if text_id == "before" else kept  # the earlier overview's own block: every key
        np.testing.assert_allclose(tile, block_pool(fine, 8, "mean")[16:48, :32], rtol=2e-3, atol=2e-4)
    assert len(SUMMARY_BITS) == 3


def test_the_reader_caches_per_text_writing_and_sees_a_rewrite(store, tmp_path: Path) -> None:
    url, probs = store
    reader = TextAttentionReader(url)
    first = reader.row("tiny_lm", "now", 0, 1, N - 1)
    other = random_causal(HEADS, N, seed=9)
    write(url, "now", other, overview_block(N))  # the writer gives it a new writing id: caches not reused
    again = reader.row("tiny_lm", "now", 0, 1, N - 1)
    np.testing.assert_allclose(again.values, other[1][N - 1, again.keys], rtol=1e-3, atol=1e-4)
    assert not np.array_equal(first.keys, again.keys) or not np.allclose(first.values, again.values)
    write(url, "now", probs, overview_block(N))  # as the module's fixture had it
