"""The catalog's shift tables: how far each variant moved from its base (`metrics/shift.py`).

`ShiftReads` is part of `CatalogReader`, `ShiftWrites` of `CatalogWriter`: they use the same
per-call sessions and hand out the plain records `ShiftValue` and `ShiftSummary`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ssl_attention.store.catalog.records import ShiftSummary, ShiftValue
from ssl_attention.store.catalog.schema import EntryRow, ShiftPairRow, ShiftSummaryRow, ShiftValueRow

_VALUE_COLUMNS = (
    ShiftValueRow.image_id,
    ShiftValueRow.model,
    ShiftValueRow.base,
    ShiftValueRow.method,
    ShiftValueRow.layer,
    ShiftValueRow.head,
    ShiftValueRow.distance,
)
_SUMMARY_COLUMNS = (
    ShiftSummaryRow.model,
    ShiftSummaryRow.base,
    ShiftSummaryRow.method,
    ShiftSummaryRow.layer,
    ShiftSummaryRow.head,
    ShiftSummaryRow.mean,
    ShiftSummaryRow.ci_low,
    ShiftSummaryRow.ci_high,
    ShiftSummaryRow.n,
)


class ShiftReads:
    """Reading the shift tables (a part of `CatalogReader`)."""

    _session: sessionmaker[Session]

    def entry_stamps(self, model: str) -> dict[str, tuple[int, str]]:
        """Every image whose maps are complete for `model`: its row, and a stamp that changes
        whenever the image's maps are written again (a new run, a rebuilt group, a new prompt)."""
        with self._session() as s:
            found = s.execute(
                select(EntryRow.image_id, EntryRow.row, EntryRow.run_id, EntryRow.updated_at).where(
                    EntryRow.model == model, EntryRow.done.is_(True)
                )
            )
            return {image_id: (row, f"{row}:{run}:{at.isoformat()}") for image_id, row, run, at in found}

    def shift_stamps(self, model: str, base: str) -> dict[str, str]:
        """The (image, `model`, `base`) triples computed, with the stamp they were computed from."""
        with self._session() as s:
            found = s.execute(
                select(ShiftPairRow.image_id, ShiftPairRow.stamp).where(
                    ShiftPairRow.model == model, ShiftPairRow.base == base
                )
            )
            return {image_id: stamp for image_id, stamp in found}

    def shift_values(
        self,
        model: str,
        base: str,
        *,
        method: str | None = None,
        layer: int | None = None,
        head: int | None = None,
    ) -> list[ShiftValue]:
        """Per-image distances of a pair, optionally of one method, layer and head (−1: fused)."""
        with self._session() as s:
            stmt = select(*_VALUE_COLUMNS).where(ShiftValueRow.model == model, ShiftValueRow.base == base)
            for column, value in (
                (ShiftValueRow.method, method),
                (ShiftValueRow.layer, layer),
                (ShiftValueRow.head, head),
            ):
                if value is not None:
                    stmt = stmt.where(column == value)
            return [ShiftValue(*row) for row in s.execute(stmt.order_by(ShiftValueRow.image_id))]

    def shift_summaries(self, model: str, base: str, *, method: str | None = None) -> list[ShiftSummary]:
        """A pair's summaries by method, layer and head (−1, the fused maps, first)."""
        with self._session() as s:
            stmt = select(*_SUMMARY_COLUMNS).where(
                ShiftSummaryRow.model == model, ShiftSummaryRow.base == base
            )
            if method is not None:
                stmt = stmt.where(ShiftSummaryRow.method == method)
            order = (ShiftSummaryRow.method, ShiftSummaryRow.layer, ShiftSummaryRow.head)
            return [ShiftSummary(*row) for row in s.execute(stmt.order_by(*order))]


class ShiftWrites:
    """Writing the shift tables (a part of `CatalogWriter`); every method is one transaction."""

    _session: sessionmaker[Session]

    def add_shift(
        self, image_id: str, model: str, base: str, stamp: str, values: Sequence[ShiftValue]
    ) -> None:
        """Record one computed (image, model, base) triple and its values, replacing any it had."""
        with self._session.begin() as s:
            _delete_triples(s, model, base, [image_id])
            s.add(ShiftPairRow(image_id=image_id, model=model, base=base, stamp=stamp))
            if values:
                s.execute(insert(ShiftValueRow), [dataclasses.asdict(v) for v in values])

    def drop_shift(self, model: str, base: str, image_ids: Collection[str]) -> None:
        """Forget triples whose image is no longer complete for both models."""
        with self._session.begin() as s:
            _delete_triples(s, model, base, list(image_ids))

    def replace_shift_summaries(self, model: str, base: str, rows: Sequence[ShiftSummary]) -> None:
        with self._session.begin() as s:
            s.execute(
                delete(ShiftSummaryRow).where(ShiftSummaryRow.model == model, ShiftSummaryRow.base == base)
            )
            if rows:
                s.execute(insert(ShiftSummaryRow), [dataclasses.asdict(r) for r in rows])


def _delete_triples(s: Session, model: str, base: str, image_ids: list[str]) -> None:
    for table in (ShiftPairRow, ShiftValueRow):
        s.execute(
            delete(table).where(table.model == model, table.base == base, table.image_id.in_(image_ids))
        )


def forget_shift(s: Session, *, models: Collection[str] = (), image_ids: Collection[str] = ()) -> None:
    """Inside a writer's transaction: drop every shift of `models` (as variant or base) and of
    `image_ids` (their maps are being rebuilt); the next `precompute --metrics` computes them again."""
    for table in (ShiftPairRow, ShiftValueRow):
        if models:
            s.execute(delete(table).where(or_(table.model.in_(models), table.base.in_(models))))
        if image_ids:
            s.execute(delete(table).where(table.image_id.in_(image_ids)))
    if image_ids:
        s.execute(delete(ShiftSummaryRow))  # stale: recomputed with the next `--metrics`
    elif models:
        s.execute(
            delete(ShiftSummaryRow).where(
                or_(ShiftSummaryRow.model.in_(models), ShiftSummaryRow.base.in_(models))
            )
        )
