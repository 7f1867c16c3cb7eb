"""Alerts raised by custody (break-glass) and trace (insider watch)."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, String, Table, Text

from shieldwall.storage.tables.base import Timestamp, metadata

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("principal_id", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("raised_at", Timestamp(), nullable=False),
    Column("first_at", Timestamp()),
    Column("last_at", Timestamp()),
    Column("body", Text, nullable=False),  # JSON: reasons, customer ids, audit seqs, details
    Index("ix_alerts_principal_raised", "principal_id", "raised_at"),
    Index("ix_alerts_raised", "raised_at"),
)

# Who took an alert and how it was closed (the console's triage). Apart from ``alerts`` because
# the insider watch rewrites an open alert's body as the alert grows.
alert_triage = Table(
    "alert_triage",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("assignee", String(64)),
    Column("assigned_at", Timestamp()),
    Column("closed_by", String(64)),
    Column("closed_at", Timestamp()),
    Column("close_reason", String(32)),
    Column("note", Text),  # checked for contact details and ID numbers before it is stored
)
