"""Refresh and import runs name the process that runs them (host, pid, start token), so a run
killed midway is told from one still running; refresh runs count their jobs, import runs
record their stage (load, score, done), and a refresh run that did not finish names the run
that redid it.

Revision ID: 0007_runs
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_runs"
down_revision = "0004"
branch_labels = None
depends_on = None


def _owner_columns(table: str) -> None:
    op.add_column(table, sa.Column("host", sa.String(255), nullable=False, server_default=""))
    op.add_column(table, sa.Column("pid", sa.Integer, nullable=True))
    op.add_column(
        table, sa.Column("process_token", sa.String(64), nullable=False, server_default="")
    )


def upgrade() -> None:
    _owner_columns("refresh_runs")
    op.add_column("refresh_runs", sa.Column("jobs", sa.Integer, nullable=False, server_default="0"))
    op.add_column(
        "refresh_runs", sa.Column("jobs_done", sa.Integer, nullable=False, server_default="0")
    )
    op.add_column("refresh_runs", sa.Column("redone_by", sa.Integer, nullable=True))
    # Failed runs from before are history; a phantom `running` one is redone once it is marked.
    op.execute("UPDATE refresh_runs SET redone_by = 0 WHERE status = 'failed'")
    _owner_columns("import_runs")
    # Runs from before: a stale one may have loaded leads it never scored, so it is scored again.
    op.add_column(
        "import_runs", sa.Column("stage", sa.String(20), nullable=False, server_default="load")
    )


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        for column in ("stage", "process_token", "pid", "host"):
            batch.drop_column(column)
    with op.batch_alter_table("refresh_runs") as batch:
        for column in ("redone_by", "jobs_done", "jobs", "process_token", "pid", "host"):
            batch.drop_column(column)
