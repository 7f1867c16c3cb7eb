"""Contact ledger tables: official numbers, genuine contacts, and the warnings outbox.

No customer's phone number or address is stored here: contacts and notifications name the
customer by id; ``via`` and ``value`` are the store's own numbers and domains. ``code_salt`` is
the random input the verification codes are derived from under a key (the codes are never
stored).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shieldwall.storage.tables.base import Timestamp, metadata

contact_numbers = Table(
    "contact_numbers",
    metadata,
    Column("value", String(260), primary_key=True),  # canonical; ranges end in X wildcards
    Column("form", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("label", String(100)),
    Column("pattern", Boolean, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("created_by", String(64), nullable=False),
)

contact_ledger = Table(
    "contact_ledger",
    metadata,
    Column("contact_id", String(64), primary_key=True),
    Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
    Column("agent_id", String(64), ForeignKey("principals.principal_id"), nullable=False),
    Column("agent_name", String(128)),
    Column("channel", String(8), nullable=False),
    Column("via", String(260), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("order_id", String(64), ForeignKey("orders.order_id")),
    Column("started_at", Timestamp(), nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
    Column("ended_at", Timestamp()),
    Column("verification", String(16), nullable=False),
    Column("code_salt", LargeBinary(16)),
    Column("code_attempts", Integer, nullable=False),
    Column("code_verified_at", Timestamp()),
    Column("created_by", String(64), nullable=False),
    Index("ix_contact_ledger_customer_started", "customer_id", "started_at"),
    Index("ix_contact_ledger_agent_started", "agent_id", "started_at"),
)

contact_outbox = Table(
    "contact_outbox",
    metadata,
    Column("notification_id", String(64), primary_key=True),
    Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
    Column("trigger_kind", String(16), nullable=False),  # leak | campaign
    Column("trigger_id", String(128), nullable=False),
    Column("channel", String(8), nullable=False),  # sms | email
    Column("locale", String(4), nullable=False),
    Column("score", Float, nullable=False),
    Column("rank", Integer, nullable=False),  # position in its plan: breaks ties in score
    Column("reasons", Text, nullable=False),  # JSON: [{code, points, detail}]
    Column("status", String(12), nullable=False),  # pending | sending | sent | dead
    Column("attempts", Integer, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("next_attempt_at", Timestamp(), nullable=False),
    Column("attempted_at", Timestamp()),
    Column("sent_at", Timestamp()),
    Column("last_error", String(200)),
    UniqueConstraint("customer_id", "trigger_kind", "trigger_id"),
    Index("ix_contact_outbox_status_due", "status", "next_attempt_at"),
    Index("ix_contact_outbox_customer_created", "customer_id", "created_at"),
    Index("ix_contact_outbox_attempted", "attempted_at"),
    Index("ix_contact_outbox_listing", "created_at", "notification_id"),  # GET /v1/warnings
)
