"""Gradient-weighted rollout against an eager reference: transformers' eager attention with
`output_attentions=True`, `retain_grad` on every layer's probabilities, and the rule applied to
whole N × N matrices."""

from __future__ import annotations

import copy

import pytest
import torch
import transformers as T

from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
from ssl_attention.attention.gradrollout import RelevanceRecorder, gradient_rollout
from ssl_attention.attention.targets import (
    class_score,
    image_embedding,
    text_embedding,
    text_similarity,
    top_classes,
)
from ssl_attention.models.token_layout import TokenLayout

SIZE, PATCH = 16, 4


def reference_rollout(attentions: tuple[torch.Tensor, ...], has_cls: bool) -> torch.Tensor:
    """R = I; per layer Ā = mean_h((∇A ⊙ A)⁺), R ← R + Ā·R; the CLS row (or mean row) on the patches."""
    batch, _, tokens, _ = attentions[0].shape
    relevance = torch.eye(tokens).expand(batch, tokens, tokens)
    for attention in attentions:
        weighted = (attention.grad * attention).clamp(min=0).mean(dim=1)
        relevance = relevance + torch.bmm(weighted, relevance)
    row = relevance[:, 0] if has_cls else relevance.mean(dim=1)
    return row[:, 1:] if has_cls else row


def twins(build: type, config: T.PretrainedConfig, seed: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The same weights twice: with eager attention (the reference) and through the capture backend."""
    torch.manual_seed(seed)
    eager = build._from_config(copy.deepcopy(config), attn_implementation="eager").eval()
    with torch.no_grad():
        for name, param in eager.named_parameters():  # sharper attention than random init gives
            if "query" in name or "key" in name or "q_proj" in name or "k_proj" in name:
                param.mul_(4.0)
    captured = build._from_config(copy.deepcopy(config), attn_implementation=CAPTURE_IMPLEMENTATION).eval()
    captured.load_state_dict(eager.state_dict())
    return eager, captured


@pytest.mark.parametrize("target_class", [None, 2])
def test_a_vit_classifier_matches_the_eager_reference(target_class: int | None) -> None:
    config = T.ViTConfig(
        hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64,
        image_size=SIZE, patch_size=PATCH, num_labels=5,
    )  # fmt: skip
    eager, captured = twins(T.ViTForImageClassification, config, seed=3)
    torch.manual_seed(4)
    pixels = torch.randn(3, 3, SIZE, SIZE)

    out = eager(pixel_values=pixels, output_attentions=True)
    for attention in out.attentions:
        attention.retain_grad()
    classes = top_classes(out.logits, target_class)
    class_score(out.logits, classes).sum().backward()
    expected = reference_rollout(out.attentions, has_cls=True)

    layout = TokenLayout.vit(has_cls=True, registers=0, image_size=SIZE, patch=PATCH)
    modules = [layer.attention for layer in captured.vit.layers]
    recorder = RelevanceRecorder(modules, layout, query_chunk_bytes=2048)  # several query chunks

    def target(x: torch.Tensor) -> torch.Tensor:
        logits = captured(pixel_values=x).logits
        return class_score(logits, top_classes(logits, target_class))

    got = gradient_rollout(recorder, target, pixels)
    assert got.shape == (3, (SIZE // PATCH) ** 2)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    assert (got - got.mean(dim=1, keepdim=True)).abs().max() > 1e-4  # not a flat map


def test_clip_with_a_target_text_matches_the_eager_reference() -> None:
    config = T.CLIPConfig(
        text_config=dict(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, vocab_size=99,
            max_position_embeddings=16, bos_token_id=0, eos_token_id=98, pad_token_id=1,
        ),
        vision_config=dict(
            hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64,
            image_size=SIZE, patch_size=PATCH,
        ),
        projection_dim=16,
    )  # fmt: skip
    eager, captured = twins(T.CLIPModel, config, seed=5)
    torch.manual_seed(6)
    pixels = torch.randn(2, 3, SIZE, SIZE)
    prompt = torch.tensor([[0, 17, 42, 63, 98]])  # a tokenised prompt, ending with the EOS token

    with torch.no_grad():
        text = text_embedding(eager, prompt)[0]
    out = eager.vision_model(pixel_values=pixels, output_attentions=True)
    for attention in out.attentions:
        attention.retain_grad()
    text_similarity(eager.visual_projection(out.pooler_output), text).sum().backward()
    expected = reference_rollout(out.attentions, has_cls=True)

    layout = TokenLayout.vit(has_cls=True, registers=0, image_size=SIZE, patch=PATCH)
    modules = [layer.self_attn for layer in captured.vision_model.encoder.layers]
    recorder = RelevanceRecorder(modules, layout)
    with torch.no_grad():
        captured_text = text_embedding(captured, prompt)[0]
    torch.testing.assert_close(captured_text, text)
    got = gradient_rollout(
        recorder, lambda x: text_similarity(image_embedding(captured, x), captured_text), pixels
    )
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_the_recorded_forward_gives_the_models_own_outputs() -> None:
    """In gradient mode the backend still computes each layer's output with sdpa: logits unchanged."""
    config = T.ViTConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        image_size=SIZE, patch_size=PATCH, num_labels=3,
    )  # fmt: skip
    eager, captured = twins(T.ViTForImageClassification, config, seed=7)
    pixels = torch.randn(2, 3, SIZE, SIZE)
    layout = TokenLayout.vit(has_cls=True, registers=0, image_size=SIZE, patch=PATCH)
    recorder = RelevanceRecorder([layer.attention for layer in captured.vit.layers], layout)
    seen: list[torch.Tensor] = []

    def target(x: torch.Tensor) -> torch.Tensor:
        logits = captured(pixel_values=x).logits
        seen.append(logits.detach())
        return logits[:, 0]

    gradient_rollout(recorder, target, pixels)
    with torch.no_grad():
        torch.testing.assert_close(seen[0], eager(pixel_values=pixels).logits, rtol=1e-5, atol=1e-5)


def test_siglip_without_cls_uses_the_mean_row_and_matches_the_eager_reference() -> None:
    config = T.SiglipConfig(
        text_config=dict(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, vocab_size=99,
            max_position_embeddings=16,
        ),
        vision_config=dict(
            hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64,
            image_size=SIZE, patch_size=PATCH,
        ),
    )  # fmt: skip
    eager, captured = twins(T.SiglipModel, config, seed=8)
    torch.manual_seed(9)
    pixels = torch.randn(2, 3, SIZE, SIZE)
    prompt = torch.tensor([[5, 17, 42, 63, 1]])
    with torch.no_grad():
        text = text_embedding(eager, prompt)[0]
    out = eager.vision_model(pixel_values=pixels, output_attentions=True)
    attentions = out.attentions[
        : config.vision_config.num_hidden_layers
    ]  # the encoder's, not the pooling head's
    for attention in attentions:
        attention.retain_grad()
    text_similarity(out.pooler_output, text).sum().backward()
    expected = reference_rollout(attentions, has_cls=False)

    layout = TokenLayout.vit(has_cls=False, registers=0, image_size=SIZE, patch=PATCH)
    modules = [layer.self_attn for layer in captured.vision_model.encoder.layers]
    got = gradient_rollout(
        RelevanceRecorder(modules, layout),
        lambda x: text_similarity(image_embedding(captured, x), text),
        pixels,
    )
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
