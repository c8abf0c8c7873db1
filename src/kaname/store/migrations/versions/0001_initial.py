"""Initial app schema: plan versions, targets, custom KPIs, refresh runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_name", sa.String(200), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("plan_name", "version", name="uq_plan_version"),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kpi_id", sa.String(100), nullable=False, index=True),
        sa.Column("grain", sa.String(20), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("dimension", sa.String(50), nullable=False),
        sa.Column("dimension_value", sa.String(200), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("plan_version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index(
        "ix_targets_lookup", "targets", ["kpi_id", "grain", "period_start", "dimension"]
    )
    op.create_table(
        "custom_kpis",
        sa.Column("kpi_id", sa.String(100), primary_key=True),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "refresh_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("from_date", sa.Date, nullable=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refresh_runs")
    op.drop_table("custom_kpis")
    op.drop_index("ix_targets_lookup", table_name="targets")
    op.drop_table("targets")
    op.drop_table("plan_versions")
