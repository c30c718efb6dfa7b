"""Qwen-VL adapters: the chat sequence, image tokens found by id, the byte-level stand-in tokenizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_attention.models.qwen_vl import QWEN_SPECIAL_TOKENS, byte_level_tokenizer, image_token_span
from ssl_attention.models.registry import resolve_model
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS

IMG, START, END = 9, 7, 8


@pytest.mark.parametrize(
    ("ids", "span"),
    [([1, START, IMG, IMG, IMG, END, 2], (2, 5)), ([START, IMG, END], (1, 2))],
)
def test_image_tokens_are_found_by_id_between_the_markers(ids: list[int], span: tuple[int, int]) -> None:
    assert image_token_span(ids, IMG, START, END) == span


@pytest.mark.parametrize(
    ("ids", "why"),
    [
        ([1, 2, 3], "no image token"),
        ([START, IMG, 4, IMG, END], "not one contiguous run"),
        ([1, IMG, IMG, END], "not between the vision start and end markers"),
        ([START, IMG, IMG], "not between the vision start and end markers"),
    ],
)
def test_malformed_sequences_are_refused(ids: list[int], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        image_token_span(ids, IMG, START, END)


@pytest.mark.parametrize("key", ["qwen2_5_vl", "qwen3_vl"])
def test_prepare_builds_the_chat_sequence_on_a_dynamic_grid(key: str, tiny_vlms: dict[str, Path]) -> None:
    adapter = resolve_model(key, str(tiny_vlms[key]), "pretrained").load_vlm()
    wide = Image.fromarray(np.zeros((100, 300, 3), np.uint8))
    inputs = adapter.prepare(wide, "Hi there", min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    gh, gw = inputs.grid
    assert gw > 2 * gh  # the aspect ratio survives (no square resize)
    assert inputs.resized == (gh * 2 * adapter.patch_size, gw * 2 * adapter.patch_size)
    assert inputs.resized[0] * inputs.resized[1] <= MAX_PIXELS
    ids = inputs.input_ids[0].tolist()
    start, stop = inputs.image_tokens
    assert stop - start == gh * gw and set(ids[start:stop]) == {adapter.config.image_token_id}
    text = adapter.tokenizer.decode(ids[:start]) + "|" + adapter.tokenizer.decode(ids[stop:])
    system = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" if key == "qwen2_5_vl" else ""
    assert text == (
        f"{system}<|im_start|>user\n<|vision_start|>|<|vision_end|>Hi there<|im_end|>\n<|im_start|>assistant\n"
    )
    assert adapter.tokenizer.decode(ids[slice(*inputs.prompt_tokens)]) == "Hi there"
    assert inputs.token_types().sum() == gh * gw


def test_byte_level_tokenizer_round_trips_prompts_and_keeps_qwen_marker_ids() -> None:
    tokenizer = byte_level_tokenizer(QWEN_SPECIAL_TOKENS)
    ids = tokenizer("Qu'est-ce que c'est ? 猫", add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == "Qu'est-ce que c'est ? 猫"
    assert tokenizer.convert_tokens_to_ids("<|image_pad|>") == 151655
    assert tokenizer.decode([151645]) == "<|im_end|>"


def test_random_default_vlms_resolve_offline_from_the_shipped_configs() -> None:
    for key, heads in (("qwen2_5_vl", 16), ("qwen3_vl", 16)):
        resolved = resolve_model(key, None, "random")
        assert resolved.spec.kind == "vlm" and resolved.config.get_text_config().num_attention_heads == heads
        assert (Path(resolved.config_source) / "preprocessor_config.json").is_file()
