"""Faithfulness: computed (image, model) pairs, per-map deletion/insertion curves, summaries.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _image_id(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "image_id",
        sa.String(512),
        sa.ForeignKey("images.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "faithfulness_pairs",
        _image_id(primary_key=True),
        sa.Column("model", sa.String(64), primary_key=True),
        sa.Column("stamp", sa.String(256), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
    )
    op.create_table(
        "faithfulness_values",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _image_id(),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("deletion_auc", sa.Float(), nullable=False),
        sa.Column("insertion_auc", sa.Float(), nullable=False),
        sa.Column("deletion", sa.JSON(), nullable=False),
        sa.Column("insertion", sa.JSON(), nullable=False),
        sa.UniqueConstraint(
            "image_id", "model", "method", "layer", "head", name="uq_faithfulness_values_key"
        ),
        sa.Index("ix_faithfulness_values_model", "model", "method"),
    )
    op.create_table(
        "faithfulness_summaries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        *(
            sa.Column(f"{curve}_{stat}", sa.Float(), nullable=False)
            for curve in ("deletion", "insertion")
            for stat in ("mean", "low", "high")
        ),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.UniqueConstraint("model", "method", "layer", "head", name="uq_faithfulness_summaries_key"),
    )


def downgrade() -> None:
    op.drop_table("faithfulness_summaries")
    op.drop_table("faithfulness_values")
    op.drop_table("faithfulness_pairs")
