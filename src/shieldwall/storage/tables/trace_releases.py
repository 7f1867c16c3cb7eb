"""Release ledger: releases, the customers each one offered, and canary digests.

No personal data: customer ids, field names, and keyed digests of trap contacts (synthetic).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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

trace_releases = Table(
    "trace_releases",
    metadata,
    Column("release_id", String(64), primary_key=True),
    Column("recipient_id", String(64), nullable=False, index=True),
    Column("recipient_role", String(16), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("fields", Text, nullable=False),  # JSON list
    Column("columns", Text, nullable=False),  # JSON {field: view}
    Column("file_format", String(8), nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("record_count", Integer, nullable=False),
    Column("optional_pool", Integer, nullable=False),
    Column("optional_included", Integer, nullable=False),
    Column("canary_count", Integer, nullable=False),
    Column("marked", Boolean, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", Timestamp(), nullable=False, index=True),
    Column("note", Text, nullable=False),
)

trace_release_records = Table(
    "trace_release_records",
    metadata,
    Column(
        "release_id",
        String(64),
        ForeignKey("trace_releases.release_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("included", Boolean, nullable=False),
    Column("optional", Boolean, nullable=False),
    PrimaryKeyConstraint("release_id", "customer_id"),
)

trace_release_canaries = Table(
    "trace_release_canaries",
    metadata,
    Column("digest", LargeBinary(16), primary_key=True),
    Column(
        "release_id",
        String(64),
        ForeignKey("trace_releases.release_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(8), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
)
