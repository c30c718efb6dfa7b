"""The faithfulness curves `precompute --faithfulness` stored (`ssl_attention.metrics.faithfulness`),
as the bodies of `/metrics/faithfulness`: per model the mean deletion and insertion AUCs by
method, layer and head with their bootstrap intervals, and one image's curves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from app.backend.schemas_faithfulness import (
    AucStat,
    FaithfulnessCell,
    FaithfulnessCurve,
    FaithfulnessImage,
    FaithfulnessModel,
)
from app.backend.services.catalog import LazyCatalog
from ssl_attention.metrics.faithfulness import FUSED
from ssl_attention.store.catalog.faithfulness import FaithfulnessPair, FaithfulnessSummary

NO_FAITHFULNESS_HINT = "run `precompute --faithfulness` for it (docs/precompute.md#faithfulness)"


def _head(head: int) -> int | None:
    return None if head == FUSED else head


def _cell(row: FaithfulnessSummary) -> FaithfulnessCell:
    return FaithfulnessCell(
        method=row.method,
        layer=row.layer,
        head=_head(row.head),
        deletion=AucStat(mean=row.deletion_mean, ci_low=row.deletion_low, ci_high=row.deletion_high),
        insertion=AucStat(mean=row.insertion_mean, ci_low=row.insertion_low, ci_high=row.insertion_high),
        n=row.n,
    )


def _settings(pairs: Collection[FaithfulnessPair]) -> tuple[str, int]:
    """The target and steps of a model's pairs (several targets are listed, the most steps win:
    a rerun with other settings recomputes every pair, so they differ only while one runs)."""
    targets = sorted({p.target for p in pairs})
    return ",".join(targets), max((p.steps for p in pairs), default=0)


def summaries(catalog: LazyCatalog, stored: Collection[str], model: str | None) -> list[FaithfulnessModel]:
    """Every stored model with faithfulness summaries (or only `model`), in name order."""
    rows: dict[str, list[FaithfulnessSummary]] = defaultdict(list)
    for row in catalog.faithfulness_summaries(model):
        if row.model in stored:
            rows[row.model].append(row)
    found = []
    for name, cells in sorted(rows.items()):
        pairs = catalog.faithfulness_pairs(name).values()
        target, steps = _settings(pairs)
        found.append(
            FaithfulnessModel(
                model=name, target=target, steps=steps, images=len(pairs), cells=[_cell(c) for c in cells]
            )
        )
    return found


def image_curves(
    catalog: LazyCatalog,
    image_id: str,
    model: str,
    method: str | None,
    layer: int | None,
    head: int | None,
) -> FaithfulnessImage | None:
    """One image's curves for `model` (None when they were not computed); `head` −1: fused only."""
    pair = catalog.faithfulness_pairs(model).get((image_id, model))
    if pair is None:
        return None
    values = catalog.faithfulness_values(
        model=model, image_id=image_id, method=method, layer=layer, head=head
    )
    curves = [
        FaithfulnessCurve(
            method=v.method,
            layer=v.layer,
            head=_head(v.head),
            deletion_auc=v.deletion_auc,
            insertion_auc=v.insertion_auc,
            deletion=list(v.deletion),
            insertion=list(v.insertion),
        )
        for v in values
    ]
    return FaithfulnessImage(
        image_id=image_id, model=model, target=pair.target, steps=pair.steps, curves=curves
    )
