"""The SQL catalog beside the Zarr store: images, runs, entries (image × model → row), annotations, metrics.

SQLAlchemy 2 with typed mappings; SQLite by default, any SQLAlchemy URL works. The schema is
owned by Alembic (`store/migrations/`); `Catalog.open` upgrades it to head.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class ImageRow(Base):
    __tablename__ = "images"

    id: Mapped[str] = mapped_column(String(512), primary_key=True)
    path: Mapped[str] = mapped_column(Text)  # relative to the gallery folder
    sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_mtime_ns: Mapped[int | None] = mapped_column(BigInteger)  # ~1.7e18: beyond 32-bit INTEGER
    error: Mapped[str | None] = mapped_column(Text)  # why the file could not be used, if it could not
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    checkpoint: Mapped[str] = mapped_column(Text)
    weights: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    images_done: Mapped[int] = mapped_column(Integer, default=0)
    images_failed: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float)
    bytes_written: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("model", "row", name="uq_entries_model_row"),)

    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    row: Mapped[int] = mapped_column(Integer)
    done: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now)


class AnnotationRow(Base):
    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(128))
    # Box corners normalised to [0, 1] by the image width and height.
    x0: Mapped[float] = mapped_column(Float)
    y0: Mapped[float] = mapped_column(Float)
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(Text)
    # Optional outlines inside the box: polygons as flat [x, y, x, y, ...] lists, normalised like the box.
    polygons: Mapped[list[list[float]] | None] = mapped_column(JSON)
    # Optional pixel mask: {"size": [h, w], "counts": [...]}, COCO's uncompressed run-length encoding.
    mask: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AnnotationBox(NamedTuple):
    """One ground-truth region: a box (normalised corners), optionally outlined by polygons."""

    image_id: str
    label: str
    x0: float
    y0: float
    x1: float
    y1: float
    polygons: tuple[tuple[float, ...], ...] = ()
    mask: tuple[int, int, tuple[int, ...]] | None = None  # (height, width, column-major run lengths)


class MetricRow(Base):
    __tablename__ = "metrics"
    __table_args__ = (
        UniqueConstraint("image_id", "model", "method", "layer", "head", "metric", name="uq_metrics_key"),
        Index("ix_metrics_model_metric", "model", "metric"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    layer: Mapped[int] = mapped_column(Integer)
    head: Mapped[int] = mapped_column(Integer)  # -1 = fused over heads
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)


class MetricSummaryRow(Base):
    __tablename__ = "metric_summaries"
    __table_args__ = (
        UniqueConstraint(
            "model", "method", "layer", "head", "metric", "label", name="uq_metric_summaries_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    layer: Mapped[int] = mapped_column(Integer)
    head: Mapped[int] = mapped_column(Integer)  # -1 = fused over heads
    metric: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(128))  # "" = all annotation labels
    mean: Mapped[float] = mapped_column(Float)
    std: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float] = mapped_column(Float)
    ci_high: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)


class VlmSampleRow(Base):
    """One image × VLM × prompt whose maps are written (a row exists only once they are)."""

    __tablename__ = "vlm_samples"

    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    prompt_index: Mapped[int] = mapped_column(Integer, primary_key=True)  # index in the group's prompts
    prompt: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    n_tokens: Mapped[int] = mapped_column(Integer)  # text tokens stored (those after the image)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


@dataclass(frozen=True)
class VlmSample:
    image_id: str
    model: str
    prompt_index: int
    prompt: str
    answer: str
    n_tokens: int


@dataclass(frozen=True)
class MetricValue:
    image_id: str
    model: str
    method: str
    layer: int
    head: int  # -1 = fused
    metric: str
    value: float


@dataclass(frozen=True)
class ImageInfo:
    id: str
    path: str
    sha256: str | None
    width: int | None
    height: int | None
    error: str | None
    models: tuple[str, ...]  # models whose maps for this image are complete
    annotations: int = 0  # ground-truth regions of this image


@dataclass(frozen=True)
class ImageEntry:
    """An image's content hash, its decode error if any, and its row for one model when that is done."""

    id: str
    sha256: str | None
    error: str | None
    row: int | None  # None until the image's maps for the model are complete


@dataclass(frozen=True)
class DiscoveredFile:
    id: str
    path: str
    size: int
    mtime_ns: int


# Built once: `Catalog.entry` runs on every attention request.
_ENTRY_QUERY = (
    select(ImageRow.sha256, ImageRow.error, EntryRow.row)
    .outerjoin(
        EntryRow,
        (EntryRow.image_id == ImageRow.id) & (EntryRow.model == bindparam("model")) & EntryRow.done.is_(True),
    )
    .where(ImageRow.id == bindparam("image_id"))
)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the API read while a precompute run writes; busy_timeout lets two runs share the file.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest Alembic revision (idempotent, safe for two processes)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    for attempt in range(5):
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except OperationalError:
            # Another process is creating the same tables right now; its work is ours too.
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


class Catalog:
    """Everything the precompute job and the API ask the catalog."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Catalog:
        _ensure_sqlite_folder(url)
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        if migrate:
            upgrade_schema(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

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
        with self.session.begin() as s:
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

    def record_image(self, image_id: str, *, sha256: str, width: int, height: int) -> None:
        with self.session.begin() as s:
            s.execute(
                update(ImageRow)
                .where(ImageRow.id == image_id)
                .values(sha256=sha256, width=width, height=height, error=None)
            )

    def record_image_error(self, image_id: str, message: str) -> None:
        with self.session.begin() as s:
            s.execute(update(ImageRow).where(ImageRow.id == image_id).values(error=message))

    def failed_ids(self) -> set[str]:
        """Images whose file could not be used (the mark is cleared when the file changes)."""
        with self.session() as s:
            return set(s.scalars(select(ImageRow.id).where(ImageRow.error.is_not(None))))

    def image(self, image_id: str) -> ImageInfo | None:
        with self.session() as s:
            row = s.get(ImageRow, image_id)
            if row is None:
                return None
            return self._info(s, [row])[0]

    def images(
        self, *, limit: int = 50, offset: int = 0, query: str | None = None
    ) -> tuple[list[ImageInfo], int]:
        """A page of images ordered by id, optionally filtered by a substring of id or path."""
        with self.session() as s:
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

    def assign_rows(self, model: str, image_ids: Iterable[str]) -> dict[str, int]:
        """Give each image a row in the model's arrays (existing rows are kept); returns all rows."""
        with self.session.begin() as s:
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

    def done_ids(self, model: str) -> set[str]:
        with self.session() as s:
            return set(
                s.scalars(select(EntryRow.image_id).where(EntryRow.model == model, EntryRow.done.is_(True)))
            )

    def mark_done(self, model: str, image_ids: Sequence[str], run_id: int) -> None:
        """Mark rows complete. Called only after their arrays are written, in one transaction."""
        with self.session.begin() as s:
            s.execute(
                update(EntryRow)
                .where(EntryRow.model == model, EntryRow.image_id.in_(image_ids))
                .values(done=True, run_id=run_id, updated_at=_now())
            )
            s.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(images_done=RunRow.images_done + len(image_ids))
            )

    def reset_model(self, model: str) -> None:
        """Forget every row of a model (its store group is being rebuilt)."""
        with self.session.begin() as s:
            s.execute(delete(VlmSampleRow).where(VlmSampleRow.model == model))
            s.execute(delete(EntryRow).where(EntryRow.model == model))
            s.execute(delete(MetricRow).where(MetricRow.model == model))
            # Only this model's summaries are stale; the others (and the baselines) still hold.
            s.execute(delete(MetricSummaryRow).where(MetricSummaryRow.model == model))

    def row_of(self, image_id: str, model: str) -> int | None:
        """The image's row for a model, only when its maps are complete."""
        with self.session() as s:
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

    # --- VLM samples ------------------------------------------------------------------------

    def done_samples(self, model: str) -> set[tuple[str, int]]:
        """(image id, prompt index) pairs whose maps are written for a VLM."""
        with self.session() as s:
            return {
                (image_id, index)
                for image_id, index in s.execute(
                    select(VlmSampleRow.image_id, VlmSampleRow.prompt_index).where(
                        VlmSampleRow.model == model
                    )
                )
            }

    def mark_vlm_image_done(
        self, model: str, image_id: str, samples: Sequence[VlmSample], run_id: int
    ) -> None:
        """After an image's arrays are written: its samples and its entry, in one transaction."""
        with self.session.begin() as s:
            for sample in samples:
                s.merge(
                    VlmSampleRow(
                        image_id=image_id,
                        model=model,
                        prompt_index=sample.prompt_index,
                        prompt=sample.prompt,
                        answer=sample.answer,
                        n_tokens=sample.n_tokens,
                        run_id=run_id,
                    )
                )
            was_done = s.scalar(
                select(EntryRow.done).where(EntryRow.model == model, EntryRow.image_id == image_id)
            )
            s.execute(
                update(EntryRow)
                .where(EntryRow.model == model, EntryRow.image_id == image_id)
                .values(done=True, run_id=run_id, updated_at=_now())
            )
            if not was_done:
                s.execute(
                    update(RunRow).where(RunRow.id == run_id).values(images_done=RunRow.images_done + 1)
                )

    def vlm_samples(self, image_id: str, model: str) -> list[VlmSample]:
        """An image's finished prompts for a VLM, by prompt index."""
        with self.session() as s:
            rows = s.scalars(
                select(VlmSampleRow)
                .where(VlmSampleRow.image_id == image_id, VlmSampleRow.model == model)
                .order_by(VlmSampleRow.prompt_index)
            )
            return [
                VlmSample(r.image_id, r.model, r.prompt_index, r.prompt, r.answer, r.n_tokens) for r in rows
            ]

    # --- runs ---------------------------------------------------------------------------------

    def start_run(self, model: str, checkpoint: str, weights: str, params: dict[str, Any]) -> int:
        with self.session.begin() as s:
            run = RunRow(model=model, checkpoint=checkpoint, weights=weights, params=params, status="running")
            s.add(run)
            s.flush()
            return run.id

    def close_stale_runs(self, model: str) -> int:
        """Runs still marked running for a model whose lock we now hold were killed; say so."""
        with self.session.begin() as s:
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
        with self.session.begin() as s:
            s.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(
                    status=status,
                    finished_at=_now(),
                    seconds=seconds,
                    images_failed=images_failed,
                    bytes_written=bytes_written,
                    error=error,
                )
            )

    def runs(self, model: str | None = None) -> list[RunRow]:
        with self.session() as s:
            stmt = select(RunRow).order_by(RunRow.id)
            if model is not None:
                stmt = stmt.where(RunRow.model == model)
            return list(s.scalars(stmt))

    # --- annotations --------------------------------------------------------------------------

    def replace_annotations(self, boxes: Sequence[tuple[Any, ...]], source: str) -> int:
        """Replace the annotations of `source` with `AnnotationBox`es (or plain
        (image_id, label, x0, y0, x1, y1) tuples) of known images.

        Images whose boxes changed lose their metrics (they are computed again)."""
        wanted_boxes = [AnnotationBox(*box) for box in boxes]
        with self.session.begin() as s:
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

    def annotated_ids(self) -> set[str]:
        with self.session() as s:
            return set(s.scalars(select(AnnotationRow.image_id).distinct()))

    def annotations(self, image_id: str) -> list[AnnotationRow]:
        with self.session() as s:
            return list(
                s.scalars(
                    select(AnnotationRow).where(AnnotationRow.image_id == image_id).order_by(AnnotationRow.id)
                )
            )

    # --- metrics ------------------------------------------------------------------------------

    def metric_pairs(self) -> set[tuple[str, str]]:
        """(image, model) pairs that have metrics."""
        with self.session() as s:
            return {(i, m) for i, m in s.execute(select(MetricRow.image_id, MetricRow.model).distinct())}

    def add_metrics(self, values: Sequence[MetricValue]) -> None:
        """Insert one (image, model) pair's values in one transaction (replacing any it had)."""
        pairs = {(v.image_id, v.model) for v in values}
        with self.session.begin() as s:
            for image_id, model in pairs:
                s.execute(delete(MetricRow).where(MetricRow.image_id == image_id, MetricRow.model == model))
            s.execute(
                insert(MetricRow),
                [
                    {
                        "image_id": v.image_id,
                        "model": v.model,
                        "method": v.method,
                        "layer": v.layer,
                        "head": v.head,
                        "metric": v.metric,
                        "value": v.value,
                    }
                    for v in values
                ],
            )

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
        with self.session() as s:
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

    def image_labels(self) -> dict[str, set[str]]:
        with self.session() as s:
            labels: dict[str, set[str]] = {}
            for image_id, label in s.execute(select(AnnotationRow.image_id, AnnotationRow.label)):
                labels.setdefault(image_id, set()).add(label)
            return labels

    def replace_summaries(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.session.begin() as s:
            s.execute(delete(MetricSummaryRow))
            if rows:
                s.execute(insert(MetricSummaryRow), list(rows))

    def metric_names(self) -> list[str]:
        """Metrics that have summaries, sorted."""
        with self.session() as s:
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
    ) -> list[MetricSummaryRow]:
        with self.session() as s:
            stmt = select(MetricSummaryRow).where(MetricSummaryRow.label == label)
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
            return list(s.scalars(stmt.order_by(*order)))
