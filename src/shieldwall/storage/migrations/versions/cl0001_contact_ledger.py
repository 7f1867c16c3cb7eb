"""contact ledger: official numbers, contacts, warnings outbox

Revision ID: cl0001
Revises:
Create Date: 2026-11-29 00:24:34.686796
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cl0001"
down_revision = None
branch_labels = ("contact_ledger",)
depends_on = ("c0001",)  # foreign keys to customers, orders and principals


def upgrade() -> None:
    op.create_table(
        "contact_numbers",
        sa.Column("value", sa.String(length=260), nullable=False),
        sa.Column("form", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("pattern", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("value", name=op.f("pk_contact_numbers")),
    )
    op.create_table(
        "contact_outbox",
        sa.Column("notification_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("trigger_kind", sa.String(length=16), nullable=False),
        sa.Column("trigger_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("locale", sa.String(length=4), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_contact_outbox_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_contact_outbox")),
        sa.UniqueConstraint(
            "customer_id",
            "trigger_kind",
            "trigger_id",
            name=op.f("uq_contact_outbox_customer_id_trigger_kind_trigger_id"),
        ),
    )
    with op.batch_alter_table("contact_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_contact_outbox_attempted", ["attempted_at"], unique=False)
        batch_op.create_index(
            "ix_contact_outbox_customer_created", ["customer_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_contact_outbox_status_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "contact_ledger",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("via", sa.String(length=260), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("code_salt", sa.LargeBinary(length=16), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("code_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["principals.principal_id"],
            name=op.f("fk_contact_ledger_agent_id_principals"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_contact_ledger_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name=op.f("fk_contact_ledger_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_ledger")),
    )
    with op.batch_alter_table("contact_ledger", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_ledger_agent_started", ["agent_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_contact_ledger_customer_started", ["customer_id", "started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_ledger_customer_started")
        batch_op.drop_index("ix_contact_ledger_agent_started")

    op.drop_table("contact_ledger")
    with op.batch_alter_table("contact_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_outbox_status_due")
        batch_op.drop_index("ix_contact_outbox_customer_created")
        batch_op.drop_index("ix_contact_outbox_attempted")

    op.drop_table("contact_outbox")
    op.drop_table("contact_numbers")
