"""Working an alert: a person takes it, then closes it with a reason and a note.

Every step is an audit entry (``assign``, reason ``alert_assigned`` or ``alert_closed``) naming
the alert and the person. The note itself stays out of the append-only log: the entry carries
its SHA-256, so the stored note is tamper-evident while it can still be corrected or erased.

A note is free text a person types, so it is checked before it is stored: no e-mail address and
no run of 7 or more digits (spaces, dots and dashes between digits ignored), which turns away a
phone number, an ID number or a card number; refer to customers by their customer id (letters
first, e.g. ``C000042``), never by their contact details. A name cannot be told from other
words, so a note can still carry one: docs/console.md says so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shieldwall.core.alerts import Alert
from shieldwall.core.clock import Clock
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.model import Principal
from shieldwall.trace.errors import TraceError

CLOSE_REASONS = ("confirmed", "false_positive", "duplicate", "handled_in_case")
MAX_NOTE = 500
_DIGITS = re.compile(r"\d(?:[\s.\-]?\d){6,}")


@dataclass(frozen=True, slots=True)
class Triage:
    alert_id: str
    assignee: str | None = None
    assigned_at: datetime | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    note: str | None = None


class TriageStore(Protocol):
    """Alerts and their triage (``storage.alert_triage_repo`` implements it)."""

    def get_alert(self, alert_id: str) -> Alert | None: ...

    def triage(self, alert_id: str) -> Triage: ...

    def assign(self, alert_id: str, assignee: str, at: datetime) -> None: ...

    def close(self, alert_id: str, by: str, at: datetime, reason: str, note: str) -> None:
        """Set the alert's status to closed and record the triage, in one transaction."""
        ...


class AuditAppender(Protocol):
    def append(self, events: list[AccessEvent]) -> list[int]: ...


def check_note(note: str) -> str:
    """The note, trimmed, if it may be stored; :class:`TraceError` (field ``note``) if not."""
    note = note.strip()
    if not note:
        raise TraceError("write what you found", field="note", code="note_required")
    if len(note) > MAX_NOTE:
        raise TraceError(f"at most {MAX_NOTE} characters", field="note", code="note_too_long")
    if "@" in note or _DIGITS.search(note):
        raise TraceError(
            "no contact details or ID numbers in a note; name customers by customer id",
            field="note",
            code="note_has_contact_details",
        )
    return note


def check_reason(reason: str) -> str:
    if reason not in CLOSE_REASONS:
        raise TraceError(
            f"must be one of {', '.join(CLOSE_REASONS)}", field="reason", code="bad_reason"
        )
    return reason


class AlertTriage:
    """Assign and close alerts, each step audited."""

    def __init__(self, store: TriageStore, audit: AuditAppender, clock: Clock) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock

    def _alert(self, alert_id: str) -> Alert:
        alert = self.store.get_alert(alert_id)
        if alert is None:
            raise TraceError(f"no alert {alert_id}", field="alert_id", code="not_found")
        return alert

    def assign(self, alert_id: str, to: Principal, *, channel: str) -> Triage:
        """Give an open alert to ``to`` (who takes it)."""
        alert = self._alert(alert_id)
        if alert.status != "open":
            raise TraceError("the alert is closed", field="alert_id", code="alert_closed")
        now = self.clock.now()
        self.store.assign(alert_id, to.principal_id, now)
        self.audit.append([_event(now, to, "alert_assigned", alert, channel, {})])
        return self.store.triage(alert_id)

    def close(
        self, alert_id: str, by: Principal, *, reason: str, note: str, channel: str
    ) -> Triage:
        """Close an open alert with a reason and a note (checked by :func:`check_note`)."""
        reason, note = check_reason(reason), check_note(note)
        alert = self._alert(alert_id)
        if alert.status != "open":
            raise TraceError("the alert is already closed", field="alert_id", code="alert_closed")
        now = self.clock.now()
        self.store.close(alert_id, by.principal_id, now, reason, note)
        digest = hashlib.sha256(note.encode()).hexdigest()
        extra = {"close_reason": reason, "note_sha256": digest}
        self.audit.append([_event(now, by, "alert_closed", alert, channel, extra)])
        return self.store.triage(alert_id)


def _event(
    now: datetime, actor: Principal, reason: str, alert: Alert, channel: str, extra: dict[str, str]
) -> AccessEvent:
    return AccessEvent(
        ts=now,
        actor=actor.principal_id,
        role=actor.role.value,
        unit=actor.unit,
        action=Action.ASSIGN,
        decision=Decision.ALLOW,
        reason=reason,
        channel=channel,
        extra={"alert": alert.alert_id, "principal": alert.principal_id, **extra},
    )
