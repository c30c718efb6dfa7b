"""Summaries over images: mean, std, bootstrap 95% CI and count, overall and per annotation label."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from ssl_attention.store.catalog.records import MetricSummary, MetricValue

BOOTSTRAP_SAMPLES = 1000
CONFIDENCE = 0.95


def bootstrap_ci(
    values: np.ndarray, *, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean (a single value gives a zero-width interval)."""
    if values.size < 2:
        return float(values.mean()), float(values.mean())
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(samples, values.size))].mean(axis=1)
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def summarise(values: Sequence[MetricValue], labels: dict[str, set[str]]) -> list[MetricSummary]:
    """One row per model × method × layer × head × metric × label ("" = all images).

    Per-label rows are made for fused maps only (head −1), which is what the dashboard breaks down."""
    groups: dict[tuple[str, str, int, int, str, str], list[float]] = defaultdict(list)
    for v in values:
        groups[(v.model, v.method, v.layer, v.head, v.metric, "")].append(v.value)
        if v.head == -1:
            for label in labels.get(v.image_id, ()):
                groups[(v.model, v.method, v.layer, v.head, v.metric, label)].append(v.value)
    rows = []
    for (model, method, layer, head, metric, label), found in groups.items():
        array = np.asarray(found, dtype=np.float64)
        low, high = bootstrap_ci(array)
        rows.append(
            MetricSummary(
                model=model,
                method=method,
                layer=layer,
                head=head,
                metric=metric,
                label=label,
                mean=float(array.mean()),
                std=float(array.std(ddof=1)) if array.size > 1 else 0.0,
                ci_low=low,
                ci_high=high,
                count=int(array.size),
            )
        )
    return rows
