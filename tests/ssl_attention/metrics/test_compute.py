"""Metrics over a precomputed store: counts, independent spot checks, incremental reruns, summaries."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from precompute.runner import RunOptions, run
from ssl_attention.metrics.aggregate import bootstrap_ci, summarise
from ssl_attention.metrics.compute import compute_metrics
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter, MetricValue
from tests.conftest import write_gallery
from tests.tiny_models import IMAGE_SIZE

METRICS = ["iou_top10", "iou_top25", "iou_top50", "mass_iou_60", "pointing_15px", "energy"]


def annotate(folder: Path, boxes: dict[str, list[float]]) -> None:
    files = {"img_0": "img_0.jpg", "img_1": "img_1.png"}
    images = [{"id": i, "file_name": files[name], "width": 40, "height": 30} for i, name in enumerate(boxes)]
    annotations = [
        {"id": i, "image_id": i, "category_id": 1, "bbox": bbox} for i, bbox in enumerate(boxes.values())
    ]
    coco = {"images": images, "categories": [{"id": 1, "name": "thing"}], "annotations": annotations}
    (folder / "annotations.json").write_text(json.dumps(coco))


@pytest.fixture
def scored(tmp_path: Path, tiny_checkpoints: dict[str, Path]) -> tuple[RunOptions, CatalogWriter]:
    write_gallery(tmp_path / "images", n_good=3)
    annotate(tmp_path / "images", {"img_0": [0, 0, 20, 15], "img_1": [10, 5, 20, 20]})
    options = RunOptions(
        models=["clip"],
        images=tmp_path / "images",
        store=str(tmp_path / "store.zarr"),
        db=f"sqlite:///{tmp_path / 'catalog.db'}",
        checkpoints={"clip": str(tiny_checkpoints["clip"])},
        image_size=IMAGE_SIZE,
        batch_size=2,
        per_head=True,
        device="cpu",
        metrics=True,
    )
    report = run(options)
    assert report.metrics is not None and report.metrics.pairs_scored == 4  # 2 images × (clip + baselines)
    return options, CatalogWriter.open(options.db)


def test_every_map_of_every_annotated_image_is_scored(scored: tuple[RunOptions, CatalogWriter]) -> None:
    _, catalog = scored
    values = catalog.metric_values(model="clip")
    # cls and mean: 3 layers × (fused + 2 heads); rollout: 3 fused layers → 21 maps × 6 metrics × 2 images
    assert len(values) == 21 * 6 * 2
    assert {v.image_id for v in values} == {"img_0", "img_1"}
    assert sorted({v.metric for v in values}) == sorted(METRICS)
    assert all(0.0 <= v.value <= 1.0 for v in values)
    baseline = catalog.metric_values(model="baseline")
    assert {(v.method, v.layer, v.head) for v in baseline} == {("centre", 0, -1), ("random", 0, -1)}


def test_energy_matches_an_independent_computation(scored: tuple[RunOptions, CatalogWriter]) -> None:
    options, catalog = scored
    row = catalog.row_of("img_0", "clip")
    assert row is not None
    grid = AttentionStoreReader(options.store).read_row("clip", "cls/fused", row)[2].astype(np.float64)
    # Box [0, 0, 20, 15] of a 40×30 image = the top-left quarter. Evaluation frame: 224 × 168 pixels.
    import torch

    up = torch.nn.functional.interpolate(
        torch.from_numpy(grid)[None, None], size=(168, 224), mode="bilinear", align_corners=False
    )[0, 0].numpy()
    expected = up[:84, :112].sum() / up.sum()
    (got,) = [
        v.value
        for v in catalog.metric_values(model="clip", metric="energy", image_id="img_0")
        if (v.method, v.layer, v.head) == ("cls", 2, -1)
    ]
    assert got == pytest.approx(expected, rel=1e-9)


def test_reruns_are_incremental_and_changed_boxes_are_rescored(
    scored: tuple[RunOptions, CatalogWriter],
) -> None:
    options, catalog = scored
    again = run(options)
    assert again.metrics is not None and (again.metrics.pairs_scored, again.metrics.pairs_already) == (0, 2)
    annotate(options.images, {"img_0": [0, 0, 20, 15], "img_1": [0, 0, 40, 30]})  # img_2's box changed
    changed = run(options)
    assert changed.metrics is not None and changed.metrics.pairs_scored == 2  # img_2 × (clip + baselines)
    energy = catalog.metric_values(model="clip", metric="energy", image_id="img_1")
    assert all(v.value == pytest.approx(1.0) for v in energy)  # the box is the whole image


def test_summaries_hold_mean_std_ci_count(scored: tuple[RunOptions, CatalogWriter]) -> None:
    _, catalog = scored
    values = [
        v.value
        for v in catalog.metric_values(model="clip", metric="iou_top25")
        if (v.method, v.layer, v.head) == ("mean", 1, -1)
    ]
    (summary,) = catalog.summaries(metric="iou_top25", model="clip", method="mean", layer=1, head=-1)
    assert summary.count == 2 and summary.mean == pytest.approx(np.mean(values))
    assert summary.std == pytest.approx(np.std(values, ddof=1))
    assert summary.ci_low <= summary.mean <= summary.ci_high
    assert catalog.summaries(metric="iou_top25", model="clip", method="mean", layer=1, head=-1, label="thing")


def test_bootstrap_ci_on_fixed_data() -> None:
    values = np.array([0.0, 1.0] * 50)
    low, high = bootstrap_ci(values)
    assert low < 0.5 < high and high - low < 0.25  # ≈ ±1.96·0.05
    assert bootstrap_ci(np.array([0.3])) == (0.3, 0.3)
    rows = summarise([MetricValue("a", "m", "cls", 0, -1, "energy", 0.2)], {"a": {"cat"}})
    assert {r.label for r in rows} == {"", "cat"}


def test_metrics_without_annotations_score_nothing(tmp_path: Path, tiny_checkpoints: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    options = RunOptions(
        models=["mae"],
        images=tmp_path / "images",
        store=str(tmp_path / "store.zarr"),
        db=f"sqlite:///{tmp_path / 'catalog.db'}",
        checkpoints={"mae": str(tiny_checkpoints["mae"])},
        image_size=IMAGE_SIZE,
        device="cpu",
    )
    run(options)
    assert compute_metrics(options.store, catalog).pairs_scored == 0


def test_summaries_are_refreshed_only_when_scores_change(scored: tuple[RunOptions, CatalogWriter]) -> None:
    options, catalog = scored
    before = catalog.summaries(metric="energy", model="clip", method="cls", layer=2, head=-1)
    again = run(options)
    assert again.metrics is not None and again.metrics.summaries == 0  # nothing new: kept as they were
    assert [
        (r.mean, r.count)
        for r in catalog.summaries(metric="energy", model="clip", method="cls", layer=2, head=-1)
    ] == [(r.mean, r.count) for r in before]
    annotate(options.images, {"img_0": [0, 0, 20, 15]})  # img_1 loses its box
    changed = run(options)
    assert changed.metrics is not None and changed.metrics.summaries > 0
    (summary,) = catalog.summaries(metric="energy", model="clip", method="cls", layer=2, head=-1)
    assert summary.count == 1  # img_1 no longer counts
