"""Alerts raised by custody (break-glass) and trace (insider watch)."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

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

# The delivery outbox: one row per (event, sink) an alert must reach, written in the same
# transaction as the alert (``alert.raised``) or its growth past a severity
# (``alert.escalated``), so a crash between the commit and the push loses nothing. ``key`` is the
# event's idempotency key (the alert id; ``<alert id>:escalated:<severity>``). ``due_at`` is
# when a flush may (re)send it: a row being tried by a live process is not due, so two
# processes do not send it side by side. ``delivered_at`` set = done.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("key", String(96), primary_key=True),
    Column("sink", String(128), primary_key=True),
    Column("alert_id", String(64), nullable=False),
    Column("event", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("due_at", Timestamp(), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("delivered_at", Timestamp()),
    Index("ix_alert_deliveries_pending", "delivered_at", "due_at"),
    Index("ix_alert_deliveries_alert", "alert_id"),
)
