"""/models and /models/{model}."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.app.conftest import VLM, Api, VlmApi


def test_lists_every_model_with_its_layout(client: TestClient, api: Api) -> None:
    response = client.get("/models")
    assert response.status_code == 200
    models = {m["key"]: m for m in response.json()["models"]}
    assert set(models) == {"clip", "dinov2", "dinov3", "mae", "siglip", "siglip2"}
    dinov2 = models["dinov2"]
    assert dinov2["grid"] == [6, 6] and dinov2["layers"] == 3 and dinov2["heads"] == 2
    assert dinov2["methods"] == ["cls", "mean", "rollout"]
    assert dinov2["per_head_methods"] == ["cls", "mean"]
    assert dinov2["has_cls"] and dinov2["registers"] == 4
    assert dinov2["prefix_tokens"] == ["cls", "reg0", "reg1", "reg2", "reg3"]
    assert dinov2["weights"] in ("pretrained", "random")
    assert dinov2["checkpoint"] == str(api.data.checkpoints["dinov2"])
    siglip = models["siglip"]
    assert siglip["methods"] == ["mean", "rollout", "pool"] and not siglip["has_cls"]
    assert siglip["heads"] == 4 and siglip["registers"] == 0
    assert siglip["method_layers"] == {"mean": 3, "rollout": 3, "pool": 1}
    assert models["mae"]["registers"] == 0 and models["mae"]["prefix_tokens"] == ["cls"]


def test_one_model(client: TestClient) -> None:
    response = client.get("/models/siglip2")
    assert response.status_code == 200
    assert response.json()["key"] == "siglip2"
    assert "etag" in response.headers


def test_unknown_model_is_404_listing_the_available_ones(client: TestClient) -> None:
    response = client.get("/models/gpt5")
    assert response.status_code == 404
    body = response.json()
    assert "gpt5" in body["message"] and "dinov2" in body["message"]
    assert body["allowed"] == ["clip", "dinov2", "dinov3", "mae", "siglip", "siglip2"]


def test_vits_say_their_kind_and_heads_per_method(client: TestClient, api: Api) -> None:
    models = {m["key"]: m for m in client.get("/models").json()["models"]}
    for info in models.values():
        assert info["kind"] == "vit" and info["prompts"] == []
        assert info["method_heads"] == {method: info["heads"] for method in info["methods"]}
        assert info["merge"] is None and info["max_pixels"] is None and info["max_new_tokens"] is None
        assert info["image_size"] == api.data.image_size


def test_a_vlm_has_no_fixed_grid_and_lists_its_prompts(vlm_client: TestClient, vlm_api: VlmApi) -> None:
    models = {m["key"]: m for m in vlm_client.get("/models").json()["models"]}
    assert set(models) == {"clip", "dinov2", "dinov3", "mae", "siglip", "siglip2", VLM}
    vlm = models[VLM]
    assert vlm == vlm_client.get(f"/models/{VLM}").json()
    attrs = vlm_api.fixture.attrs
    assert (vlm["kind"], vlm["grid"], vlm["image_size"]) == ("vlm", None, None)
    assert vlm["methods"] == ["text", "mean", "rollout"] and vlm["per_head_methods"] == ["text", "mean"]
    assert vlm["method_layers"] == {"text": 3, "mean": 2, "rollout": 2}
    assert vlm["method_heads"] == {"text": 2, "mean": 3, "rollout": 3}
    assert (vlm["layers"], vlm["heads"], vlm["patch"], vlm["merge"]) == (3, 2, 14, 2)
    assert vlm["prompts"] == ["Describe this image.", "Where is the flag?"]
    assert (vlm["max_pixels"], vlm["min_pixels"], vlm["max_new_tokens"]) == (
        attrs.max_pixels,
        attrs.min_pixels,
        attrs.max_new_tokens,
    )
    assert (vlm["has_cls"], vlm["has_pool"], vlm["registers"], vlm["prefix_tokens"]) == (False, False, 0, [])
    assert (vlm["weights"], vlm["checkpoint"], vlm["per_head"]) == ("random", attrs.checkpoint, True)
    assert models["dinov2"]["kind"] == "vit" and models["dinov2"]["grid"] == [6, 6]


def test_models_come_in_the_registry_order(client: TestClient, vlm_client: TestClient) -> None:
    """The web app's default model is /models' first: the registry's first (dinov2), not clip."""
    from app.backend.routers.models import REGISTRY_ORDER
    from ssl_attention.models.registry import REGISTRY

    assert tuple(REGISTRY) == REGISTRY_ORDER, "the API's copy of the registry order is out of date"
    keys = [m["key"] for m in client.get("/models").json()["models"]]
    assert keys == ["dinov2", "dinov3", "mae", "clip", "siglip", "siglip2"]
    vlm_keys = [m["key"] for m in vlm_client.get("/models").json()["models"]]
    assert vlm_keys[0] == "dinov2" and vlm_keys[-1] == VLM
