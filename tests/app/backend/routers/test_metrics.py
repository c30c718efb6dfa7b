"""`/metrics/...` over the tiny store scored against the test boxes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.backend.main import create_app
from ssl_attention.metrics.compute import MetricSettings, compute_metrics, score_maps
from ssl_attention.metrics.frame import Frame, Region
from ssl_attention.store.catalog import CatalogWriter
from tests.app.conftest import VLM, Api, VlmApi, copy_sqlite


@pytest.fixture(scope="module")
def scored(api: Api, tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, CatalogWriter]:
    root = tmp_path_factory.mktemp("metrics")
    db = copy_sqlite(api.settings.db, root / "catalog.db")
    catalog = CatalogWriter.open(db)  # migrates to the newest schema
    report = compute_metrics(api.settings.store, catalog)
    assert report.pairs_scored == 2 * 7  # img_0 and sub__nested_5 × (6 models + baselines)
    return TestClient(create_app(replace(api.settings, db=db))), catalog


@pytest.fixture(scope="module")
def unscored(api: Api, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = copy_sqlite(api.settings.db, tmp_path_factory.mktemp("unscored") / "catalog.db")
    CatalogWriter.open(db).close()
    return TestClient(create_app(replace(api.settings, db=db)))


def test_leaderboard_ranks_each_models_last_layer_with_baselines(
    scored: tuple[TestClient, CatalogWriter],
) -> None:
    client, catalog = scored
    response = client.get("/metrics/leaderboard", params={"metric": "energy", "method": "mean"})
    assert response.status_code == 200 and response.headers["etag"]
    body = response.json()
    assert body["metric"] == "energy" and "iou_top25" in body["metrics"]
    assert [row["model"] for row in body["rows"]] == sorted(
        (row["model"] for row in body["rows"]),
        key=lambda m: -next(r["mean"] for r in body["rows"] if r["model"] == m),
    )
    assert {row["model"] for row in body["rows"]} == {"dinov2", "dinov3", "mae", "clip", "siglip", "siglip2"}
    assert all(row["layer"] == 2 and row["head"] is None and row["count"] == 2 for row in body["rows"])
    assert {b["method"] for b in body["baselines"]} == {"centre", "random"}
    clip = next(row for row in body["rows"] if row["model"] == "clip")
    values = [
        v.value
        for v in catalog.metric_values(model="clip", metric="energy")
        if (v.method, v.layer, v.head) == ("mean", 2, -1)
    ]
    assert clip["mean"] == pytest.approx(np.mean(values))
    assert clip["ci_low"] <= clip["mean"] <= clip["ci_high"]


def test_leaderboard_filters_by_label_and_layer(scored: tuple[TestClient, CatalogWriter]) -> None:
    client, _ = scored
    body = client.get("/metrics/leaderboard", params={"metric": "energy", "label": "cat", "layer": 0}).json()
    assert body["label"] == "cat" and body["rows"]
    assert all(row["count"] == 1 and row["layer"] == 0 for row in body["rows"])  # only img_0 has a cat


def test_layer_progression_and_head_ranking(scored: tuple[TestClient, CatalogWriter]) -> None:
    client, _ = scored
    layers = client.get(
        "/metrics/model/dinov2/layers", params={"metric": "iou_top25", "method": "cls"}
    ).json()
    assert [row["layer"] for row in layers["layers"]] == [0, 1, 2]
    heads = client.get("/metrics/model/dinov2/heads", params={"metric": "iou_top25", "method": "cls"}).json()
    assert len(heads["heads"]) == 3 * 2  # layers × heads
    means = [row["mean"] for row in heads["heads"]]
    assert means == sorted(means, reverse=True) and all(row["head"] is not None for row in heads["heads"])


def test_image_metrics_fused_by_default(scored: tuple[TestClient, CatalogWriter]) -> None:
    client, _ = scored
    fused = client.get("/metrics/img_0").json()["values"]
    assert fused and all(v["head"] is None for v in fused)
    everything = client.get("/metrics/img_0", params={"heads": "true"}).json()["values"]
    assert len(everything) > len(fused)
    assert client.get("/metrics/img_1").json()["values"] == []  # no boxes, no metrics


@pytest.mark.parametrize(
    ("path", "params", "status", "parameter"),
    [
        ("/metrics/leaderboard", {"metric": "nope"}, 400, "metric"),
        ("/metrics/model/siglip/layers", {"method": "cls"}, 400, "method"),
        ("/metrics/model/nope/layers", {}, 404, "model"),
        ("/metrics/nope", {}, 404, None),
        ("/metrics/leaderboard", {"layer": -1}, 422, None),
    ],
)
def test_errors_say_what_is_allowed(
    scored: tuple[TestClient, CatalogWriter],
    path: str,
    params: dict[str, object],
    status: int,
    parameter: str | None,
) -> None:
    client, _ = scored
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    if parameter is not None:
        assert response.json()["parameter"] == parameter and response.json()["allowed"]


def test_without_metrics_the_answer_says_what_to_run(unscored: TestClient) -> None:
    body = unscored.get("/metrics/leaderboard").json()
    assert body["rows"] == [] and "precompute --metrics" in body["hint"]
    assert unscored.get("/metrics/model/clip/layers").json()["hint"]


def test_schema_is_listed(scored: tuple[TestClient, CatalogWriter], tmp_path: Path) -> None:
    client, _ = scored
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/metrics/leaderboard",
        "/metrics/model/{model}/layers",
        "/metrics/model/{model}/heads",
        "/metrics/{image_id}",
    } <= set(paths)


def test_images_ranked_by_one_maps_score(scored: tuple[TestClient, CatalogWriter]) -> None:
    client, catalog = scored
    body = client.get(
        "/metrics/model/clip/images", params={"metric": "energy", "method": "cls", "head": 1}
    ).json()
    assert (body["method"], body["layer"], body["head"]) == ("cls", 2, 1)
    expected = sorted(
        (
            (v.image_id, v.value)
            for v in catalog.metric_values(model="clip", metric="energy")
            if (v.method, v.layer, v.head) == ("cls", 2, 1)
        ),
        key=lambda item: -item[1],
    )
    assert [(i["image_id"], i["value"]) for i in body["images"]] == expected
    assert client.get("/metrics/model/siglip/images").json()["method"] == "mean"  # the model's first method


def test_label_and_model_filters_on_per_model_and_image_endpoints(
    scored: tuple[TestClient, CatalogWriter],
) -> None:
    client, _ = scored
    layers = client.get("/metrics/model/clip/layers", params={"metric": "energy", "label": "cat"}).json()
    assert (
        layers["label"] == "cat" and layers["layers"] and all(row["count"] == 1 for row in layers["layers"])
    )
    ranked = client.get("/metrics/model/clip/images", params={"metric": "energy", "label": "cat"}).json()
    assert [image["image_id"] for image in ranked["images"]] == ["img_0"]  # the only image with a cat
    heads = client.get("/metrics/model/clip/heads", params={"metric": "energy", "label": "cat"})
    assert heads.status_code == 400 and heads.json()["parameter"] == "label"
    values = client.get("/metrics/img_0", params={"model": "clip", "method": "mean"}).json()["values"]
    assert values and {(v["model"], v["method"]) for v in values} == {("clip", "mean")}


def test_vlm_images_are_scored_on_their_own_grids(vlm_api: VlmApi, tmp_path: Path) -> None:
    """Vision mean/rollout on the patch grid, and `text` = the mean map of the first prompt's answer."""
    db = copy_sqlite(vlm_api.settings.db, tmp_path / "catalog.db")
    catalog = CatalogWriter.open(db)
    report = compute_metrics(vlm_api.settings.store, catalog)
    assert report.pairs_scored == 2 * 7 + 1  # the ViTs and the baselines, and the one annotated VLM image
    values = catalog.metric_values(model=VLM, metric="energy")
    attrs, written = vlm_api.fixture.attrs, vlm_api.fixture.images["img_0"]
    keys = {(v.method, v.layer, v.head) for v in values}
    assert keys == {
        *((m, layer, head) for m in ("mean",) for layer in range(attrs.vision_layers) for head in range(-1, attrs.vision_heads)),
        *(("rollout", layer, -1) for layer in range(attrs.vision_layers)),
        *(("text", layer, head) for layer in range(attrs.layers) for head in range(-1, attrs.heads)),
    }  # fmt: skip
    # Independently: the answer's tokens of prompt 0, their mean map, scored on the image's frame.
    tokens = written.prompts[0].tokens
    answer = [i for i, t in enumerate(tokens) if t.role == "answer"]
    mean_map = written.text[0]["text/fused"][answer[0] : answer[-1] + 1].astype(np.float32).mean(axis=0)
    info = catalog.image("img_0")
    assert info is not None and info.width and info.height
    frame = Frame.for_image(info.width, info.height, MetricSettings().frame)
    regions = [Region((a.x0, a.y0, a.x1, a.y1)) for a in catalog.annotations("img_0")]
    expected = score_maps(mean_map, frame, regions, MetricSettings())["energy"]
    got = sorted((v.layer, v.value) for v in values if v.method == "text" and v.head == -1)
    np.testing.assert_allclose([value for _layer, value in got], expected, rtol=1e-6)
    catalog.close()
    with TestClient(create_app(replace(vlm_api.settings, db=db))) as client:
        board = client.get("/metrics/leaderboard", params={"metric": "energy"}).json()
        assert {(row["model"], row["method"]) for row in board["rows"] if row["model"] == VLM} == {
            (VLM, "text"),
            (VLM, "mean"),
            (VLM, "rollout"),
        }
        layers = client.get(
            f"/metrics/model/{VLM}/layers", params={"metric": "energy", "method": "text"}
        ).json()
        assert [row["layer"] for row in layers["layers"]] == list(range(attrs.layers))
        heads = client.get(
            f"/metrics/model/{VLM}/heads", params={"metric": "energy", "method": "mean", "layer": 1}
        ).json()
        assert sorted(row["head"] for row in heads["heads"]) == list(range(attrs.vision_heads))
        assert client.get(f"/metrics/model/{VLM}/layers", params={"method": "cls"}).status_code == 400
        assert {
            v["method"] for v in client.get("/metrics/img_0", params={"model": VLM}).json()["values"]
        } == {"text", "mean", "rollout"}
