"""/models and /models/{model}."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.app.conftest import Api


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
