"""What a precompute run prints: the progress bars while it runs (warnings written above them,
not into them) and the summary at the end.

The summary says per model what was computed, folds the models with nothing to do into one
line, says which metrics pairs are baselines, says when no annotations were found (and where it
looked), gives slow rates as seconds per image, and warns about images a ViT squashes.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from precompute.faithfulness import FaithfulnessReport
from precompute.kind import ModelSummary
from ssl_attention.metrics.compute import MetricsReport
from ssl_attention.metrics.shift import ShiftReport
from ssl_attention.store.catalog import CatalogReader

MAX_ASPECT = 2.0  # wider or taller than 2:1: a square ViT input squashes the image visibly
LISTED = 5  # names or ids listed before "+N more"


@dataclass
class RunReport:
    models: list[ModelSummary]
    skipped_files: list[tuple[str, str]]  # (relative path, why): files that never got an id
    annotations: int = 0  # ground-truth boxes loaded from the gallery's annotations.json
    metrics: MetricsReport | None = None
    shift: ShiftReport | None = None  # variants compared with their bases (`--metrics`)
    faithfulness: FaithfulnessReport | None = None  # deletion/insertion curves (`--faithfulness`)
    annotations_looked_for: str = ""  # the annotation file the run read or looked for
    squashed: list[tuple[str, int, int]] = field(default_factory=list)  # (id, w, h) beyond 2:1, ViT runs
    notes: list[str] = field(default_factory=list)  # lines printed first (text runs, skipped models)


def progress_bars(quiet: bool) -> Any:
    """The run's progress callback: one tqdm bar per model on stderr, counted in images."""
    if quiet:
        return None
    from tqdm import tqdm

    def bar(key: str, total: int) -> Any:
        return tqdm(total=total, desc=f"{key:>8}", unit="img", dynamic_ncols=True, file=sys.stderr)

    return bar


@contextmanager
def warnings_above_bars() -> Iterator[None]:
    """Print warnings (transformers' FutureWarnings, ...) through tqdm.write, so a warning gets a
    line of its own above the bar instead of being glued into the bar's line."""
    from tqdm import tqdm

    previous = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        text = warnings.formatwarning(message, category, filename, lineno, line).rstrip("\n")
        tqdm.write(text, file=file or sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def size(n: int | None) -> str:
    if n is None:
        return "n/a"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def rate(model: ModelSummary) -> str:
    """Images per second, or seconds per image when under one image a second ("74 s per image")."""
    per_second = model.images_per_second
    if per_second >= 1 or per_second == 0:
        text = f"{per_second:.2f} img/s"
    else:
        text = (
            f"{1 / per_second:.0f} s per image" if per_second < 0.5 else f"{1 / per_second:.1f} s per image"
        )
    if model.unit == "tok":
        text += f", {model.tokens} text tokens, {model.tokens_per_second:.1f} tok/s"
    return text


def idle(model: ModelSummary) -> bool:
    """A model whose plan had nothing to do (its weights were never loaded)."""
    return model.seconds == 0 and model.done == 0 and not model.failed


def listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return shown + (f" +{len(names) - LISTED} more" if len(names) > LISTED else "")


def squashed_images(catalog: CatalogReader, ids: Sequence[str]) -> list[tuple[str, int, int]]:
    """(id, width, height) of the images beyond 2:1 either way, in id order."""
    wanted = set(ids)
    found = []
    for image in catalog.images(limit=2**31 - 1)[0]:
        w, h = image.width or 0, image.height or 0
        if image.id in wanted and w and h and max(w / h, h / w) > MAX_ASPECT:
            found.append((image.id, w, h))
    return found


def summary_lines(report: RunReport) -> list[str]:
    lines = [*report.notes, *(f"skipped {path}: {why}" for path, why in report.skipped_files)]
    if report.annotations:
        lines.append(f"annotations: {report.annotations} ground-truth boxes loaded")
    total_done = total_seconds = total_bytes = 0.0
    for model in report.models:
        if idle(model):
            continue
        line = (
            f"{model.key}: {model.done} images in {model.seconds:.1f} s "
            f"({rate(model)} after {model.load_seconds:.1f} s loading), "
            f"{model.already_done} already done, {len(model.failed)} failed, {size(model.bytes_written)} written"
        )
        if model.repaired:
            line += f", {model.repaired} damaged in the store and recomputed"
        if model.known_unreadable:
            line += f", {model.known_unreadable} unreadable files skipped (recorded in the catalog)"
        lines.append(line)
        lines += [f"  failed {image_id}: {why}" for image_id, why in model.failed]
        total_done += model.done
        total_seconds += model.seconds
        total_bytes += model.bytes_written or 0
    resting = [model for model in report.models if idle(model)]
    if resting:
        unreadable = max(model.known_unreadable for model in resting)
        line = (
            f"nothing to do for {len(resting)} model(s) ({listed([m.key for m in resting])}): "
            f"all {max(m.already_done for m in resting)} images already done"
        )
        if unreadable:
            line += f", {unreadable} unreadable files skipped (recorded in the catalog)"
        lines.append(line)
    if report.metrics is not None:
        lines.append(metrics_line(report))
    if report.shift is not None and report.shift.pairs:
        s = report.shift
        lines.append(
            f"shift: {s.pairs} variant × base pair(s), {s.images_computed} images compared "
            f"({s.values} distances), {s.images_already} unchanged"
        )
    if report.faithfulness is not None:
        lines.append(faithfulness_line(report.faithfulness))
    if report.squashed:
        ids = listed([f"{image_id} ({w}×{h})" for image_id, w, h in report.squashed])
        lines.append(
            f"warning: {len(report.squashed)} image(s) wider or taller than 2:1, squashed to a square "
            f"ViT input (their maps are stretched): {ids}"
        )
    if len(resting) < len(report.models):  # a rerun with nothing to do ends at its one line
        lines.append(
            f"total: {int(total_done)} image maps over {len(report.models)} model(s) in {total_seconds:.1f} s, "
            f"{size(int(total_bytes))} written"
        )
    return lines


def metrics_line(report: RunReport) -> str:
    m = report.metrics
    assert m is not None
    if not m.annotated_images:
        looked = report.annotations_looked_for or "annotations.json in the image folder"
        return f"metrics: no annotations found (looked for {looked}; see --annotations), nothing scored"
    models = m.pairs_scored - m.baselines_scored
    return (
        f"metrics: {models} image × model pairs scored and {m.baselines_scored} image baselines "
        f"(centre, random) ({m.values} values), {m.pairs_already} pairs already scored, "
        f"{m.summaries} summaries"
    )


def faithfulness_line(f: FaithfulnessReport) -> str:
    line = (
        f"faithfulness: {f.images_computed} image × model pairs computed ({f.maps} maps' deletion and "
        f"insertion curves) in {f.seconds:.1f} s, {f.images_already} pairs already computed"
    )
    if f.skipped:
        line += f"; {', '.join(f.skipped)} skipped (no faithfulness target for its kind)"
    return line


def print_summary(report: RunReport) -> None:
    for line in summary_lines(report):
        print(line)
