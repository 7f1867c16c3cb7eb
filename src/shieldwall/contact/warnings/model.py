"""Warnings' records: what triggered a warning, who is at risk and why, what the outbox holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class TriggerKind(StrEnum):
    LEAK = "leak"  # a suspected leak: a trace result or a set of customers
    CAMPAIGN = "campaign"  # an active scam campaign (clustered scam reports)


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: TriggerKind
    trigger_id: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.trigger_id}"


@dataclass(frozen=True, slots=True)
class Signal:
    """One reason to warn a customer early, with the points it adds and a readable detail
    (order ids and ages only, never personal data)."""

    code: str
    points: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "points": self.points, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Candidate:
    customer_id: str
    score: float
    signals: tuple[Signal, ...]


class NotificationStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (or for its next retry)
    SENDING = "sending"  # claimed by a dispatcher
    SENT = "sent"
    DEAD = "dead"  # dead letter: failed permanently or too often


@dataclass(frozen=True, slots=True)
class Notification:
    notification_id: str
    customer_id: str
    trigger: Trigger
    channel: str  # "sms" | "email"
    locale: str  # "zh" | "en"
    score: float
    signals: tuple[Signal, ...]
    status: NotificationStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    attempted_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    rank: int = 0  # position in its plan (0 first): breaks ties in score

    def to_dict(self) -> dict[str, Any]:
        """The one JSON form of a queued warning (``GET /v1/warnings``, ``shieldwall warn
        outbox --json``): ids, trigger, channel, score, state and times. No address and no
        text: the sender resolves the address at send time; ``last_error`` is a short code
        (``http_503``, ``no_address``) that never holds one."""
        return {
            "notification_id": self.notification_id,
            "customer_id": self.customer_id,
            "trigger": str(self.trigger),
            "channel": self.channel,
            "status": self.status.value,
            "score": self.score,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "sent_at": None if self.sent_at is None else self.sent_at.isoformat(),
            "last_error": self.last_error,
        }
