"""The `cnn` kind end to end: precompute stores Grad-CAM, the API serves it, --metrics scores it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.cli import main
from precompute.runner import RunOptions, run
from ssl_attention.attention.gradcam import GradCam
from ssl_attention.data.gallery import decode
from ssl_attention.models.preprocess import to_pixels
from ssl_attention.models.registry import resolve_keys, resolve_model
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import write_gallery
from tests.tiny_cnn import CNN_IMAGE_SIZE, save_tiny_resnet

BOXES = {
    "images": [{"id": 1, "file_name": "img_0.jpg", "width": 40, "height": 30}],
    "categories": [{"id": 1, "name": "thing"}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 15]}],
}


@dataclass(frozen=True)
class CnnRun:
    root: Path
    options: RunOptions
    checkpoint: Path


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path]) -> CnnRun:
    root = tmp_path_factory.mktemp("cnn")
    write_gallery(root / "images", n_good=3)
    (root / "boxes.json").write_text(json.dumps(BOXES))
    checkpoint = save_tiny_resnet(root / "resnet")
    options = RunOptions(
        models=["mae", "resnet50"],
        images=root / "images",
        store=str(root / "store.zarr"),
        db=f"sqlite:///{root / 'catalog.db'}",
        checkpoints={"resnet50": str(checkpoint), "mae": str(tiny_checkpoints["mae"])},
        image_size=CNN_IMAGE_SIZE,
        batch_size=2,
        device="cpu",
        metrics=True,
        annotations=root / "boxes.json",
    )
    report = run(options)
    assert [m.done for m in report.models] == [3, 3]
    return CnnRun(root, options, checkpoint)


def row_of(run_: CnnRun, image_id: str) -> int:
    catalog = CatalogWriter.open(run_.options.db)
    row = catalog.row_of(image_id, "resnet50")
    catalog.close()
    assert row is not None
    return row


def test_the_cnn_selector_and_all_include_resnet50() -> None:
    assert resolve_keys("cnn") == ["resnet50"]
    assert "resnet50" in resolve_keys("all")
    resolved = resolve_model("resnet50", weights="random")  # offline, from the shipped config
    assert resolved.config.num_labels == 1000 and resolved.spec.kind == "cnn"


def test_stored_maps_are_gradcam_of_each_images_top_class(cnn_run: CnnRun) -> None:
    reader = AttentionStoreReader(cnn_run.options.store)
    attrs = reader.models()["resnet50"]
    assert (attrs.kind, attrs.methods, attrs.layers, attrs.heads, attrs.grid) == (
        "cnn",
        ("gradcam",),
        1,
        0,
        (2, 2),
    )
    model = resolve_model("resnet50", str(cnn_run.checkpoint))
    adapter = model.load()
    for image_id, name in (("img_0", "img_0.jpg"), ("img_1", "img_1.png")):
        image = decode(cnn_run.options.images / name)
        pixels = torch.from_numpy(to_pixels(image.image, CNN_IMAGE_SIZE, model.normalization))[None]
        expected, _ = GradCam(adapter)(pixels)  # type: ignore[arg-type]
        stored = reader.read_row("resnet50", "gradcam/fused", row_of(cnn_run, image_id))
        assert stored.shape == (1, 2, 2)
        np.testing.assert_allclose(stored[0], expected[0].numpy(), rtol=2e-3, atol=1e-4)


def test_a_second_run_has_nothing_to_do_and_a_new_class_needs_force(cnn_run: CnnRun) -> None:
    again = run(cnn_run.options)
    assert all(m.done == 0 for m in again.models)
    with pytest.raises(Exception, match="target_class"):
        run(RunOptions(**{**cnn_run.options.__dict__, "target_class": 2, "models": ["resnet50"]}))


def test_metrics_score_gradcam_beside_the_vit(cnn_run: CnnRun) -> None:
    catalog = CatalogWriter.open(cnn_run.options.db)
    values = catalog.metric_values(model="resnet50", metric="energy")
    assert {(v.image_id, v.method, v.layer, v.head) for v in values} == {("img_0", "gradcam", 0, -1)}
    assert catalog.metric_values(model="mae", metric="energy")
    catalog.close()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--target-class", "5"], "--target-class 5 is outside resnet50's classes; use 0 to 4"),
        (["--target-class", "-1"], "--target-class takes a class index of 0 or more"),
        (["--image-size", "16"], "must be at least 32 pixels"),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    cnn_run: CnnRun, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    code = main([
        "--models", "resnet50", "--checkpoint", f"resnet50={cnn_run.checkpoint}", "--device", "cpu", "--quiet",
        "--images", str(cnn_run.options.images), "--store", str(tmp_path / "s.zarr"),
        "--db", f"sqlite:///{tmp_path / 'c.db'}", *flags,
    ])  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s.zarr").exists()


@pytest.fixture(scope="module")
def client(cnn_run: CnnRun) -> Iterator[TestClient]:
    settings = ApiSettings(
        images=cnn_run.options.images,
        store=cnn_run.options.store,
        db=cnn_run.options.db,
        frontend_dist=cnn_run.root / "no-frontend",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_models_says_a_cnn_has_one_layer_and_no_heads(client: TestClient) -> None:
    models = client.get("/models").json()["models"]
    assert [m["key"] for m in models] == ["mae", "resnet50"]
    cnn = models[1]
    assert cnn["kind"] == "cnn" and cnn["family"] == "resnet"
    assert (cnn["layers"], cnn["heads"], cnn["methods"], cnn["per_head_methods"]) == (1, 0, ["gradcam"], [])
    assert cnn["method_layers"] == {"gradcam": 1} and cnn["method_heads"] == {"gradcam": 0}
    assert cnn["grid"] == [2, 2] and cnn["prefix_tokens"] == [] and cnn["patch"] == 32


def test_the_map_is_served_like_a_fused_map(client: TestClient, cnn_run: CnnRun) -> None:
    body = client.get("/attention/img_1/raw", params={"model": "resnet50"}).json()
    assert (body["method"], body["layer"], body["head"]) == ("gradcam", 0, None)
    stored = AttentionStoreReader(cnn_run.options.store).read_row(
        "resnet50", "gradcam/fused", row_of(cnn_run, "img_1")
    )
    assert np.array_equal(np.array(body["data"], dtype=np.float16).reshape(2, 2), stored[0])
    png = client.get("/attention/img_1/heatmap.png", params={"model": "resnet50"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/attention/img_1/raw", {"model": "resnet50", "layer": 1}),
        ("/attention/img_1/raw", {"model": "resnet50", "head": 0}),
        ("/attention/img_1/raw", {"model": "resnet50", "method": "cls"}),
        ("/attention/img_1/heads", {"model": "resnet50"}),
        ("/attention/img_1/prefix", {"model": "resnet50"}),
    ],
)
def test_layers_heads_and_prefix_are_refused_with_a_message(
    client: TestClient, url: str, params: dict
) -> None:
    response = client.get(url, params=params)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


def test_the_dashboard_leaderboard_ranks_gradcam_beside_the_vit(client: TestClient) -> None:
    body = client.get("/metrics/leaderboard", params={"metric": "energy"}).json()
    rows = {(row["model"], row["method"], row["layer"]) for row in body["rows"]}
    assert ("resnet50", "gradcam", 0) in rows and ("mae", "mean", 2) in rows
    layers = client.get("/metrics/model/resnet50/layers", params={"metric": "energy"}).json()
    assert [(r["method"], r["layer"]) for r in layers["layers"]] == [("gradcam", 0)]
