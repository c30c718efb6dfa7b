"""Kills while a model's group is set up (created, rebuilt, grown) and what a rerun makes of them:
every rerun finishes or redoes the setup and ends with the maps an uninterrupted run stores.
Also: a killed run whose rerun has nothing to do is closed, and Ctrl-C during the imports."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from precompute.runner import FAULT_ENV, run
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import write_gallery
from tests.precompute.test_cli import ROOT, checkpoint_args, cli, options
from tests.precompute.test_vlm import GOOD, _all_arrays, vlm_args, vlm_options

VIT = "dinov2"
VLM = "qwen2_5_vl"


def maps_by_image(root: Path, key: str) -> dict[tuple[str, str], np.ndarray]:
    """Every finished image's row of every map array, keyed by (array, image id); checks on the way
    that each method group's `image` coordinate names the row's image."""
    catalog = CatalogWriter.open(f"sqlite:///{root / 'catalog.db'}")
    group = zarr.open_group(str(root / "store.zarr"), mode="r", use_consolidated=False)[key]
    assert isinstance(group, zarr.Group)
    found: dict[tuple[str, str], np.ndarray] = {}
    for image_id in sorted(catalog.done_ids(key)):
        row = catalog.row_of(image_id, key)
        assert row is not None
        for method, sub in group.groups():
            for name, array in sub.arrays():
                if name == "image":
                    assert array[row] == image_id, (method, row)
                elif name != "token":
                    found[(f"{method}/{name}", image_id)] = np.asarray(array[row])
    catalog.close()
    return found


def assert_same_maps(
    expected: dict[tuple[str, str], np.ndarray], got: dict[tuple[str, str], np.ndarray]
) -> None:
    assert expected.keys() == got.keys() and len({image for _path, image in expected}) == 6
    for key in expected:
        assert np.array_equal(expected[key], got[key]), key


@pytest.fixture(scope="module")
def vit_reference(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path]) -> dict:
    root = tmp_path_factory.mktemp("vit_reference")
    write_gallery(root / "images")
    run(options(root, tiny_checkpoints, [VIT]))
    return maps_by_image(root, VIT)


@pytest.mark.parametrize(
    ("fault", "code"),
    [("kill-in-create:0", -9), ("kill-in-create:3", -9), ("interrupt:kill-in-create:2", 130)],
)
def test_vit_group_creation_killed_then_rerun_builds_it(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], vit_reference: dict, fault: str, code: int
) -> None:
    write_gallery(tmp_path / "images")
    args = checkpoint_args(tiny_checkpoints, VIT)
    first = cli(tmp_path, *args, env={FAULT_ENV: fault})
    assert first.returncode == code, first.stderr
    assert "Traceback" not in first.stderr
    group = zarr.open_group(str(tmp_path / "store.zarr" / VIT), mode="r", use_consolidated=False)
    assert "checkpoint" not in group.attrs  # left incomplete
    second = cli(tmp_path, *args)
    assert second.returncode == 0, second.stderr
    assert "dinov2: 6 images" in second.stdout
    assert_same_maps(vit_reference, maps_by_image(tmp_path, VIT))


def test_vit_rebuild_killed_after_the_old_group_is_marked_resumes_without_force(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], vit_reference: dict
) -> None:
    write_gallery(tmp_path / "images")
    run(options(tmp_path, tiny_checkpoints, [VIT]))
    args = checkpoint_args(tiny_checkpoints, VIT)
    first = cli(tmp_path, *args, "--force", env={FAULT_ENV: "kill-after-unmark:0"})
    assert first.returncode == -9, first.stderr
    second = cli(tmp_path, *args)  # no --force: the incomplete group is simply rebuilt
    assert second.returncode == 0, second.stderr
    assert "dinov2: 6 images" in second.stdout
    assert_same_maps(vit_reference, maps_by_image(tmp_path, VIT))


def test_vit_resize_killed_halfway_then_rerun_grows_the_rest(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], vit_reference: dict
) -> None:
    write_gallery(tmp_path / "images")
    shutil.move(tmp_path / "images" / "sub", tmp_path / "later")
    run(options(tmp_path, tiny_checkpoints, [VIT]))  # 5 images
    shutil.move(tmp_path / "later", tmp_path / "images" / "sub")
    args = checkpoint_args(tiny_checkpoints, VIT)
    first = cli(tmp_path, *args, env={FAULT_ENV: "kill-in-resize:2"})
    assert first.returncode == -9, first.stderr
    group = zarr.open_group(str(tmp_path / "store.zarr" / VIT), mode="r", use_consolidated=False)
    shapes = {name: array.shape[0] for name, array in group["cls"].arrays()}
    assert len(set(shapes.values())) == 2, shapes  # some arrays grown, some not
    second = cli(tmp_path, *args)
    assert second.returncode == 0, second.stderr
    assert "dinov2: 1 images" in second.stdout and "5 already done" in second.stdout
    assert_same_maps(vit_reference, maps_by_image(tmp_path, VIT))


@pytest.fixture(scope="module")
def vlm_reference(tmp_path_factory: pytest.TempPathFactory, tiny_vlms: dict[str, Path]) -> dict:
    root = tmp_path_factory.mktemp("vlm_reference")
    write_gallery(root / "images")
    run(vlm_options(root, tiny_vlms, [VLM]))
    return _all_arrays(root / "store.zarr")


@pytest.mark.parametrize(
    ("fault", "force"),
    [("kill-in-create:0", False), ("kill-after-unmark:0", True), ("kill-in-sample:1", False)],
)
def test_vlm_setup_killed_then_rerun_builds_it(
    tmp_path: Path, tiny_vlms: dict[str, Path], vlm_reference: dict, fault: str, force: bool
) -> None:
    write_gallery(tmp_path / "images")
    if force:
        run(vlm_options(tmp_path, tiny_vlms, [VLM]))
    args = vlm_args(tiny_vlms, VLM)
    first = cli(tmp_path, *args, *(["--force"] if force else []), env={FAULT_ENV: fault})
    assert first.returncode == -9, first.stderr
    second = cli(tmp_path, *args)
    assert second.returncode == 0, second.stderr
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert catalog.done_ids(VLM) == set(GOOD)
    got = _all_arrays(tmp_path / "store.zarr")
    assert got.keys() == vlm_reference.keys()
    for path in vlm_reference:
        assert np.array_equal(vlm_reference[path], got[path]), path


def test_killed_run_is_closed_by_a_rerun_with_nothing_to_do(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images")
    args = checkpoint_args(tiny_checkpoints, "mae")
    first = cli(tmp_path, *args, env={FAULT_ENV: "kill-after-commit:3"})  # the last batch, committed
    assert first.returncode == -9, first.stderr
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert [r.status for r in catalog.runs("mae")] == ["running"]
    second = cli(tmp_path, *args)
    assert second.returncode == 0, second.stderr
    assert "nothing to do for 1 model(s) (mae)" in second.stdout
    assert [r.status for r in catalog.runs("mae")] == ["killed"]


def test_ctrl_c_during_the_imports_exits_quietly(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "precompute", "--quiet", "--images", str(tmp_path)]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)  # importing torch and transformers takes seconds
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert err.strip().count("\n") == 0  # one line
