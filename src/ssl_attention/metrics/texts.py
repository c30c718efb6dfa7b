"""The `lm` row's metric hooks. A text language model has no image maps, so it has nothing to score
against an image's ground truth and no image maps to compare with a base: both hooks answer
nothing (the catalog never holds an image entry for an `lm` group, so neither is ever asked)."""

from __future__ import annotations

from typing import Any

from ssl_attention.metrics.shift import MethodMaps
from ssl_attention.store.catalog import MetricValue


def score_lm_group(*args: Any) -> list[MetricValue]:
    """No localisation metrics: a text has no boxes to look inside."""
    return []


def lm_maps(*args: Any) -> list[MethodMaps]:
    """No image maps to compare with a base (texts' shift is not part of this kind yet)."""
    return []
