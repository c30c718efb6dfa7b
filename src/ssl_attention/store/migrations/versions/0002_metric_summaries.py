"""Metric summaries: mean, std, bootstrap CI and count per model × method × layer × head × metric × label.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_summaries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("std", sa.Float(), nullable=False),
        sa.Column("ci_low", sa.Float(), nullable=False),
        sa.Column("ci_high", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "model", "method", "layer", "head", "metric", "label", name="uq_metric_summaries_key"
        ),
    )
    with op.batch_alter_table("metrics") as batch:
        batch.create_index("ix_metrics_model_metric", ["model", "metric"])


def downgrade() -> None:
    with op.batch_alter_table("metrics") as batch:
        batch.drop_index("ix_metrics_model_metric")
    op.drop_table("metric_summaries")
