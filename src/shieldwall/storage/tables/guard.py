"""Guard: the login decisions' history kept in the database (``guard.risk.history_backend =
"database"``). Accounts and addresses are the risk engine's keyed tags, never a login name or
an address; times are the engine's clock in seconds since the epoch."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table

from shieldwall.storage.tables.base import metadata

risk_history_hours = Table(
    "risk_history_hours",
    metadata,
    Column("hour", BigInteger, primary_key=True),  # hours since the epoch (UTC)
    Column("allow", Integer, nullable=False),
    Column("challenge", Integer, nullable=False),
    Column("deny", Integer, nullable=False),
    Column("failure", Integer, nullable=False),
)

risk_history_accounts = Table(
    "risk_history_accounts",
    metadata,
    Column("account", String(80), primary_key=True),
    Column("first_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("challenge", Integer, nullable=False),
    Column("deny", Integer, nullable=False),
    Column("failure", Integer, nullable=False),
    Column("known", Boolean, nullable=True),
    Index("ix_risk_history_accounts_last_at", "last_at"),
)

risk_history_sources = Table(
    "risk_history_sources",
    metadata,
    Column("account", String(80), primary_key=True),
    Column("source", String(80), primary_key=True),
)
