"""trace watch: the cursors of audit-log readers

Revision ID: tw0001
Revises:
Create Date: 2026-11-29 00:34:23.353380
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tw0001"
down_revision = None
branch_labels = ("trace_watch",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_watch_cursors")),
    )


def downgrade() -> None:
    op.drop_table("watch_cursors")
