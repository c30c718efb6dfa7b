"""The catalog's faithfulness tables: deletion and insertion curves of stored maps
(`metrics/faithfulness.py`, `precompute --faithfulness`).

`FaithfulnessReads` is part of `CatalogReader`, `FaithfulnessWrites` of `CatalogWriter`: they use
the same per-call sessions and hand out the plain records `FaithfulnessValue` and
`FaithfulnessSummary` defined here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from ssl_attention.store.catalog.schema import (
    FaithfulnessPairRow,
    FaithfulnessSummaryRow,
    FaithfulnessValueRow,
)


@dataclass(frozen=True)
class FaithfulnessValue:
    """One map of one image: both curves (k + 1 target scores) and their AUCs."""

    image_id: str
    model: str
    method: str
    layer: int
    head: int  # −1 = fused
    deletion_auc: float
    insertion_auc: float
    deletion: tuple[float, ...]
    insertion: tuple[float, ...]


@dataclass(frozen=True)
class FaithfulnessSummary:
    """Per model × method × layer × head: mean AUCs over images and their bootstrap 95% intervals."""

    model: str
    method: str
    layer: int
    head: int
    deletion_mean: float
    deletion_low: float
    deletion_high: float
    insertion_mean: float
    insertion_low: float
    insertion_high: float
    n: int


@dataclass(frozen=True)
class FaithfulnessPair:
    """A computed (image, model) pair: the stamp it was computed from, its target and steps."""

    image_id: str
    model: str
    stamp: str
    target: str
    steps: int


_VALUE_COLUMNS = (
    FaithfulnessValueRow.image_id,
    FaithfulnessValueRow.model,
    FaithfulnessValueRow.method,
    FaithfulnessValueRow.layer,
    FaithfulnessValueRow.head,
    FaithfulnessValueRow.deletion_auc,
    FaithfulnessValueRow.insertion_auc,
    FaithfulnessValueRow.deletion,
    FaithfulnessValueRow.insertion,
)
_SUMMARY_COLUMNS = (
    FaithfulnessSummaryRow.model,
    FaithfulnessSummaryRow.method,
    FaithfulnessSummaryRow.layer,
    FaithfulnessSummaryRow.head,
    FaithfulnessSummaryRow.deletion_mean,
    FaithfulnessSummaryRow.deletion_low,
    FaithfulnessSummaryRow.deletion_high,
    FaithfulnessSummaryRow.insertion_mean,
    FaithfulnessSummaryRow.insertion_low,
    FaithfulnessSummaryRow.insertion_high,
    FaithfulnessSummaryRow.n,
)


def _value(row: Any) -> FaithfulnessValue:
    image_id, model, method, layer, head, deletion_auc, insertion_auc, deletion, insertion = row
    return FaithfulnessValue(
        image_id,
        model,
        method,
        layer,
        head,
        deletion_auc,
        insertion_auc,
        tuple(float(s) for s in deletion),
        tuple(float(s) for s in insertion),
    )


class FaithfulnessReads:
    """Reading the faithfulness tables (a part of `CatalogReader`)."""

    _session: sessionmaker[Session]

    def faithfulness_pairs(self, model: str | None = None) -> dict[tuple[str, str], FaithfulnessPair]:
        """The computed (image, model) pairs, optionally of one model."""
        with self._session() as s:
            stmt = select(
                FaithfulnessPairRow.image_id,
                FaithfulnessPairRow.model,
                FaithfulnessPairRow.stamp,
                FaithfulnessPairRow.target,
                FaithfulnessPairRow.steps,
            )
            if model is not None:
                stmt = stmt.where(FaithfulnessPairRow.model == model)
            return {(row[0], row[1]): FaithfulnessPair(*row) for row in s.execute(stmt)}

    def faithfulness_values(
        self,
        *,
        model: str | None = None,
        image_id: str | None = None,
        method: str | None = None,
        layer: int | None = None,
        head: int | None = None,
    ) -> list[FaithfulnessValue]:
        """Per-image curves, optionally of one model, image, method, layer and head (−1: fused)."""
        with self._session() as s:
            stmt = select(*_VALUE_COLUMNS)
            for column, value in (
                (FaithfulnessValueRow.model, model),
                (FaithfulnessValueRow.image_id, image_id),
                (FaithfulnessValueRow.method, method),
                (FaithfulnessValueRow.layer, layer),
                (FaithfulnessValueRow.head, head),
            ):
                if value is not None:
                    stmt = stmt.where(column == value)
            order = (
                FaithfulnessValueRow.model,
                FaithfulnessValueRow.image_id,
                FaithfulnessValueRow.method,
                FaithfulnessValueRow.layer,
                FaithfulnessValueRow.head,
            )
            return [_value(row) for row in s.execute(stmt.order_by(*order))]

    def faithfulness_summaries(self, model: str | None = None) -> list[FaithfulnessSummary]:
        """Summaries by model, method, layer and head (−1, the fused maps, first)."""
        with self._session() as s:
            stmt = select(*_SUMMARY_COLUMNS)
            if model is not None:
                stmt = stmt.where(FaithfulnessSummaryRow.model == model)
            order = (
                FaithfulnessSummaryRow.model,
                FaithfulnessSummaryRow.method,
                FaithfulnessSummaryRow.layer,
                FaithfulnessSummaryRow.head,
            )
            return [FaithfulnessSummary(*row) for row in s.execute(stmt.order_by(*order))]


class FaithfulnessWrites:
    """Writing the faithfulness tables (a part of `CatalogWriter`); every method is one transaction."""

    _session: sessionmaker[Session]

    def add_faithfulness(self, pair: FaithfulnessPair, values: Sequence[FaithfulnessValue]) -> None:
        """Record one computed (image, model) pair and its curves, replacing any it had."""
        with self._session.begin() as s:
            _delete_pairs(s, pair.model, [pair.image_id])
            s.add(FaithfulnessPairRow(**dataclasses.asdict(pair)))
            if values:
                rows = [
                    {**dataclasses.asdict(v), "deletion": list(v.deletion), "insertion": list(v.insertion)}
                    for v in values
                ]
                s.execute(insert(FaithfulnessValueRow), rows)

    def drop_faithfulness(self, model: str, image_ids: Collection[str]) -> None:
        """Forget pairs whose image is no longer done for the model."""
        with self._session.begin() as s:
            _delete_pairs(s, model, list(image_ids))

    def replace_faithfulness_summaries(self, model: str, rows: Sequence[FaithfulnessSummary]) -> None:
        with self._session.begin() as s:
            s.execute(delete(FaithfulnessSummaryRow).where(FaithfulnessSummaryRow.model == model))
            if rows:
                s.execute(insert(FaithfulnessSummaryRow), [dataclasses.asdict(r) for r in rows])


def _delete_pairs(s: Session, model: str, image_ids: list[str]) -> None:
    for table in (FaithfulnessPairRow, FaithfulnessValueRow):
        s.execute(delete(table).where(table.model == model, table.image_id.in_(image_ids)))


def forget_faithfulness(s: Session, *, models: Collection[str] = (), image_ids: Collection[str] = ()) -> None:
    """Inside a writer's transaction: drop the curves of `models` and of `image_ids` (their maps are
    being rebuilt) and the summaries they fed; the next `precompute --faithfulness` computes them again."""
    for table in (FaithfulnessPairRow, FaithfulnessValueRow):
        if models:
            s.execute(delete(table).where(table.model.in_(models)))
        if image_ids:
            s.execute(delete(table).where(table.image_id.in_(image_ids)))
    if image_ids:
        s.execute(delete(FaithfulnessSummaryRow))
    elif models:
        s.execute(delete(FaithfulnessSummaryRow).where(FaithfulnessSummaryRow.model.in_(models)))
