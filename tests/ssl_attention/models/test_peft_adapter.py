"""PEFT adapters on a model: what merging leaves (the base's very architecture), what unmerged
adds, and that the loaded weights are PEFT's own merge."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import transformers as T
from peft import PeftModel

from ssl_attention.models.peft_adapter import AdapterError, parse_adapters, read_adapter
from ssl_attention.models.registry import resolve_model
from tests.tiny_adapters import save_lora

TARGETS = ["k_proj", "q_proj"]


@pytest.fixture(scope="module")
def lora(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path]) -> Path:
    base = T.Dinov2WithRegistersModel.from_pretrained(tiny_checkpoints["dinov2"])
    return save_lora(base, tmp_path_factory.mktemp("peft") / "lora", TARGETS, seed=7)


def test_merged_model_has_the_base_architecture_and_peft_merged_weights(
    lora: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    base = resolve_model("dinov2", str(tiny_checkpoints["dinov2"]), "pretrained")
    plain = base.load().model
    merged = replace(base, name="v", adapter=read_adapter("v", str(lora))).load().model
    # The same module classes and the same parameters (names, shapes, dtypes): the forward is the
    # base's, operation for operation — a merged adapter costs nothing at run time.
    assert [(n, type(m)) for n, m in merged.named_modules()] == [
        (n, type(m)) for n, m in plain.named_modules()
    ]
    assert {n: (p.shape, p.dtype) for n, p in merged.named_parameters()} == {
        n: (p.shape, p.dtype) for n, p in plain.named_parameters()
    }
    reference = PeftModel.from_pretrained(
        T.Dinov2WithRegistersModel.from_pretrained(tiny_checkpoints["dinov2"]), lora
    ).merge_and_unload()
    expected = dict(reference.named_parameters())
    changed = set()
    for name, param in merged.named_parameters():
        assert torch.equal(param, expected[name]), name
        if not torch.equal(param, dict(plain.named_parameters())[name]):
            changed.add(name.rsplit(".", 2)[-2])
    assert changed == {"q_proj", "k_proj"}  # only the targeted projections moved
    assert not merged.training


def test_unmerged_model_runs_peft_layers_beside_the_base_weights(
    lora: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    base = resolve_model("dinov2", str(tiny_checkpoints["dinov2"]), "pretrained")
    plain = base.load().model
    unmerged = replace(base, name="v", adapter=read_adapter("v", str(lora), merge=False)).load().model
    query = unmerged.encoder.layer[0].attention.q_proj
    assert type(query).__module__.startswith("peft.") and hasattr(query, "lora_A")
    assert torch.equal(query.base_layer.weight, plain.encoder.layer[0].attention.q_proj.weight)
    value = unmerged.encoder.layer[0].attention.v_proj
    assert isinstance(value, torch.nn.Linear) and not hasattr(value, "lora_A")


def test_read_adapter_records_config_and_content_hash(lora: Path) -> None:
    info = read_adapter("v", str(lora), merge=False)
    assert (info.peft_type, info.r, info.alpha, info.target_modules) == ("LORA", 4, 8.0, tuple(TARGETS))
    assert info.sha256 == hashlib.sha256((lora / "adapter_model.safetensors").read_bytes()).hexdigest()
    assert info.record()["merged"] is False and info.record()["target_modules"] == TARGETS


def test_parse_adapters() -> None:
    assert parse_adapters(["v=./a", " w = hub/id "], {"v": "dinov2", "w": "clip"}) == {
        "v": "./a",
        "w": "hub/id",
    }
    for values, message in (
        (["x=./a"], "--adapter names 'x', which is not a declared variant"),
        (["v"], "--adapter takes NAME=DIR_OR_HUB_ID"),
        (["v="], "--adapter takes NAME=DIR_OR_HUB_ID"),
        (["v=./a", "v=./b"], "--adapter gives 'v' twice"),
    ):
        with pytest.raises(AdapterError, match=message):
            parse_adapters(values, {"v": "dinov2"})
