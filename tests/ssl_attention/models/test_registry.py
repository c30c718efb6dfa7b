"""The registry: keys and groups, checkpoint overrides, offline random weights for every default key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from ssl_attention.models.registry import (
    REGISTRY,
    ModelLoadError,
    parse_checkpoint_overrides,
    parse_variants,
    resolve_keys,
    resolve_model,
)

EXPECTED_LAYOUT = {
    # key: (patch, prefix tokens at 224 px, grid at 224 px, has pool head)
    "dinov2": (14, ("cls", "reg0", "reg1", "reg2", "reg3"), (16, 16), False),
    "dinov3": (16, ("cls", "reg0", "reg1", "reg2", "reg3"), (14, 14), False),
    "mae": (16, ("cls",), (14, 14), False),
    "clip": (16, ("cls",), (14, 14), False),
    "siglip": (16, (), (14, 14), True),
    "siglip2": (16, (), (14, 14), True),
}


# The generic key is only built through variants; a named-only key (vit_in1k) runs only when named.
SELECTABLE = [key for key in REGISTRY if key != "causal_lm" and not REGISTRY[key].named_only]


def test_selection_words() -> None:
    assert resolve_keys("all") == SELECTABLE
    assert resolve_keys("lm") == ["qwen3", "smollm2"]
    assert resolve_keys("vit") == ["dinov2", "dinov3", "mae", "clip", "siglip", "siglip2"]
    assert resolve_keys("clip, dinov2") == ["dinov2", "clip"]  # registry order, spaces allowed
    assert resolve_keys("vit_in1k,vit") == [*resolve_keys("vit")[:6], "vit_in1k"]  # named: it runs
    assert "vit_in1k" not in resolve_keys("all")
    with pytest.raises(ModelLoadError, match="unknown model 'dino'; choose from dinov2"):
        resolve_keys("dino")


def test_checkpoint_overrides() -> None:
    assert parse_checkpoint_overrides(["clip=./x", "mae = facebook/vit-mae-large"]) == {
        "clip": "./x",
        "mae": "facebook/vit-mae-large",
    }
    with pytest.raises(ModelLoadError, match="unknown model 'vit'"):
        parse_checkpoint_overrides(["vit=x"])


def test_the_generic_causal_lm_needs_a_checkpoint() -> None:
    assert resolve_keys("lm", {"mine": "causal_lm"}) == ["qwen3", "smollm2", "mine"]
    with pytest.raises(
        ModelLoadError, match="'mine' is built like the generic 'causal_lm': pass --checkpoint mine="
    ):
        resolve_model("causal_lm", None, "random", name="mine")


@pytest.mark.parametrize("key", list(EXPECTED_LAYOUT))
def test_random_weights_work_offline_for_every_default_key(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    resolved = resolve_model(key, None, "random")
    assert resolved.checkpoint == REGISTRY[key].default_checkpoint
    adapter = resolved.load()
    patch, prefix, grid, has_pool = EXPECTED_LAYOUT[key]
    layout = adapter.layout(224)
    assert (adapter.patch_size, layout.prefix_tokens, layout.grid) == (patch, prefix, grid)
    assert (adapter.n_layers, adapter.n_heads, len(adapter.attention_modules())) == (12, 12, 12)
    assert (adapter.pooling_head() is not None) == has_pool
    assert resolved.normalization.mean != (0.0, 0.0, 0.0)


def test_random_init_is_reproducible() -> None:
    first = resolve_model("mae", None, "random").load().model.state_dict()
    second = resolve_model("mae", None, "random").load().model.state_dict()
    assert all(torch.equal(first[name], second[name]) for name in first)


def test_checkpoint_of_another_family_is_refused(tiny_checkpoints: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError, match="'dinov2' takes dinov2_with_registers, dinov2 checkpoints"):
        resolve_model("dinov2", str(tiny_checkpoints["clip"]), "pretrained")


def test_local_checkpoint_reads_its_normalisation(tiny_checkpoints: dict[str, Path]) -> None:
    resolved = resolve_model("siglip", str(tiny_checkpoints["siglip"]), "pretrained")
    assert resolved.normalization.mean == (0.4, 0.5, 0.6)


def test_variants_are_selected_by_name_and_by_their_kind() -> None:
    variants = parse_variants(["dinov2-ft=dinov2", "my.qwen_2=qwen2_5_vl"])
    assert variants == {"dinov2-ft": "dinov2", "my.qwen_2": "qwen2_5_vl"}
    assert resolve_keys("dinov2-ft, clip", variants) == ["clip", "dinov2-ft"]  # registry, then variants
    assert resolve_keys("vit", variants) == [
        "dinov2",
        "dinov3",
        "mae",
        "clip",
        "siglip",
        "siglip2",
        "dinov2-ft",
    ]
    assert resolve_keys("vlm", variants) == ["qwen2_5_vl", "qwen3_vl", "my.qwen_2"]
    assert resolve_keys("all", variants) == [*SELECTABLE, "dinov2-ft", "my.qwen_2"]
    assert resolve_keys("all") == SELECTABLE
    with pytest.raises(ModelLoadError, match=r"unknown model 'dinov2-ft'.*--variant NAME=KEY"):
        resolve_keys("dinov2-ft")
    assert parse_checkpoint_overrides(["dinov2-ft=./ft"], variants) == {"dinov2-ft": "./ft"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("clip=dinov2", "variant name 'clip' is taken"),
        ("vlm=qwen3_vl", "variant name 'vlm' is taken"),
        ("-ft=dinov2", "variant name '-ft' is not allowed"),
        ("..=dinov2", "variant name '..' is not allowed"),
        ("a/b=dinov2", "variant name 'a/b' is not allowed"),
        (f"{'x' * 65}=dinov2", "is not allowed; use up to 64 letters"),
        ("ft=ft2", "variant 'ft' is built like unknown model 'ft2'"),
        ("ft=", "--variant takes NAME=KEY"),
    ],
)
def test_bad_variant_declarations(value: str, message: str) -> None:
    with pytest.raises(ModelLoadError, match=re.escape(message)):
        parse_variants([value])


def test_a_variant_resolves_like_its_key_under_its_own_name(tiny_checkpoints: dict[str, Path]) -> None:
    resolved = resolve_model("clip", str(tiny_checkpoints["clip"]), "pretrained", name="clip-ft")
    assert (resolved.name, resolved.spec.key, resolved.patch_size) == ("clip-ft", "clip", 4)
    assert resolve_model("clip", None, "random").name == "clip"
    with pytest.raises(ModelLoadError, match="'clip-ft' takes clip"):
        resolve_model("clip", str(tiny_checkpoints["mae"]), "pretrained", name="clip-ft")


def test_patch_size_comes_from_the_vision_config_of_either_kind() -> None:
    assert resolve_model("siglip", None, "random").patch_size == 16  # composite config: vision_config
    assert resolve_model("qwen2_5_vl", None, "random").patch_size == 14
