"""contact ledger: the warnings outbox indexed in its listing's order

Revision ID: cl0002
Revises: cl0001
Create Date: 2026-12-04 14:20:00.000000

``GET /v1/warnings`` and ``shieldwall warn outbox`` page the outbox newest queued first,
``ORDER BY created_at DESC, notification_id DESC`` after a keyset cursor. Without this index
every page sorted the whole table (SQLite: ``SCAN contact_outbox``, ``USE TEMP B-TREE FOR
ORDER BY``); with it a page reads its rows in index order.
"""

from __future__ import annotations

from alembic import op

revision = "cl0002"
down_revision = "cl0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_outbox_listing", ["created_at", "notification_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_outbox_listing")
