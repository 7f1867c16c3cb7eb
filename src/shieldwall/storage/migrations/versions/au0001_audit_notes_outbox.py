"""audit: checkpoints as signed notes, and the outbox of events staged in other transactions

Revision ID: au0001
Revises:
Create Date: 2026-12-03 05:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "au0001"
down_revision = None
branch_labels = ("audit",)
depends_on = "c0001"


def upgrade() -> None:
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.create_table(
        "audit_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_outbox")),
    )


def downgrade() -> None:
    op.drop_table("audit_outbox")
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.drop_column("note")
