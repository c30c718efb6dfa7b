"""VLM gradrollout against an independent eager reference: `output_attentions=True` with
`retain_grad`, Ā_l = mean_h((∇A ⊙ A)⁺), R ← R + Ā·R over the language layers, in float64 numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ssl_attention.attention.vlm_relevance import AnswerToken, answer_relevance, choose_answer_token
from ssl_attention.models.qwen_vl import QwenVLAdapter, VlmInputs
from ssl_attention.models.registry import resolve_model
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS, MODEL_CLASSES

KEYS = ("qwen2_5_vl", "qwen3_vl")


@pytest.fixture(scope="module", params=KEYS)
def key(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def eager_relevance(key: str, folder: Path, inputs: VlmInputs, answer: list[int], index: int) -> np.ndarray:
    """The map by the definition, from the eager model's own probabilities and their gradients."""
    eager = MODEL_CLASSES[key].from_pretrained(folder, attn_implementation="eager").eval()
    ids = torch.cat([inputs.input_ids, torch.tensor([answer[:index]], dtype=torch.long)], dim=1)
    out = eager(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        mm_token_type_ids=inputs.token_types(index),
        pixel_values=inputs.pixel_values,
        image_grid_thw=inputs.image_grid_thw,
        output_attentions=True,
        use_cache=False,
    )
    for attention in out.attentions:
        attention.retain_grad()
    torch.log_softmax(out.logits[0, -1], dim=-1)[answer[index]].backward()
    n = ids.shape[1]
    product = np.eye(n)
    for attention in out.attentions:  # first layer to last: R ← R + Ā·R
        a = attention[0].detach().double().numpy()
        grad = attention.grad[0].double().numpy()
        product = product + np.clip(grad * a, 0, None).mean(axis=0) @ product
    start, stop = inputs.image_tokens
    row: np.ndarray = product[n - 1, start:stop]  # the position whose output predicts answer[index]
    return row.reshape(inputs.grid)


@pytest.mark.parametrize("answer_token", [0, -1])
def test_gradrollout_equals_the_eager_reference(
    key: str, tiny_vlms: dict[str, Path], answer_token: int
) -> None:
    adapter: QwenVLAdapter = resolve_model(key, str(tiny_vlms[key]), "pretrained").load_vlm()
    image = Image.fromarray(np.random.default_rng(3).integers(0, 255, (90, 150, 3), np.uint8))
    inputs = adapter.prepare(image, "Where is the cat?", min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    answer = [*adapter.tokenizer("on a mat", add_special_tokens=False)["input_ids"], adapter.stop_ids()[0]]
    token = choose_answer_token(adapter, inputs, answer, answer_token)
    assert isinstance(token, AnswerToken)
    assert token.index == (0 if answer_token == 0 else len(answer) - 2)  # the stop token is not explained
    got = answer_relevance(adapter, inputs, answer, token, query_chunk_bytes=4096)  # several chunks
    expected = eager_relevance(key, tiny_vlms[key], inputs, answer, token.index)
    assert got.shape == inputs.grid
    np.testing.assert_allclose(got.double().numpy(), expected, rtol=1e-4, atol=1e-6)
    assert np.ptp(expected) > 1e-5  # not a flat map: the image tokens differ in relevance
    # No gradient left behind on the weights, and the weights still require one as before.
    assert all(p.grad is None for p in adapter.model.parameters())


def test_an_answer_token_out_of_range_is_a_note(tiny_vlms: dict[str, Path]) -> None:
    adapter: QwenVLAdapter = resolve_model(
        "qwen2_5_vl", str(tiny_vlms["qwen2_5_vl"]), "pretrained"
    ).load_vlm()
    image = Image.new("RGB", (60, 60), "white")
    inputs = adapter.prepare(image, "Hi", min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    answer = [65, 66, adapter.stop_ids()[0]]
    assert choose_answer_token(adapter, inputs, answer, 2) == (
        "--answer-token 2 is out of range: this answer has 2 tokens (allowed -2..1)"
    )
    assert isinstance(choose_answer_token(adapter, inputs, answer, -2), AnswerToken)
    assert "no token" in str(choose_answer_token(adapter, inputs, [adapter.stop_ids()[0]], 0))
