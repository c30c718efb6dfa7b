"""/attention/{id}/raw, /heads, /prefix: values, defaults and every error case."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ssl_attention.store.layout import VitAttrs
from tests.app.conftest import BAD_IDS, GOOD_IDS, Api

MODELS = ("clip", "dinov2", "dinov3", "mae", "siglip", "siglip2")


@pytest.fixture(scope="module")
def stored(api: Api) -> dict[str, VitAttrs]:
    return api.reader().models()


def stored_chunk(api: Api, model: str, path: str, image_id: str) -> np.ndarray:
    catalog = api.catalog()
    row = catalog.row_of(image_id, model)
    catalog.close()
    assert row is not None
    return api.reader().read_row(model, path, row)


def raw(client: TestClient, image_id: str, **params: object) -> dict:
    response = client.get(f"/attention/{image_id}/raw", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def f16(client: TestClient, url: str, **params: object) -> tuple[np.ndarray, dict[str, str]]:
    response = client.get(url, params={**params, "format": "f16"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    shape = tuple(int(n) for n in response.headers["x-shape"].split(","))
    return np.frombuffer(response.content, dtype="<f2").reshape(shape), dict(response.headers)


@pytest.mark.parametrize("model", MODELS)
def test_default_is_the_last_layer_fused_first_method(
    client: TestClient, api: Api, stored: dict[str, VitAttrs], model: str
) -> None:
    attrs = stored[model]
    body = raw(client, "img_1", model=model)
    method = attrs.methods[0]
    assert (body["method"], body["head"], body["fusion"]) == (method, None, "mean")
    assert body["layer"] == attrs.method_layers(method) - 1
    assert body["weights"] == attrs.weights and body["normalize"] == "none"
    assert body["shape"] == list(attrs.grid) and body["image_id"] == "img_1" and body["model"] == model
    expected = stored_chunk(api, model, f"{method}/fused", "img_1")[body["layer"]]
    assert np.array_equal(np.array(body["data"], dtype=np.float16).reshape(attrs.grid), expected)
    assert np.float16(body["min"]) == expected.min() and np.float16(body["max"]) == expected.max()


def test_head_and_layer_select_the_stored_head_map(client: TestClient, api: Api) -> None:
    heads = stored_chunk(api, "dinov2", "cls/heads", "sub__nested_5")
    for layer in range(3):
        for head in range(2):
            body = raw(client, "sub__nested_5", model="dinov2", method="cls", layer=layer, head=head)
            assert (body["layer"], body["head"], body["fusion"]) == (layer, head, None)
            assert np.array_equal(np.array(body["data"], np.float16).reshape(6, 6), heads[layer, head])


@pytest.mark.parametrize("fusion", ["max", "min"])
def test_max_and_min_fuse_the_per_head_maps(client: TestClient, api: Api, fusion: str) -> None:
    heads = stored_chunk(api, "siglip", "mean/heads", "img_2")
    body = raw(client, "img_2", model="siglip", method="mean", layer=1, fusion=fusion)
    expected = heads[1].max(axis=0) if fusion == "max" else heads[1].min(axis=0)
    assert body["fusion"] == fusion
    assert np.array_equal(np.array(body["data"], np.float16).reshape(6, 6), expected)


def test_stored_fused_mean_agrees_with_the_mean_of_the_heads(client: TestClient, api: Api) -> None:
    heads = stored_chunk(api, "clip", "cls/heads", "img_3")
    body = raw(client, "img_3", model="clip", method="cls", layer=0)
    fused = np.array(body["data"], np.float32).reshape(6, 6)
    np.testing.assert_allclose(fused, heads[0].astype(np.float32).mean(axis=0), rtol=2e-3, atol=1e-4)


def test_raw_values_are_probabilities_and_minmax_is_opt_in(client: TestClient) -> None:
    body = raw(client, "img_0", model="dinov2", method="cls", layer=2, head=0)
    data = np.array(body["data"])
    assert 0 < data.sum() <= 1.0 + 1e-2 and data.max() < 1
    scaled = raw(client, "img_0", model="dinov2", method="cls", layer=2, head=0, normalize="minmax")
    assert scaled["normalize"] == "minmax" and min(scaled["data"]) == 0.0 and max(scaled["data"]) == 1.0
    assert (scaled["min"], scaled["max"]) == (body["min"], body["max"])  # the stored range, for undoing it


@pytest.mark.parametrize(
    "params",
    [
        {"model": "dinov2"},
        {"model": "dinov3", "method": "mean", "layer": 0, "head": 1},
        {"model": "siglip", "method": "pool", "fusion": "max"},
        {"model": "mae", "method": "rollout", "layer": 1},
        {"model": "clip", "normalize": "minmax"},
    ],
)
def test_json_and_f16_bodies_agree(client: TestClient, params: dict) -> None:
    body = raw(client, "img_4", **params)
    values, headers = f16(client, "/attention/img_4/raw", **params)
    assert list(values.shape) == body["shape"]
    assert np.array_equal(values.ravel(), np.array(body["data"], dtype=np.float16))
    assert headers["x-weights"] == body["weights"] and headers["x-dtype"] == "float16"
    assert (float(headers["x-min"]), float(headers["x-max"])) == (body["min"], body["max"])


def test_pool_has_a_single_layer(client: TestClient) -> None:
    assert raw(client, "img_0", model="siglip2", method="pool")["layer"] == 0
    response = client.get("/attention/img_0/raw", params={"model": "siglip2", "method": "pool", "layer": 1})
    assert response.status_code == 400 and response.json()["allowed"] == {"min": 0, "max": 0}


@pytest.mark.parametrize(
    ("params", "status", "parameter", "allowed"),
    [
        ({"model": "dinov2", "layer": 3}, 400, "layer", {"min": 0, "max": 2}),
        ({"model": "siglip", "method": "mean", "layer": 99}, 400, "layer", {"min": 0, "max": 2}),
        ({"model": "dinov2", "head": 2}, 400, "head", {"min": 0, "max": 1}),
        ({"model": "siglip", "method": "mean", "head": 4}, 400, "head", {"min": 0, "max": 3}),
        ({"model": "siglip", "method": "cls"}, 400, "method", ["mean", "rollout", "pool"]),
        ({"model": "dinov2", "method": "pool"}, 400, "method", ["cls", "mean", "rollout"]),
        ({"model": "dinov2", "method": "rollout", "head": 0}, 400, "head", ["cls", "mean"]),
        ({"model": "dinov2", "method": "rollout", "fusion": "max"}, 400, "fusion", ["cls", "mean"]),
        ({"model": "dinov2", "head": 0, "fusion": "max"}, 400, "fusion", ["mean"]),
        ({"model": "dinov2", "method": "text"}, 400, "method", ["cls", "mean", "rollout"]),  # VLMs only
        ({"model": "dinov2", "method": "prefix"}, 422, "method", None),
        ({"model": "dinov2", "layer": -1}, 422, "layer", None),
        ({"model": "dinov2", "head": "one"}, 422, "head", None),
        ({"model": "dinov2", "fusion": "median"}, 422, "fusion", None),
        ({"model": "dinov2", "format": "npy"}, 422, "format", None),
        ({"model": "dinov2", "normalize": "zscore"}, 422, "normalize", None),
        ({}, 422, "model", None),
        ({"model": "gpt5"}, 404, "model", list(MODELS)),
    ],
)
def test_bad_parameters_say_what_is_allowed(
    client: TestClient, params: dict, status: int, parameter: str, allowed: object
) -> None:
    response = client.get("/attention/img_0/raw", params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["parameter"] == parameter and body["message"]
    if allowed is not None:
        assert body["allowed"] == allowed
    if status == 422:  # pydantic's message names the allowed values or bounds
        assert body["detail"][0]["loc"] == ["query", parameter]


def test_unknown_image_is_404_and_unusable_image_is_422(client: TestClient) -> None:
    response = client.get("/attention/nope/raw", params={"model": "dinov2"})
    assert response.status_code == 404 and "nope" in response.json()["message"]
    for image_id in BAD_IDS:
        response = client.get(f"/attention/{image_id}/raw", params={"model": "dinov2"})
        assert response.status_code == 422 and "could not use it" in response.json()["message"]


def test_image_not_precomputed_for_the_model_is_409(client: TestClient) -> None:
    response = client.get("/attention/dotdot/raw", params={"model": "dinov2"})
    assert response.status_code == 409
    assert "not precomputed yet for dinov2" in response.json()["message"]


def test_heads_returns_every_head_of_a_layer(client: TestClient, api: Api) -> None:
    heads = stored_chunk(api, "siglip", "pool/heads", "img_1")
    response = client.get("/attention/img_1/heads", params={"model": "siglip", "method": "pool"})
    assert response.status_code == 200
    body = response.json()
    assert body["shape"] == [4, 6, 6] and body["layer"] == 0 and body["method"] == "pool"
    assert np.array_equal(np.array(body["data"], np.float16).reshape(4, 6, 6), heads[0])
    assert np.array_equal(np.array(body["head_max"], np.float16), heads[0].max(axis=(1, 2)))
    assert np.float16(body["min"]) == heads[0].min()
    values, headers = f16(client, "/attention/img_1/heads", model="siglip", method="pool")
    assert np.array_equal(values, heads[0]) and headers["x-shape"] == "4,6,6"


def test_heads_default_method_and_layer(client: TestClient) -> None:
    body = client.get("/attention/img_1/heads", params={"model": "mae"}).json()
    assert (body["method"], body["layer"], body["shape"]) == ("cls", 2, [2, 6, 6])
    scaled = client.get("/attention/img_1/heads", params={"model": "mae", "normalize": "minmax"}).json()
    assert min(scaled["data"]) == 0.0 and max(scaled["data"]) == 1.0


@pytest.mark.parametrize(
    ("params", "status", "parameter"),
    [
        ({"model": "dinov2", "method": "rollout"}, 400, "method"),
        ({"model": "dinov2", "layer": 5}, 400, "layer"),
        ({"model": "siglip", "method": "cls"}, 400, "method"),
        ({"model": "dinov2", "layer": "last"}, 422, "layer"),
    ],
)
def test_heads_errors(client: TestClient, params: dict, status: int, parameter: str) -> None:
    response = client.get("/attention/img_0/heads", params=params)
    assert response.status_code == status and response.json()["parameter"] == parameter


def test_prefix_shares_name_their_tokens(client: TestClient, api: Api) -> None:
    shares = stored_chunk(api, "dinov2", "prefix/heads", "img_0")
    body = client.get("/attention/img_0/prefix", params={"model": "dinov2"}).json()
    assert body["tokens"] == ["cls", "reg0", "reg1", "reg2", "reg3"] and body["query"] == "cls"
    assert body["shape"] == [3, 2, 5]
    assert np.array_equal(np.array(body["data"], np.float16).reshape(3, 2, 5), shares)
    assert client.get("/attention/img_0/prefix", params={"model": "clip"}).json()["tokens"] == ["cls"]


def test_prefix_of_a_model_without_prefix_tokens_is_400(client: TestClient) -> None:
    response = client.get("/attention/img_0/prefix", params={"model": "siglip"})
    assert response.status_code == 400 and "no prefix tokens" in response.json()["message"]


@pytest.mark.parametrize("image_id", GOOD_IDS)
def test_every_good_image_serves_every_model(client: TestClient, image_id: str) -> None:
    for model in MODELS:
        response = client.get(f"/attention/{image_id}/raw", params={"model": model, "format": "f16"})
        assert response.status_code == 200 and len(response.content) == 6 * 6 * 2
