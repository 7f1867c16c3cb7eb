"""Alerts: a decision that a person should look at, with its reasons and its evidence.

Raised by custody (break-glass access) and by trace's detectors; listed by ``shieldwall alerts``.
An alert names principals, customer ids and audit sequence numbers, never personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Reason:
    """One machine-readable reason (``code``) with a sentence a person can read (``detail``)."""

    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    kind: str  # "break_glass", "harvesting", "no_relationship", ...
    principal_id: str
    severity: Severity
    score: float
    reasons: tuple[Reason, ...]
    raised_at: datetime
    first_at: datetime | None = None
    last_at: datetime | None = None
    customer_ids: tuple[str, ...] = ()
    audit_seqs: tuple[int, ...] = ()
    status: str = "open"
    details: dict[str, str] = field(default_factory=dict)
