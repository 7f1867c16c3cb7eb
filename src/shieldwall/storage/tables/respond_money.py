"""Respond money tables: the victims register, contacts with victims, claims, and the
append-only double-entry ledger.

No value from a victims list is stored in clear: a matched victim is a customer id; an
unmatched one is custody's blind-index digests of the phone and ID number and an HMAC of the
order number (``respond.matching``). Contacts and claims hold codes and amounts, no notes.

``case_id`` is a plain string without a foreign key until the cases table (respond cases,
migration ``rc0001``) is merged; a later migration adds the foreign keys.

The ledger (``respond_ledger_postings`` and ``respond_ledger_entries``) is guarded by triggers
the migration ``rm0001`` creates on SQLite and PostgreSQL: no UPDATE or DELETE (nor TRUNCATE on
PostgreSQL) of either table; a posting row is accepted only if its entries, inserted before it
in the same transaction, sum to zero and its ``total_fen`` is their debits; no entry may be
added to a posting that exists. Entries reference their posting through a foreign key checked
at commit (``DEFERRABLE INITIALLY DEFERRED``), so entries without a posting cannot commit.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from shieldwall.storage.tables.base import Timestamp, metadata

respond_victims = Table(
    "respond_victims",
    metadata,
    Column("victim_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False),  # no FK until respond cases merges
    Column("victim_key", String(80), nullable=False),  # c:<customer id> | n:/p:/o:<hex>
    Column("customer_id", String(64), ForeignKey("customers.customer_id")),
    Column("phone_bidx", LargeBinary(16)),
    Column("national_id_bidx", LargeBinary(16)),
    Column("order_hash", LargeBinary(16)),
    Column("source", String(16), nullable=False),
    Column("trace_ref", String(64)),
    Column("loss_fen", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", Timestamp(), nullable=False),
    UniqueConstraint("case_id", "victim_key"),
    CheckConstraint("loss_fen >= 0", name="loss_not_negative"),
    Index("ix_respond_victims_customer", "customer_id"),
    Index("ix_respond_victims_phone_bidx", "phone_bidx"),
    Index("ix_respond_victims_national_id_bidx", "national_id_bidx"),
)

respond_victim_contacts = Table(
    "respond_victim_contacts",
    metadata,
    Column("contact_id", String(64), primary_key=True),
    Column("victim_id", String(64), ForeignKey("respond_victims.victim_id"), nullable=False),
    Column("at", Timestamp(), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("by", String(64), nullable=False),
    Index("ix_respond_victim_contacts_victim_at", "victim_id", "at"),
)

respond_claims = Table(
    "respond_claims",
    metadata,
    Column("claim_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False),  # no FK until respond cases merges
    Column("customer_id", String(64), ForeignKey("customers.customer_id"), nullable=False),
    Column("victim_id", String(64), ForeignKey("respond_victims.victim_id")),
    Column("amount_claimed_fen", BigInteger, nullable=False),
    Column("amount_approved_fen", BigInteger),
    Column("paid_fen", BigInteger, nullable=False),
    Column("advance", Boolean, nullable=False),
    Column("evidence_ref", String(64)),
    Column("status", String(16), nullable=False),
    Column("reject_reason", String(32)),
    Column("submitted_by", String(64), nullable=False),
    Column("decided_by", String(64)),
    Column("submitted_at", Timestamp(), nullable=False),
    Column("updated_at", Timestamp(), nullable=False),
    CheckConstraint("amount_claimed_fen > 0", name="claimed_positive"),
    CheckConstraint(
        "amount_approved_fen IS NULL OR"
        " (amount_approved_fen >= 0 AND amount_approved_fen <= amount_claimed_fen)",
        name="approved_within_claimed",
    ),
    CheckConstraint(
        "paid_fen >= 0 AND paid_fen <= COALESCE(amount_approved_fen, 0)", name="paid_within"
    ),
    Index("ix_respond_claims_case_status", "case_id", "status"),
    Index("ix_respond_claims_customer", "customer_id"),
)

respond_ledger_postings = Table(
    "respond_ledger_postings",
    metadata,
    Column("posting_id", String(64), primary_key=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("request_digest", LargeBinary(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("case_id", String(64)),
    Column("claim_id", String(64), ForeignKey("respond_claims.claim_id")),
    Column("total_fen", BigInteger, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("created_by", String(64), nullable=False),
    CheckConstraint("total_fen > 0", name="total_positive"),
    Index("ix_respond_ledger_postings_case", "case_id", "kind"),
    Index("ix_respond_ledger_postings_claim", "claim_id"),
)

respond_ledger_entries = Table(
    "respond_ledger_entries",
    metadata,
    Column("posting_id", String(64), primary_key=True),
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("account", String(140), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),  # debit > 0, credit < 0
    CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
    ForeignKeyConstraint(
        ["posting_id"],
        ["respond_ledger_postings.posting_id"],
        deferrable=True,
        initially="DEFERRED",
    ),
    Index("ix_respond_ledger_entries_account", "account"),
)
