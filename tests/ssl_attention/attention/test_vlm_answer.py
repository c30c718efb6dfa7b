"""A VLM's answer string and its answer tokens agree: never a blank answer over a non-empty strip.

The tiny random VLMs use the byte-level stand-in tokenizer, whose ids above the byte range decode
to nothing: a random model generates them, and the answer used to come out empty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ssl_attention.attention.vlm import VlmMapExtractor, answer_text
from ssl_attention.models.qwen_vl import QwenVLAdapter
from ssl_attention.models.registry import resolve_model
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS, SPECIAL_TOKENS, VOCAB

UNKNOWN = 260  # above the 256 byte symbols, below the chat markers: decodes to nothing


KEYS = ["qwen2_5_vl", "qwen3_vl"]


@pytest.fixture(params=KEYS)
def key(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def adapter(key: str, tiny_vlms: dict[str, Path]) -> QwenVLAdapter:
    return resolve_model(key, str(tiny_vlms[key]), "pretrained").load_vlm()


def test_answer_reads_like_the_token_strip(adapter: QwenVLAdapter) -> None:
    assert adapter.tokenizer.decode([UNKNOWN]) == "" and UNKNOWN < VOCAB
    accented = adapter.tokenizer.encode("é!", add_special_tokens=False)
    assert len(accented) == 3  # é is two byte tokens: each alone decodes to a replacement char
    start, end = SPECIAL_TOKENS["<|im_start|>"], SPECIAL_TOKENS["<|im_end|>"]
    ids = [*accented, UNKNOWN, UNKNOWN + 1, start, *accented, end]
    assert answer_text(adapter, ids) == "é!⟨260⟩⟨261⟩<|im_start|>é!"
    assert answer_text(adapter, [UNKNOWN, end]) == "⟨260⟩"  # the stop token ends it, unshown
    assert answer_text(adapter, [end]) == "" and answer_text(adapter, []) == ""
    # where every token is a whole character, the answer is exactly the strip's texts joined
    plain = [*adapter.tokenizer.encode("a b", add_special_tokens=False), UNKNOWN, end]
    assert answer_text(adapter, plain) == "".join(adapter.token_text(i) for i in plain[:-1])


def test_generated_answers_agree_with_their_tokens(key: str, tiny_vlms: dict[str, Path]) -> None:
    """A random VLM whose greedy answers are ids the stand-in tokenizer cannot decode (as with
    a full-size random Qwen, whose 151k ids are nearly all beyond the 256 bytes): the answer is
    the strip's texts joined, stop token aside, where it used to decode to ''."""
    adapter = resolve_model(key, str(tiny_vlms[key]), "pretrained").load_vlm()
    with torch.no_grad():  # byte ids can never win the argmax: only unknown ids and markers
        adapter.model.lm_head.weight[:256] = 0
        adapter.model.lm_head.weight[256:] += 0.5 * adapter.model.lm_head.weight[256:].sign()
    extractor = VlmMapExtractor(
        adapter, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS, max_new_tokens=6, per_head=False
    )
    for seed in range(2):
        pixels = np.random.default_rng(seed).integers(0, 255, (56, 84, 3), dtype=np.uint8)
        prompt = extractor(Image.fromarray(pixels), ["What is this?"], with_vision=False).prompts[0]
        ids = [t.id for t in prompt.tokens if t.role == "answer"]
        tokens = [t for t in prompt.tokens if t.role == "answer" and t.id not in adapter.stop_ids()]
        assert tokens, f"the test needs a generated token, got {ids}"
        assert adapter.tokenizer.decode(ids, skip_special_tokens=True) == ""  # the old, blank answer
        assert prompt.answer == "".join(t.text for t in tokens) != ""
