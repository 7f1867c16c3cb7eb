"""intake: the events already processed (idempotency by event id)

Revision ID: in0001
Revises:
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "in0001"
down_revision = None
branch_labels = ("intake",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_events",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "event_id", name=op.f("pk_intake_events")),
    )
    op.create_index(
        "ix_intake_events_processed_at", "intake_events", ["processed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_intake_events_processed_at", table_name="intake_events")
    op.drop_table("intake_events")
