"""Comparing a variant with its base: `/attention/{id}/shift` (variant − base of one map) and
`/metrics/shift` (the distances `precompute --metrics` stores).

The store is a copy of the precomputed one with synthetic groups written through the real writer:
a ViT variant of dinov2, a twin of a toy model with identical maps, a toy variant on another grid,
and VLMs (a base, a variant with the same answers, one with other answers, one on other grids).
Expectations are computed with numpy from the arrays the factories wrote.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from ssl_attention.metrics.aggregate import bootstrap_ci
from ssl_attention.metrics.shift import ShiftReport, compute_shift
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.layout import VitAttrs
from tests.app.conftest import Api, copy_sqlite
from tests.factories import VitFixture, VlmFixture, model_attrs, write_vit_fixture, write_vlm_fixture

BASE, VARIANT = "dinov2", "dinov2-ft"
IDS = ("img_0", "img_1", "sub__nested_5")
VLM_BASE, VLM_SAME, VLM_OTHER, VLM_GRIDS = "qwen2_5_vl", "qwen-lora", "qwen-free", "qwen-big"
VLM_ASKED = "qwen-asked"
VLM_IDS = ("img_0", "img_1")


@dataclass(frozen=True)
class Written:
    store: str
    db: str
    vit: VitFixture
    base: dict[str, dict[str, np.ndarray]]  # image id -> array path -> the base's stored row
    vlm_base: VlmFixture
    vlm_same: VlmFixture


@pytest.fixture(scope="module")
def written(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Written:
    root = tmp_path_factory.mktemp("shift")
    store = str(root / "attention.zarr")
    shutil.copytree(api.settings.store, store)
    db = copy_sqlite(api.settings.db, root / "catalog.db")
    reader = AttentionStoreReader(store)
    base_attrs = reader.models()[BASE]
    assert isinstance(base_attrs, VitAttrs)
    variant = replace(base_attrs, key=VARIANT, base_key=BASE, checkpoint="/checkpoints/dinov2-ft")
    vit = write_vit_fixture(store, db, IDS, variant, seed=7)
    catalog = CatalogWriter.open(db, migrate=False)
    base = {
        image_id: {
            spec.path: reader.read_row(BASE, spec.path, catalog.row_of(image_id, BASE) or 0)
            for spec in base_attrs.array_specs()
        }
        for image_id in IDS
    }
    catalog.close()
    # A twin: the same seed and rows, so the same maps as its base; and a variant on another grid.
    write_vit_fixture(store, db, IDS, model_attrs(key="toy"), seed=3)
    write_vit_fixture(store, db, IDS, model_attrs(key="toy-twin", base_key="toy"), seed=3)
    write_vit_fixture(store, db, IDS, model_attrs(key="toy-nohead", per_head=False), seed=3)
    big = model_attrs(key="toy-big", base_key="toy", image_size=20, grid=(5, 5))
    write_vit_fixture(store, db, IDS, big, seed=4)
    vlm_base = write_vlm_fixture(store, db, VLM_IDS, key=VLM_BASE, seed=1)
    vlm_same = write_vlm_fixture(store, db, VLM_IDS, key=VLM_SAME, base_key=VLM_BASE, seed=2)
    answers = ("A blue circle.", "Nowhere at all.")
    write_vlm_fixture(store, db, VLM_IDS, key=VLM_OTHER, base_key=VLM_BASE, seed=3, answers=answers)
    write_vlm_fixture(store, db, VLM_IDS, key=VLM_GRIDS, base_key=VLM_BASE, seed=4, grids=((4, 4),))
    prompts = ("Describe this image.", "What colour is it?")  # the second: never asked of the base
    write_vlm_fixture(store, db, VLM_IDS, key=VLM_ASKED, base_key=VLM_BASE, seed=5, prompts=prompts)
    return Written(store, db, vit, base, vlm_base, vlm_same)


@pytest.fixture(scope="module")
def client(api: Api, written: Written) -> Iterator[TestClient]:
    settings = ApiSettings(**{**api.settings.__dict__, "store": written.store, "db": written.db})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def shift(client: TestClient, image_id: str, **params: object) -> dict:
    response = client.get(f"/attention/{image_id}/shift", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def as_map(body: dict) -> np.ndarray:
    return np.array(body["data"], dtype=np.float16).reshape(body["shape"])


def distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation, written out cell by cell (independent of the vectorised implementation)."""
    a = [max(float(v), 0.0) for v in np.asarray(p).ravel()]
    b = [max(float(v), 0.0) for v in np.asarray(q).ravel()]
    sa, sb = sum(a), sum(b)
    return 0.5 * sum(abs(x / sa - y / sb) for x, y in zip(a, b, strict=True))


def difference(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    return (mine.astype(np.float32) - theirs.astype(np.float32)).astype(np.float16)


def slices(attrs: VitAttrs) -> Iterator[tuple[dict[str, object], str, object]]:
    """Every (query, array path, pick) of a ViT: each method × layer fused (mean, max, min) and per head."""
    for method in attrs.methods:
        for layer in range(attrs.method_layers(method)):
            yield {"method": method, "layer": layer}, f"{method}/fused", lambda a, n=layer: a[n]
            if method not in attrs.per_head_methods:
                continue
            for fusion in ("max", "min"):
                pick = (
                    (lambda a, n=layer: a[n].max(axis=0))
                    if fusion == "max"
                    else (lambda a, n=layer: a[n].min(axis=0))
                )
                yield {"method": method, "layer": layer, "fusion": fusion}, f"{method}/heads", pick
            for head in range(attrs.heads):
                yield (
                    {"method": method, "layer": layer, "head": head},
                    f"{method}/heads",
                    lambda a, n=layer, h=head: a[n, h],
                )


def test_shift_is_variant_minus_base_for_every_method_layer_and_head(
    client: TestClient, written: Written
) -> None:
    attrs = written.vit.attrs
    checked = 0
    for image_id in IDS:
        for params, path, pick in slices(attrs):
            mine = pick(written.vit.arrays[image_id][path])
            theirs = pick(written.base[image_id][path])
            body = shift(client, image_id, model=VARIANT, base=BASE, **params)
            expected = difference(mine, theirs)
            assert np.array_equal(as_map(body), expected), (image_id, params)
            assert body["distance"] == pytest.approx(distance(mine, theirs), abs=1e-12)
            assert np.float16(body["min"]) == expected.min() and np.float16(body["max"]) == expected.max()
            assert (body["model"], body["base"], body["method"], body["layer"]) == (
                VARIANT, BASE, params["method"], params["layer"],
            )  # fmt: skip
            checked += 1
    assert checked == len(IDS) * attrs.layers * (2 * (1 + 2 + 2) + 1)  # cls, mean: fused, max, min, 2 heads


def test_base_defaults_to_the_base_key_and_f16_carries_the_distance(
    client: TestClient, written: Written
) -> None:
    body = shift(client, "img_1", model=VARIANT, method="mean", head=1)
    weights = written.vit.attrs.weights  # the variant's attrs are the base's, renamed
    assert (body["base"], body["weights"], body["base_weights"]) == (BASE, weights, weights)
    response = client.get(
        "/attention/img_1/shift", params={"model": VARIANT, "method": "mean", "head": 1, "format": "f16"}
    )
    assert response.status_code == 200
    expected = difference(
        written.vit.arrays["img_1"]["mean/heads"][2, 1], written.base["img_1"]["mean/heads"][2, 1]
    )
    assert response.content == np.ascontiguousarray(expected, dtype="<f2").tobytes()
    assert response.headers["x-shape"] == "6,6" and response.headers["x-base"] == BASE
    assert float(response.headers["x-distance"]) == body["distance"]
    again = client.get(
        "/attention/img_1/shift",
        params={"model": VARIANT, "method": "mean", "head": 1, "format": "f16"},
        headers={"if-none-match": response.headers["etag"]},
    )
    assert again.status_code == 304
    other = client.get(
        "/attention/img_1/shift", params={"model": VARIANT, "method": "mean", "head": 0, "format": "f16"}
    )
    assert other.headers["etag"] != response.headers["etag"]


def test_a_variant_identical_to_its_base_has_exactly_zero_shift(client: TestClient) -> None:
    for image_id in IDS:
        for params in (
            {},
            {"method": "mean", "layer": 1, "head": 0},
            {"method": "rollout"},
            {"fusion": "max"},
        ):
            body = shift(client, image_id, model="toy-twin", **params)
            assert body["base"] == "toy" and body["distance"] == 0.0
            assert not np.any(as_map(body)) and body["min"] == 0.0 and body["max"] == 0.0


def test_other_grids_are_409_saying_why(client: TestClient) -> None:
    response = client.get("/attention/img_0/shift", params={"model": "toy-big"})
    assert response.status_code == 409
    message = response.json()["message"]
    assert (
        "different grids" in message
        and "5×5" in message
        and "4×4" in message
        and "image_size 20 and 16" in message
    )


@pytest.mark.parametrize(
    ("params", "status", "parameter", "said"),
    [
        ({"model": VARIANT, "base": "nope"}, 404, "model", "unknown model 'nope'"),
        ({"model": VARIANT, "base": VLM_BASE}, 400, "base", "same kind"),
        ({"model": BASE}, 400, "base", "not a named variant"),
        ({"model": "toy-twin", "base": "toy-nohead", "head": 0}, 400, "head", "toy-nohead"),
        ({"model": "toy-twin", "base": "toy-nohead", "fusion": "max"}, 400, "fusion", "toy-nohead"),
        ({"model": "toy-twin", "base": VARIANT}, 409, None, "different grids"),
        ({"model": VARIANT, "method": "pool"}, 400, "method", "no attention-pooling head"),
    ],
)
def test_bad_pairs_say_why(
    client: TestClient, params: dict, status: int, parameter: str | None, said: str
) -> None:
    response = client.get("/attention/img_0/shift", params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert said in body["message"] and body.get("parameter") == parameter


def test_vlm_shift_of_text_and_vision_maps(client: TestClient, written: Written) -> None:
    mine, theirs = written.vlm_same.images["img_0"], written.vlm_base.images["img_0"]
    answer = [i for i, t in enumerate(mine.prompts[1].tokens) if t.role == "answer"]
    body = shift(client, "img_0", model=VLM_SAME, method="text", prompt=1, layer=2)  # default: the answer
    expected_maps = [a["text/fused"][answer[0] : answer[-1] + 1, 2] for a in (mine.text[1], theirs.text[1])]
    means = [m.astype(np.float32).mean(axis=0).astype(np.float16) for m in expected_maps]
    assert np.array_equal(as_map(body), difference(*means))
    assert body["distance"] == pytest.approx(distance(*means), abs=1e-12)
    assert (body["prompt"], body["base_prompt"], body["token"]) == (1, 1, f"{answer[0]}-{answer[-1]}")
    body = shift(client, "img_0", model=VLM_SAME, method="text", token=3, head=1, layer=0)
    assert np.array_equal(
        as_map(body), difference(mine.text[0]["text/heads"][3, 0, 1], theirs.text[0]["text/heads"][3, 0, 1])
    )
    body = shift(client, "img_0", model=VLM_SAME, method="mean", layer=1, head=2)
    assert np.array_equal(
        as_map(body), difference(mine.vision["mean/heads"][1, 2], theirs.vision["mean/heads"][1, 2])
    )
    assert body["shape"] == list(mine.sample.vision_grid) and body["token"] is None


def test_vlm_answers_that_differ_are_409_saying_to_use_answer_from(
    client: TestClient, written: Written
) -> None:
    response = client.get("/attention/img_0/shift", params={"model": VLM_OTHER, "method": "text"})
    assert response.status_code == 409 and response.json()["parameter"] == "token"
    message = response.json()["message"]
    assert (
        "--answer-from qwen2_5_vl" in message and "A blue circle." in message and "A red square." in message
    )
    prompt_token = next(
        i for i, t in enumerate(written.vlm_base.images["img_0"].prompts[0].tokens) if t.role == "prompt"
    )
    assert shift(client, "img_0", model=VLM_OTHER, method="text", token=prompt_token)["distance"] > 0
    assert shift(client, "img_0", model=VLM_OTHER, method="rollout")["distance"] > 0
    grids = client.get("/attention/img_0/shift", params={"model": VLM_GRIDS, "method": "text", "token": 1})
    assert grids.status_code == 409 and "different grids" in grids.json()["message"]
    asked = client.get("/attention/img_0/shift", params={"model": VLM_ASKED, "method": "text", "prompt": 1})
    assert asked.status_code == 409 and asked.json()["parameter"] == "prompt"
    assert "'What colour is it?' is not done for image 'img_0' with qwen2_5_vl" in asked.json()["message"]
    assert shift(client, "img_0", model=VLM_ASKED, method="text", prompt=0)["base_prompt"] == 0


@pytest.fixture(scope="module")
def computed(written: Written) -> ShiftReport:
    """`precompute --metrics`'s shift step over the store, run twice (the second finds nothing new)."""
    catalog = CatalogWriter.open(written.db, migrate=False)
    try:
        report = compute_shift(written.store, catalog)
        again = compute_shift(written.store, catalog)
    finally:
        catalog.close()
    assert (again.images_computed, again.images_already) == (0, report.images_computed)
    return report


def test_shift_metrics_summarise_every_image_both_models_have(
    client: TestClient, written: Written, computed: ShiftReport
) -> None:
    assert computed.pairs == 7  # dinov2-ft, toy-twin, toy-big; qwen-lora, -free, -big, -asked
    assert computed.images_computed == 3 * len(IDS) + 4 * len(VLM_IDS)
    body = client.get("/metrics/shift", params={"model": VARIANT, "method": "cls"}).json()
    assert (body["model"], body["base"], body["method"], body["methods"]) == (
        VARIANT,
        BASE,
        "cls",
        ["cls", "mean", "rollout"],
    )
    attrs = written.vit.attrs
    cells = {(c["layer"], c["head"]): c for c in body["cells"]}
    assert set(cells) == {
        (layer, head) for layer in range(attrs.layers) for head in (-1, *range(attrs.heads))
    }
    for (layer, head), cell in cells.items():
        path, pick = (
            ("cls/fused", lambda a, n=layer: a[n])
            if head == -1
            else ("cls/heads", lambda a, n=layer, h=head: a[n, h])
        )
        found = np.array(
            [distance(pick(written.vit.arrays[i][path]), pick(written.base[i][path])) for i in IDS]
        )
        assert cell["n"] == len(IDS) and cell["mean"] == pytest.approx(found.mean(), abs=1e-12)
        assert (cell["ci_low"], cell["ci_high"]) == pytest.approx(bootstrap_ci(found), abs=1e-9)
        assert cell["ci_low"] <= cell["mean"] <= cell["ci_high"]
    last = [distance(written.vit.arrays[i]["cls/fused"][-1], written.base[i]["cls/fused"][-1]) for i in IDS]
    assert [image["image_id"] for image in body["images"]] == [IDS[k] for k in np.argsort(last)[::-1]]
    assert (body["images_layer"], body["images_head"]) == (attrs.layers - 1, -1)
    head_ranked = client.get(
        "/metrics/shift", params={"model": VARIANT, "method": "mean", "layer": 0, "head": 1}
    ).json()
    expected = {
        i: distance(written.vit.arrays[i]["mean/heads"][0, 1], written.base[i]["mean/heads"][0, 1])
        for i in IDS
    }
    assert {image["image_id"]: image["distance"] for image in head_ranked["images"]} == pytest.approx(
        expected, abs=1e-12
    )
    twin = client.get("/metrics/shift", params={"model": "toy-twin"}).json()
    assert twin["cells"] and all(c["mean"] == 0.0 and c["ci_high"] == 0.0 for c in twin["cells"])


@pytest.mark.parametrize("params", [{"model": "toy-big"}, {"model": "toy-twin", "base": "toy-nohead"}])
def test_shift_metrics_are_404_for_a_pair_never_compared(
    client: TestClient, computed: ShiftReport, params: dict
) -> None:
    response = client.get("/metrics/shift", params=params)  # other grids; not a variant and its base
    assert response.status_code == 404 and "run `precompute --metrics`" in response.json()["message"]


def test_vlm_shift_metrics_compare_text_only_where_the_answers_line_up(
    client: TestClient, written: Written, computed: ShiftReport
) -> None:
    same = client.get("/metrics/shift", params={"model": VLM_SAME, "method": "text"}).json()
    assert same["methods"] == ["text", "mean", "rollout"]
    assert {c["n"] for c in same["cells"]} == {len(VLM_IDS)}
    expected = []
    for image_id in VLM_IDS:  # prompt 0, the first both have: the mean map of its answer tokens
        mine, theirs = written.vlm_same.images[image_id], written.vlm_base.images[image_id]
        answer = [i for i, t in enumerate(mine.prompts[0].tokens) if t.role == "answer"]
        maps = [d.text[0]["text/heads"][answer[0] : answer[-1] + 1, 1, 0] for d in (mine, theirs)]
        expected.append(distance(*(m.astype(np.float32).mean(axis=0) for m in maps)))
    cell = next(c for c in same["cells"] if (c["layer"], c["head"]) == (1, 0))
    assert cell["mean"] == pytest.approx(np.mean(expected), abs=1e-9)
    other = client.get("/metrics/shift", params={"model": VLM_OTHER}).json()
    assert other["methods"] == ["mean", "rollout"] and other["method"] == "mean"
