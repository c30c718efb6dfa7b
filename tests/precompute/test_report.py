"""What `precompute` prints: the run summary's lines and warnings above the progress bar."""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from precompute.cli import main
from precompute.kind import ModelSummary
from precompute.report import RunReport, progress_bars, rate, summary_lines, warnings_above_bars
from ssl_attention.metrics.compute import MetricsReport
from tests.conftest import write_gallery
from tests.tiny_models import IMAGE_SIZE


def ran(key: str, done: int, seconds: float, load: float = 1.0, **more: object) -> ModelSummary:
    return ModelSummary(key, done=done, seconds=seconds, load_seconds=load, bytes_written=2048, **more)  # type: ignore[arg-type]


def test_slow_rates_read_as_seconds_per_image() -> None:
    assert rate(ran("dinov2", 10, seconds=6.0, load=1.0)) == "2.00 img/s"
    assert rate(ran("qwen", 2, seconds=149.0, load=1.0, unit="tok", tokens=40)) == (
        "74 s per image, 40 text tokens, 0.3 tok/s"
    )
    assert rate(ran("clip", 3, seconds=5.5, load=1.0)) == "1.5 s per image"


def test_models_with_nothing_to_do_fold_into_one_line() -> None:
    idle = [ModelSummary(f"m{i}", already_done=20, bytes_written=0) for i in range(24)]
    lines = summary_lines(RunReport(idle, []))
    assert lines == [
        "nothing to do for 24 model(s) (m0, m1, m2, m3, m4 +19 more): all 20 images already done"
    ]
    mixed = summary_lines(RunReport([ran("dinov2", 5, 3.0), *idle[:2]], []))
    assert mixed[0].startswith("dinov2: 5 images in 3.0 s (2.50 img/s after 1.0 s loading)")
    assert mixed[1] == "nothing to do for 2 model(s) (m0, m1): all 20 images already done"
    assert mixed[-1] == "total: 5 image maps over 3 model(s) in 3.0 s, 2.0 KiB written"


def test_metrics_line_separates_baselines_and_says_when_nothing_is_annotated() -> None:
    scored = MetricsReport(pairs_scored=20, values=400, summaries=7, baselines_scored=5, annotated_images=5)
    lines = summary_lines(RunReport([], [], metrics=scored))
    assert lines[0] == (
        "metrics: 15 image × model pairs scored and 5 image baselines (centre, random) (400 values), "
        "0 pairs already scored, 7 summaries"
    )
    none = summary_lines(
        RunReport([], [], metrics=MetricsReport(), annotations_looked_for="/g/annotations.json")
    )
    assert none[0] == (
        "metrics: no annotations found (looked for /g/annotations.json; see --annotations), nothing scored"
    )


def test_warnings_get_a_line_of_their_own_above_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with warnings.catch_warnings(), warnings_above_bars():
        warnings.simplefilter("always")
        bar = progress_bars(quiet=False)("dinov2", 4)
        bar.update(1)
        warnings.warn("`foo` is deprecated", FutureWarning, stacklevel=1)
        bar.update(1)
        bar.close()
    line = next(line for line in err.getvalue().split("\n") if "FutureWarning" in line)
    shown = line.rsplit("\r", 1)[-1]  # what is left on the terminal line after tqdm's carriage returns
    assert shown.endswith("FutureWarning: `foo` is deprecated") and "%|" not in shown
    assert "2/4" in err.getvalue()  # the bar carried on below it


def test_a_run_summary_from_the_command(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """No annotations with --metrics, a panorama beyond 2:1, then a rerun with nothing to do."""
    images = tmp_path / "images"
    write_gallery(images, n_good=3)
    Image.fromarray(np.full((20, 80, 3), 120, np.uint8)).save(images / "panorama.png")
    models = ["dinov2", "clip"]
    argv = [
        "--quiet", "--device", "cpu", "--images", str(images), "--store", str(tmp_path / "s.zarr"),
        "--db", f"sqlite:///{tmp_path / 'c.db'}", "--models", ",".join(models), "--metrics",
        "--image-size", str(IMAGE_SIZE), "--weights", "random",
        *(arg for key in models for arg in ("--checkpoint", f"{key}={tiny_checkpoints[key]}")),
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        f"metrics: no annotations found (looked for {images / 'annotations.json'}; see --annotations), nothing scored"
        in out
    )
    warning = next(line for line in out if line.startswith("warning:"))
    assert (
        warning.startswith("warning: 1 image(s) wider or taller than 2:1") and "panorama (80×20)" in warning
    )
    assert [line.split(":")[0] for line in out if line.startswith(("dinov2:", "clip:"))] == models

    assert main(argv) == 0
    again = capsys.readouterr().out.splitlines()
    assert not any(line.startswith(("dinov2:", "clip:", "total:")) for line in again)
    assert len(again) == 3 and again[1].startswith("metrics: no annotations") and again[2] == warning
    assert again[0] == (
        "nothing to do for 2 model(s) (dinov2, clip): all 4 images already done, "
        "2 unreadable files skipped (recorded in the catalog)"
    )


class RecordingBar:
    def __init__(self, total: int) -> None:
        self.total, self.events = total, list[tuple[str, object]]()

    def update(self, n: int) -> None:
        self.events.append(("update", n))

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.events.append(("postfix", text))

    def close(self) -> None:
        self.events.append(("close", None))


def test_the_bar_says_which_batch_computes_and_counts_images(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    from precompute.runner import RunOptions, run

    write_gallery(tmp_path / "images", n_good=5)  # 5 images + 2 unreadable, batches of 3
    bars: list[RecordingBar] = []

    def progress(key: str, total: int) -> RecordingBar:
        bars.append(RecordingBar(total))
        return bars[-1]

    options = RunOptions(
        models=["dinov2"],
        images=tmp_path / "images",
        store=str(tmp_path / "s.zarr"),
        db=f"sqlite:///{tmp_path / 'c.db'}",
        checkpoints={"dinov2": str(tiny_checkpoints["dinov2"])},
        image_size=IMAGE_SIZE,
        batch_size=3,
        device="cpu",
    )
    run(options, progress=progress)
    (bar,) = bars
    postfixes = [text for kind, text in bar.events if kind == "postfix"]
    # the unreadable files fill the third batch: it has nothing to compute
    assert postfixes == ["batch 1/3: 3 images", "batch 2/3: 2 images"]
    assert sum(n for kind, n in bar.events if kind == "update") == bar.total == 7  # type: ignore[misc]
    assert bar.events[-1] == ("close", None)


def test_the_vit_bar_advances_image_by_image_within_a_batch(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    """One batch of 6 images (and 2 unreadable files) through a 3-layer model: the bar moves as
    the layers finish (2, 2, 2 images), not once at the end of the batch; the stored maps equal
    those of a run without a bar (the hooks only watch)."""
    from precompute.runner import RunOptions, run
    from tests.precompute.test_cli import store_arrays

    write_gallery(tmp_path / "images", n_good=6)
    bars: list[RecordingBar] = []

    def progress(key: str, total: int) -> RecordingBar:
        bars.append(RecordingBar(total))
        return bars[-1]

    def options(name: str) -> RunOptions:
        return RunOptions(
            models=["dinov2"],
            images=tmp_path / "images",
            store=str(tmp_path / f"{name}.zarr"),
            db=f"sqlite:///{tmp_path / f'{name}.db'}",
            checkpoints={"dinov2": str(tiny_checkpoints["dinov2"])},
            image_size=IMAGE_SIZE,
            batch_size=16,
            device="cpu",
        )

    run(options("bar"), progress=progress)
    (bar,) = bars
    # the unreadable files count when they fail, the 6 images layer by layer
    assert [n for kind, n in bar.events if kind == "update"] == [1, 1, 2, 2, 2]
    run(options("plain"))
    with_bar, plain = store_arrays(str(tmp_path / "bar.zarr")), store_arrays(str(tmp_path / "plain.zarr"))
    assert with_bar.keys() == plain.keys()
    for path, values in plain.items():
        np.testing.assert_array_equal(with_bar[path], values, err_msg=path)
