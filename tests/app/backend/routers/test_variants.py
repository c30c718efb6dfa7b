"""Named model variants: a group stored under a name (`dinov2-ft`) built like a registry key
(`base_key` dinov2) sits beside its base, and every route treats the name like any model.

The store is a copy of the precomputed one with a synthetic ViT variant of dinov2 and a VLM
with a synthetic variant beside it; expectations come from what the factories wrote.
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
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.layout import VitAttrs
from tests.app.conftest import GOOD_IDS, Api, copy_sqlite
from tests.factories import VitFixture, VlmFixture, write_vit_fixture, write_vlm_fixture

BASE, VARIANT = "dinov2", "dinov2-ft"
VLM_BASE, VLM_VARIANT = "qwen2_5_vl", "qwen.ft_2"
VARIANT_IDS = ("img_0", "img_1", "sub__nested_5")
VARIANT_PENDING = ("img_2",)
VLM_IDS = ("img_0", "img_1")


@dataclass(frozen=True)
class Variants:
    vit: VitFixture
    vlm_base: VlmFixture
    vlm: VlmFixture
    base_attrs: VitAttrs


@pytest.fixture(scope="module")
def variants(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Variants, TestClient]]:
    root = tmp_path_factory.mktemp("variants")
    store = str(root / "attention.zarr")
    shutil.copytree(api.settings.store, store)
    db = copy_sqlite(api.settings.db, root / "catalog.db")
    base_attrs = AttentionStoreReader(store).models()[BASE]
    assert isinstance(base_attrs, VitAttrs)
    attrs = replace(base_attrs, key=VARIANT, base_key=BASE, checkpoint="/checkpoints/dinov2-ft")
    vit = write_vit_fixture(store, db, VARIANT_IDS, attrs, pending=VARIANT_PENDING, seed=7)
    vlm_base = write_vlm_fixture(store, db, VLM_IDS, key=VLM_BASE, seed=1)
    vlm = write_vlm_fixture(store, db, VLM_IDS, key=VLM_VARIANT, base_key=VLM_BASE, seed=2)
    settings = ApiSettings(**{**api.settings.__dict__, "store": store, "db": db})
    with TestClient(create_app(settings)) as client:
        yield Variants(vit, vlm_base, vlm, base_attrs), client


@pytest.fixture(scope="module")
def client(variants: tuple[Variants, TestClient]) -> TestClient:
    return variants[1]


@pytest.fixture(scope="module")
def written(variants: tuple[Variants, TestClient]) -> Variants:
    return variants[0]


def ok(client: TestClient, url: str, **params: object) -> dict:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def as_map(body: dict) -> np.ndarray:
    return np.array(body["data"], dtype=np.float16).reshape(body["shape"])


def test_models_list_the_variant_beside_its_base_with_its_base_key(client: TestClient) -> None:
    models = {m["key"]: m for m in ok(client, "/models")["models"]}
    assert {BASE, VARIANT, VLM_BASE, VLM_VARIANT} <= set(models)
    base, variant = models[BASE], models[VARIANT]
    assert (base["base_key"], variant["base_key"]) == (BASE, BASE)
    assert variant["checkpoint"] == "/checkpoints/dinov2-ft" and base["checkpoint"] != variant["checkpoint"]
    differing = {name for name in base if base[name] != variant[name]}
    assert differing == {"key", "checkpoint"}  # built like its base: the same layout
    assert (models[VLM_VARIANT]["base_key"], models[VLM_VARIANT]["kind"]) == (VLM_BASE, "vlm")
    assert models[VLM_BASE]["base_key"] == VLM_BASE
    assert all(m["base_key"] == m["key"] for key, m in models.items() if key not in (VARIANT, VLM_VARIANT))
    assert ok(client, f"/models/{VARIANT}") == variant
    assert ok(client, f"/models/{VLM_VARIANT}") == models[VLM_VARIANT]


def test_an_unknown_model_lists_the_variants(client: TestClient) -> None:
    body = client.get("/models/dinov2-base").json()
    assert VARIANT in body["allowed"] and VLM_VARIANT in body["allowed"]


@pytest.mark.parametrize(
    ("params", "path", "pick"),
    [
        ({}, "cls/fused", lambda a: a[2]),
        ({"method": "mean", "layer": 0, "head": 1}, "mean/heads", lambda a: a[0, 1]),
        ({"method": "rollout", "layer": 1}, "rollout/fused", lambda a: a[1]),
        ({"method": "cls", "fusion": "max"}, "cls/heads", lambda a: a[2].max(axis=0)),
    ],
)
def test_variant_maps_are_its_own(
    client: TestClient, written: Variants, params: dict, path: str, pick
) -> None:
    for image_id in VARIANT_IDS:
        expected = pick(written.vit.arrays[image_id][path])
        body = ok(client, f"/attention/{image_id}/raw", model=VARIANT, **params)
        assert body["model"] == VARIANT
        assert np.array_equal(as_map(body), expected)
        assert np.float16(body["min"]) == expected.min() and np.float16(body["max"]) == expected.max()
        base = ok(client, f"/attention/{image_id}/raw", model=BASE, **params)
        assert not np.array_equal(as_map(base), expected)  # the base's own maps, not the variant's
        response = client.get(
            f"/attention/{image_id}/raw", params={"model": VARIANT, "format": "f16", **params}
        )
        assert response.content == np.ascontiguousarray(expected, dtype="<f2").tobytes()


def test_every_map_route_answers_the_variant(client: TestClient, written: Variants) -> None:
    arrays = written.vit.arrays["img_1"]
    heads = ok(client, "/attention/img_1/heads", model=VARIANT, layer=1)
    assert np.array_equal(as_map(heads), arrays["cls/heads"][1])
    prefix = ok(client, "/attention/img_1/prefix", model=VARIANT)
    assert prefix["tokens"] == list(written.base_attrs.prefix_tokens)
    assert np.array_equal(
        np.array(prefix["data"], dtype=np.float16).reshape(prefix["shape"]), arrays["prefix/heads"]
    )
    png = client.get("/attention/img_1/heatmap.png", params={"model": VARIANT, "size": 32})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    base_png = client.get("/attention/img_1/heatmap.png", params={"model": BASE, "size": 32})
    assert png.headers["etag"] != base_png.headers["etag"] and png.content != base_png.content
    image = ok(client, "/images/img_1")
    assert {BASE, VARIANT, VLM_BASE, VLM_VARIANT} <= set(image["models"])
    assert VARIANT not in ok(client, f"/images/{GOOD_IDS[3]}")["models"]  # no row: listed for the base only


def test_a_pending_variant_row_is_409_naming_the_variant(client: TestClient) -> None:
    response = client.get(f"/attention/{VARIANT_PENDING[0]}/raw", params={"model": VARIANT})
    assert response.status_code == 409
    assert f"--models {VARIANT}" in response.json()["message"]
    assert client.get(f"/attention/{VARIANT_PENDING[0]}/raw", params={"model": BASE}).status_code == 200


def test_a_vlm_variant_serves_its_own_text_maps_and_tokens(client: TestClient, written: Variants) -> None:
    data, base = written.vlm.images["img_0"], written.vlm_base.images["img_0"]
    tokens = ok(client, "/attention/img_0/tokens", model=VLM_VARIANT)
    assert tokens["model"] == VLM_VARIANT and tokens["grid"] == list(data.sample.grid)
    assert [t["text"] for t in tokens["tokens"]] == [t.text for t in data.prompts[0].tokens]
    expected_mass = data.text[0]["image_mass"].astype(np.float32).mean(axis=2)
    np.testing.assert_allclose(np.array(tokens["image_mass"]), expected_mass, rtol=1e-6)
    body = ok(client, "/attention/img_0/raw", model=VLM_VARIANT, method="text", token=2, layer=1)
    assert np.array_equal(as_map(body), data.text[0]["text/fused"][2, 1])
    assert not np.array_equal(as_map(body), base.text[0]["text/fused"][2, 1])
    vision = ok(client, "/attention/img_0/raw", model=VLM_VARIANT, method="mean", layer=0)
    assert np.array_equal(as_map(vision), data.vision["mean/fused"][0])


def test_text_token_routes_name_the_vlm_variants_when_asked_of_a_vit_variant(client: TestClient) -> None:
    response = client.get("/attention/img_0/tokens", params={"model": VARIANT})
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == "model" and VARIANT in body["message"]
    assert body["allowed"] == sorted([VLM_BASE, VLM_VARIANT])
