"""VLM capture against independent references: eager `output_attentions=True` for the language
model, and eager per-window attention reassembled by a coded-patch image for the vision tower."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import eager_attention_forward

from ssl_attention.attention.vlm import ImageMaps, VlmMapExtractor
from ssl_attention.models.qwen_vl import QwenVLAdapter
from ssl_attention.models.registry import resolve_model
from ssl_attention.models.token_layout import TokenLayout
from tests.reference import maps_from_attentions
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS, MODEL_CLASSES

KEYS = ("qwen2_5_vl", "qwen3_vl")
STEP = 20  # colour step of the coded patches


def coded_image(grid: tuple[int, int], patch: int) -> Image.Image:
    """Every patch one flat colour: red = 20·row + 10, green = 20·column + 10 (a non-square grid).

    Its size is a multiple of patch × merge inside the test pixel bounds, so the processor does
    not resize it and every pixel of a patch keeps its code."""
    rows, columns = grid
    codes = np.zeros((rows * patch, columns * patch, 3), np.uint8)
    for r in range(rows):
        for c in range(columns):
            codes[r * patch : (r + 1) * patch, c * patch : (c + 1) * patch] = (
                STEP * r + 10,
                STEP * c + 10,
                128,
            )
    return Image.fromarray(codes)


def load(key: str, tiny_vlms: dict[str, Path]) -> QwenVLAdapter:
    resolved = resolve_model(key, str(tiny_vlms[key]), "pretrained")
    return resolved.load_vlm()


def extract(adapter: QwenVLAdapter, image: Image.Image, prompts: list[str], **kwargs: Any) -> ImageMaps:
    extractor = VlmMapExtractor(
        adapter,
        min_pixels=MIN_PIXELS,
        max_pixels=MAX_PIXELS,
        max_new_tokens=kwargs.pop("max_new_tokens", 6),
        per_head=kwargs.pop("per_head", True),
        **kwargs,
    )
    return extractor(image, prompts, with_vision=True)


@pytest.fixture(scope="module", params=KEYS)
def key(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- language model: text rows × image columns --------------------------------------------------


def eager_attentions(
    key: str, folder: Path, ids: torch.Tensor, adapter: QwenVLAdapter, maps: ImageMaps
) -> list[np.ndarray]:
    eager = MODEL_CLASSES[key].from_pretrained(folder, attn_implementation="eager").eval()
    inputs = maps.inputs
    with torch.no_grad():
        out = eager(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            mm_token_type_ids=inputs.token_types(ids.shape[1] - inputs.length),
            pixel_values=inputs.pixel_values,
            image_grid_thw=inputs.image_grid_thw,
            output_attentions=True,
        )
    assert len(out.attentions) == adapter.n_layers
    return [a[0].double().numpy() for a in out.attentions]  # L × (H, S, S)


def test_text_maps_equal_eager_attention(key: str, tiny_vlms: dict[str, Path]) -> None:
    adapter = load(key, tiny_vlms)
    image = Image.fromarray(np.random.default_rng(1).integers(0, 255, (90, 150, 3), np.uint8))
    maps = extract(adapter, image, ["Describe this image.", "Where is it?"])
    for prompt in maps.prompts:
        inputs = adapter.prepare(image, prompt.prompt, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
        ids = torch.tensor([[t.id for t in prompt.tokens]])
        full = torch.cat([inputs.input_ids[:, : inputs.image_tokens[1]], ids], dim=1)
        attentions = eager_attentions(key, tiny_vlms[key], full, adapter, maps)
        rows = [t.position for t in prompt.tokens]
        start, stop = inputs.image_tokens
        expected = np.stack([a[:, rows, start:stop] for a in attentions], axis=0)  # (L, H, T, n)
        expected = expected.transpose(2, 0, 1, 3).reshape(
            len(rows), adapter.n_layers, adapter.n_heads, *inputs.grid
        )
        heads = prompt.arrays["text/heads"].double().numpy()
        np.testing.assert_allclose(heads, expected, atol=2e-6, rtol=1e-4)
        np.testing.assert_allclose(
            prompt.arrays["text/fused"].double().numpy(), expected.mean(axis=2), atol=2e-6
        )
        mass = np.stack([a[:, rows, start:stop].sum(axis=-1) for a in attentions], axis=0).transpose(2, 0, 1)
        np.testing.assert_allclose(prompt.arrays["image_mass"].double().numpy(), mass, atol=2e-6)
        assert mass.min() > 0 and mass.max() < 1  # the text attends partly to the image, partly to text


def test_generation_agrees_with_one_full_pass(key: str, tiny_vlms: dict[str, Path]) -> None:
    """Greedy generation (what is recorded) and one teacher-forced pass (what the eager reference
    runs) see the same positions: the pass's argmax is the answer."""
    adapter = load(key, tiny_vlms)
    image = Image.fromarray(np.random.default_rng(2).integers(0, 255, (120, 80, 3), np.uint8))
    inputs = adapter.prepare(image, "Describe this image.", min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    answer = adapter.generate(inputs, 6)
    assert answer and not set(answer) & set(adapter.vision_token_ids())
    ids = torch.cat([inputs.input_ids, torch.tensor([answer])], dim=1)
    with torch.no_grad():
        logits = adapter.model(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            mm_token_type_ids=inputs.token_types(len(answer)),
            pixel_values=inputs.pixel_values,
            image_grid_thw=inputs.image_grid_thw,
        ).logits[0]
    suppressed = logits.clone()
    suppressed[:, adapter.vision_token_ids()] = -float("inf")
    predicted = suppressed[inputs.length - 1 : ids.shape[1] - 1].argmax(dim=-1).tolist()
    assert predicted == answer
    # M-RoPE positions were used: image tokens share text positions, so the deltas are negative.
    assert int(adapter.model.model.rope_deltas.min()) < 0


def test_token_roles_and_texts(key: str, tiny_vlms: dict[str, Path]) -> None:
    adapter = load(key, tiny_vlms)
    image = Image.fromarray(np.full((60, 100, 3), 90, np.uint8))
    maps = extract(adapter, image, ["Look here!"], max_new_tokens=4)
    tokens = maps.prompts[0].tokens
    assert tokens[0].text == "<|vision_end|>" and tokens[0].role == "template"
    assert tokens[0].position == maps.inputs.image_tokens[1]
    assert "".join(t.text for t in tokens if t.role == "prompt") == "Look here!"
    answer = [t for t in tokens if t.role == "answer"]
    assert 1 <= len(answer) <= 4
    assert [t.position for t in tokens] == list(range(tokens[0].position, tokens[0].position + len(tokens)))
    template = "".join(t.text for t in tokens if t.role == "template")
    assert template == "<|vision_end|><|im_end|>\n<|im_start|>assistant\n"


def test_fused_only_without_per_head(key: str, tiny_vlms: dict[str, Path]) -> None:
    adapter = load(key, tiny_vlms)
    image = Image.fromarray(np.full((60, 100, 3), 90, np.uint8))
    maps = extract(adapter, image, ["Hi"], per_head=False, max_new_tokens=2)
    assert set(maps.prompts[0].arrays) == {"text/fused", "image_mass"}
    assert maps.vision is not None and set(maps.vision) == {"mean/fused", "rollout/fused"}


def test_query_chunks_do_not_change_the_maps(key: str, tiny_vlms: dict[str, Path]) -> None:
    adapter = load(key, tiny_vlms)
    image = Image.fromarray(np.random.default_rng(3).integers(0, 255, (90, 150, 3), np.uint8))
    whole = extract(adapter, image, ["Describe."], max_new_tokens=3)
    chunked = extract(
        adapter, image, ["Describe."], max_new_tokens=3, query_chunk_bytes=1
    )  # one row at a time
    for path, values in whole.prompts[0].arrays.items():
        torch.testing.assert_close(chunked.prompts[0].arrays[path], values, atol=1e-6, rtol=1e-5)
    assert whole.vision is not None and chunked.vision is not None
    for path, values in whole.vision.items():
        torch.testing.assert_close(chunked.vision[path], values, atol=1e-6, rtol=1e-5)


# --- vision tower: windows, merge blocks, raster order -------------------------------------------


class WindowRecorder:
    """An eager attention backend that keeps every call's probabilities (one per window)."""

    def __init__(self) -> None:
        self.calls: list[tuple[nn.Module, torch.Tensor]] = []

    def __call__(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: Any,
        **kwargs: Any,
    ) -> Any:
        output, weights = eager_attention_forward(module, query, key, value, attention_mask, **kwargs)
        self.calls.append((module, weights[0].detach().double()))
        return output, weights


@pytest.fixture
def window_recorder() -> Iterator[WindowRecorder]:
    recorder = WindowRecorder()
    AttentionInterface.register("test_window_record", recorder)
    yield recorder
    AttentionInterface.register("test_window_record", sdpa_attention_forward)


def decode_codes(adapter: QwenVLAdapter, pixel_values: torch.Tensor) -> np.ndarray:
    """(N, 2): the (row, column) code of each row of pixel_values, read back from its first pixel."""
    mean = np.asarray(adapter.image_processor.image_mean)
    std = np.asarray(adapter.image_processor.image_std)
    per_channel = pixel_values.numpy().reshape(len(pixel_values), 3, -1)[:, :, 0]  # (N, C) first pixel
    rgb = np.rint((per_channel * std + mean) * 255)
    return np.stack([(rgb[:, 0] - 10) / STEP, (rgb[:, 1] - 10) / STEP], axis=1).round().astype(int)


def test_vision_maps_equal_eager_windows_in_raster_order(
    key: str, tiny_vlms: dict[str, Path], window_recorder: WindowRecorder
) -> None:
    adapter = load(key, tiny_vlms)
    grid = (6, 10)  # patches; non-square, several Qwen2.5-VL windows of 4×4 patches
    image = coded_image(grid, adapter.patch_size)
    maps = extract(adapter, image, ["Hi"], max_new_tokens=1)
    inputs = maps.inputs
    assert inputs.vision_grid == grid and inputs.grid == (3, 5)

    # Processor order → raster, read from the pixels themselves.
    codes = decode_codes(adapter, inputs.pixel_values)
    processor_raster = codes[:, 0] * grid[1] + codes[:, 1]
    assert sorted(processor_raster.tolist()) == list(range(grid[0] * grid[1]))

    # Window order → processor order, read from the tower itself: block 0's input rows are the
    # patch embeddings, permuted.
    visual = adapter.model.model.visual
    seen: dict[str, torch.Tensor] = {}
    hooks = [
        visual.patch_embed.register_forward_hook(lambda m, a, out: seen.__setitem__("embed", out.detach())),
        visual.blocks[0].register_forward_pre_hook(
            lambda m, a, kw: seen.__setitem__("block0", (a[0] if a else kw["hidden_states"]).detach()),
            with_kwargs=True,
        ),
    ]
    visual.config._attn_implementation = "test_window_record"
    try:
        with torch.no_grad():
            visual(inputs.pixel_values, grid_thw=inputs.image_grid_thw)
    finally:
        visual.config._attn_implementation = "ssl_capture"
        for hook in hooks:
            hook.remove()
    distances = torch.cdist(seen["block0"].double(), seen["embed"].double())
    window_to_processor = distances.argmin(dim=1).numpy()
    assert sorted(window_to_processor.tolist()) == list(range(len(codes)))
    sequence_raster = processor_raster[window_to_processor]

    # Reassemble each block's attention from its windows (block-diagonal), then raster-order it.
    n = len(codes)
    blocks = {id(b.attn): i for i, b in enumerate(visual.blocks)}
    full = [np.zeros((adapter.vision_heads, n, n)) for _ in visual.blocks]
    offsets = [0] * len(visual.blocks)
    for module, weights in window_recorder.calls:
        layer, length = blocks[id(module)], weights.shape[-1]
        o = offsets[layer]
        full[layer][:, o : o + length, o : o + length] = weights.numpy()
        offsets[layer] += length
    assert offsets == [n] * len(visual.blocks)
    if key == "qwen2_5_vl":  # windowed blocks really were split (the full-attention one was not)
        calls = [
            sum(1 for m, _ in window_recorder.calls if blocks[id(m)] == i) for i in range(len(visual.blocks))
        ]
        assert calls[1] == 1 and calls[0] > 1 and calls[2] > 1
    inverse = np.argsort(sequence_raster)
    attentions = [torch.from_numpy(a[:, inverse][:, :, inverse][None]) for a in full]
    expected = maps_from_attentions(attentions, TokenLayout((), grid))

    assert maps.vision is not None
    for path in ("mean/heads", "mean/fused", "rollout/fused"):
        got = maps.vision[path].double().numpy()
        np.testing.assert_allclose(got, expected[path][0].reshape(got.shape), atol=2e-6, rtol=1e-4)


def test_image_tokens_are_the_merged_grid_in_raster_order(key: str, tiny_vlms: dict[str, Path]) -> None:
    """Image token k is made from the 2×2 patches of merged cell (k // gw, k % gw)."""
    adapter = load(key, tiny_vlms)
    grid = (6, 10)
    image = coded_image(grid, adapter.patch_size)
    inputs = adapter.prepare(image, "Hi", min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    visual = adapter.model.model.visual
    with torch.no_grad():
        out = visual(inputs.pixel_values, grid_thw=inputs.image_grid_thw)
    tokens, last_hidden = out.pooler_output, out.last_hidden_state  # (n, D) to the LM; (N, D) window order
    order = adapter.vision_raster_order(inputs.image_grid_thw).numpy()  # checked above against the pixels
    position_of = {int(raster): s for s, raster in enumerate(order)}
    gh, gw = inputs.grid
    merger = visual.merger
    with torch.no_grad():
        for k in range(gh * gw):
            r, c = divmod(k, gw)
            rows = [position_of[(2 * r + dr) * grid[1] + 2 * c + dc] for dr in (0, 1) for dc in (0, 1)]
            expected = merger(last_hidden[rows])
            torch.testing.assert_close(tokens[k : k + 1], expected.reshape(1, -1), atol=1e-5, rtol=1e-4)


def test_no_answer_records_the_prompt_rows(key: str, tiny_vlms: dict[str, Path]) -> None:
    adapter = load(key, tiny_vlms)
    image = Image.fromarray(np.full((60, 100, 3), 90, np.uint8))
    with_answer = extract(adapter, image, ["Look"], max_new_tokens=3).prompts[0]
    prompt_only = extract(adapter, image, ["Look"], max_new_tokens=0).prompts[0]
    assert prompt_only.answer == "" and {t.role for t in prompt_only.tokens} == {"template", "prompt"}
    n = len(prompt_only.tokens)
    assert [t.id for t in with_answer.tokens[:n]] == [t.id for t in prompt_only.tokens]
    for path, values in prompt_only.arrays.items():  # the prompt's rows do not depend on the answer
        torch.testing.assert_close(with_answer.arrays[path][:n], values, atol=1e-6, rtol=1e-5)


def test_bfloat16_models_record_float32_maps_close_to_float32_ones(
    key: str, tiny_vlms: dict[str, Path]
) -> None:
    """The CUDA default: weights loaded in bf16, statistics still float32."""
    image = Image.fromarray(np.random.default_rng(4).integers(0, 255, (90, 150, 3), np.uint8))
    exact = extract(load(key, tiny_vlms), image, ["Describe."], max_new_tokens=0).prompts[0]
    resolved = resolve_model(key, str(tiny_vlms[key]), "pretrained")
    half = resolved.load_vlm(dtype=torch.bfloat16)
    assert half.model.dtype == torch.bfloat16
    low = extract(half, image, ["Describe."], max_new_tokens=0).prompts[0]
    for path, values in exact.arrays.items():
        assert low.arrays[path].dtype == torch.float32
        torch.testing.assert_close(low.arrays[path], values, atol=0.02, rtol=0.1)
