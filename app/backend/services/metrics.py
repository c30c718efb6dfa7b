"""Localisation metrics as the dashboard asks for them: leaderboard, layer progression, head ranking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.backend.services.catalog import LazyCatalog
from app.backend.services.errors import InvalidParameter
from app.backend.services.store import StoredModel
from ssl_attention.metrics.compute import BASELINE_MODEL, FUSED
from ssl_attention.store.catalog.records import MetricSummary

NO_METRICS_HINT = "no metrics yet: run `precompute --metrics` over a gallery with an annotations.json"


def require_metric(catalog: LazyCatalog, metric: str | None) -> tuple[str | None, list[str]]:
    """The metric to report (default: the first available) and all available ones."""
    available = catalog.metric_names()
    if metric is None:
        return (available[0] if available else None), available
    if metric not in available:
        if not available:
            return None, available
        raise InvalidParameter(
            "metric", f"unknown metric {metric!r}; available: {', '.join(available)}", available
        )
    return metric, available


def require_method(model: StoredModel, method: str | None) -> str | None:
    if method is not None and method not in model.attrs.methods:
        allowed = list(model.attrs.methods)
        raise InvalidParameter(
            "method", f"{model.attrs.key} has no method {method!r}; it has {', '.join(allowed)}", allowed
        )
    return method


def leaderboard_rows(
    catalog: LazyCatalog,
    models: Mapping[str, StoredModel],
    metric: str,
    method: str | None,
    layer: int | None,
    label: str,
) -> list[MetricSummary]:
    """Fused maps of every model (one row per method unless `method` is given) at `layer`,
    or each method's last layer, best first."""
    rows: list[MetricSummary] = []
    for key, model in models.items():
        for found_method in model.attrs.methods if method is None else [method]:
            if found_method not in model.attrs.methods:
                continue
            last = model.attrs.method_layers(found_method) - 1
            wanted_layer = last if layer is None else min(layer, last)
            rows += catalog.summaries(
                metric=metric, model=key, method=found_method, layer=wanted_layer, head=FUSED, label=label
            )
    rows.sort(key=lambda row: row.mean, reverse=True)
    return rows


def baselines(catalog: LazyCatalog, metric: str, label: str = "") -> list[MetricSummary]:
    return catalog.summaries(metric=metric, model=BASELINE_MODEL, label=label)


def layer_rows(
    catalog: LazyCatalog, model: StoredModel, metric: str, method: str | None, label: str = ""
) -> list[MetricSummary]:
    rows = catalog.summaries(metric=metric, model=model.attrs.key, method=method, head=FUSED, label=label)
    return sorted(rows, key=lambda row: (row.method, row.layer))


def head_rows(
    catalog: LazyCatalog, model: StoredModel, metric: str, method: str | None, layer: int | None
) -> list[MetricSummary]:
    rows: Sequence[MetricSummary] = catalog.summaries(
        metric=metric, model=model.attrs.key, method=method, layer=layer
    )
    return sorted((row for row in rows if row.head != FUSED), key=lambda row: row.mean, reverse=True)


def ranked_images(
    catalog: LazyCatalog,
    model: StoredModel,
    metric: str,
    method: str,
    layer: int,
    head: int | None,
    label: str = "",
) -> list[tuple[str, float]]:
    """(image id, value) of one map over the scored images (with a box of `label`, if given),
    best first (ties by id)."""
    values = catalog.metric_values(
        model=model.attrs.key, metric=metric, method=method, layer=layer, head=FUSED if head is None else head
    )
    if label:
        labelled = {image_id for image_id, labels in catalog.image_labels().items() if label in labels}
        values = [v for v in values if v.image_id in labelled]
    return sorted(((v.image_id, v.value) for v in values), key=lambda item: (-item[1], item[0]))


def require_no_label(label: str) -> None:
    """Per-head summaries are kept for all images only (per label: fused maps)."""
    if label:
        raise InvalidParameter("label", "per-head results are not broken down by label; omit label", [""])
