"""The catalog's tables as SQLAlchemy 2 typed mappings: images, runs, entries (image × model → row),
annotations, metrics, metric summaries, VLM samples, the shift of variants from their bases and the
catalog's own info (which store).

Only the catalog package (and its Alembic environment) uses these rows: `CatalogReader` turns
them into the plain records of `records.py` before anything leaves the package.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> dt.datetime:
    """The current UTC time, naive (as the columns store it)."""
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
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    checkpoint: Mapped[str] = mapped_column(Text)
    weights: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
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
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, onupdate=now)


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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class ShiftPairRow(Base):
    """An (image, variant, base) triple whose shift is computed, with the stamp of both models'
    entries it was computed from (a new stamp: the maps changed, compute it again)."""

    __tablename__ = "shift_pairs"

    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    base: Mapped[str] = mapped_column(String(64), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(128))


class ShiftValueRow(Base):
    """The distance of one map of an image between a variant and its base."""

    __tablename__ = "shift_values"
    __table_args__ = (
        UniqueConstraint("image_id", "model", "base", "method", "layer", "head", name="uq_shift_values_key"),
        Index("ix_shift_values_pair", "model", "base", "method"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(64))
    base: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    layer: Mapped[int] = mapped_column(Integer)
    head: Mapped[int] = mapped_column(Integer)  # -1 = fused over heads
    distance: Mapped[float] = mapped_column(Float)


class ShiftSummaryRow(Base):
    __tablename__ = "shift_summaries"
    __table_args__ = (
        UniqueConstraint("model", "base", "method", "layer", "head", name="uq_shift_summaries_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(64))
    base: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    layer: Mapped[int] = mapped_column(Integer)
    head: Mapped[int] = mapped_column(Integer)  # -1 = fused over heads
    mean: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float] = mapped_column(Float)
    ci_high: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)


class CatalogInfoRow(Base):
    """A fact about the catalog itself: `store_id` (the identity of the store it describes, the
    same UUID as the store's root attrs) and `store_url` (where that store was last opened)."""

    __tablename__ = "catalog_info"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunLeaseRow(Base):
    """The lease of one model's group: which run may write it, until when (`catalog/lease.py`)."""

    __tablename__ = "run_leases"

    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))  # a random token of the holding run
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)  # renewed by the holder's heartbeat
