"""The deadline clock: how long since discovery, when each notice is due, what is left.

- GDPR art. 33(1): the authority "without undue delay and, where feasible, not later than 72
  hours after having become aware of it". Due at discovery + 72 h; later needs reasons.
- GDPR art. 34(1): data subjects "without undue delay" (no figure in the text).
- PIPL art. 57: the authority and the persons "立即" (immediately); the law sets no hour
  figure. The clock uses the store's own target (``respond.notices.pipl_target_hours``) and
  says it is a target, not the law's deadline.

Pure: the caller passes the discovery time, the first notification (if any) and now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shieldwall.respond.notices.model import Audience, Regime

GDPR_AUTHORITY_HOURS = 72


class DeadlineStatus(StrEnum):
    PENDING = "pending"  # not notified, still before the due time
    OVERDUE = "overdue"  # not notified, past the due time
    MET = "met"  # notified by the due time
    LATE = "late"  # notified after the due time


@dataclass(frozen=True, slots=True)
class Deadline:
    regime: str
    audience: str
    basis: str  # the article and what it requires
    legal: bool  # the due time is the law's figure (False: the store's own target)
    discovered_at: datetime
    due_at: datetime
    now: datetime
    notified_at: datetime | None
    notified: int = 0  # persons: how many were notified
    affected: int = 0  # persons: how many the case names

    @property
    def elapsed(self) -> timedelta:
        return (self.notified_at or self.now) - self.discovered_at

    @property
    def remaining(self) -> timedelta:
        """Time left before the due time (negative: overdue by that much)."""
        return self.due_at - (self.notified_at or self.now)

    @property
    def status(self) -> DeadlineStatus:
        on_time = self.remaining >= timedelta(0)
        if self.notified_at is None:
            return DeadlineStatus.PENDING if on_time else DeadlineStatus.OVERDUE
        return DeadlineStatus.MET if on_time else DeadlineStatus.LATE

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "regime": self.regime,
            "audience": self.audience,
            "basis": self.basis,
            "legal_deadline": self.legal,
            "discovered_at": self.discovered_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "notified_at": self.notified_at.isoformat() if self.notified_at else None,
            "elapsed_seconds": int(self.elapsed.total_seconds()),
            "remaining_seconds": int(self.remaining.total_seconds()),
            "status": self.status.value,
        }
        if self.audience == Audience.PERSON.value:
            out["persons_notified"] = self.notified
            out["persons_affected"] = self.affected
        return out

    def line(self) -> str:
        """One line for a terminal: ``pipl authority  overdue by 3h 05m (target 24h) ...``."""
        rem = self.remaining
        word = {
            DeadlineStatus.PENDING: f"{_span(rem)} left",
            DeadlineStatus.OVERDUE: f"overdue by {_span(-rem)}",
            DeadlineStatus.MET: f"notified {_span(self.elapsed)} after discovery",
            DeadlineStatus.LATE: f"notified late by {_span(-rem)}",
        }[self.status]
        persons = (
            f"; {self.notified}/{self.affected} persons notified"
            if self.audience == Audience.PERSON.value
            else ""
        )
        kind = "deadline" if self.legal else "store target"
        return (
            f"{self.regime} {self.audience:<9} {self.status.value:<7} {word}; elapsed"
            f" {_span(self.elapsed)} ({kind} {self.due_at:%Y-%m-%d %H:%M} UTC){persons}"
        )


BASIS = {
    (Regime.GDPR, Audience.AUTHORITY): "GDPR art. 33(1): not later than 72 hours after becoming"
    " aware, where feasible",
    (Regime.GDPR, Audience.PERSON): "GDPR art. 34(1): without undue delay (store target)",
    (Regime.PIPL, Audience.AUTHORITY): "PIPL art. 57: 立即 immediately (store target)",
    (Regime.PIPL, Audience.PERSON): "PIPL art. 57: 立即 immediately (store target)",
}


def deadline(
    regime: Regime,
    audience: Audience,
    *,
    discovered_at: datetime,
    now: datetime,
    target_hours: float,
    notified_at: datetime | None = None,
    notified: int = 0,
    affected: int = 0,
) -> Deadline:
    """The clock of one notice. For persons, ``notified_at`` is when the last affected person
    was notified (None while any is left)."""
    legal = (regime, audience) == (Regime.GDPR, Audience.AUTHORITY)
    hours = GDPR_AUTHORITY_HOURS if legal else target_hours
    return Deadline(
        regime=regime.value,
        audience=audience.value,
        basis=BASIS[(regime, audience)],
        legal=legal,
        discovered_at=discovered_at,
        due_at=discovered_at + timedelta(hours=hours),
        now=now,
        notified_at=notified_at,
        notified=notified,
        affected=affected,
    )


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours}h {mins:02d}m" if days else f"{hours}h {mins:02d}m"
