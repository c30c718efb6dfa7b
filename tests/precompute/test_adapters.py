"""`--adapter NAME=DIR`: a PEFT (LoRA) adapter on a ViT variant's weights. The stored maps are those
of eager attention in the merged model; unmerged gives the same maps within float16; a zero
adapter gives the base's maps bit for bit; a changed adapter needs --force; bad adapters are one
line, exit 2, nothing written."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers as T
from peft import PeftModel

from precompute.cli import main
from ssl_attention.data.gallery import decode
from ssl_attention.models.preprocess import to_pixels
from ssl_attention.models.registry import resolve_model
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import write_gallery
from tests.precompute.test_cli import store_arrays
from tests.precompute.test_variants import GOOD, base_args
from tests.reference import maps_from_attentions
from tests.ssl_attention.attention.test_capture import eager_attentions
from tests.tiny_adapters import save_lora
from tests.tiny_models import IMAGE_SIZE

COORDINATES = ("/image", "/token")  # the ids beside the maps (xarray coordinates), not maps

TARGETS = ["k_proj", "q_proj"]


def lora_args(root: Path, tiny: Path, adapter: Path, *extra: str) -> list[str]:
    return [
        *base_args(root), "--variant", "dinov2-lora=dinov2", "--models", "dinov2,dinov2-lora",
        "--checkpoint", f"dinov2={tiny}", "--checkpoint", f"dinov2-lora={tiny}",
        "--adapter", f"dinov2-lora={adapter}", *extra,
    ]  # fmt: skip


def dinov2(tiny: Path) -> T.Dinov2WithRegistersModel:
    return T.Dinov2WithRegistersModel.from_pretrained(tiny).eval()


@pytest.fixture(scope="module")
def adapters(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path]) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("adapters")
    base = dinov2(tiny_checkpoints["dinov2"])
    return {
        "lora": save_lora(base, root / "lora", TARGETS, seed=1),
        "other": save_lora(base, root / "other", TARGETS, seed=2),
        "zero": save_lora(base, root / "zero", TARGETS, seed=3, zero=True),
    }


@pytest.fixture(scope="module")
def merged_run(
    tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path], adapters: dict[str, Path]
) -> Path:
    root = tmp_path_factory.mktemp("merged")
    write_gallery(root / "images")
    assert main(lora_args(root, tiny_checkpoints["dinov2"], adapters["lora"])) == 0
    return root


def test_stored_maps_equal_eager_attention_of_the_merged_model(
    merged_run: Path, tiny_checkpoints: dict[str, Path], adapters: dict[str, Path]
) -> None:
    reader = AttentionStoreReader(str(merged_run / "store.zarr"))
    catalog = CatalogWriter.open(f"sqlite:///{merged_run / 'catalog.db'}")
    assert catalog.done_ids("dinov2-lora") == GOOD
    attrs = reader.models()["dinov2-lora"]
    # The reference: the base checkpoint with the adapter merged by PEFT itself, eager attention.
    merged = PeftModel.from_pretrained(
        dinov2(tiny_checkpoints["dinov2"]), adapters["lora"]
    ).merge_and_unload()
    resolved = resolve_model("dinov2", str(tiny_checkpoints["dinov2"]), "pretrained")
    layout = resolved.load().layout(IMAGE_SIZE)
    ids = sorted(GOOD)
    images, _ = catalog.images(limit=100)
    paths = {info.id: info.path for info in images}
    pixels = torch.from_numpy(
        np.stack(
            [
                to_pixels(decode(merged_run / "images" / paths[i]).image, IMAGE_SIZE, resolved.normalization)
                for i in ids
            ]
        )
    )
    reference = maps_from_attentions(eager_attentions("dinov2", merged, pixels), layout)
    base = store_arrays(str(merged_run / "store.zarr"))
    assert set(reference) == {
        "cls/heads",
        "cls/fused",
        "mean/heads",
        "mean/fused",
        "prefix/heads",
        "rollout/fused",
    }
    for path, expected in reference.items():
        for index, image_id in enumerate(ids):
            row = catalog.row_of(image_id, "dinov2-lora")
            assert row is not None
            stored = reader.read_row("dinov2-lora", path, row).astype(np.float64)
            want = expected[index]
            if path != "prefix/heads":
                want = want.reshape(*want.shape[:-1], *attrs.grid)
            np.testing.assert_allclose(stored, want, rtol=2**-10, atol=2**-24, err_msg=f"{path} {image_id}")
        # The adapter really moved the maps away from the base's.
        assert not np.allclose(base[f"dinov2/{path}"], base[f"dinov2-lora/{path}"], atol=1e-3), path


def test_attrs_record_the_adapter(
    merged_run: Path, tiny_checkpoints: dict[str, Path], adapters: dict[str, Path]
) -> None:
    models = AttentionStoreReader(str(merged_run / "store.zarr")).models()
    variant, base = models["dinov2-lora"], models["dinov2"]
    weights = (adapters["lora"] / "adapter_model.safetensors").read_bytes()
    assert (variant.base_key, variant.checkpoint) == ("dinov2", str(tiny_checkpoints["dinov2"]))
    assert variant.adapter == {
        "source": str(adapters["lora"]),
        "peft_type": "LORA",
        "r": 4,
        "alpha": 8.0,
        "target_modules": TARGETS,
        "base_model": json.loads((adapters["lora"] / "adapter_config.json").read_text())[
            "base_model_name_or_path"
        ],
        "sha256": hashlib.sha256(weights).hexdigest(),
        "merged": True,
    }
    assert base.adapter is None and base.identity()["adapter"] is None
    assert "sha256=" in str(variant.identity()["adapter"]) and "merged" in str(variant.identity()["adapter"])


def test_unmerged_adapter_gives_the_same_maps_within_float16(
    tmp_path: Path, merged_run: Path, tiny_checkpoints: dict[str, Path], adapters: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images")
    assert main(lora_args(tmp_path, tiny_checkpoints["dinov2"], adapters["lora"], "--no-merge")) == 0
    unmerged = store_arrays(str(tmp_path / "store.zarr"))
    merged = store_arrays(str(merged_run / "store.zarr"))
    assert (
        AttentionStoreReader(str(tmp_path / "store.zarr")).models()["dinov2-lora"].adapter["merged"] is False
    )  # type: ignore[index]
    variant = [p for p in merged if p.startswith("dinov2-lora/") and not p.endswith(COORDINATES)]
    assert len(variant) == 6  # the maps
    for path in variant:
        np.testing.assert_allclose(
            unmerged[path].astype(np.float32),
            merged[path].astype(np.float32),
            rtol=2**-9,
            atol=2**-20,
            err_msg=path,
        )


def test_zero_adapter_gives_exactly_the_base_maps(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], adapters: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images")
    assert main(lora_args(tmp_path, tiny_checkpoints["dinov2"], adapters["zero"])) == 0
    arrays = store_arrays(str(tmp_path / "store.zarr"))
    base = {path.removeprefix("dinov2/"): a for path, a in arrays.items() if path.startswith("dinov2/")}
    variant = {
        path.removeprefix("dinov2-lora/"): a for path, a in arrays.items() if path.startswith("dinov2-lora/")
    }
    assert base.keys() == variant.keys() and len([p for p in base if not p.endswith(COORDINATES)]) == 6
    for path, values in base.items():
        assert np.array_equal(values, variant[path]), path


def test_changed_adapter_is_refused_without_force(
    tmp_path: Path,
    tiny_checkpoints: dict[str, Path],
    adapters: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_gallery(tmp_path / "images")
    tiny = tiny_checkpoints["dinov2"]
    assert main(lora_args(tmp_path, tiny, adapters["lora"])) == 0
    before = store_arrays(str(tmp_path / "store.zarr"))
    moved = shutil.copytree(adapters["lora"], tmp_path / "moved")  # the same adapter elsewhere: no change
    capsys.readouterr()
    assert main(lora_args(tmp_path, tiny, moved)) == 0
    assert "nothing to do for 2 model(s) (dinov2, dinov2-lora)" in capsys.readouterr().out

    assert main(lora_args(tmp_path, tiny, adapters["other"])) == 2
    err = capsys.readouterr().err
    assert (
        "model 'dinov2-lora'" in err and "adapter: LORA" in err and "--force" in err and err.count("\n") == 1
    )
    refused = store_arrays(str(tmp_path / "store.zarr"))
    assert all(np.array_equal(values, refused[path]) for path, values in before.items())

    assert main(lora_args(tmp_path, tiny, adapters["other"], "--force")) == 0
    after = store_arrays(str(tmp_path / "store.zarr"))
    assert not np.array_equal(after["dinov2-lora/cls/heads"], before["dinov2-lora/cls/heads"])
    assert np.array_equal(after["dinov2/cls/heads"], before["dinov2/cls/heads"])


def _bad_adapters(root: Path, tiny: dict[str, Path]) -> dict[str, tuple[str, str]]:
    """{case: (--adapter value, expected message)}."""
    no_config = root / "no_config"
    no_config.mkdir()
    (no_config / "adapter_model.safetensors").write_bytes(b"")
    no_weights = root / "no_weights"
    no_weights.mkdir()
    lora = save_lora(dinov2(tiny["dinov2"]), root / "good", TARGETS)
    shutil.copy(lora / "adapter_config.json", no_weights / "adapter_config.json")
    clip_model = T.CLIPVisionModel.from_pretrained(tiny["clip"])
    clip = save_lora(clip_model, root / "clip", ["q_proj", "k_proj"])
    out_proj = save_lora(clip_model, root / "out_proj", ["out_proj"])
    wider = T.Dinov2WithRegistersConfig(
        hidden_size=48, num_hidden_layers=3, num_attention_heads=2, patch_size=4, mlp_ratio=2, image_size=16
    )
    other_width = save_lora(T.Dinov2WithRegistersModel(wider), root / "wider", TARGETS)
    return {
        "missing": (
            str(root / "nowhere"),
            f"adapter folder {root / 'nowhere'} for 'dinov2-lora' does not exist",
        ),
        "no config": (str(no_config), "has no adapter_config.json"),
        "no weights": (str(no_weights), "has no weights (adapter_model.safetensors or adapter_model.bin)"),
        "other family": (
            str(clip),
            "does not fit its 'dinov2_with_registers' base: its weight encoder.layers.0.self_attn.k_proj.lora_A",
        ),
        "other targets": (str(out_proj), "its target modules ['out_proj'] are not in the model"),
        "other width": (str(other_width), "takes 48 inputs"),
    }


@pytest.mark.parametrize(
    "case", ["missing", "no config", "no weights", "other family", "other targets", "other width"]
)
def test_bad_adapters_are_one_line_exit_2_and_write_nothing(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str], case: str
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    value, message = _bad_adapters(tmp_path, tiny_checkpoints)[case]
    assert main(lora_args(tmp_path, tiny_checkpoints["dinov2"], Path(value))) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("precompute: error:") and err.count("\n") == 1, err
    assert not (tmp_path / "store.zarr").exists() and not (tmp_path / "catalog.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--models", "dinov2", "--adapter", "dinov2=./lora"],
            "--adapter names 'dinov2', which is not a declared variant",
        ),
        (["--models", "dinov2", "--adapter", "dinov2"], "--adapter takes NAME=DIR_OR_HUB_ID"),
        (
            ["--variant", "v=dinov2", "--models", "v", "--adapter", "v=./a", "--adapter", "v=./b"],
            "--adapter gives 'v' twice",
        ),
    ],
)
def test_adapter_flags_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    assert main([*base_args(tmp_path), "--weights", "random", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "store.zarr").exists() and not (tmp_path / "catalog.db").exists()
