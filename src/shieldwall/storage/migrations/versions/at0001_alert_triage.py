"""alert triage: who took an alert, who closed it, why, with a note (the console)

Revision ID: at0001
Revises:
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "at0001"
down_revision = None
branch_labels = ("alert_triage",)
depends_on = ("c0001",)  # the alerts table lives in the foundation


def upgrade() -> None:
    op.create_table(
        "alert_triage",
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alert_triage")),
    )


def downgrade() -> None:
    op.drop_table("alert_triage")
