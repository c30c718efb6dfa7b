"""The `/texts` routes over a store written by the text writer from known dense attention: every
answer is compared with the dense matrices by plain numpy, every bound and 4xx is checked."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from app.backend.services.texts import MAX_TILE_CELLS
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.text_layout import LmAttrs, TextAttrs, overview_block
from ssl_attention.store.text_writer import TextStoreWriter
from tests.text_reference import random_causal, reference_layer

LAYERS, HEADS = 2, 2
KEEP, MAX_KEYS = 0.9, 12
F16 = dict(rtol=2e-3, atol=2e-4)  # float16 storage of probabilities


@dataclass(frozen=True)
class Written:
    client: TestClient
    probs: dict[tuple[str, str], list[np.ndarray]]  # (model, text) -> per layer (H, N, N)
    ids: dict[tuple[str, str], np.ndarray]


def lm(key: str, per_head: bool) -> LmAttrs:
    return LmAttrs(
        key=key,
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


def write_text(
    writer: TextStoreWriter, attrs: LmAttrs, text_id: str, category: str, n: int, seed: int
) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 30, size=n)
    block = overview_block(n)
    slots = 1 + HEADS if attrs.per_head else 1
    text = TextAttrs(text_id, category, n, 0, block, slots, f"digest-{text_id}")
    node = writer.begin_text(
        attrs,
        text,
        ids=ids.tolist(),
        texts=[f"w{i}" if i % 7 else "\n" for i in range(n)],
        roles=["user"] * (n // 2) + ["assistant"] * (n - n // 2),
        messages=[0] * (n // 2) + [1] * (n - n // 2),
    )
    probs = [random_causal(HEADS, n, seed=seed * 10 + layer) for layer in range(LAYERS)]
    stats = []
    for layer, p in enumerate(probs):
        rows = reference_layer(
            p, ids, keep_mass=KEEP, max_keys=MAX_KEYS, block=block, per_head=attrs.per_head
        )
        writer.write_layer(node, text, layer, rows)
        stats.append(rows.stats)
    writer.finish_text(node, attrs, text, np.stack(stats))
    return probs, ids


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    root: Path = tmp_path_factory.mktemp("texts_api")
    store, db = str(root / "store.zarr"), f"sqlite:///{root / 'catalog.db'}"
    writer = TextStoreWriter(store)
    catalog = CatalogWriter.open(db)
    probs, ids = {}, {}
    plan = [
        ("tiny_lm", True, "chat-1", "math", 300, 1),
        ("tiny_lm", True, "agent-1", "agent", 40, 2),
        ("fused_lm", False, "chat-1", "math", 600, 3),
    ]
    prepared = set()
    for key, per_head, text_id, category, n, seed in plan:
        attrs = lm(key, per_head)
        if key not in prepared:
            writer.prepare_lm(attrs, rebuild=False)
            prepared.add(key)
        probs[key, text_id], ids[key, text_id] = write_text(writer, attrs, text_id, category, n, seed)
        catalog.add_text(
            key,
            text_id,
            category=category,
            n_tokens=n,
            n_generated=0,
            content=f"content of {text_id} by {key}",
            digest=f"digest-{text_id}",
            run_id=None,
        )
    catalog.close()
    settings = ApiSettings(images=root / "images", store=store, db=db, frontend_dist=root / "no-frontend")
    with TestClient(create_app(settings)) as client:
        yield Written(client, probs, ids)


def dense_of(w: Written, model: str, text: str, layer: int, head: int | None) -> np.ndarray:
    p = w.probs[model, text][layer]
    return p.mean(axis=0) if head is None else p[head]


# --- /texts and /models ----------------------------------------------------------------------


def test_the_list_pages_and_filters_by_model_category_and_content(written: Written) -> None:
    c = written.client
    body = c.get("/texts").json()
    assert body["total"] == 3 and body["categories"] == ["agent", "math"]
    assert [(t["category"], t["text_id"], t["model"]) for t in body["texts"]] == [
        ("agent", "agent-1", "tiny_lm"),
        ("math", "chat-1", "fused_lm"),
        ("math", "chat-1", "tiny_lm"),
    ]
    assert body["texts"][0] == {
        "text_id": "agent-1",
        "model": "tiny_lm",
        "category": "agent",
        "n_tokens": 40,
        "n_generated": 0,
        "preview": "content of agent-1 by tiny_lm",
    }
    assert c.get("/texts?model=fused_lm").json()["total"] == 1
    assert c.get("/texts?category=math").json()["total"] == 2
    assert [t["model"] for t in c.get("/texts?q=BY FUSED").json()["texts"]] == ["fused_lm"]
    page = c.get("/texts?limit=1&offset=1").json()
    assert (page["total"], len(page["texts"]), page["texts"][0]["model"]) == (3, 1, "fused_lm")
    assert c.get("/texts?model=nobody").json() == {**body, "texts": [], "total": 0}
    for bad in ("limit=0", "limit=501", "offset=-1", "q=%00", "model=" + "m" * 201):
        r = c.get(f"/texts?{bad}")
        assert r.status_code == 422 and r.json()["message"], bad


def test_models_lists_the_lm_groups_with_their_layers_and_heads(written: Written) -> None:
    models = {m["key"]: m for m in written.client.get("/models").json()["models"]}
    assert set(models) == {"tiny_lm", "fused_lm"}
    m = models["tiny_lm"]
    assert (m["kind"], m["layers"], m["heads"], m["grid"], m["methods"]) == ("lm", LAYERS, HEADS, None, [])


def test_image_map_routes_answer_400_for_an_lm(written: Written) -> None:
    r = written.client.get("/attention/img_0/raw?model=tiny_lm&method=cls")
    assert r.status_code in (400, 404) and "message" in r.json()


# --- /texts/{id} ---------------------------------------------------------------------------------


def test_a_text_gives_its_tokens_and_what_was_stored(written: Written) -> None:
    c = written.client
    r = c.get("/texts/chat-1?model=tiny_lm")
    assert r.status_code == 200
    body = r.json()
    ids = written.ids["tiny_lm", "chat-1"]
    assert (body["n_tokens"], body["layers"], body["heads"], body["per_head"]) == (300, LAYERS, HEADS, True)
    assert (body["keep_mass"], body["max_keys"], body["overview_block"]) == (
        KEEP,
        MAX_KEYS,
        overview_block(300),
    )
    assert [t["id"] for t in body["tokens"]] == ids.tolist()
    assert body["tokens"][7] == {"id": int(ids[7]), "text": "\n", "role": "user", "message": 0}
    assert body["tokens"][299]["role"] == "assistant" and body["tokens"][299]["message"] == 1
    assert c.get("/texts/chat-1?model=fused_lm").json()["per_head"] is False
    # cacheable: the same ETag again answers 304 with no body
    again = c.get("/texts/chat-1?model=tiny_lm", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "url",
    [
        "/texts/nope?model=tiny_lm",
        "/texts/chat-1?model=nobody",
        "/texts/agent-1?model=fused_lm",
        "/texts/nope/row?model=tiny_lm&layer=0&query=0",
        "/texts/nope/stats?model=tiny_lm",
        "/texts/nope/matrix?model=tiny_lm&layer=0",
        "/texts/..%2F..%2Fetc/stats?model=tiny_lm",
    ],
)
def test_unknown_texts_and_models_are_404(written: Written, url: str) -> None:
    r = written.client.get(url)
    assert r.status_code == 404, r.text
    assert "%2F" in url or "no text" in r.json()["message"]  # an encoded slash matches no route


def test_a_model_is_required(written: Written) -> None:
    r = written.client.get("/texts/chat-1")
    assert r.status_code == 422 and r.json()["parameter"] == "model"


# --- /row ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("head", [None, 0, 1])
def test_rows_are_the_dense_rows_on_their_kept_keys(written: Written, head: int | None) -> None:
    c = written.client
    for layer in range(LAYERS):
        dense = dense_of(written, "tiny_lm", "chat-1", layer, head)
        for query in (0, 1, 50, 299):
            params = f"model=tiny_lm&layer={layer}&query={query}" + ("" if head is None else f"&head={head}")
            body = c.get(f"/texts/chat-1/row?{params}").json()
            keys, values = np.asarray(body["keys"]), np.asarray(body["values"])
            assert (body["layer"], body["head"], body["query"]) == (layer, head, query)
            assert np.all(np.diff(keys) > 0) and keys.max() <= query and keys.size <= MAX_KEYS
            np.testing.assert_allclose(values, dense[query, keys], **F16)
            assert values.sum() + body["residual"] == pytest.approx(1.0, abs=2e-3)
            # the kept keys are the top keys: every key left out is no larger than the smallest kept
            left_out = np.setdiff1d(np.arange(query + 1), keys)
            if left_out.size:
                assert dense[query, left_out].max() <= dense[query, keys].min() + 1e-6
            p = dense[query, : query + 1]
            assert body["entropy"] == pytest.approx(float(-(p * np.log(p)).sum()), abs=1e-3)
            assert body["sink"] == pytest.approx(float(dense[query, 0]), abs=1e-4)


@pytest.mark.parametrize(
    ("params", "parameter", "status"),
    [
        ("model=tiny_lm&layer=2&query=0", "layer", 400),
        ("model=tiny_lm&layer=0&head=2&query=0", "head", 400),
        ("model=tiny_lm&layer=0&query=300", "query", 400),
        ("model=fused_lm&layer=0&head=0&query=0", "head", 400),
        ("model=tiny_lm&layer=-1&query=0", "layer", 422),
        ("model=tiny_lm&layer=0&query=-1", "query", 422),
        ("model=tiny_lm&layer=0&head=1001&query=0", "head", 422),
        ("model=tiny_lm&layer=0", "query", 422),
        ("model=tiny_lm&layer=x&query=0", "layer", 422),
    ],
)
def test_row_bounds_answer_a_json_4xx_naming_the_parameter(
    written: Written, params: str, parameter: str, status: int
) -> None:
    r = written.client.get(f"/texts/chat-1/row?{params}")
    assert r.status_code == status, r.text
    body = r.json()
    assert body["parameter"] == parameter and body["message"]
    if status == 400:  # what would have worked: a range, or [] (no head was stored)
        assert body["allowed"] is not None


def test_received_is_the_column_sums(written: Written) -> None:
    for head in (None, 1):
        q = "" if head is None else f"&head={head}"
        body = written.client.get(f"/texts/chat-1/received?model=tiny_lm&layer=1{q}").json()
        dense = dense_of(written, "tiny_lm", "chat-1", 1, head)
        np.testing.assert_allclose(body["values"], dense.sum(axis=0), rtol=1e-4, atol=1e-4)


# --- /matrix -------------------------------------------------------------------------------------


def pooled_rows(written: Written, model: str, text: str, layer: int, head: int | None, window, block, reduce):
    """The tile rebuilt from /row answers (kept keys only) and pooled by plain loops."""
    q0, q1, k0, k1 = window
    kept = np.zeros((q1 - q0, k1 - k0))
    for q in range(q0, q1):
        h = "" if head is None else f"&head={head}"
        row = written.client.get(f"/texts/{text}/row?model={model}&layer={layer}&query={q}{h}").json()
        for k, v in zip(row["keys"], row["values"], strict=True):
            if k0 <= k < k1:
                kept[q - q0, k - k0] = v
    rows, cols = math.ceil((q1 - q0) / block), math.ceil((k1 - k0) / block)
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            cell = kept[i * block : (i + 1) * block, j * block : (j + 1) * block]
            out[i, j] = cell.max() if reduce == "max" else cell.mean()
    return out


def pooled_dense(dense: np.ndarray, window, block, reduce) -> np.ndarray:
    q0, q1, k0, k1 = window
    part = dense[q0:q1, k0:k1]
    rows, cols = math.ceil((q1 - q0) / block), math.ceil((k1 - k0) / block)
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            cell = part[i * block : (i + 1) * block, j * block : (j + 1) * block]
            out[i, j] = cell.max() if reduce == "max" else cell.mean()
    return out


@pytest.mark.parametrize(
    ("window", "block", "reduce", "head"),
    [
        ((0, 40, 0, 40), 1, "max", None),
        ((13, 61, 5, 50), 2, "mean", 1),
        ((16, 64, 0, 48), 4, "max", 0),  # lines up with the overview (block 4 of 300 tokens)
        ((0, 300, 0, 300), 8, "mean", None),
    ],
)
def test_a_tile_pools_the_rows_it_covers(written: Written, window, block, reduce, head) -> None:
    """Below the overview's block (or off its grid) a tile pools the kept keys of its rows; on the
    overview's grid it is the stored overview, which pooled every key of the dense matrix."""
    q0, q1, k0, k1 = window
    h = "" if head is None else f"&head={head}"
    url = f"/texts/chat-1/matrix?model=tiny_lm&layer=1{h}&block={block}&q0={q0}&q1={q1}&k0={k0}&k1={k1}&reduce={reduce}"
    body = written.client.get(url).json()
    if block % overview_block(300) == 0 and all(v % overview_block(300) == 0 or v == 300 for v in window):
        expected = pooled_dense(dense_of(written, "tiny_lm", "chat-1", 1, head), window, block, reduce)
    else:
        expected = pooled_rows(written, "tiny_lm", "chat-1", 1, head, window, block, reduce)
    assert body["shape"] == list(expected.shape)
    assert (body["q0"], body["q1"], body["k0"], body["k1"], body["block"]) == (q0, q1, k0, k1, block)
    np.testing.assert_allclose(np.asarray(body["values"]), expected, **F16)
    # f16: the same values, row-major, with the shape in X-Shape
    raw = written.client.get(url + "&format=f16")
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.headers["x-shape"] == f"{expected.shape[0]},{expected.shape[1]}"
    values = np.frombuffer(raw.content, dtype="<f2").reshape(expected.shape)
    np.testing.assert_allclose(values, np.asarray(body["values"]), rtol=1e-3, atol=1e-4)


def test_the_whole_matrix_at_a_coarse_block_is_the_stored_overview(written: Written) -> None:
    """The default window is the whole text; at block 64 the (max) overview of the dense matrix."""
    body = written.client.get("/texts/chat-1/matrix?model=tiny_lm&layer=0&block=64&reduce=max").json()
    dense = dense_of(written, "tiny_lm", "chat-1", 0, None)
    assert body["shape"] == [5, 5] and (body["q1"], body["k1"]) == (300, 300)
    for i in range(5):
        for j in range(5):
            cell = dense[i * 64 : (i + 1) * 64, j * 64 : (j + 1) * 64]
            assert body["values"][i][j] == pytest.approx(float(cell.max()), rel=2e-3, abs=2e-4)


@pytest.mark.parametrize(
    ("params", "parameter", "status"),
    [
        ("model=tiny_lm&layer=0&block=3", "block", 400),
        ("model=tiny_lm&layer=0&block=0", "block", 422),
        ("model=tiny_lm&layer=0&block=131072", "block", 422),
        ("model=fused_lm&layer=0&block=1", "block", 400),  # 600 × 600 cells: over the bound
        ("model=tiny_lm&layer=0&q0=50&q1=50", "q0", 400),
        ("model=tiny_lm&layer=0&k0=300", "k0", 400),
        ("model=tiny_lm&layer=0&reduce=sum", "reduce", 422),
        ("model=tiny_lm&layer=0&format=png", "format", 422),
        ("model=tiny_lm&layer=9", "layer", 400),
        ("model=fused_lm&layer=0&head=0&block=4", "head", 400),
    ],
)
def test_matrix_bounds(written: Written, params: str, parameter: str, status: int) -> None:
    r = written.client.get(f"/texts/chat-1/matrix?{params}")
    assert r.status_code == status, r.text
    assert r.json()["parameter"] == parameter and r.json()["message"]


def test_the_tile_bound_is_what_the_web_app_needs(written: Written) -> None:
    assert MAX_TILE_CELLS >= 256 * 256
    ok = written.client.get("/texts/chat-1/matrix?model=fused_lm&layer=0&block=2&format=f16")
    assert ok.status_code == 200 and ok.headers["x-shape"] == "300,300"


# --- /stats --------------------------------------------------------------------------------------


def test_stats_match_numpy_over_the_dense_rows(written: Written) -> None:
    body = written.client.get("/texts/chat-1/stats?model=tiny_lm").json()
    assert (body["layers"], body["heads"]) == (LAYERS, HEADS)
    cells = {(s["layer"], s["head"]): s for s in body["stats"]}
    assert set(cells) == {(layer, head) for layer in range(LAYERS) for head in (-1, 0, 1)}
    n = 300
    q = np.arange(1, n)
    for (layer, head), s in cells.items():
        dense = dense_of(written, "tiny_lm", "chat-1", layer, None if head == -1 else head)
        rows = dense[1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            ent = -np.where(rows > 0, rows * np.log(rows), 0.0).sum(axis=1) / np.log(q + 1)
        distance = (rows * (q[:, None] - np.arange(n)[None, :]).clip(min=0)).sum(axis=1)
        assert s["entropy"] == pytest.approx(ent.mean(), abs=1e-3)
        assert s["sink"] == pytest.approx(rows[:, 0].mean(), abs=1e-4)
        assert s["previous_token"] == pytest.approx(dense[q, q - 1].mean(), abs=1e-4)
        assert s["distance"] == pytest.approx(distance.mean(), rel=1e-3)
        assert s["label"] in ("focused", "broad", "sink", "previous-token")


def test_data_routes_carry_etags_and_answer_304(written: Written) -> None:
    c = written.client
    for url in (
        "/texts/chat-1/row?model=tiny_lm&layer=0&query=5",
        "/texts/chat-1/stats?model=tiny_lm",
        "/texts/chat-1/received?model=tiny_lm&layer=0",
        "/texts/chat-1/matrix?model=tiny_lm&layer=0&block=8&format=f16",
    ):
        first = c.get(url)
        assert first.status_code == 200 and first.headers["etag"].startswith('"')
        again = c.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304, url
    other = c.get("/texts/chat-1/row?model=tiny_lm&layer=0&query=6")
    assert other.headers["etag"] != c.get("/texts/chat-1/row?model=tiny_lm&layer=0&query=5").headers["etag"]
