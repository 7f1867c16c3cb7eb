"""guard: the login decisions' history in the database (hours, accounts under attack, their
addresses as tags)

Revision ID: gh0001
Revises:
Create Date: 2026-12-03 15:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gh0001"
down_revision = None
branch_labels = ("guard_risk_history",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_history_hours",
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("allow", sa.Integer(), nullable=False),
        sa.Column("challenge", sa.Integer(), nullable=False),
        sa.Column("deny", sa.Integer(), nullable=False),
        sa.Column("failure", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_risk_history_hours")),
    )
    op.create_table(
        "risk_history_accounts",
        sa.Column("account", sa.String(length=80), nullable=False),
        sa.Column("first_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("challenge", sa.Integer(), nullable=False),
        sa.Column("deny", sa.Integer(), nullable=False),
        sa.Column("failure", sa.Integer(), nullable=False),
        sa.Column("known", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_risk_history_accounts")),
    )
    op.create_index(
        "ix_risk_history_accounts_last_at", "risk_history_accounts", ["last_at"], unique=False
    )
    op.create_table(
        "risk_history_sources",
        sa.Column("account", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("account", "source", name=op.f("pk_risk_history_sources")),
    )


def downgrade() -> None:
    op.drop_table("risk_history_sources")
    op.drop_index("ix_risk_history_accounts_last_at", table_name="risk_history_accounts")
    op.drop_table("risk_history_accounts")
    op.drop_table("risk_history_hours")
