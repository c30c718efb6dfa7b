"""`CatalogReader`: every question the API, the metrics and precompute ask the catalog.

Each method opens its own short session and returns records (`records.py`), never ORM rows:
a row is turned into a record before its session closes, so nothing detached leaves the package.
"""

from __future__ import annotations

from typing import Self

from sqlalchemy import bindparam, func, inspect, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ssl_attention.store.catalog.engine import open_engine, open_existing_engine
from ssl_attention.store.catalog.faithfulness import FaithfulnessReads
from ssl_attention.store.catalog.records import (
    ImageEntry,
    ImageInfo,
    MetricSummary,
    MetricValue,
    RunInfo,
    StoredAnnotation,
    StorePairing,
    VlmSample,
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
)
from ssl_attention.store.catalog.shift import ShiftReads
from ssl_attention.store.catalog.texts import TextReads

# Built once: `CatalogReader.entry` runs on every attention request.
_ENTRY_QUERY = (
    select(ImageRow.sha256, ImageRow.error, EntryRow.row)
    .outerjoin(
        EntryRow,
        (EntryRow.image_id == ImageRow.id) & (EntryRow.model == bindparam("model")) & EntryRow.done.is_(True),
    )
    .where(ImageRow.id == bindparam("image_id"))
)

_SUMMARY_COLUMNS = (
    MetricSummaryRow.model,
    MetricSummaryRow.method,
    MetricSummaryRow.layer,
    MetricSummaryRow.head,
    MetricSummaryRow.metric,
    MetricSummaryRow.label,
    MetricSummaryRow.mean,
    MetricSummaryRow.std,
    MetricSummaryRow.ci_low,
    MetricSummaryRow.ci_high,
    MetricSummaryRow.count,
)


def run_info(row: RunRow) -> RunInfo:
    return RunInfo(
        id=row.id,
        model=row.model,
        checkpoint=row.checkpoint,
        weights=row.weights,
        params=dict(row.params or {}),
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        images_done=row.images_done,
        images_failed=row.images_failed,
        seconds=row.seconds,
        bytes_written=row.bytes_written,
        error=row.error,
    )


def stored_annotation(row: AnnotationRow) -> StoredAnnotation:
    mask = row.mask
    return StoredAnnotation(
        id=row.id,
        image_id=row.image_id,
        label=row.label,
        x0=row.x0,
        y0=row.y0,
        x1=row.x1,
        y1=row.y1,
        source=row.source,
        polygons=tuple(tuple(float(v) for v in polygon) for polygon in row.polygons or ()),
        mask=None if not mask else (int(mask["size"][0]), int(mask["size"][1]), tuple(mask["counts"])),
    )


class CatalogReader(ShiftReads, TextReads, FaithfulnessReads):
    """Read access to the catalog. Thread-safe (one engine, a session per call). The shift
    tables' questions are `ShiftReads`'s (`catalog/shift.py`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = False) -> Self:
        """Open any SQLAlchemy URL; `migrate` upgrades (or creates) the schema first."""
        return cls(open_engine(url, migrate=migrate))

    @classmethod
    def open_existing(cls, url: str, *, setting: str = "the catalog URL") -> Self:
        """Open a catalog that must exist already; `CatalogUnavailable` (naming `setting`) if it cannot."""
        return cls(open_existing_engine(url, setting=setting))

    def close(self) -> None:
        self.engine.dispose()

    def check(self) -> None:
        """Raise (a `SQLAlchemyError`) when the catalog cannot answer a query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM images LIMIT 1"))

    def pairing(self) -> StorePairing:
        """Which store this catalog describes (unpaired: a catalog from before pairing, or new)."""
        with self._session() as s:
            return self._pairing(s)

    @staticmethod
    def _pairing(s: Session) -> StorePairing:
        has_entries = s.scalar(select(EntryRow.image_id).limit(1)) is not None
        if not inspect(s.connection()).has_table(CatalogInfoRow.__tablename__):
            return StorePairing(None, None, has_entries)  # a schema from before revision 0007
        info = {key: value for key, value in s.execute(select(CatalogInfoRow.key, CatalogInfoRow.value))}
        return StorePairing(info.get("store_id"), info.get("store_url"), has_entries)

    # --- images -------------------------------------------------------------------------------

    def failed_ids(self) -> set[str]:
        """Images whose file could not be used (the mark is cleared when the file changes)."""
        with self._session() as s:
            return set(s.scalars(select(ImageRow.id).where(ImageRow.error.is_not(None))))

    def image(self, image_id: str) -> ImageInfo | None:
        with self._session() as s:
            row = s.get(ImageRow, image_id)
            if row is None:
                return None
            return self._info(s, [row])[0]

    def images(
        self, *, limit: int = 50, offset: int = 0, query: str | None = None
    ) -> tuple[list[ImageInfo], int]:
        """A page of images ordered by id, optionally filtered by a substring of id or path."""
        with self._session() as s:
            stmt = select(ImageRow)
            if query:
                escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                pattern = f"%{escaped}%"
                stmt = stmt.where(
                    or_(ImageRow.id.ilike(pattern, escape="\\"), ImageRow.path.ilike(pattern, escape="\\"))
                )
            total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = list(s.scalars(stmt.order_by(ImageRow.id).limit(limit).offset(offset)))
            return self._info(s, rows), total

    @staticmethod
    def _info(s: Session, rows: list[ImageRow]) -> list[ImageInfo]:
        ids = [r.id for r in rows]
        done: dict[str, list[str]] = {i: [] for i in ids}
        for image_id, model in s.execute(
            select(EntryRow.image_id, EntryRow.model)
            .where(EntryRow.image_id.in_(ids), EntryRow.done.is_(True))
            .order_by(EntryRow.model)
        ):
            done[image_id].append(model)
        boxes = dict(
            s.execute(
                select(AnnotationRow.image_id, func.count())
                .where(AnnotationRow.image_id.in_(ids))
                .group_by(AnnotationRow.image_id)
            ).all()
        )
        return [
            ImageInfo(
                r.id, r.path, r.sha256, r.width, r.height, r.error, tuple(done[r.id]), boxes.get(r.id, 0)
            )
            for r in rows
        ]

    # --- entries ------------------------------------------------------------------------------

    def done_ids(self, model: str) -> set[str]:
        with self._session() as s:
            return set(
                s.scalars(select(EntryRow.image_id).where(EntryRow.model == model, EntryRow.done.is_(True)))
            )

    def row_of(self, image_id: str, model: str) -> int | None:
        """The image's row for a model, only when its maps are complete."""
        with self._session() as s:
            return s.scalar(
                select(EntryRow.row).where(
                    EntryRow.image_id == image_id, EntryRow.model == model, EntryRow.done.is_(True)
                )
            )

    def entry(self, image_id: str, model: str) -> ImageEntry | None:
        """The image and its completed row for a model in one query (the API's hot path); None if unknown."""
        with self.engine.connect() as connection:
            found = connection.execute(_ENTRY_QUERY, {"image_id": image_id, "model": model}).one_or_none()
        if found is None:
            return None
        sha256, error, row = found
        return ImageEntry(image_id, sha256, error, row)

    # --- VLM samples --------------------------------------------------------------------------

    def done_samples(self, model: str) -> set[tuple[str, int]]:
        """(image id, prompt index) pairs whose maps are written for a VLM."""
        with self._session() as s:
            return {
                (image_id, index)
                for image_id, index in s.execute(
                    select(VlmSampleRow.image_id, VlmSampleRow.prompt_index).where(
                        VlmSampleRow.model == model
                    )
                )
            }

    def vlm_samples(self, image_id: str, model: str) -> list[VlmSample]:
        """An image's finished prompts for a VLM, by prompt index."""
        with self._session() as s:
            rows = s.scalars(
                select(VlmSampleRow)
                .where(VlmSampleRow.image_id == image_id, VlmSampleRow.model == model)
                .order_by(VlmSampleRow.prompt_index)
            )
            return [
                VlmSample(r.image_id, r.model, r.prompt_index, r.prompt, r.answer, r.n_tokens) for r in rows
            ]

    # --- runs ---------------------------------------------------------------------------------

    def runs(self, model: str | None = None) -> list[RunInfo]:
        """Every run (of `model`, if given), oldest first."""
        with self._session() as s:
            stmt = select(RunRow).order_by(RunRow.id)
            if model is not None:
                stmt = stmt.where(RunRow.model == model)
            return [run_info(row) for row in s.scalars(stmt)]

    # --- annotations --------------------------------------------------------------------------

    def annotated_ids(self) -> set[str]:
        with self._session() as s:
            return set(s.scalars(select(AnnotationRow.image_id).distinct()))

    def annotations(self, image_id: str) -> list[StoredAnnotation]:
        """An image's regions in the order they were loaded."""
        with self._session() as s:
            rows = s.scalars(
                select(AnnotationRow).where(AnnotationRow.image_id == image_id).order_by(AnnotationRow.id)
            )
            return [stored_annotation(row) for row in rows]

    def image_labels(self) -> dict[str, set[str]]:
        """The annotation labels of every annotated image."""
        with self._session() as s:
            labels: dict[str, set[str]] = {}
            for image_id, label in s.execute(select(AnnotationRow.image_id, AnnotationRow.label)):
                labels.setdefault(image_id, set()).add(label)
            return labels

    # --- metrics ------------------------------------------------------------------------------

    def metric_pairs(self) -> set[tuple[str, str]]:
        """(image, model) pairs that have metrics."""
        with self._session() as s:
            return {(i, m) for i, m in s.execute(select(MetricRow.image_id, MetricRow.model).distinct())}

    def metric_values(
        self,
        *,
        model: str | None = None,
        metric: str | None = None,
        image_id: str | None = None,
        method: str | None = None,
        layer: int | None = None,
        head: int | None = None,
    ) -> list[MetricValue]:
        with self._session() as s:
            stmt = select(
                MetricRow.image_id,
                MetricRow.model,
                MetricRow.method,
                MetricRow.layer,
                MetricRow.head,
                MetricRow.metric,
                MetricRow.value,
            )
            for column, value in (
                (MetricRow.model, model),
                (MetricRow.metric, metric),
                (MetricRow.image_id, image_id),
                (MetricRow.method, method),
                (MetricRow.layer, layer),
                (MetricRow.head, head),
            ):
                if value is not None:
                    stmt = stmt.where(column == value)
            return [MetricValue(*row) for row in s.execute(stmt)]

    def metric_names(self) -> list[str]:
        """Metrics that have summaries, sorted."""
        with self._session() as s:
            return sorted(s.scalars(select(MetricSummaryRow.metric).distinct()))

    def summaries(
        self,
        *,
        metric: str | None = None,
        model: str | None = None,
        method: str | None = None,
        layer: int | None = None,
        head: int | None = None,
        label: str = "",
    ) -> list[MetricSummary]:
        """Summaries matching every given filter, by model, method, layer and head."""
        with self._session() as s:
            stmt = select(*_SUMMARY_COLUMNS).where(MetricSummaryRow.label == label)
            for column, value in (
                (MetricSummaryRow.metric, metric),
                (MetricSummaryRow.model, model),
                (MetricSummaryRow.method, method),
                (MetricSummaryRow.layer, layer),
                (MetricSummaryRow.head, head),
            ):
                if value is not None:
                    stmt = stmt.where(column == value)
            order = (
                MetricSummaryRow.model,
                MetricSummaryRow.method,
                MetricSummaryRow.layer,
                MetricSummaryRow.head,
            )
            return [MetricSummary(*row) for row in s.execute(stmt.order_by(*order))]
