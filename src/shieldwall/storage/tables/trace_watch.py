"""Insider watch: how far each reader of the audit log got (its cursor)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from shieldwall.storage.tables.base import Timestamp, metadata

watch_cursors = Table(
    "watch_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),  # last audit entry processed
    Column("updated_at", Timestamp(), nullable=False),
)
