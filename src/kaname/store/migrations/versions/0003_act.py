"""Act: alerts, deliveries, PDCA actions, KPI review decisions, scheduled runs.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.String(100), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("dedup_key", sa.String(300), nullable=False, index=True),
        sa.Column("kpi_id", sa.String(100), nullable=False),
        sa.Column("dimension", sa.String(50), nullable=False),
        sa.Column("dimension_value", sa.String(200), nullable=False),
        sa.Column("period", sa.String(30), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("message_en", sa.Text, nullable=False),
        sa.Column("message_ja", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("acknowledged_at", sa.DateTime, nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=False),
        sa.Column("resolved_at", sa.DateTime, nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("channel_type", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("hypothesis", sa.Text, nullable=False),
        sa.Column("kpis", sa.Text, nullable=False),
        sa.Column("dimension", sa.String(50), nullable=False),
        sa.Column("dimension_value", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("expected_lift", sa.Float, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("learnings", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "kpi_review_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_name", sa.String(200), nullable=False, index=True),
        sa.Column("plan_version", sa.Integer, nullable=False),
        sa.Column("period", sa.String(30), nullable=False),
        sa.Column("kpi_id", sa.String(100), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "scheduled_runs",
        sa.Column("job", sa.String(200), primary_key=True),
        sa.Column("last_run_at", sa.DateTime, nullable=False),
        sa.Column("last_status", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduled_runs")
    op.drop_table("kpi_review_decisions")
    op.drop_table("actions")
    op.drop_table("deliveries")
    op.drop_table("alerts")
