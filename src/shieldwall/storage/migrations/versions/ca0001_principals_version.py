"""custody access: the principals version every API worker checks before trusting its key cache

Revision ID: ca0001
Revises:
Create Date: 2026-12-05 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ca0001"
down_revision = None
branch_labels = ("custody_access",)
depends_on = ("c0001",)  # principals live in the custody branch


def upgrade() -> None:
    table = op.create_table(
        "principals_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_principals_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("principals_version")
