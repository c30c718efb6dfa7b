"""Initial catalog: images, runs, entries, annotations, metrics.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.String(512), primary_key=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("width", sa.Integer()),
        sa.Column("height", sa.Integer()),
        sa.Column("file_size", sa.BigInteger()),
        sa.Column("file_mtime_ns", sa.BigInteger()),
        sa.Column("error", sa.Text()),
        sa.Column("added_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False, index=True),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("weights", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("images_done", sa.Integer(), nullable=False),
        sa.Column("images_failed", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float()),
        sa.Column("bytes_written", sa.BigInteger()),
        sa.Column("error", sa.Text()),
    )
    op.create_table(
        "entries",
        sa.Column(
            "image_id", sa.String(512), sa.ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("model", sa.String(64), primary_key=True),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False, index=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id")),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("model", "row", name="uq_entries_model_row"),
    )
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("image_id", sa.String(512), sa.ForeignKey("images.id", ondelete="CASCADE"), index=True),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("x0", sa.Float(), nullable=False),
        sa.Column("y0", sa.Float(), nullable=False),
        sa.Column("x1", sa.Float(), nullable=False),
        sa.Column("y1", sa.Float(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("image_id", sa.String(512), sa.ForeignKey("images.id", ondelete="CASCADE"), index=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.UniqueConstraint("image_id", "model", "method", "layer", "head", "metric", name="uq_metrics_key"),
    )


def downgrade() -> None:
    for table in ("metrics", "annotations", "entries", "runs", "images"):
        op.drop_table(table)
