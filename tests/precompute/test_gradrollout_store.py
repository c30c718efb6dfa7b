"""gradrollout end to end: precompute stores it per target (CLIP with --target-text, a ViT with a
head), each stored map equals an eager reference (transformers' eager attention with
`output_attentions` and `retain_grad`), the API serves the stored bytes, --metrics scores it, a
target added later leaves the others' bytes alone, and a model without a target is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers as T
import zarr
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.cli import main
from precompute.runner import RunOptions, run
from ssl_attention.attention.targets import class_score, text_embedding, text_similarity, top_classes
from ssl_attention.data.gallery import decode
from ssl_attention.models.dual_encoder import full_config, stand_in_ids
from ssl_attention.models.preprocess import to_pixels
from ssl_attention.models.registry import resolve_model
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import write_gallery
from tests.ssl_attention.attention.test_gradrollout import reference_rollout
from tests.tiny_gradients import save_tiny_clip, save_tiny_vit_classifier

SIZE = 16
CAT, DOG = "a photo of a cat", "a dog"
BOXES = {
    "images": [{"id": 1, "file_name": "img_0.jpg", "width": 40, "height": 30}],
    "categories": [{"id": 1, "name": "thing"}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 15]}],
}


@dataclass(frozen=True)
class GradRun:
    root: Path
    options: RunOptions
    notes: list[str]


@pytest.fixture(scope="module")
def grad_run(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path]) -> GradRun:
    root = tmp_path_factory.mktemp("gradrollout")
    write_gallery(root / "images", n_good=3)
    (root / "boxes.json").write_text(json.dumps(BOXES))
    options = RunOptions(
        models=["mae", "clip", "vit_in1k"],
        images=root / "images",
        store=str(root / "store.zarr"),
        db=f"sqlite:///{root / 'catalog.db'}",
        checkpoints={
            "mae": str(tiny_checkpoints["mae"]),
            "clip": str(save_tiny_clip(root / "clip")),
            "vit_in1k": str(save_tiny_vit_classifier(root / "vit")),
        },
        image_size=SIZE,
        batch_size=2,
        device="cpu",
        metrics=True,
        annotations=root / "boxes.json",
        target_texts=(CAT,),
    )
    report = run(options)
    assert [(m.key, m.done) for m in report.models] == [("mae", 3), ("clip", 3), ("vit_in1k", 3)]
    return GradRun(root, options, report.notes)


def pixels_of(run_: GradRun, image_id: str) -> torch.Tensor:
    path = next(p for p in Path(run_.options.images).rglob("*") if p.stem == image_id.split("__")[-1])
    image = decode(path, within=Path(run_.options.images)).image
    normalization = resolve_model("clip", run_.options.checkpoints["clip"]).normalization
    return torch.from_numpy(to_pixels(image, SIZE, normalization))[None]


def stored(run_: GradRun, model: str, path: str, image_id: str) -> np.ndarray:
    catalog = CatalogWriter.open(run_.options.db)
    row = catalog.row_of(image_id, model)
    catalog.close()
    assert row is not None
    return zarr.open_group(run_.options.store, mode="r")[model][path][row]


def eager_attentions(output: object) -> tuple[torch.Tensor, ...]:
    attentions = output.attentions  # type: ignore[attr-defined]
    for attention in attentions:
        attention.retain_grad()
    return attentions


def test_clip_with_a_target_text_stores_the_eager_reference(grad_run: GradRun) -> None:
    folder = grad_run.options.checkpoints["clip"]
    eager = T.CLIPModel.from_pretrained(folder, attn_implementation="eager").eval()
    ids = T.AutoTokenizer.from_pretrained(folder)(CAT, return_tensors="pt")["input_ids"]
    assert ids[0, 0] == 0 and ids[0, -1] == 98 and ids.shape[1] == 7  # <bos> a photo of a cat <eos>
    with torch.no_grad():
        text = text_embedding(eager, ids)[0]
    for image_id in ("img_0", "img_1"):
        out = eager.vision_model(pixel_values=pixels_of(grad_run, image_id), output_attentions=True)
        attentions = eager_attentions(out)
        text_similarity(eager.visual_projection(out.pooler_output), text).sum().backward()
        expected = reference_rollout(attentions, has_cls=True).reshape(1, 4, 4)
        got = stored(grad_run, "clip", "gradrollout/0/fused", image_id).astype(np.float32)
        np.testing.assert_allclose(got, expected.detach().numpy(), rtol=2e-3, atol=1e-6)
        assert got.std() > 0  # not a flat map


def test_the_vit_with_a_head_stores_the_eager_reference_of_its_top_class(grad_run: GradRun) -> None:
    eager = T.ViTForImageClassification.from_pretrained(
        grad_run.options.checkpoints["vit_in1k"], attn_implementation="eager"
    ).eval()
    out = eager(pixel_values=pixels_of(grad_run, "img_1"), output_attentions=True)
    attentions = eager_attentions(out)
    class_score(out.logits, top_classes(out.logits, None)).sum().backward()
    expected = reference_rollout(attentions, has_cls=True).reshape(1, 4, 4)
    got = stored(grad_run, "vit_in1k", "gradrollout/0/fused", "img_1").astype(np.float32)
    np.testing.assert_allclose(got, expected.detach().numpy(), rtol=2e-3, atol=1e-6)


def test_the_group_records_its_targets_and_the_headless_model_gets_a_note(grad_run: GradRun) -> None:
    root = zarr.open_group(grad_run.options.store, mode="r")
    assert root["clip"].attrs["targets"] == [CAT]
    assert root["vit_in1k"].attrs["targets"] == ["class:top"]
    assert "gradrollout" in root["clip"].attrs["methods"] and "targets" in root["mae"].attrs
    assert root["mae"].attrs["targets"] == [] and "gradrollout" not in root["mae"].attrs["methods"]
    assert any(note.startswith("mae: no gradrollout") for note in grad_run.notes), grad_run.notes


def test_metrics_score_gradrollout_like_any_method(grad_run: GradRun) -> None:
    catalog = CatalogWriter.open(grad_run.options.db)
    try:
        values = catalog.metric_values(image_id="img_0")
    finally:
        catalog.close()
    scored = {(v.model, v.method, v.layer) for v in values}
    assert ("clip", "gradrollout", 0) in scored and ("vit_in1k", "gradrollout", 0) in scored


@pytest.fixture(scope="module")
def client(grad_run: GradRun) -> Iterator[TestClient]:
    settings = ApiSettings(
        images=grad_run.options.images,
        store=grad_run.options.store,
        db=grad_run.options.db,
        frontend_dist=grad_run.root / "no-frontend",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_api_serves_the_stored_bytes_and_lists_the_targets(grad_run: GradRun, client: TestClient) -> None:
    models = {m["key"]: m for m in client.get("/models").json()["models"]}
    assert models["clip"]["prompts"] == [CAT] and models["vit_in1k"]["prompts"] == ["class:top"]
    assert (
        models["clip"]["methods"][-1] == "gradrollout" and models["clip"]["method_layers"]["gradrollout"] == 1
    )
    for model in ("clip", "vit_in1k"):
        params = {"model": model, "method": "gradrollout", "format": "f16", "normalize": "none"}
        response = client.get("/attention/img_1/raw", params=params)
        assert response.status_code == 200, response.text
        assert (
            response.content
            == stored(grad_run, model, "gradrollout/0/fused", "img_1")[0].astype("<f2").tobytes()
        )
    body = client.get(
        "/attention/img_1/raw", params={"model": "clip", "method": "gradrollout", "prompt": 0}
    ).json()
    assert body["prompt"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"model": "clip", "method": "gradrollout", "prompt": 3},
        {"model": "clip", "method": "gradrollout", "token": "0"},
        {"model": "clip", "method": "gradrollout", "head": 0},
        {"model": "clip", "method": "gradrollout", "layer": 1},
        {"model": "mae", "method": "gradrollout"},
    ],
)
def test_bad_gradrollout_requests_are_refused_with_what_is_allowed(client: TestClient, params: dict) -> None:
    response = client.get("/attention/img_1/raw", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_a_target_added_later_adds_only_its_maps(grad_run: GradRun) -> None:
    """Runs last in this module: it extends the shared store."""
    group = zarr.open_group(grad_run.options.store, mode="r")
    before = {m: group[m]["gradrollout/0/fused"][:].tobytes() for m in ("clip", "vit_in1k")}
    plain = group["clip"]["cls/fused"][:].tobytes()
    extended = replace(grad_run.options, target_texts=(CAT, DOG), metrics=False)
    report = run(extended)
    assert [(m.key, m.done) for m in report.models] == [("mae", 0), ("clip", 3), ("vit_in1k", 0)]
    group = zarr.open_group(grad_run.options.store, mode="r")
    assert group["clip"].attrs["targets"] == [CAT, DOG]
    assert all(group[m]["gradrollout/0/fused"][:].tobytes() == before[m] for m in before)
    assert group["clip"]["cls/fused"][:].tobytes() == plain
    assert stored(grad_run, "clip", "gradrollout/1/fused", "img_0").std() > 0
    assert [m.done for m in run(extended).models] == [0, 0, 0]  # nothing left: a rerun is a no-op

    # A lost chunk of one finished (image, target) pair: only that pair is recomputed, byte for byte.
    kept = stored(grad_run, "clip", "gradrollout/1/fused", "img_0").tobytes()
    catalog = CatalogWriter.open(grad_run.options.db)
    row = catalog.row_of("img_0", "clip")
    catalog.close()
    chunk = (
        Path(grad_run.options.store)
        / "clip"
        / "gradrollout"
        / "1"
        / "fused"
        / "c"
        / str(row)
        / "0"
        / "0"
        / "0"
    )
    assert chunk.is_file()
    chunk.unlink()
    assert [m.done for m in run(extended).models] == [0, 1, 0]
    assert stored(grad_run, "clip", "gradrollout/1/fused", "img_0").tobytes() == kept


def test_a_model_without_a_target_is_refused(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    args = [
        "--models",
        "mae",
        "--checkpoint",
        f"mae={tiny_checkpoints['mae']}",
        "--images",
        str(tmp_path / "images"),
    ]
    args += [
        "--store",
        str(tmp_path / "s.zarr"),
        "--db",
        f"sqlite:///{tmp_path / 'c.db'}",
        "--image-size",
        "16",
    ]
    assert main([*args, "--target-text", CAT]) == 2
    message = capsys.readouterr().err
    assert "--target-text asks for gradrollout" in message and "mae has no text tower" in message
    assert "vit_in1k" in message
    assert not (tmp_path / "s.zarr").exists()


def test_random_clip_weights_get_a_default_text_tower_and_a_byte_stand_in() -> None:
    vision = resolve_model("clip", weights="random").config  # the shipped, vision-only config
    config = full_config(vision, "random")
    assert config.model_type == "clip" and config.vision_config.hidden_size == vision.hidden_size
    text = config.text_config
    ids = stand_in_ids(CAT, text, 77)
    assert ids[0] == text.bos_token_id and ids[-1] == text.eos_token_id and len(ids) == len(CAT) + 2
    assert ids == stand_in_ids(CAT, text, 77) and ids != stand_in_ids(DOG, text, 77)
    with pytest.raises(ValueError, match="no text tower"):
        full_config(vision, "pretrained")
