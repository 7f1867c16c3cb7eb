"""Alerts: a decision that a person should look at, with its reasons and its evidence.

Raised by custody (break-glass access) and by trace's detectors; listed by ``shieldwall alerts``.
An alert names principals, customer ids and audit sequence numbers, never personal data.

:meth:`Alert.to_dict` is the one JSON form of an alert (the API, the CLI and the simulator read
it); :meth:`Alert.to_notice` is that form as it leaves the system for an outside receiver
(webhook, syslog, NATS): the customer ids become a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


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

    def to_dict(self) -> dict[str, Any]:
        """The one JSON form of an alert: times in ISO 8601, reasons as code and detail."""
        return {
            "alert_id": self.alert_id,
            "kind": self.kind,
            "principal_id": self.principal_id,
            "severity": self.severity.value,
            "score": self.score,
            "status": self.status,
            "raised_at": self.raised_at.isoformat(),
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "reasons": [{"code": r.code, "detail": r.detail} for r in self.reasons],
            "customer_ids": list(self.customer_ids),
            "audit_seqs": list(self.audit_seqs),
            "details": dict(self.details),
        }

    def to_notice(self) -> dict[str, Any]:
        """:meth:`to_dict` for a receiver outside the system: everything but the customer ids,
        which stay behind the authenticated API (``GET /v1/alerts/{id}``); ``customers`` counts
        them. Customer ids are opaque, but a store may have chosen ids that mean something."""
        notice = self.to_dict()
        del notice["customer_ids"]
        notice["customers"] = len(self.customer_ids)
        return notice
