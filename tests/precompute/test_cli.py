"""The `precompute` command: resumable after SIGKILL, idempotent, concurrent, strict about bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

from precompute.cli import main
from precompute.runner import FAULT_ENV, RunOptions, run
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import write_gallery
from tests.tiny_models import IMAGE_SIZE

ROOT = Path(__file__).resolve().parents[2]


def store_arrays(store: str) -> dict[str, np.ndarray]:
    group = zarr.open_group(store, mode="r")
    return {
        f"{name}/{path}": np.asarray(array[:])
        for name, model in group.groups()
        for path, array in model.arrays()
    } | {
        f"{name}/{sub}/{path}": np.asarray(array[:])
        for name, model in group.groups()
        for sub, inner in model.groups()
        for path, array in inner.arrays()
    }


def cli(tmp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "precompute", "--quiet", "--device", "cpu",
        "--images", str(tmp / "images"), "--store", str(tmp / "store.zarr"), "--db", f"sqlite:///{tmp / 'catalog.db'}",
        *args,
    ]  # fmt: skip
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=300)


def options(tmp: Path, checkpoints: dict[str, Path], models: list[str], **changes: object) -> RunOptions:
    values: dict[str, object] = dict(
        models=models,
        images=tmp / "images",
        store=str(tmp / "store.zarr"),
        db=f"sqlite:///{tmp / 'catalog.db'}",
        checkpoints={k: str(checkpoints[k]) for k in models},
        image_size=IMAGE_SIZE,
        batch_size=2,
        per_head=True,
        device="cpu",
    )
    values.update(changes)
    return RunOptions(**values)  # type: ignore[arg-type]


def checkpoint_args(checkpoints: dict[str, Path], *keys: str) -> list[str]:
    args = ["--models", ",".join(keys), "--image-size", str(IMAGE_SIZE), "--batch-size", "2", "--per-head"]
    for key in keys:
        args += ["--checkpoint", f"{key}={checkpoints[key]}"]
    return args


@pytest.mark.parametrize("fault", ["kill-after-write:1", "kill-after-commit:0"])
def test_run_killed_with_sigkill_resumes_to_identical_arrays(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], fault: str
) -> None:
    reference = tmp_path / "reference"
    write_gallery(reference / "images")
    run(options(reference, tiny_checkpoints, ["dinov2"]))

    killed = tmp_path / "killed"
    write_gallery(killed / "images")
    first = cli(killed, *checkpoint_args(tiny_checkpoints, "dinov2"), env={FAULT_ENV: fault})
    assert first.returncode == -9, first.stderr
    catalog = CatalogWriter.open(f"sqlite:///{killed / 'catalog.db'}")
    partial = catalog.done_ids("dinov2")
    assert 0 < len(partial) < 6  # some batches landed, not all

    second = cli(killed, *checkpoint_args(tiny_checkpoints, "dinov2"))
    assert second.returncode == 0, second.stderr
    assert f"{len(partial)} already done" in second.stdout
    assert len(catalog.done_ids("dinov2")) == 6
    assert [r.status for r in catalog.runs("dinov2")] == ["killed", "done"]
    expected, got = store_arrays(str(reference / "store.zarr")), store_arrays(str(killed / "store.zarr"))
    # 6 map arrays, the `image` coordinate of each of the 4 method groups, the prefix token names
    assert expected.keys() == got.keys() and len(expected) == 11
    for path in expected:
        assert np.array_equal(expected[path], got[path]), path


def test_second_run_skips_done_rows(tmp_path: Path, tiny_checkpoints: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images")
    first = run(options(tmp_path, tiny_checkpoints, ["clip"]))
    assert (first.models[0].done, first.models[0].already_done) == (6, 0)
    chunk = tmp_path / "store.zarr" / "clip" / "cls" / "heads" / "c" / "0" / "0" / "0" / "0" / "0"
    before = chunk.stat().st_mtime_ns
    again = run(options(tmp_path, tiny_checkpoints, ["clip"]))
    assert (again.models[0].done, again.models[0].already_done) == (0, 6)
    assert chunk.stat().st_mtime_ns == before  # nothing rewritten
    # A new image is appended as a new row; the old rows stay.
    write_gallery(tmp_path / "images" / "more", n_good=1, seed=3)
    grown = run(options(tmp_path, tiny_checkpoints, ["clip"]))
    assert grown.models[0].done == 1 and chunk.stat().st_mtime_ns == before


def test_bad_files_are_reported_skipped_and_recorded(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images")
    result = cli(tmp_path, *checkpoint_args(tiny_checkpoints, "mae"))
    assert result.returncode == 0, result.stderr
    assert "mae: 6 images" in result.stdout and "2 failed" in result.stdout
    assert "failed truncated: broken image data" in result.stdout
    assert "failed not_an_image: not an image" in result.stdout
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert "broken image data" in (catalog.image("truncated").error or "")  # type: ignore[union-attr]
    assert catalog.row_of("truncated", "mae") is None and catalog.row_of("img_0", "mae") is not None


def test_two_runs_for_different_models_at_once(tmp_path: Path, tiny_checkpoints: dict[str, Path]) -> None:
    shared = tmp_path / "shared"
    write_gallery(shared / "images")
    common = [
        sys.executable, "-m", "precompute", "--quiet", "--device", "cpu", "--images", str(shared / "images"),
        "--store", str(shared / "store.zarr"), "--db", f"sqlite:///{shared / 'catalog.db'}",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    procs = [
        subprocess.Popen(
            [*common, *checkpoint_args(tiny_checkpoints, key)], cwd=ROOT, env=env, stderr=subprocess.PIPE
        )
        for key in ("dinov3", "siglip")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    got = store_arrays(str(shared / "store.zarr"))
    for key in ("dinov3", "siglip"):
        alone = tmp_path / f"alone_{key}"
        write_gallery(alone / "images")
        run(options(alone, tiny_checkpoints, [key]))
        expected = store_arrays(str(alone / "store.zarr"))
        for path, values in expected.items():
            assert np.array_equal(values, got[path]), path


def test_changed_settings_need_force(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    write_gallery(tmp_path / "images", n_good=2)
    run(options(tmp_path, tiny_checkpoints, ["clip"]))
    capsys.readouterr()
    args = [
        "--quiet", "--device", "cpu", "--images", str(tmp_path / "images"), "--store", str(tmp_path / "store.zarr"),
        "--db", f"sqlite:///{tmp_path / 'catalog.db'}", "--models", "clip", "--checkpoint", f"clip={tiny_checkpoints['clip']}",
        "--image-size", "32", "--per-head",
    ]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "image_size: 24 -> 32" in err and "--force" in err and err.count("\n") == 1
    assert main([*args, "--force"]) == 0
    group = zarr.open_group(str(tmp_path / "store.zarr"), mode="r")
    assert group["clip"].attrs["image_size"] == 32 and group["clip/cls/heads"].shape == (4, 3, 2, 8, 8)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--models", "dinov9"],
            "unknown model 'dinov9'; choose from dinov2, dinov3, mae, clip, siglip, siglip2",
        ),
        (["--models", "dinov2", "--image-size", "230", "--weights", "random"], "use 224 or 238"),
        (
            ["--models", "clip", "--checkpoint", "clip=/nonexistent/folder"],
            "checkpoint folder /nonexistent/folder",
        ),
        (["--models", "clip", "--checkpoint", "clip"], "--checkpoint takes KEY=HF_ID_OR_DIR"),
        (["--models", "mae", "--batch-size", "0", "--weights", "random"], "--batch-size must be at least 1"),
        (
            ["--models", "dinov2"],
            "cannot load pretrained weights for 'dinov2' from facebook/dinov2-with-registers-base",
        ),
        (
            ["--models", "clip", "--weights", "random", "--images", "/nonexistent/images"],
            "image folder /nonexistent/images",
        ),
        (["--models", "clip", "--weights", "nope"], "argument --weights: invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    write_gallery(tmp_path / "images", n_good=1)
    base = ["--quiet", "--images", str(tmp_path / "images"), "--store", str(tmp_path / "store.zarr")]
    base += ["--db", f"sqlite:///{tmp_path / 'catalog.db'}"]
    with pytest.raises(SystemExit) if "invalid choice" in message else _no_exit() as exit_info:
        code = main([*base, *args])
    code = exit_info.value.code if exit_info is not None and hasattr(exit_info, "value") else code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.startswith("precompute: error:") and err.count("\n") == 1, err
    assert not (tmp_path / "store.zarr").exists() and not (tmp_path / "catalog.db").exists()


class _no_exit:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


def test_summary_reports_throughput_and_bytes(tmp_path: Path, tiny_checkpoints: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images", n_good=2)
    result = cli(tmp_path, *checkpoint_args(tiny_checkpoints, "dinov2", "siglip2"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("dinov2: 2 images in")
        and ("img/s" in line or "s per image" in line)  # a loaded machine can be under 1 img/s
        and "KiB written" in line
        for line in lines
    )
    assert lines[-1].startswith("total: 4 image maps over 2 model(s)")


def test_gallery_annotations_are_loaded_into_the_catalog(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images", n_good=2)
    coco = {
        "images": [{"id": 1, "file_name": "img_0.jpg", "width": 40, "height": 30}],
        "categories": [{"id": 3, "name": "gradient"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [4, 3, 20, 15]}],
    }
    (tmp_path / "images" / "annotations.json").write_text(json.dumps(coco))
    report = run(options(tmp_path, tiny_checkpoints, ["mae"]))
    assert report.annotations == 1
    (box,) = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}").annotations("img_0")
    assert (box.label, box.x0, box.y0, box.x1, box.y1) == ("gradient", 0.1, 0.1, 0.6, 0.6)


def test_annotations_flag_takes_a_coco_file(tmp_path: Path, tiny_checkpoints: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images", n_good=2)
    coco = {
        "images": [{"id": 1, "file_name": "img_0.jpg", "width": 40, "height": 30}],
        "categories": [{"id": 1, "name": "sky"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 15]}],
    }
    (tmp_path / "boxes.json").write_text(json.dumps(coco))
    report = run(
        options(tmp_path, tiny_checkpoints, ["mae"], annotations=tmp_path / "boxes.json", metrics=True)
    )
    assert report.annotations == 1 and report.metrics is not None and report.metrics.pairs_scored == 2
    with pytest.raises(Exception, match="does not exist"):
        run(options(tmp_path, tiny_checkpoints, ["mae"], annotations=tmp_path / "missing.json"))
