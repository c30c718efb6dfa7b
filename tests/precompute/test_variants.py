"""Named model variants: `--variant NAME=KEY` stores a model built like KEY under NAME, beside KEY,
in one store and one catalog; reruns skip, a changed checkpoint needs --force, which rebuilds only
that variant; the API lists and serves both."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers as T
import zarr
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.cli import main
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.layout import VitAttrs, VlmAttrs
from tests.conftest import write_gallery
from tests.precompute.test_cli import store_arrays
from tests.precompute.test_vlm import TEXT_ARRAYS, vlm_args
from tests.tiny_models import IMAGE_SIZE

GOOD = {"img_0", "img_1", "img_2", "img_3", "img_4", "sub__nested_5"}


def fine_tuned(base: Path, target: Path, seed: int) -> Path:
    """A 'fine-tuned' copy of a tiny checkpoint: the same architecture, other weights."""
    model = T.Dinov2WithRegistersModel.from_pretrained(base)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.05 * torch.randn(param.shape, generator=generator))
    model.save_pretrained(target)
    shutil.copy(base / "preprocessor_config.json", target / "preprocessor_config.json")
    return target


def base_args(tmp: Path) -> list[str]:
    return [
        "--quiet", "--device", "cpu", "--images", str(tmp / "images"), "--store", str(tmp / "store.zarr"),
        "--db", f"sqlite:///{tmp / 'catalog.db'}", "--image-size", str(IMAGE_SIZE), "--batch-size", "4", "--per-head",
    ]  # fmt: skip


def group_files(store: Path, name: str) -> dict[str, bytes]:
    folder = store / name
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def side_by_side(
    tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path]
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("variants")
    write_gallery(root / "images")
    ft = fine_tuned(tiny_checkpoints["dinov2"], root / "ft", seed=1)
    args = [*base_args(root), "--variant", "dinov2-ft=dinov2", "--models", "dinov2,dinov2-ft"]
    args += ["--checkpoint", f"dinov2={tiny_checkpoints['dinov2']}", "--checkpoint", f"dinov2-ft={ft}"]
    assert main(args) == 0
    return {"root": root, "ft": ft}


def test_variant_is_stored_beside_its_base(
    side_by_side: dict[str, Path], tiny_checkpoints: dict[str, Path]
) -> None:
    root = side_by_side["root"]
    models = AttentionStoreReader(str(root / "store.zarr")).models()
    assert set(models) == {"dinov2", "dinov2-ft"}
    base, variant = models["dinov2"], models["dinov2-ft"]
    assert isinstance(base, VitAttrs) and isinstance(variant, VitAttrs)
    assert (base.key, base.base_key, base.checkpoint) == ("dinov2", "dinov2", str(tiny_checkpoints["dinov2"]))
    assert (variant.key, variant.base_key, variant.checkpoint) == (
        "dinov2-ft",
        "dinov2",
        str(side_by_side["ft"]),
    )
    assert (
        variant.family == base.family
        and variant.grid == base.grid
        and variant.prefix_tokens == base.prefix_tokens
    )
    catalog = CatalogWriter.open(f"sqlite:///{root / 'catalog.db'}")
    assert catalog.done_ids("dinov2") == catalog.done_ids("dinov2-ft") == GOOD
    (run,) = catalog.runs("dinov2-ft")
    assert run.params["base_key"] == "dinov2" and run.checkpoint == str(side_by_side["ft"])
    arrays = store_arrays(str(root / "store.zarr"))
    assert arrays["dinov2/cls/heads"].shape == arrays["dinov2-ft/cls/heads"].shape
    assert not np.array_equal(arrays["dinov2/cls/heads"], arrays["dinov2-ft/cls/heads"])  # other weights


def test_base_maps_are_those_of_a_run_without_the_variant(
    tmp_path: Path, side_by_side: dict[str, Path], tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images")
    args = [
        *base_args(tmp_path),
        "--models",
        "dinov2",
        "--checkpoint",
        f"dinov2={tiny_checkpoints['dinov2']}",
    ]
    assert main(args) == 0
    alone = store_arrays(str(tmp_path / "store.zarr"))
    both = store_arrays(str(side_by_side["root"] / "store.zarr"))
    assert alone.keys() == {k for k in both if k.startswith("dinov2/")}
    for path, values in alone.items():
        assert np.array_equal(values, both[path]), path


def test_rerun_skips_and_changed_checkpoint_rebuilds_only_the_variant(
    side_by_side: dict[str, Path], tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, store = side_by_side["root"], side_by_side["root"] / "store.zarr"
    base_before = group_files(store, "dinov2")
    variant_before = store_arrays(str(store))
    capsys.readouterr()
    declare = [*base_args(root), "--variant", "dinov2-ft=dinov2"]
    for name, checkpoint in (("dinov2-ft", side_by_side["ft"]), ("dinov2", tiny_checkpoints["dinov2"])):
        assert main([*declare, "--models", name, "--checkpoint", f"{name}={checkpoint}"]) == 0
        out = capsys.readouterr().out
        assert f"nothing to do for 1 model(s) ({name}): all 6 images already done" in out, out

    ft2 = fine_tuned(tiny_checkpoints["dinov2"], root / "ft2", seed=2)
    changed = [*declare, "--models", "dinov2-ft", "--checkpoint", f"dinov2-ft={ft2}"]
    assert main(changed) == 2
    err = capsys.readouterr().err
    assert "model 'dinov2-ft'" in err and f"-> {ft2}" in err and "--force" in err and err.count("\n") == 1
    refused = store_arrays(str(store))
    assert all(np.array_equal(values, refused[path]) for path, values in variant_before.items())

    assert main([*changed, "--force"]) == 0
    assert group_files(store, "dinov2") == base_before  # the base: byte-identical
    after = store_arrays(str(store))
    assert not np.array_equal(after["dinov2-ft/cls/heads"], variant_before["dinov2-ft/cls/heads"])
    models = AttentionStoreReader(str(store)).models()
    assert models["dinov2-ft"].checkpoint == str(ft2) and models["dinov2"].checkpoint == str(
        tiny_checkpoints["dinov2"]
    )
    catalog = CatalogWriter.open(f"sqlite:///{root / 'catalog.db'}")
    assert catalog.done_ids("dinov2-ft") == catalog.done_ids("dinov2") == GOOD
    assert [r.status for r in catalog.runs("dinov2")] == ["done"]  # never touched again


def test_api_lists_and_serves_both(tmp_path: Path, side_by_side: dict[str, Path]) -> None:
    root = side_by_side["root"]
    store = tmp_path / "store.zarr"
    shutil.copytree(root / "store.zarr", store)
    shutil.copy(root / "catalog.db", tmp_path / "catalog.db")
    settings = ApiSettings(
        images=root / "images",
        store=str(store),
        db=f"sqlite:///{tmp_path / 'catalog.db'}",
        frontend_dist=tmp_path,
    )
    catalog = CatalogWriter.open(settings.db, migrate=False)
    reader = AttentionStoreReader(str(store))
    with TestClient(create_app(settings)) as client:
        listed = {m["key"]: m for m in client.get("/models").json()["models"]}
        assert set(listed) == {"dinov2", "dinov2-ft"}
        assert listed["dinov2-ft"]["checkpoint"] == reader.models()["dinov2-ft"].checkpoint
        served = {}
        for name in listed:
            body = client.get(
                "/attention/img_1/raw", params={"model": name, "method": "cls", "layer": 2}
            ).json()
            row = catalog.row_of("img_1", name)
            assert row is not None
            expected = reader.read_row(name, "cls/fused", row)[2]
            served[name] = np.array(body["data"], dtype=np.float16).reshape(expected.shape)
            assert np.array_equal(served[name], expected)
        assert not np.array_equal(served["dinov2"], served["dinov2-ft"])
    catalog.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--variant", "dinov2=clip", "--models", "dinov2"], "variant name 'dinov2' is taken"),
        (["--variant", "vit=dinov2", "--models", "dinov2"], "variant name 'vit' is taken"),
        (["--variant", "all=dinov2", "--models", "dinov2"], "variant name 'all' is taken"),
        (["--variant", "my ft=dinov2", "--models", "dinov2"], "variant name 'my ft' is not allowed"),
        (["--variant", "../up=dinov2", "--models", "dinov2"], "variant name '../up' is not allowed"),
        (["--variant", "ft=dinov9", "--models", "ft"], "variant 'ft' is built like unknown model 'dinov9'"),
        (["--variant", "ft", "--models", "dinov2"], "--variant takes NAME=KEY"),
        (["--variant", "ft=mae", "--variant", "ft=clip", "--models", "ft"], "--variant declares 'ft' twice"),
        (["--models", "dinov2-ft"], "unknown model 'dinov2-ft'"),
        (["--models", "mae", "--checkpoint", "ft=/x"], "--checkpoint names unknown model 'ft'"),
        (
            ["--variant", "ft=mae", "--models", "ft", "--checkpoint", "ft=/nonexistent/ft"],
            "checkpoint folder /nonexistent/ft for 'ft' does not exist; pass --checkpoint ft=DIR",
        ),
    ],
)
def test_bad_variants_are_one_line_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    assert main([*base_args(tmp_path), "--weights", "random", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("precompute: error:") and err.count("\n") == 1, err
    assert not (tmp_path / "store.zarr").exists() and not (tmp_path / "catalog.db").exists()


def test_vlm_variant_is_built_like_its_key(tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images", n_good=2)
    common = [
        "--quiet",
        "--device",
        "cpu",
        "--images",
        str(tmp_path / "images"),
        "--store",
        str(tmp_path / "store.zarr"),
    ]
    common += ["--db", f"sqlite:///{tmp_path / 'catalog.db'}", "--variant", "myqwen=qwen2_5_vl"]
    common += ["--checkpoint", f"myqwen={tiny_vlms['qwen2_5_vl']}"]
    args = vlm_args(tiny_vlms, "qwen2_5_vl")
    args[args.index("--models") + 1] = "qwen2_5_vl,myqwen"
    args[args.index("--max-new-tokens") + 1] = "1"
    assert main([*common, *args]) == 0
    models = AttentionStoreReader(str(tmp_path / "store.zarr")).models()
    assert set(models) == {"qwen2_5_vl", "myqwen"}
    attrs = models["myqwen"]
    assert isinstance(attrs, VlmAttrs)
    assert (attrs.key, attrs.base_key, attrs.family) == ("myqwen", "qwen2_5_vl", "qwen2_5_vl")
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    expected = {(i, p) for i in ("img_0", "sub__nested_1") for p in (0, 1)}
    assert catalog.done_samples("myqwen") == catalog.done_samples("qwen2_5_vl") == expected
    # The same checkpoint built like its key: the variant's maps are the base's, bit for bit.
    root = zarr.open_group(str(tmp_path / "store.zarr"), mode="r")
    base, variant = _arrays(root["qwen2_5_vl"]), _arrays(root["myqwen"])
    assert base.keys() == variant.keys() and len(base) == 2 * (3 + 2 * 3 + 2 * TEXT_ARRAYS)
    for path, values in base.items():
        assert np.array_equal(values, variant[path]), path


def _arrays(group: zarr.Group, prefix: str = "") -> dict[str, np.ndarray]:
    found = {f"{prefix}{name}": np.asarray(array[...]) for name, array in group.arrays()}
    for name, sub in group.groups():
        found |= _arrays(sub, f"{prefix}{name}/")
    return found
