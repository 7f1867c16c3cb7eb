"""alert delivery outbox: one row per (event, sink), written with the alert

Revision ID: ad0001
Revises:
Create Date: 2026-12-03 14:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ad0001"
down_revision = None
branch_labels = ("alert_delivery",)
depends_on = ("c0001",)  # the alerts table lives in the foundation


def upgrade() -> None:
    op.create_table(
        "alert_deliveries",
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("sink", sa.String(length=128), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", "sink", name=op.f("pk_alert_deliveries")),
    )
    op.create_index("ix_alert_deliveries_pending", "alert_deliveries", ["delivered_at", "due_at"])
    op.create_index("ix_alert_deliveries_alert", "alert_deliveries", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_alert", table_name="alert_deliveries")
    op.drop_index("ix_alert_deliveries_pending", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
