"""respond cases: breach notifications recorded

Revision ID: rc0002
Revises: rc0001
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rc0002"
down_revision = "rc0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "respond_notices",
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("regime", sa.String(length=8), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["respond_cases.case_id"],
            name=op.f("fk_respond_notices_case_id_respond_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_respond_notices")),
    )
    op.create_index(
        "ix_respond_notices_case_id",
        "respond_notices",
        ["case_id", "regime", "audience"],
        unique=False,
    )
    op.create_index(
        "uq_respond_notices_person",
        "respond_notices",
        ["case_id", "regime", "customer_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_respond_notices_person", table_name="respond_notices")
    op.drop_index("ix_respond_notices_case_id", table_name="respond_notices")
    op.drop_table("respond_notices")
