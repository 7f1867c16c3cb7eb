"""All tables, one module per capability, on one shared :data:`metadata`."""

from shieldwall.storage.tables import (
    alerts,
    audit,
    contact_ledger,
    contact_scam,
    custody,
    guard,
    intake,
    respond_cases,
    respond_money,
    respond_notices,
    trace_releases,
    trace_watch,
)
from shieldwall.storage.tables.base import metadata

__all__ = [
    "alerts",
    "audit",
    "contact_ledger",
    "contact_scam",
    "custody",
    "guard",
    "intake",
    "metadata",
    "respond_cases",
    "respond_money",
    "respond_notices",
    "trace_releases",
    "trace_watch",
]
