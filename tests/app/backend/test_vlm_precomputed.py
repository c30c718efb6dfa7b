"""From `precompute` to the API for a real (tiny) VLM: what the endpoints serve is what the
run stored, token by token — not only what the synthetic factory writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.runner import RunOptions, run
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.layout import VlmAttrs, VlmPromptAttrs, VlmSampleAttrs
from tests.conftest import write_gallery
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS

KEY = "qwen3_vl"
PROMPTS = ("Describe this image.", "What is left?")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tiny_vlms: dict[str, Path]) -> tuple[TestClient, Path]:
    root = tmp_path_factory.mktemp("vlm_served")
    write_gallery(root / "images", n_good=3)
    options = RunOptions(
        models=[KEY],
        images=root / "images",
        store=str(root / "store.zarr"),
        db=f"sqlite:///{root / 'catalog.db'}",
        checkpoints={KEY: str(tiny_vlms[KEY])},
        per_head=True,
        device="cpu",
        prompts=PROMPTS,
        max_new_tokens=4,
        min_pixels=MIN_PIXELS,
        max_pixels=MAX_PIXELS,
    )
    run(options)
    settings = ApiSettings(
        images=root / "images", store=options.store, db=options.db, frontend_dist=root / "none"
    )
    with TestClient(create_app(settings)) as client:
        yield client, root


def stored(root: Path, image_id: str, prompt: int) -> tuple[VlmSampleAttrs, VlmPromptAttrs, str]:
    row = CatalogWriter.open(f"sqlite:///{root / 'catalog.db'}").row_of(image_id, KEY)
    assert row is not None
    reader = AttentionStoreReader(str(root / "store.zarr"))
    sample = VlmSampleAttrs.from_attrs(reader.group_attrs(KEY, VlmAttrs.sample_path(row)))
    prompt_attrs = VlmPromptAttrs.from_attrs(reader.group_attrs(KEY, VlmAttrs.prompt_path(row, prompt)))
    return sample, prompt_attrs, VlmAttrs.prompt_path(row, prompt)


def test_tokens_and_maps_are_what_precompute_stored(served: tuple[TestClient, Path]) -> None:
    client, root = served
    reader = AttentionStoreReader(str(root / "store.zarr"))
    for prompt in (0, 1):
        sample, prompt_attrs, path = stored(root, "img_0", prompt)
        body = client.get("/attention/img_0/tokens", params={"model": KEY, "prompt": prompt}).json()
        assert body["prompt_text"] == PROMPTS[prompt] and body["answer"] == prompt_attrs.answer
        assert [t["text"] for t in body["tokens"]] == [t.text for t in prompt_attrs.tokens]
        assert [t["role"] for t in body["tokens"]] == [t.role for t in prompt_attrs.tokens]
        assert body["grid"] == list(sample.grid) and body["vision_grid"] == list(sample.vision_grid)
        mass = reader.read_array(KEY, f"{path}/image_mass")
        np.testing.assert_allclose(np.array(body["image_mass"]), mass.mean(axis=-1), rtol=1e-5, atol=1e-7)

        heads = reader.read_array(KEY, f"{path}/text/heads").astype(np.float32)
        last = len(prompt_attrs.tokens) - 1
        one = client.get(
            "/attention/img_0/raw",
            params={"model": KEY, "method": "text", "prompt": prompt, "token": last, "layer": 1, "head": 3},
        ).json()
        assert one["shape"] == list(sample.grid)
        np.testing.assert_array_equal(
            np.array(one["data"], np.float16).reshape(sample.grid), heads[last, 1, 3].astype(np.float16)
        )
        answer = [i for i, t in enumerate(prompt_attrs.tokens) if t.role == "answer"]
        default = client.get(
            "/attention/img_0/raw", params={"model": KEY, "method": "text", "prompt": prompt}
        )
        expected = heads[answer[0] : answer[-1] + 1, -1].mean(axis=(0, 1))
        got = np.array(default.json()["data"], np.float32).reshape(sample.grid)
        np.testing.assert_allclose(got, expected, rtol=2e-3, atol=1e-4)


def test_vision_maps_are_served_on_the_vision_grid(served: tuple[TestClient, Path]) -> None:
    client, root = served
    sample, _prompt, path = stored(root, "img_1", 0)
    reader = AttentionStoreReader(str(root / "store.zarr"))
    base = path.split("/prompts/")[0]
    for method in ("mean", "rollout"):
        body = client.get("/attention/img_1/raw", params={"model": KEY, "method": method, "layer": 0}).json()
        assert body["shape"] == list(sample.vision_grid)
        expected = reader.read_array(KEY, f"{base}/{method}/fused")[0]
        np.testing.assert_array_equal(
            np.array(body["data"], np.float16).reshape(sample.vision_grid), expected
        )
    models = client.get("/models").json()["models"]
    (vlm,) = [m for m in models if m["key"] == KEY]
    assert vlm["kind"] == "vlm" and vlm["prompts"] == list(PROMPTS) and vlm["weights"] == "pretrained"
    image = client.get("/images/img_1").json()
    assert KEY in image["models"]
