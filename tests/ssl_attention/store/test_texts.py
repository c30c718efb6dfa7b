"""Texts of `lm` groups: what the writer stores, the reader gives back, the catalog lists.

A synthetic text (random causal softmax rows, numpy) is reduced by the loop reference of
`tests/text_reference.py`, written, and every read compared with the dense matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ssl_attention.kinds import group_attrs_from
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.text_layout import LmAttrs, TextAttrs, head_label, overview_block
from ssl_attention.store.text_writer import TextStoreWriter
from ssl_attention.store.texts import TextAttentionReader
from tests.text_reference import block_pool, random_causal, reference_layer

LAYERS, HEADS, N = 2, 2, 300
KEEP, MAX_KEYS = 0.9, 12


def lm_attrs(per_head: bool = True) -> LmAttrs:
    return LmAttrs(
        key="tiny_lm",
        family="llama",
        checkpoint="synthetic",
        weights="random",
        layers=LAYERS,
        heads=HEADS,
        kv_heads=1,
        context=4096,
        per_head=per_head,
        keep_mass=KEEP,
        max_keys=MAX_KEYS,
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[np.ndarray], np.ndarray]:
    url = str(tmp_path_factory.mktemp("texts") / "store.zarr")
    attrs = lm_attrs()
    writer = TextStoreWriter(url)
    writer.prepare_lm(attrs, rebuild=False)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, size=N)
    block = overview_block(N)
    text = TextAttrs("chat-1", "math", N, 5, block, 1 + HEADS, "d1")
    roles = ["system"] * 10 + ["user"] * 100 + ["assistant"] * (N - 110)
    node = writer.begin_text(
        attrs,
        text,
        ids=ids.tolist(),
        texts=[f"t{i}é" for i in range(N)],
        roles=roles,
        messages=[0] * 10 + [1] * 100 + [2] * (N - 110),
    )
    probs = [random_causal(HEADS, N, seed=layer) for layer in range(LAYERS)]
    stats = []
    for layer, p in enumerate(probs):
        rows = reference_layer(p, ids, keep_mass=KEEP, max_keys=MAX_KEYS, block=block, per_head=True)
        writer.write_layer(node, text, layer, rows)
        stats.append(rows.stats)
    writer.finish_text(node, attrs, text, np.stack(stats))
    return url, probs, ids


def kept_dense(matrix: np.ndarray) -> np.ndarray:
    """The dense matrix with only the keys the reference keeps (what the rows can rebuild)."""
    from tests.text_reference import kept_keys

    out = np.zeros_like(matrix)
    for q in range(matrix.shape[0]):
        kept = kept_keys(matrix[q], KEEP, MAX_KEYS)
        out[q, kept] = matrix[q, kept]
    return out


def test_the_group_is_an_lm_kind_and_the_text_reads_back(written):
    url, _, ids = written
    assert isinstance(AttentionStoreReader(url).models()["tiny_lm"], LmAttrs)
    assert group_attrs_from(lm_attrs().to_attrs()) == lm_attrs()
    reader = TextAttentionReader(url)
    info = reader.info("tiny_lm", "chat-1")
    assert (info.n_tokens, info.layers, info.heads, info.per_head) == (N, LAYERS, HEADS, True)
    assert (info.category, info.n_generated, info.keep_mass, info.max_keys) == ("math", 5, KEEP, MAX_KEYS)
    assert info.overview_block == 4  # 300 tokens: 75 blocks of 4
    tokens = reader.tokens("tiny_lm", "chat-1")
    assert [t.id for t in tokens] == ids.tolist()
    assert tokens[7].text == "t7é" and tokens[7].role == "system" and tokens[7].message == 0
    assert tokens[-1].role == "assistant" and tokens[-1].message == 2


@pytest.mark.parametrize("head", [None, 0, 1])
def test_rows_are_the_kept_keys_of_the_dense_matrix(written, head):
    url, probs, _ = written
    reader = TextAttentionReader(url)
    for layer in range(LAYERS):
        dense = probs[layer].mean(axis=0) if head is None else probs[layer][head]
        for query in (0, 1, 17, N - 1):
            row = reader.row("tiny_lm", "chat-1", layer, head, query)
            assert row.keys.dtype == np.int32 and np.all(np.diff(row.keys) > 0)
            assert row.keys.size <= MAX_KEYS and row.keys.max() <= query
            np.testing.assert_allclose(row.values, dense[query, row.keys], rtol=1e-3, atol=1e-4)
            assert row.values.sum() + row.residual == pytest.approx(1.0, abs=2e-3)
            assert row.values.sum() >= KEEP - 1e-3 or row.keys.size == MAX_KEYS
            assert row.sink == pytest.approx(dense[query, 0], abs=1e-6)
            p = dense[query, : query + 1]
            assert row.entropy == pytest.approx(-(p * np.log(p)).sum(), abs=1e-4)
        received = reader.received("tiny_lm", "chat-1", layer, head)
        np.testing.assert_allclose(received, dense.sum(axis=0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("reduce", ["mean", "max"])
def test_the_matrix_pools_from_the_overview_or_the_rows(written, reduce):
    url, probs, _ = written
    reader = TextAttentionReader(url)
    dense = probs[1][1]
    kept = kept_dense(dense)
    # At and above the overview's block, aligned: the stored overview, exact up to float16.
    for block, q0, q1, k0, k1 in (
        (4, 0, N, 0, N),
        (8, 4, N, 0, 200),
        (64, 0, N, 0, N),
        (4, 100, 104, 8, 300),
    ):
        tile = reader.matrix("tiny_lm", "chat-1", 1, 1, block, q0, q1, k0, k1, reduce)
        expected = block_pool(dense[q0:q1, k0:k1], block, reduce)
        assert tile.dtype == np.float32 and tile.shape == expected.shape
        np.testing.assert_allclose(tile, expected, rtol=2e-3, atol=2e-4)
    # Below it, or off its grid: pooled from the kept keys of those rows.
    for block, q0, q1, k0, k1 in ((1, 0, 40, 0, 40), (2, 10, 301 - 1, 3, 250), (8, 1, 99, 0, 99)):
        tile = reader.matrix("tiny_lm", "chat-1", 1, 1, block, q0, q1, k0, k1, reduce)
        expected = block_pool(kept[q0:q1, k0:k1], block, reduce)
        assert tile.shape == expected.shape
        np.testing.assert_allclose(tile, expected, rtol=2e-3, atol=2e-4)


def test_stats_and_labels_are_stored_per_layer_and_head(written):
    from tests.text_reference import head_stats

    url, probs, ids = written
    stats = TextAttentionReader(url).stats("tiny_lm", "chat-1")
    assert [(s.layer, s.head) for s in stats] == [(layer, h) for layer in range(LAYERS) for h in (-1, 0, 1)]
    for s in stats:
        matrix = probs[s.layer].mean(axis=0) if s.head == -1 else probs[s.layer][s.head]
        expected = head_stats(matrix, ids)
        assert [s.entropy, s.sink, s.previous_token, s.induction, s.distance] == pytest.approx(
            expected, rel=1e-5
        )
        assert s.label == head_label(s.entropy, s.sink, s.previous_token)


def test_labels_follow_the_documented_thresholds():
    assert head_label(entropy=0.9, sink=0.6, previous_token=0.9) == "sink"
    assert head_label(entropy=0.9, sink=0.1, previous_token=0.5) == "previous-token"
    assert head_label(entropy=0.2, sink=0.1, previous_token=0.1) == "focused"
    assert head_label(entropy=0.8, sink=0.1, previous_token=0.1) == "broad"


def test_bad_reads_say_what_is_allowed(written):
    url, _, _ = written
    reader = TextAttentionReader(url)
    for model, text_id in (("nope", "chat-1"), ("tiny_lm", "nope"), ("tiny_lm", "../x")):
        with pytest.raises(KeyError):
            reader.info(model, text_id)
    with pytest.raises(ValueError, match=r"layer 2 is outside 0\.\.1"):
        reader.row("tiny_lm", "chat-1", 2, None, 0)
    with pytest.raises(ValueError, match=r"head 2 is outside 0\.\.1"):
        reader.row("tiny_lm", "chat-1", 0, 2, 0)
    with pytest.raises(ValueError, match=r"query 300 is outside 0\.\.299"):
        reader.row("tiny_lm", "chat-1", 0, None, N)
    with pytest.raises(ValueError, match="power of two"):
        reader.matrix("tiny_lm", "chat-1", 0, None, 3, 0, N, 0, N)
    with pytest.raises(ValueError, match="q0, q1"):
        reader.matrix("tiny_lm", "chat-1", 0, None, 4, 10, 10, 0, N)


def test_an_incomplete_text_is_missing_and_fused_only_groups_refuse_heads(tmp_path: Path):
    url = str(tmp_path / "store.zarr")
    attrs = lm_attrs(per_head=False)
    writer = TextStoreWriter(url)
    writer.prepare_lm(attrs, rebuild=False)
    text = TextAttrs("t", "", 3, 0, 1, 1, "d")
    ids = np.array([1, 2, 1])
    node = writer.begin_text(
        attrs, text, ids=ids.tolist(), texts=["a", "b", "a"], roles=["text"] * 3, messages=[-1] * 3
    )
    reader = TextAttentionReader(url)
    with pytest.raises(KeyError, match="not complete"):
        reader.info("tiny_lm", "t")
    assert writer.text_attrs("tiny_lm", "t") is None
    probs = random_causal(HEADS, 3, seed=1)
    stats = []
    for layer in range(LAYERS):
        rows = reference_layer(probs, ids, keep_mass=KEEP, max_keys=MAX_KEYS, block=1, per_head=False)
        writer.write_layer(node, text, layer, rows)
        stats.append(rows.stats)
    writer.finish_text(node, attrs, text, np.stack(stats))
    assert writer.text_attrs("tiny_lm", "t") is not None
    assert reader.info("tiny_lm", "t").per_head is False
    with pytest.raises(ValueError, match="without --per-head"):
        reader.row("tiny_lm", "t", 0, 0, 0)
    assert len(reader.stats("tiny_lm", "t")) == LAYERS * (1 + HEADS)  # statistics of every head anyway


def test_the_catalog_lists_texts_by_model_category_and_content(tmp_path: Path):
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'c.db'}")
    run = catalog.start_run("qwen3", "ckpt", "random", {})
    for model, text_id, category, content in (
        ("qwen3", "a", "math", "What is 2 + 2?"),
        ("qwen3", "b", "code", "def f(): return 100%"),
        ("smollm2", "a", "math", "What is 2 + 2?"),
        ("qwen3", "c", "math", "Integrals_of x"),
    ):
        catalog.add_text(
            model,
            text_id,
            category=category,
            n_tokens=10,
            n_generated=0,
            content=content,
            digest="d",
            run_id=run,
        )
    records, total = catalog.list_texts()
    assert total == 4 and [(r.category, r.text_id, r.model) for r in records] == [
        ("code", "b", "qwen3"),
        ("math", "a", "qwen3"),
        ("math", "a", "smollm2"),
        ("math", "c", "qwen3"),
    ]
    assert catalog.list_texts(model="qwen3", category="math")[1] == 2
    assert [r.text_id for r in catalog.list_texts(q="100%")[0]] == ["b"]  # % is a character, not a wildcard
    assert [r.text_id for r in catalog.list_texts(q="INTEGRALS_")[0]] == ["c"]
    page, total = catalog.list_texts(limit=2, offset=3)
    assert total == 4 and [r.text_id for r in page] == ["c"]
    assert catalog.categories() == ["code", "math"]
    assert catalog.text_digests("qwen3") == {"a": "d", "b": "d", "c": "d"}
    catalog.add_text(
        "qwen3", "a", category="knowledge", n_tokens=3, n_generated=1, content="x", digest="e", run_id=run
    )
    record = catalog.text_record("qwen3", "a")
    assert record is not None and (record.category, record.n_tokens, record.digest) == ("knowledge", 3, "e")
    catalog.drop_texts("qwen3", ["b"])
    assert catalog.list_texts(model="qwen3")[1] == 2
    catalog.drop_texts("qwen3")
    assert catalog.list_texts()[1] == 1


def test_keys_are_stored_as_row_gaps_and_texts_with_absolute_keys_still_read(written, tmp_path: Path):
    import shutil

    import zarr

    url, probs, ids = written
    reference = reference_layer(
        probs[1], ids, keep_mass=KEEP, max_keys=MAX_KEYS, block=overview_block(N), per_head=True
    )
    node = zarr.open_group(f"{url}/tiny_lm/texts/chat-1", mode="r")
    stored = node["layers/1/keys"][...]
    assert stored.dtype == np.uint16 and node.attrs["key_encoding"] == "delta"
    starts = np.cumsum(reference.counts.reshape(-1).astype(np.int64)) - reference.counts.reshape(-1)
    gaps = np.diff(reference.keys.astype(np.int64))  # inside a row: the gap to the key before
    inside = np.ones(stored.size, dtype=bool)
    inside[starts] = False
    np.testing.assert_array_equal(stored[starts], reference.keys[starts])  # a row's first key
    np.testing.assert_array_equal(stored[inside], gaps[inside[1:]])
    # A text written before the gaps: absolute int32 keys, no key_encoding in its attrs.
    old_url = str(tmp_path / "old.zarr")
    shutil.copytree(url, old_url)
    old = zarr.open_group(f"{old_url}/tiny_lm/texts/chat-1", mode="a")
    del old.attrs["key_encoding"]
    del old["layers/1/keys"]
    old.create_array("layers/1/keys", data=reference.keys.astype(np.int32), chunks=(1 << 16,))
    new_reader, old_reader = TextAttentionReader(url), TextAttentionReader(old_url)
    for head in (None, 1):
        for query in (0, 5, N - 1):
            a = new_reader.row("tiny_lm", "chat-1", 1, head, query)
            b = old_reader.row("tiny_lm", "chat-1", 1, head, query)
            np.testing.assert_array_equal(a.keys, b.keys)
            np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(
            new_reader.matrix("tiny_lm", "chat-1", 1, head, 2, 10, 90, 0, 90, "max"),
            old_reader.matrix("tiny_lm", "chat-1", 1, head, 2, 10, 90, 0, 90, "max"),
        )
