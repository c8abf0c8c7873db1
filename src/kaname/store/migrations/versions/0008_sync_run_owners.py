"""Sync runs name the process that runs them (host, pid, start token), as refresh and import
runs do (0007_runs), so a sync killed midway is told from one still running; an unfinished
sync names the sync that resumed it; and at most one sync of a source is `running` (a partial
unique index), so the loser of two syncs started together writes no row.

Revision ID: 0008_sync_runs
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_sync_runs"
down_revision = "0005"
branch_labels = None
depends_on = None

RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    op.add_column("sync_runs", sa.Column("host", sa.String(255), nullable=False, server_default=""))
    op.add_column("sync_runs", sa.Column("pid", sa.Integer, nullable=True))
    op.add_column(
        "sync_runs", sa.Column("process_token", sa.String(64), nullable=False, server_default="")
    )
    op.add_column("sync_runs", sa.Column("resumed_by", sa.Integer, nullable=True))
    # Failed runs from before are history (they scored what they wrote).
    op.execute("UPDATE sync_runs SET resumed_by = 0 WHERE status = 'failed'")
    # A run from before owners were recorded that still says `running` was killed (no process
    # of an older version can be running it now): it is shown, and resumed, as interrupted.
    op.execute("UPDATE sync_runs SET status = 'interrupted' WHERE status = 'running'")
    op.create_index(
        "ux_sync_runs_running",
        "sync_runs",
        ["source"],
        unique=True,
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )


def downgrade() -> None:
    op.drop_index("ux_sync_runs_running", table_name="sync_runs")
    with op.batch_alter_table("sync_runs") as batch:
        for column in ("resumed_by", "process_token", "pid", "host"):
            batch.drop_column(column)
