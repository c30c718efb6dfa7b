"""The capture backend against eager attention, a hand-worked rollout, and the known traps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import transformers as T
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION, AttentionRecorder, pooling_head_attention
from ssl_attention.attention.extract import MapExtractor
from ssl_attention.models.mae import raster_noise
from ssl_attention.models.registry import resolve_model
from ssl_attention.models.siglip import naflex_patches
from ssl_attention.models.token_layout import TokenLayout
from tests.reference import maps_from_attentions
from tests.tiny_models import IMAGE_SIZE, PATCH

FAMILIES = ["dinov2", "dinov3", "mae", "clip", "siglip", "siglip2"]


def eager_attentions(key: str, model: torch.nn.Module, pixels: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The reference path: eager attention with output_attentions=True, same inputs as the adapter."""
    model.set_attn_implementation("eager")
    try:
        with torch.no_grad():
            if key == "mae":
                side = pixels.shape[-1] // PATCH
                out = model(
                    pixel_values=pixels,
                    noise=raster_noise(len(pixels), side * side, pixels.device),
                    interpolate_pos_encoding=True,
                    output_attentions=True,
                )
            elif key == "siglip2":
                side = pixels.shape[-1] // PATCH
                out = model(
                    pixel_values=naflex_patches(pixels, PATCH),
                    pixel_attention_mask=torch.ones(len(pixels), side * side, dtype=torch.long),
                    spatial_shapes=torch.tensor([[side, side]] * len(pixels)),
                    output_attentions=True,
                )
            elif key in ("clip", "siglip"):
                out = model(pixel_values=pixels, interpolate_pos_encoding=True, output_attentions=True)
            else:
                out = model(pixel_values=pixels, output_attentions=True)
    finally:
        model.set_attn_implementation(CAPTURE_IMPLEMENTATION)
    assert out.attentions is not None and len(out.attentions) > 0
    return out.attentions


@pytest.mark.parametrize("key", FAMILIES)
def test_captured_maps_equal_eager_attention(key: str, tiny_checkpoints: dict[str, Path]) -> None:
    adapter = resolve_model(key, str(tiny_checkpoints[key]), "pretrained").load()
    extractor = MapExtractor(adapter, IMAGE_SIZE, per_head=True, query_chunk_bytes=4096)
    pixels = torch.randn(3, 3, IMAGE_SIZE, IMAGE_SIZE, generator=torch.Generator().manual_seed(7))
    captured = extractor(pixels)
    reference = maps_from_attentions(eager_attentions(key, adapter.model, pixels), extractor.layout)

    grid = extractor.layout.grid
    for path, expected in reference.items():
        got = captured[path].double().numpy()
        if path != "prefix/heads":
            assert got.shape[-2:] == grid
            got = got.reshape(*got.shape[:-2], -1)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7, err_msg=f"{key} {path}")
    # Every family has mean and rollout; CLS-less families have no cls map.
    assert ("cls/fused" in captured) == (key not in ("siglip", "siglip2"))


def test_registers_are_excluded_from_patch_maps(tiny_checkpoints: dict[str, Path]) -> None:
    adapter = resolve_model("dinov2", str(tiny_checkpoints["dinov2"]), "pretrained").load()
    extractor = MapExtractor(adapter, IMAGE_SIZE, per_head=True)
    layout = extractor.layout
    assert layout.prefix_tokens == ("cls", "reg0", "reg1", "reg2", "reg3")
    pixels = torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE)
    maps = extractor(pixels)
    attentions = eager_attentions("dinov2", adapter.model, pixels)
    # The CLS row over patches is exactly the columns after CLS + 4 registers.
    last = attentions[-1][:, :, 0, 5:].reshape(2, adapter.n_heads, *layout.grid)
    torch.testing.assert_close(maps["cls/heads"][:, -1], last, rtol=1e-5, atol=1e-7)
    # Patch share + prefix share of the CLS row = 1: the registers' mass is in prefix/heads, not in the map.
    total = maps["cls/heads"].sum(dim=(-2, -1)) + maps["prefix/heads"].sum(dim=-1)
    torch.testing.assert_close(total, torch.ones_like(total), rtol=1e-5, atol=1e-6)


def test_per_head_mean_equals_fused(tiny_checkpoints: dict[str, Path]) -> None:
    adapter = resolve_model("clip", str(tiny_checkpoints["clip"]), "pretrained").load()
    maps = MapExtractor(adapter, IMAGE_SIZE, per_head=True)(torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE))
    for method in ("cls", "mean"):
        torch.testing.assert_close(maps[f"{method}/heads"].mean(dim=2), maps[f"{method}/fused"])


def test_fused_only_without_per_head(tiny_checkpoints: dict[str, Path]) -> None:
    adapter = resolve_model("siglip", str(tiny_checkpoints["siglip"]), "pretrained").load()
    maps = MapExtractor(adapter, IMAGE_SIZE, per_head=False)(torch.randn(1, 3, IMAGE_SIZE, IMAGE_SIZE))
    assert sorted(maps) == ["mean/fused", "pool/fused", "rollout/fused"]


def _recorder_for(attention: np.ndarray) -> dict[str, torch.Tensor]:
    """Feed hand-made attention matrices through the recorder: with k = I and scale 1, softmax(log A) = A."""
    layers, heads, tokens, _ = attention.shape
    modules = [torch.nn.Identity() for _ in range(layers)]
    layout = TokenLayout(("cls",), (1, tokens - 1))
    recorder = AttentionRecorder(modules, layout, query_chunk_bytes=1)
    key = torch.eye(tokens, dtype=torch.float64).expand(1, heads, tokens, tokens)
    with recorder.recording():
        for layer, module in enumerate(modules):
            query = torch.log(torch.from_numpy(attention[layer])).unsqueeze(0)
            recorder.observe(module, query, key, None, 1.0)
        return recorder.results()


def test_rollout_matches_hand_worked_three_token_example() -> None:
    # Tokens: CLS, p0, p1. One head, two layers.
    a0 = np.array([[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]])
    a1 = np.array([[0.2, 0.4, 0.4], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])
    results = _recorder_for(np.stack([a0, a1])[:, None])
    # By hand: Â0 = ½A0 + ½I, so R0[CLS] = [0.75, 0.125, 0.125] → patches [0.125, 0.125].
    # Â1[CLS] = [0.6, 0.2, 0.2]; R1[CLS] = 0.6·[0.75, .125, .125] + 0.2·[0.1, 0.8, 0.1] + 0.2·[0.05, 0.05, 0.9]
    #         = [0.48, 0.245, 0.275] → patches [0.245, 0.275].
    expected = torch.tensor([[[0.125, 0.125], [0.245, 0.275]]])
    torch.testing.assert_close(results["rollout/fused"].double().reshape(1, 2, 2), expected.double())
    # The same run gives the raw CLS rows and the per-patch mean received attention.
    torch.testing.assert_close(
        results["cls/fused"][0, 1].double(), torch.tensor([0.4, 0.4], dtype=torch.float64)
    )
    torch.testing.assert_close(
        results["mean/fused"][0, 0].double(), torch.tensor([0.95 / 3, 1.25 / 3], dtype=torch.float64)
    )


def test_query_chunking_does_not_change_results(tiny_checkpoints: dict[str, Path]) -> None:
    adapter = resolve_model("dinov3", str(tiny_checkpoints["dinov3"]), "pretrained").load()
    pixels = torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE)
    one_row = MapExtractor(adapter, IMAGE_SIZE, per_head=True, query_chunk_bytes=1)(pixels)
    adapter = resolve_model("dinov3", str(tiny_checkpoints["dinov3"]), "pretrained").load()
    whole = MapExtractor(adapter, IMAGE_SIZE, per_head=True, query_chunk_bytes=2**30)(pixels)
    for path in whole:
        torch.testing.assert_close(one_row[path], whole[path], rtol=1e-6, atol=1e-8)


def test_mae_keeps_patches_in_raster_order(tiny_checkpoints: dict[str, Path]) -> None:
    adapter = resolve_model("mae", str(tiny_checkpoints["mae"]), "pretrained").load()
    model = adapter.model
    assert model.config.mask_ratio == 0.0  # the checkpoint says 0.75; the adapter keeps every patch
    pixels = torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE)
    side = IMAGE_SIZE // PATCH
    with torch.no_grad():
        embedded, _mask, ids_restore = model.embeddings(
            pixels, noise=raster_noise(2, side * side, pixels.device), interpolate_pos_encoding=True
        )
        # Independent: convolve patches in raster order and add the interpolated position embeddings.
        patches = model.embeddings.patch_embeddings(pixels)
        positions = model.embeddings.interpolate_pos_encoding(patches, IMAGE_SIZE, IMAGE_SIZE)
    assert torch.equal(ids_restore, torch.arange(side * side).expand(2, -1))
    torch.testing.assert_close(embedded[:, 1:], patches + positions[:, 1:])
    # Without the raster noise MAE shuffles patches, and the maps would come out scrambled.
    with torch.no_grad():
        _, _, shuffled = model.embeddings(pixels, interpolate_pos_encoding=True)
    assert not torch.equal(shuffled, ids_restore)


def test_pool_method_matches_multihead_attention_weights(tiny_checkpoints: dict[str, Path]) -> None:
    adapter = resolve_model("siglip", str(tiny_checkpoints["siglip"]), "pretrained").load()
    head = adapter.pooling_head()
    assert head is not None
    hidden = torch.randn(2, 36, adapter.config.hidden_size)
    with torch.no_grad():
        probe = head.probe.repeat(2, 1, 1)
        _, weights = head.attention(probe, hidden, hidden, need_weights=True, average_attn_weights=False)
    torch.testing.assert_close(pooling_head_attention(head, hidden), weights[:, :, 0], rtol=1e-5, atol=1e-7)


def test_mask_builder_is_registered_so_padded_inputs_match_sdpa(tiny_checkpoints: dict[str, Path]) -> None:
    assert ALL_MASK_ATTENTION_FUNCTIONS[CAPTURE_IMPLEMENTATION] is sdpa_mask
    model = T.Siglip2VisionModel.from_pretrained(
        tiny_checkpoints["siglip2"], attn_implementation="sdpa"
    ).eval()
    side = IMAGE_SIZE // PATCH
    pixels = torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE)
    patches = naflex_patches(pixels, PATCH)
    mask = torch.ones(2, side * side, dtype=torch.long)
    mask[1, side * (side - 2) :] = 0  # the second image is padded: its last two patch rows are not real
    shapes = torch.tensor([[side, side], [side - 2, side]])
    with torch.no_grad():
        expected = model(
            pixel_values=patches, pixel_attention_mask=mask, spatial_shapes=shapes
        ).last_hidden_state
        model.set_attn_implementation(CAPTURE_IMPLEMENTATION)
        got = model(pixel_values=patches, pixel_attention_mask=mask, spatial_shapes=shapes).last_hidden_state
    valid = mask.bool()
    torch.testing.assert_close(got[valid], expected[valid])


def test_sdpa_returns_no_attention_which_is_why_we_capture(tiny_checkpoints: dict[str, Path]) -> None:
    # The trap: transformers 5 silently returns no attention weights under sdpa.
    model = T.Dinov2WithRegistersModel.from_pretrained(tiny_checkpoints["dinov2"], attn_implementation="sdpa")
    with torch.no_grad():
        out = model(pixel_values=torch.randn(1, 3, IMAGE_SIZE, IMAGE_SIZE), output_attentions=True)
    assert not out.attentions  # empty: nothing to build maps from
    # Our backend keeps sdpa's output bit for bit while recording the maps.
    adapter = resolve_model("dinov2", str(tiny_checkpoints["dinov2"]), "pretrained").load()
    pixels = torch.randn(1, 3, IMAGE_SIZE, IMAGE_SIZE)
    extractor = MapExtractor(adapter, IMAGE_SIZE, per_head=False)
    with torch.no_grad():
        plain = model(pixel_values=pixels).last_hidden_state
        with extractor.recorder.recording():
            captured = adapter.model(pixel_values=pixels).last_hidden_state
    assert torch.equal(plain, captured)
    assert len(extractor.recorder.mean_heads) == adapter.n_layers


@pytest.mark.parametrize("key", ["dinov2", "siglip"])
def test_bf16_autocast_keeps_statistics_in_float32(key: str, tiny_checkpoints: dict[str, Path]) -> None:
    # The CUDA default (bf16 autocast) exercised on the CPU: q and k arrive in bf16, the maps stay float32.
    adapter = resolve_model(key, str(tiny_checkpoints[key]), "pretrained").load()
    pixels = torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE)
    exact = MapExtractor(adapter, IMAGE_SIZE, per_head=True)(pixels)
    mixed = MapExtractor(adapter, IMAGE_SIZE, per_head=True, autocast_dtype=torch.bfloat16)(pixels)
    for path, values in mixed.items():
        assert values.dtype == torch.float32, path
        # bf16 q and k move sharp attention a little; on average the maps stay where they were
        assert (values - exact[path]).abs().mean() < 5e-3, path
    # rows of the attention still sum to one (computed in float32 from the bf16 q and k)
    if key == "dinov2":
        total = mixed["cls/heads"].sum(dim=(-2, -1)) + mixed["prefix/heads"].sum(dim=-1)
    else:
        total = mixed["pool/heads"].sum(dim=(-2, -1))
    torch.testing.assert_close(total, torch.ones_like(total), rtol=1e-5, atol=1e-5)
