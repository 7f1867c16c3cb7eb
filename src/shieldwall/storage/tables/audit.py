"""Audit tables: the append-only Merkle log (RFC 6962 hashing) and its signed checkpoints.

``audit_entries.body`` holds the canonical JSON that was hashed into ``leaf_hash``; it contains
identifiers and field names only, never personal data. ``audit_nodes`` keeps the hash of every
complete subtree above the leaves (level >= 1), so proofs need O(log n) reads.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)

from shieldwall.storage.tables.base import Timestamp, metadata

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("ts", Timestamp(), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Index("ix_audit_entries_actor_ts", "actor", "ts"),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("ts", Timestamp(), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("note", Text, nullable=True),  # the C2SP signed note (NULL: signed before notes)
)

# Access events staged in another capability's transaction (a bulk import's), moved into the log
# by ``MerkleAuditLog.flush_outbox`` in one transaction with their deletion here. ``body`` is the
# event's JSON: identifiers and field names only, like ``audit_entries.body``.
audit_outbox = Table(
    "audit_outbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("body", Text, nullable=False),
)

# One row (id = 1): the committed tree size and its frontier (the hashes of the complete
# subtrees on the right edge, 32 bytes each, largest first). Appenders lock it, so two processes
# never assign the same sequence number, and read the frontier from it instead of from the nodes.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("frontier", LargeBinary, nullable=False),
)
