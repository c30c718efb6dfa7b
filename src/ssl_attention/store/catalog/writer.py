"""`CatalogWriter`: what precompute and the metrics step change in the catalog.

Every method is one transaction. The writer reads like a `CatalogReader` and opens with
migration by default: the process that writes is the one that creates and upgrades the schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Self

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from ssl_attention.store.catalog.entries import EntryWrites
from ssl_attention.store.catalog.faithfulness import FaithfulnessWrites, forget_faithfulness
from ssl_attention.store.catalog.lease import LeaseWrites
from ssl_attention.store.catalog.reader import CatalogReader
from ssl_attention.store.catalog.records import (
    AnnotationBox,
    DiscoveredFile,
    MetricSummary,
    MetricValue,
    StorePairing,
)
from ssl_attention.store.catalog.schema import (
    AnnotationRow,
    CatalogInfoRow,
    EntryRow,
    ImageRow,
    MetricRow,
    MetricSummaryRow,
    RunRow,
    VlmSampleRow,
    now,
)
from ssl_attention.store.catalog.shift import ShiftWrites, forget_shift
from ssl_attention.store.catalog.texts import TextWrites

PAIRING_LOCK_KEY = 0x73736C2D70616972  # "ssl-pair": the advisory lock of `settle_pairing`


class CatalogWriter(CatalogReader, EntryWrites, ShiftWrites, TextWrites, FaithfulnessWrites, LeaseWrites):
    """Read and write access to the catalog (precompute, metrics; the shift tables: `ShiftWrites`;
    texts, faithfulness, run leases: `TextWrites`, `FaithfulnessWrites`, `LeaseWrites`; rows marked
    done: `EntryWrites`)."""

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Self:
        """Open any SQLAlchemy URL, creating or upgrading the schema unless `migrate=False`."""
        return super().open(url, migrate=migrate)

    # --- pairing with a store -----------------------------------------------------------------

    def settle_pairing(self, decide: Callable[[StorePairing], StorePairing | None]) -> StorePairing:
        """Run `decide` on the catalog's pairing while holding a lock every caller takes (a
        PostgreSQL advisory lock, SQLite's write lock), so concurrent runs decide one after the
        other; store the pairing it returns (None: keep it). Returns the pairing now in force."""
        with self._session.begin() as s:
            if self.engine.dialect.name == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PAIRING_LOCK_KEY})
            else:  # any write takes SQLite's (database-wide) write lock until the commit
                s.execute(delete(CatalogInfoRow).where(CatalogInfoRow.key == "_lock"))
            current = self._pairing(s)
            chosen = decide(current)
            if chosen is None or chosen == current:
                return current
            assert chosen.store_id is not None and chosen.store_url is not None
            s.merge(CatalogInfoRow(key="store_id", value=chosen.store_id))
            s.merge(CatalogInfoRow(key="store_url", value=chosen.store_url))
            return chosen

    # --- images -------------------------------------------------------------------------------

    def sync_images(self, files: Sequence[DiscoveredFile]) -> None:
        """Record discovered files; a file whose size or mtime changed has its maps redone."""
        for attempt in range(3):
            try:
                self._sync_images(files)
                return
            except IntegrityError:
                # A concurrent run (another model) inserted the same images first; look again.
                if attempt == 2:
                    raise

    def _sync_images(self, files: Sequence[DiscoveredFile]) -> None:
        with self._session.begin() as s:
            known = {
                row.id: row
                for row in s.scalars(select(ImageRow).where(ImageRow.id.in_([f.id for f in files])))
            }
            changed: list[str] = []
            for f in files:
                row = known.get(f.id)
                if row is None:
                    s.add(ImageRow(id=f.id, path=f.path, file_size=f.size, file_mtime_ns=f.mtime_ns))
                elif (row.path, row.file_size, row.file_mtime_ns) != (f.path, f.size, f.mtime_ns):
                    row.path, row.file_size, row.file_mtime_ns = f.path, f.size, f.mtime_ns
                    row.sha256 = row.width = row.height = row.error = None
                    changed.append(f.id)
            if changed:
                s.execute(update(EntryRow).where(EntryRow.image_id.in_(changed)).values(done=False))
                s.execute(delete(VlmSampleRow).where(VlmSampleRow.image_id.in_(changed)))
                s.execute(delete(MetricRow).where(MetricRow.image_id.in_(changed)))
                s.execute(delete(MetricSummaryRow))  # stale: recomputed with the next scoring
                forget_shift(s, image_ids=changed)
                forget_faithfulness(s, image_ids=changed)

    def record_image(self, image_id: str, *, sha256: str, width: int, height: int) -> None:
        with self._session.begin() as s:
            s.execute(
                update(ImageRow)
                .where(ImageRow.id == image_id)
                .values(sha256=sha256, width=width, height=height, error=None)
            )

    def record_image_error(self, image_id: str, message: str) -> None:
        with self._session.begin() as s:
            s.execute(update(ImageRow).where(ImageRow.id == image_id).values(error=message))

    # --- entries ------------------------------------------------------------------------------

    def assign_rows(self, model: str, image_ids: Iterable[str]) -> dict[str, int]:
        """Give each image a row in the model's arrays (existing rows are kept); returns all rows."""
        with self._session.begin() as s:
            rows = {
                image_id: row
                for image_id, row in s.execute(
                    select(EntryRow.image_id, EntryRow.row).where(EntryRow.model == model)
                )
            }
            next_row = max(rows.values(), default=-1) + 1
            for image_id in image_ids:
                if image_id not in rows:
                    s.add(EntryRow(image_id=image_id, model=model, row=next_row, done=False))
                    rows[image_id] = next_row
                    next_row += 1
            return rows

    def reset_model(self, model: str) -> None:
        """Forget every row of a model (its store group is being rebuilt)."""
        with self._session.begin() as s:
            s.execute(delete(VlmSampleRow).where(VlmSampleRow.model == model))
            s.execute(delete(EntryRow).where(EntryRow.model == model))
            s.execute(delete(MetricRow).where(MetricRow.model == model))
            # Only this model's summaries are stale; the others (and the baselines) still hold.
            s.execute(delete(MetricSummaryRow).where(MetricSummaryRow.model == model))
            forget_shift(s, models=[model])  # as a variant or as a base
            forget_faithfulness(s, models=[model])

    # --- runs ---------------------------------------------------------------------------------

    def start_run(self, model: str, checkpoint: str, weights: str, params: dict[str, Any]) -> int:
        with self._session.begin() as s:
            run = RunRow(model=model, checkpoint=checkpoint, weights=weights, params=params, status="running")
            s.add(run)
            s.flush()
            return run.id

    def close_stale_runs(self, model: str) -> int:
        """Runs still marked running for a model whose lock we now hold were killed; say so."""
        with self._session.begin() as s:
            result = s.execute(
                update(RunRow)
                .where(RunRow.model == model, RunRow.status == "running")
                .values(status="killed", error="the process ended without finishing this run")
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        seconds: float,
        images_failed: int = 0,
        bytes_written: int | None = None,
        error: str | None = None,
    ) -> None:
        with self._session.begin() as s:
            s.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(
                    status=status,
                    finished_at=now(),
                    seconds=seconds,
                    images_failed=images_failed,
                    bytes_written=bytes_written,
                    error=error,
                )
            )

    # --- annotations --------------------------------------------------------------------------

    def replace_annotations(self, boxes: Sequence[tuple[Any, ...]], source: str) -> int:
        """Replace the annotations of `source` with `AnnotationBox`es (or plain
        (image_id, label, x0, y0, x1, y1) tuples) of known images.

        Images whose boxes changed lose their metrics (they are computed again)."""
        wanted_boxes = [AnnotationBox(*box) for box in boxes]
        with self._session.begin() as s:
            known = set(s.scalars(select(ImageRow.id)))
            wanted = [b for b in wanted_boxes if b.image_id in known]
            before: dict[str, set[tuple[Any, ...]]] = {}
            for row in s.scalars(select(AnnotationRow).where(AnnotationRow.source == source)):
                outline = tuple(tuple(p) for p in row.polygons or ())
                mask = (*row.mask["size"], tuple(row.mask["counts"])) if row.mask else None
                before.setdefault(row.image_id, set()).add(
                    (row.label, row.x0, row.y0, row.x1, row.y1, outline, mask)
                )
            after: dict[str, set[tuple[Any, ...]]] = {}
            for box in wanted:
                after.setdefault(box.image_id, set()).add(tuple(box[1:]))
            changed = [i for i in set(before) | set(after) if before.get(i) != after.get(i)]
            if changed:
                s.execute(delete(MetricRow).where(MetricRow.image_id.in_(changed)))
                s.execute(delete(MetricSummaryRow))  # stale: recomputed with the next scoring
            s.execute(delete(AnnotationRow).where(AnnotationRow.source == source))
            for box in wanted:
                s.add(
                    AnnotationRow(
                        image_id=box.image_id,
                        label=box.label,
                        x0=box.x0,
                        y0=box.y0,
                        x1=box.x1,
                        y1=box.y1,
                        source=source,
                        polygons=[list(p) for p in box.polygons] or None,
                        mask=None
                        if box.mask is None
                        else {"size": [box.mask[0], box.mask[1]], "counts": list(box.mask[2])},
                    )
                )
            return len(wanted)

    # --- metrics ------------------------------------------------------------------------------

    def add_metrics(self, values: Sequence[MetricValue]) -> None:
        """Insert one (image, model) pair's values in one transaction (replacing any it had)."""
        pairs = {(v.image_id, v.model) for v in values}
        with self._session.begin() as s:
            for image_id, model in pairs:
                s.execute(delete(MetricRow).where(MetricRow.image_id == image_id, MetricRow.model == model))
            s.execute(insert(MetricRow), [dataclasses.asdict(v) for v in values])

    def replace_summaries(self, rows: Sequence[MetricSummary | Mapping[str, Any]]) -> None:
        """Replace every summary with `rows` (`MetricSummary` records, or dicts of their fields)."""
        found = [dataclasses.asdict(r) if isinstance(r, MetricSummary) else dict(r) for r in rows]
        with self._session.begin() as s:
            s.execute(delete(MetricSummaryRow))
            if found:
                s.execute(insert(MetricSummaryRow), found)
