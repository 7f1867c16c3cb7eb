"""Custody tables. Personal data lives only in ``*_ct`` columns (AES-256-GCM ciphertexts) and
``*_bidx`` columns (keyed HMAC blind indexes); everything else is identifiers and state."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from shieldwall.storage.tables.base import Timestamp, metadata

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("name_ct", LargeBinary, nullable=False),
    Column("phone_ct", LargeBinary, nullable=False),
    Column("email_ct", LargeBinary),
    Column("address_ct", LargeBinary),
    Column("national_id_ct", LargeBinary),
    Column("phone_bidx", LargeBinary(16), nullable=False, index=True),
    Column("email_bidx", LargeBinary(16), index=True),
    Column("national_id_bidx", LargeBinary(16), index=True),
    Column("key_version", Integer, nullable=False, index=True),
    Column("created_at", Timestamp(), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column(
        "customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False, index=True
    ),
    Column("items_ct", LargeBinary, nullable=False),
    Column("delivery_address_ct", LargeBinary),
    Column("amount_cents", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("paid_at", Timestamp()),
    Column("shipped_at", Timestamp()),
    Column("delivered_at", Timestamp()),
    Column("refunded_at", Timestamp()),
    Column("key_version", Integer, nullable=False, index=True),
)

principals = Table(
    "principals",
    metadata,
    Column("principal_id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("unit", String(64), index=True),
    Column("display_name", String(128)),
    Column("key_id", String(32), unique=True),
    Column("key_hash", LargeBinary(32)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Timestamp(), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("agent_id", String(64), ForeignKey("principals.principal_id"), nullable=False),
    Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
    Column("order_id", String(64), ForeignKey("orders.order_id")),
    Column("status", String(8), nullable=False),
    Column("opened_at", Timestamp(), nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
    Column("closed_at", Timestamp()),
    Index("ix_tickets_agent_customer", "agent_id", "customer_id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("assignment_id", String(64), primary_key=True),
    Column("courier_id", String(64), ForeignKey("principals.principal_id"), nullable=False),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False),
    Column("assigned_at", Timestamp(), nullable=False),
    Column("ended_at", Timestamp()),
    Index("ix_assignments_courier_order", "courier_id", "order_id"),
)

grants = Table(
    "grants",
    metadata,
    Column("grant_id", String(64), primary_key=True),
    Column("partner_id", String(64), ForeignKey("principals.principal_id"), nullable=False),
    Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
    Column("fields", Text, nullable=False),
    Column("release_id", String(64), index=True),
    Column("granted_at", Timestamp(), nullable=False),
    Column("expires_at", Timestamp()),
    Index("ix_grants_partner_customer", "partner_id", "customer_id"),
)

relay_bindings = Table(
    "relay_bindings",
    metadata,
    Column("binding_id", String(64), primary_key=True),
    Column("relay_number", String(20), nullable=False),
    Column("courier_id", String(64), ForeignKey("principals.principal_id"), nullable=False),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False),
    Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("expires_at", Timestamp()),
    Index("ix_relay_bindings_number_courier", "relay_number", "courier_id"),
    Index("ix_relay_bindings_courier_order", "courier_id", "order_id"),
)

# Data keys: one per (purpose, version), wrapped by a key-encryption key of the key provider.
# purpose is "customers.phone", "orders.items", "bidx.phone", "pseudonym", "audit.signing", ...
data_keys = Table(
    "data_keys",
    metadata,
    Column("purpose", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kek_version", Integer, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
)

# Key versions for field encryption: the newest 'active' one encrypts, all decrypt.
key_versions = Table(
    "key_versions",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("state", String(16), nullable=False),  # active | rotating | retired
    Column("created_at", Timestamp(), nullable=False),
    Column("completed_at", Timestamp()),
)

# Every policy the service has run with, by digest: a new digest is a policy change (audited).
policy_versions = Table(
    "policy_versions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("source", String(512), nullable=False),
    Column("first_seen_at", Timestamp(), nullable=False),
)

# One row (id 1): a counter bumped in the same transaction as every suspension, reinstatement
# and key rotation. Each API worker reads it at most every ``api.principals_check_seconds`` and
# drops its cached keys when it moved, so a change reaches every worker within that interval.
principals_version = Table(
    "principals_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)
