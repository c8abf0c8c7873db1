"""Act: who decided an action; review decisions applied to a plan's next version.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("decided_by", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("decided_at", sa.DateTime, nullable=True))
    with op.batch_alter_table("kpi_review_decisions") as batch:
        batch.add_column(sa.Column("applied_version", sa.Integer, nullable=True))
        batch.add_column(sa.Column("applied_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("applied_by", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("kpi_review_decisions") as batch:
        batch.drop_column("applied_by")
        batch.drop_column("applied_at")
        batch.drop_column("applied_version")
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("decided_at")
        batch.drop_column("decided_by")
