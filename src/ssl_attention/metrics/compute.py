"""Score stored maps against the catalog's boxes: every image × model × method × layer × head (and fused)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ssl_attention.metrics.aggregate import summarise
from ssl_attention.metrics.baselines import centre_gaussian, uniform_random
from ssl_attention.metrics.frame import DEFAULT_FRAME, Frame, box_mask, upsample
from ssl_attention.metrics.localisation import (
    energy_in_boxes,
    iou_top_percent,
    mass_mask_iou,
    pointing_hit,
)
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import Catalog, MetricValue
from ssl_attention.store.layout import ModelAttrs

BASELINE_MODEL = "baseline"
BASELINE_GRID = (16, 16)
FUSED = -1


@dataclass(frozen=True)
class MetricSettings:
    frame: int = DEFAULT_FRAME  # longer side of the evaluation frame, pixels
    top_percents: tuple[int, ...] = (10, 25, 50)
    mass: float = 0.6  # DINO keeps the top patches holding 60% of the attention
    tolerance_px: float = 15.0  # pointing game, in original image pixels

    def names(self) -> list[str]:
        return [
            *(f"iou_top{p}" for p in self.top_percents),
            f"mass_iou_{round(self.mass * 100)}",
            f"pointing_{self.tolerance_px:g}px",
            "energy",
        ]


def score_maps(
    grid_maps: np.ndarray,
    frame: Frame,
    boxes: list[tuple[float, float, float, float]],
    settings: MetricSettings,
) -> dict[str, np.ndarray]:
    """(K, gh, gw) maps → {metric name: (K,) values}."""
    inside = box_mask(boxes, frame)
    upsampled = upsample(grid_maps, frame)
    maps = np.clip(grid_maps.astype(np.float64), 0, None)
    upsampled = np.clip(upsampled, 0, None)
    names = settings.names()
    columns: list[list[float]] = [[] for _ in names]
    for grid_map, up in zip(maps, upsampled, strict=True):
        values = [
            *(iou_top_percent(up, inside, p) for p in settings.top_percents),
            mass_mask_iou(grid_map, inside, frame, settings.mass),
            pointing_hit(up, boxes, frame, settings.tolerance_px),
            energy_in_boxes(up, inside),
        ]
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return {name: np.asarray(column) for name, column in zip(names, columns, strict=True)}


def _values(
    image_id: str, model: str, keys: list[tuple[str, int, int]], scores: dict[str, np.ndarray]
) -> list[MetricValue]:
    return [
        MetricValue(image_id, model, method, layer, head, name, float(values[i]))
        for name, values in scores.items()
        for i, (method, layer, head) in enumerate(keys)
    ]


def model_metrics(
    reader: AttentionStoreReader,
    attrs: ModelAttrs,
    image_id: str,
    row: int,
    frame: Frame,
    boxes: list[tuple[float, float, float, float]],
    settings: MetricSettings,
) -> list[MetricValue]:
    maps: list[np.ndarray] = []
    keys: list[tuple[str, int, int]] = []
    for method in attrs.methods:
        fused = reader.read_row(attrs.key, f"{method}/fused", row)
        for layer in range(fused.shape[0]):
            maps.append(fused[layer])
            keys.append((method, layer, FUSED))
        if method in attrs.per_head_methods:
            heads = reader.read_row(attrs.key, f"{method}/heads", row)
            for layer in range(heads.shape[0]):
                for head in range(heads.shape[1]):
                    maps.append(heads[layer, head])
                    keys.append((method, layer, head))
    return _values(image_id, attrs.key, keys, score_maps(np.stack(maps), frame, boxes, settings))


def baseline_metrics(
    image_id: str, frame: Frame, boxes: list[tuple[float, float, float, float]], settings: MetricSettings
) -> list[MetricValue]:
    maps = np.stack([centre_gaussian(BASELINE_GRID), uniform_random(BASELINE_GRID, image_id)])
    keys = [("centre", 0, FUSED), ("random", 0, FUSED)]
    return _values(image_id, BASELINE_MODEL, keys, score_maps(maps, frame, boxes, settings))


@dataclass
class MetricsReport:
    pairs_scored: int = 0
    pairs_already: int = 0
    values: int = 0
    summaries: int = 0


def compute_metrics(
    store_url: str,
    catalog: Catalog,
    *,
    models: Iterable[str] | None = None,
    settings: MetricSettings | None = None,
    progress: Callable[[int], object] | None = None,
) -> MetricsReport:
    """Score every annotated, precomputed (image, model) pair not scored yet, then refresh the summaries.

    Incremental and resumable: each pair is committed on its own, and pairs with metrics are skipped
    (they are dropped automatically when their maps are recomputed or their boxes change)."""
    settings = settings or MetricSettings()
    reader = AttentionStoreReader(store_url)
    stored = reader.models()
    wanted = [k for k in stored if models is None or k in set(models)]
    done = catalog.metric_pairs()
    report = MetricsReport()
    boxes_by_image: dict[str, list[tuple[float, float, float, float]]] = {}
    for image_id in sorted(catalog.annotated_ids()):
        boxes_by_image[image_id] = [(a.x0, a.y0, a.x1, a.y1) for a in catalog.annotations(image_id)]
    for image_id, boxes in boxes_by_image.items():
        info = catalog.image(image_id)
        if info is None or not info.width or not info.height:
            continue  # not decoded yet: no frame to score on
        frame = Frame.for_image(info.width, info.height, settings.frame)
        pending: list[list[MetricValue]] = []
        if (image_id, BASELINE_MODEL) not in done:
            pending.append(baseline_metrics(image_id, frame, boxes, settings))
        for key in wanted:
            row = catalog.row_of(image_id, key)
            if row is None:
                continue
            if (image_id, key) in done:
                report.pairs_already += 1
                continue
            pending.append(model_metrics(reader, stored[key], image_id, row, frame, boxes, settings))
        for values in pending:
            catalog.add_metrics(values)  # one (image, model) pair per transaction
            report.pairs_scored += 1
            report.values += len(values)
            if progress is not None:
                progress(1)
    summaries = summarise(catalog.metric_values(), catalog.image_labels())
    catalog.replace_summaries(summaries)
    report.summaries = len(summaries)
    return report
