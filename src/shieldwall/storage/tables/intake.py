"""Event intake: the events already processed, by kind and event id, with their results."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from shieldwall.storage.tables.base import Timestamp, metadata

intake_events = Table(
    "intake_events",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("event_id", String(128), primary_key=True),
    Column("result", Text, nullable=False),  # JSON: decisions and identifiers, never PII
    Column("processed_at", Timestamp(), nullable=False),
    Index("ix_intake_events_processed_at", "processed_at"),
)
