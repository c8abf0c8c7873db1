"""Several server workers share what one process used to keep in memory: version counters of
what changed (pages, accounts), leases (one scheduler), and failed sign-ins and login locks.

Revision ID: 0009_workers
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_workers"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("renewed_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(300), nullable=False, index=True),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "login_locks",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("until", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("login_locks", "login_failures", "leases", "data_versions"):
        op.drop_table(table)
