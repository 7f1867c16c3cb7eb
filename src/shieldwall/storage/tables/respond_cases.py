"""Incident cases: the case, its links, its timeline and its evidence (sealed).

No personal data in clear: ids, states, hashes and sizes; evidence bytes only as AES-GCM
tokens bound to case and item (``respond/evidence.py``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from shieldwall.storage.tables.base import Timestamp, metadata

respond_cases = Table(
    "respond_cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("state", String(16), nullable=False, index=True),
    Column("source_kind", String(16), nullable=False),
    Column("source_ref", String(64), nullable=True),
    Column("owner_id", String(64), nullable=True),
    Column("opened_by", String(64), nullable=False),
    Column("opened_at", Timestamp(), nullable=False, index=True),
    Column("updated_at", Timestamp(), nullable=False),
)

respond_case_links = Table(
    "respond_case_links",
    metadata,
    Column(
        "case_id",
        String(64),
        ForeignKey("respond_cases.case_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(24), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("linked_by", String(64), nullable=False),
    Column("linked_at", Timestamp(), nullable=False),
    PrimaryKeyConstraint("case_id", "kind", "ref"),
)

respond_case_timeline = Table(
    "respond_case_timeline",
    metadata,
    Column(
        "case_id",
        String(64),
        ForeignKey("respond_cases.case_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("n", Integer, nullable=False),
    Column("at", Timestamp(), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),  # JSON {name: id or count}
    PrimaryKeyConstraint("case_id", "n"),
)

respond_evidence = Table(
    "respond_evidence",
    metadata,
    Column("evidence_id", String(64), primary_key=True),
    Column(
        "case_id",
        String(64),
        ForeignKey("respond_cases.case_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(16), nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("suffix", String(16), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_by", String(64), nullable=False),
    Column("received_at", Timestamp(), nullable=False),
    Column("receipt_seq", BigInteger, nullable=True),
    Column("content_ct", LargeBinary, nullable=False),
)
