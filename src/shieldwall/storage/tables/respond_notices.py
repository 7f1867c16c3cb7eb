"""Breach notifications recorded: who (the authority, or a customer by id), which law, which
language, which channel, when, recorded by whom, and the hash of the notice as shieldwall
rendered it (persons by masked name). No personal value: customer ids are custody's ids."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text

from shieldwall.storage.tables.base import Timestamp, metadata

respond_notices = Table(
    "respond_notices",
    metadata,
    Column("notice_id", String(64), primary_key=True),
    Column(
        "case_id",
        String(64),
        ForeignKey("respond_cases.case_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("regime", String(8), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("reference", String(64), nullable=True),
    Column("notified_at", Timestamp(), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", Timestamp(), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("params", Text, nullable=False),  # JSON: the catalogue codes the notice used
    Index("ix_respond_notices_case_id", "case_id", "regime", "audience"),
    # A person is notified once per case and law (NULLs, the authority, are distinct).
    Index(
        "uq_respond_notices_person",
        "case_id",
        "regime",
        "customer_id",
        unique=True,
    ),
)
