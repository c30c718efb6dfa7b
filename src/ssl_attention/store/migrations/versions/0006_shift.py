"""Shift of variants from their bases: computed triples, per-map distances, summaries.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _image_id() -> sa.Column:
    return sa.Column(
        "image_id", sa.String(512), sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "shift_pairs",
        sa.Column(
            "image_id", sa.String(512), sa.ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("model", sa.String(64), primary_key=True),
        sa.Column("base", sa.String(64), primary_key=True),
        sa.Column("stamp", sa.String(128), nullable=False),
    )
    op.create_table(
        "shift_values",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _image_id(),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("base", sa.String(64), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Float(), nullable=False),
        sa.UniqueConstraint(
            "image_id", "model", "base", "method", "layer", "head", name="uq_shift_values_key"
        ),
        sa.Index("ix_shift_values_pair", "model", "base", "method"),
    )
    op.create_table(
        "shift_summaries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("base", sa.String(64), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("ci_low", sa.Float(), nullable=False),
        sa.Column("ci_high", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.UniqueConstraint("model", "base", "method", "layer", "head", name="uq_shift_summaries_key"),
    )


def downgrade() -> None:
    op.drop_table("shift_summaries")
    op.drop_table("shift_values")
    op.drop_table("shift_pairs")
