"""Damaged checkpoint files are refused when the model is resolved (before a run creates
anything), with a message naming the file; whole files pass."""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from ssl_attention.models.registry import ModelLoadError, check_weight_files, resolve_model


def copy_of(checkpoint: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "ck"
    shutil.copytree(checkpoint, folder)
    return folder


def test_a_whole_checkpoint_passes(tiny_checkpoints: dict[str, Path]) -> None:
    check_weight_files(tiny_checkpoints["dinov2"], "dinov2")
    assert resolve_model("dinov2", str(tiny_checkpoints["dinov2"])).checkpoint == str(
        tiny_checkpoints["dinov2"]
    )


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda data: data[: len(data) // 2], "truncated ("),
        (lambda data: data[:5], "shorter than its header"),
        (lambda data: struct.pack("<Q", 10**12) + data[8:], "truncated inside its header"),
        (lambda data: data[:8] + b"\xff" * (len(data) - 8), "its header is not JSON"),
    ],
)
def test_a_damaged_safetensors_file_is_refused(
    tiny_checkpoints: dict[str, Path], tmp_path: Path, damage: Callable[[bytes], bytes], why: str
) -> None:
    folder = copy_of(tiny_checkpoints["dinov2"], tmp_path)
    weights = folder / "model.safetensors"
    weights.write_bytes(damage(weights.read_bytes()))
    with pytest.raises(ModelLoadError, match=r"model\.safetensors for 'dinov2' is damaged") as raised:
        resolve_model("dinov2", str(folder))
    assert why in str(raised.value)
    # Random weights never read the file: the same folder still resolves.
    assert resolve_model("dinov2", str(folder), "random").weights == "random"


def test_a_bin_that_is_not_an_archive_and_a_garbage_preprocessor_config_are_refused(
    tiny_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    folder = copy_of(tiny_checkpoints["dinov2"], tmp_path)
    (folder / "pytorch_model.bin").write_bytes(b"PK\x03\x04 half an archive")
    with pytest.raises(ModelLoadError, match=r"pytorch_model\.bin for 'dinov2' is damaged"):
        check_weight_files(folder, "dinov2")
    (folder / "pytorch_model.bin").unlink()
    (folder / "preprocessor_config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"preprocessor_config\.json cannot be read \(JSONDecodeError\)"):
        resolve_model("dinov2", str(folder))
    (folder / "preprocessor_config.json").write_text(json.dumps([1, 2]))  # JSON, not an object: defaults
    assert resolve_model("dinov2", str(folder)).normalization is not None
