"""What a receiver of alerts implements, what is pushed to it (:func:`notice_body`, the one
document every push carries), and the outbox the pushes are recorded in. Sinks are called from
their own worker thread, one event at a time, so a sink needs no locking of its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from shieldwall.core.alerts import Alert, Severity

RAISED = "alert.raised"
ESCALATED = "alert.escalated"


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One push: ``alert`` was raised (``alert.raised``), or an open alert the watch grew
    crossed to ``severity`` (``alert.escalated``, once per severity it reaches).

    ``key`` is what a receiver de-duplicates on (the webhook's ``Idempotency-Key``, NATS's
    ``Nats-Msg-Id``): the alert id for the raise, ``<alert id>:escalated:<severity>`` for an
    escalation, so a re-sent event is recognised and an escalation is not taken for the raise.
    """

    type: str
    alert: Alert
    severity: Severity

    @classmethod
    def raised(cls, alert: Alert) -> AlertEvent:
        return cls(RAISED, alert, alert.severity)

    @classmethod
    def escalated(cls, alert: Alert, to: Severity | None = None) -> AlertEvent:
        return cls(ESCALATED, alert, to or alert.severity)

    @property
    def key(self) -> str:
        return delivery_key(self.type, self.alert.alert_id, self.severity)


def delivery_key(event: str, alert_id: str, severity: Severity) -> str:
    """The idempotency key of an event (see :class:`AlertEvent`)."""
    return alert_id if event == RAISED else f"{alert_id}:escalated:{severity.value}"


def notice_body(event: AlertEvent) -> bytes:
    """The JSON document every push of an alert carries (the webhook, the NATS sink, and
    ``shieldwall worker``'s ``<prefix>.alerts``): ``{"type", "alert": Alert.to_notice()}``, and
    ``escalated_to`` for an escalation; compact, UTF-8, keys sorted. No customer ids: the
    notice counts them (``customers``)."""
    doc: dict[str, Any] = {"type": event.type, "alert": event.alert.to_notice()}
    if event.type == ESCALATED:
        doc["escalated_to"] = event.severity.value
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class AlertSink(Protocol):
    @property
    def name(self) -> str:
        """A label for logs (``webhook:hooks.example.com``): a host, never a path or secret."""
        ...

    def deliver(self, event: AlertEvent) -> None:
        """Deliver one event, or raise :class:`~.errors.DeliveryFailed`."""
        ...

    def close(self) -> None:
        """Release connections; called once, after the last delivery."""
        ...


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """An outbox row claimed for (re)sending: ``event`` to the sink named ``sink``."""

    sink: str
    event: AlertEvent


class DeliveryOutbox(Protocol):
    """The durable record of what each sink still has to receive (one row per event and sink,
    written in the transaction that stored the alert or its escalation)."""

    def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[PendingDelivery]:
        """Up to ``limit`` undelivered rows due by ``now``, oldest first, each made not due
        again for ``lease`` (so another process's flush leaves it alone while this one tries
        it), with the alert as it now stands."""
        ...

    def mark_delivered(self, key: str, sink: str, at: datetime) -> None:
        """The event reached the sink; its row is never sent again."""
        ...

    def prune_delivered(self, before: datetime, limit: int) -> int:
        """Remove up to ``limit`` rows delivered before ``before``, oldest first, in one
        transaction; the number removed. Rows an open alert still needs (the severities it has
        been escalated to, which stop a second push of the same step) are kept."""
        ...


@runtime_checkable
class EscalatingAlertStore(Protocol):
    """An alert store that writes the outbox rows itself: the raise's rows with the alert, an
    escalation's with the update that crossed the severity."""

    def raise_alert(self, alert: Alert) -> None: ...

    def update_alert(self, alert: Alert) -> bool: ...

    def open_alert(self, principal_id: str, kind: str) -> Alert | None: ...

    def update_alert_escalating(self, alert: Alert) -> tuple[bool, Severity | None]:
        """Update an open alert as ``update_alert`` does; the severity it crossed to (its
        ``alert.escalated`` rows written in the same transaction), or None."""
        ...


MAX_SINK_ID = 120  # the outbox column holds 128: room for a ``#n``


def sink_ids(names: Sequence[str]) -> list[str]:
    """The outbox's name for each sink: its label (cut to ``MAX_SINK_ID`` characters), ``#2``,
    ``#3``... after a repeat (two webhooks to one host), so every sink keeps rows of its own."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        base = name[:MAX_SINK_ID]
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out
