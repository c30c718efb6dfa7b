"""VLM `gradrollout` from `precompute --answer-token` to the API, for a real (tiny) Qwen2.5-VL:
served bytes are the stored bytes, a prompt added later leaves the first's map untouched, an
answer without token K gets a note (its other maps kept), and runs that cannot explain refuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.cli import build_parser
from precompute.options import RunError
from precompute.runner import RunOptions, run
from ssl_attention.models.qwen_vl import QwenVLAdapter, VlmInputs
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.layout import VlmAttrs, VlmPromptAttrs
from ssl_attention.store.vlm_relevance import ExplainedToken, gradrollout_path
from tests.conftest import write_gallery
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS

KEY = "qwen2_5_vl"
LONG, SHORT, LATER = "Describe this image.", "Hi", "What colour?"
IMAGES = ("img_0", "sub__nested_1")


def run_options(
    root: Path, tiny_vlms: dict[str, Path], prompts: tuple[str, ...], **changes: Any
) -> RunOptions:
    values: dict[str, Any] = dict(
        models=[KEY],
        images=root / "images",
        store=str(root / "store.zarr"),
        db=f"sqlite:///{root / 'catalog.db'}",
        checkpoints={KEY: str(tiny_vlms[KEY])},
        device="cpu",
        prompts=prompts,
        max_new_tokens=3,
        min_pixels=MIN_PIXELS,
        max_pixels=MAX_PIXELS,
        answer_token=1,
    )
    values.update(changes)
    return RunOptions(**values)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, tiny_vlms: dict[str, Path]
) -> Iterator[tuple[TestClient, Path]]:
    """Prompt SHORT's answers are cut to one token, so --answer-token 1 is out of range for them."""
    root = tmp_path_factory.mktemp("vlm_gradrollout")
    write_gallery(root / "images", n_good=2)
    generate = QwenVLAdapter.generate

    def short_for_short(self: QwenVLAdapter, inputs: VlmInputs, max_new_tokens: int, **kw: Any) -> list[int]:
        start, stop = inputs.prompt_tokens
        return generate(self, inputs, 1 if stop - start == len(SHORT) else max_new_tokens, **kw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QwenVLAdapter, "generate", short_for_short)
        run(run_options(root, tiny_vlms, (LONG, SHORT)))
    settings = ApiSettings(
        images=root / "images",
        store=str(root / "store.zarr"),
        db=f"sqlite:///{root / 'catalog.db'}",
        frontend_dist=root / "none",
    )
    with TestClient(create_app(settings)) as client:
        yield client, root


def row_of(root: Path, image_id: str) -> int:
    row = CatalogWriter.open(f"sqlite:///{root / 'catalog.db'}").row_of(image_id, KEY)
    assert row is not None
    return row


def explained(root: Path, image_id: str, prompt: int) -> ExplainedToken:
    reader = AttentionStoreReader(str(root / "store.zarr"))
    return ExplainedToken.from_attrs(
        reader.group_attrs(KEY, gradrollout_path(row_of(root, image_id), prompt))
    )


def test_models_lists_gradrollout_for_the_vlm(served: tuple[TestClient, Path]) -> None:
    client, _root = served
    model = client.get(f"/models/{KEY}").json()
    assert model["methods"] == ["text", "mean", "rollout", "gradrollout"]
    assert model["method_layers"]["gradrollout"] == 1 and model["method_heads"]["gradrollout"] == 0
    assert "gradrollout" not in model["per_head_methods"]


def test_served_maps_are_the_stored_bytes(served: tuple[TestClient, Path]) -> None:
    client, root = served
    reader = AttentionStoreReader(str(root / "store.zarr"))
    for image_id in IMAGES:
        row = row_of(root, image_id)
        stored = reader.read_array(KEY, f"{gradrollout_path(row, 0)}/fused")
        assert stored.dtype == np.float16 and stored.shape[0] == 1
        params = {"model": KEY, "method": "gradrollout", "prompt": 0}
        body = client.get(f"/attention/{image_id}/raw", params={**params, "format": "f16"})
        assert body.status_code == 200, body.text
        assert body.content == stored[0].astype("<f2").tobytes()
        token = explained(root, image_id, 0)
        prompt = VlmPromptAttrs.from_attrs(reader.group_attrs(KEY, VlmAttrs.prompt_path(row, 0)))
        answers = [i for i, t in enumerate(prompt.tokens) if t.role == "answer"]
        assert token.note is None and token.index == 1 and token.token == answers[1]
        assert token.text == prompt.tokens[token.token].text
        as_json = client.get(f"/attention/{image_id}/raw", params=params).json()
        assert as_json["token"] == str(token.token) and as_json["prompt"] == 0
        assert client.get(f"/attention/{image_id}/heatmap.png", params=params).status_code == 200
        wrong = client.get(f"/attention/{image_id}/raw", params={**params, "token": token.token + 1})
        assert wrong.status_code == 400 and f"token={token.token}" in wrong.json()["detail"]


def test_an_answer_without_token_k_gets_a_note_and_keeps_its_other_maps(
    served: tuple[TestClient, Path],
) -> None:
    client, root = served
    note = explained(root, "img_0", 1)
    assert note.note == "--answer-token 1 is out of range: this answer has 1 tokens (allowed -1..0)"
    response = client.get("/attention/img_0/raw", params={"model": KEY, "method": "gradrollout", "prompt": 1})
    assert response.status_code == 400 and note.note in response.json()["detail"]
    text = client.get("/attention/img_0/raw", params={"model": KEY, "method": "text", "prompt": 1})
    assert text.status_code == 200


def test_a_later_prompt_adds_its_map_and_leaves_the_first_bytes(
    served: tuple[TestClient, Path], tiny_vlms: dict[str, Path]
) -> None:
    client, root = served
    store = root / "store.zarr"
    row = row_of(root, "sub__nested_1")
    chunk = store / KEY / gradrollout_path(row, 0) / "fused" / "c" / "0" / "0" / "0"
    before = chunk.read_bytes()
    mtime = chunk.stat().st_mtime_ns
    report = run(run_options(root, tiny_vlms, (LONG, SHORT, LATER)))
    assert report.models[0].done == len(IMAGES)  # every image had one prompt to add
    assert chunk.read_bytes() == before and chunk.stat().st_mtime_ns == mtime
    assert explained(root, "sub__nested_1", 2).note is None
    body = client.get(
        "/attention/sub__nested_1/raw", params={"model": KEY, "method": "gradrollout", "prompt": 2}
    )
    assert body.status_code == 200, body.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_new_tokens": 0}, "--max-new-tokens 0 generates none"),
        ({"answer_token": 3}, "--answer-token 3 can never be in range"),
        ({"answer_token": -4}, "allowed -3..2"),
    ],
)
def test_a_run_that_cannot_explain_refuses_and_writes_nothing(
    tmp_path: Path, tiny_vlms: dict[str, Path], changes: dict[str, Any], message: str
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    with pytest.raises(RunError, match=message):
        run(run_options(tmp_path, tiny_vlms, (LONG,), **changes))
    assert not (tmp_path / "store.zarr").exists()


def test_the_flag_defaults_to_the_first_answer_token() -> None:
    parser = build_parser()
    assert parser.parse_args(["--answer-token"]).answer_token == 0
    assert parser.parse_args(["--answer-token", "-1"]).answer_token == -1
    assert parser.parse_args([]).answer_token is None
