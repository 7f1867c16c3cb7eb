"""The alert delivery outbox with a real HTTP receiver, on SQLite and PostgreSQL: an alert
stored by a process that died before pushing it reaches the receiver exactly once from the next
process; an open alert that grows is pushed again once per severity it crosses."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shieldwall.config import Settings
from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import ManualClock
from shieldwall.storage.alerts_repo import SqlAlertStore
from shieldwall.trace.delivery.dispatch import AlertDispatcher, NotifyingAlertStore
from shieldwall.wiring import Services, build
from tests.functional.test_alert_delivery import SECRET, Hook, services_with, with_sinks

LEASE = timedelta(minutes=5)  # redeliver_after_seconds' default


def alert(alert_id: str = "alr_outbox_1", severity: Severity = Severity.MEDIUM) -> Alert:
    return Alert(
        alert_id=alert_id,
        kind="harvesting",
        principal_id="agent-li",
        severity=severity,
        score=4.0,
        reasons=(Reason("many_customers", "read 40 customers in 10 minutes"),),
        raised_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        customer_ids=("C-1", "C-2"),
    )


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook([200])
    yield h
    h.close()


def _store(svc: Services) -> SqlAlertStore:
    assert isinstance(svc.alerts, SqlAlertStore)
    return svc.alerts


def _dispatcher(svc: Services) -> AlertDispatcher:
    assert svc.alert_delivery is not None
    return svc.alert_delivery


def test_an_alert_stored_before_a_crash_is_delivered_once_by_the_next_process(
    settings: Settings, clock: ManualClock, hook: Hook
) -> None:
    """Process 1 commits the alert (and its outbox row) and dies before queueing it; process 2
    finds the row once it is due, delivers it signed with the alert id as Idempotency-Key, and
    marks it: later flushes, however late, send nothing more."""
    sinks = [{"type": "webhook", "url": hook.url}]
    first = services_with(settings, clock, sinks)
    _store(first).raise_alert(alert())  # committed; the crash comes before the push
    first.engine.dispose()  # the process is gone: no close(), nothing of its queue survives
    assert hook.requests == []

    second = build(with_sinks(settings, sinks), clock)
    try:
        dispatcher = _dispatcher(second)
        assert _store(second).pending_deliveries() == 1
        assert dispatcher.redeliver() == 0  # not due: a live writer's own queue has the lease
        clock.advance(LEASE + timedelta(seconds=1))
        assert dispatcher.redeliver() == 1
        dispatcher.close(timeout=120)  # the worker drains its queue, then stops
        assert _store(second).pending_deliveries() == 0
        clock.advance(10 * LEASE)
        assert dispatcher.redeliver() == 0  # closed, and nothing is pending anyway
    finally:
        second.close()

    third = build(with_sinks(settings, sinks), clock)
    try:
        clock.advance(10 * LEASE)
        assert _dispatcher(third).redeliver() == 0  # a later start finds it delivered
    finally:
        third.close()

    assert len(hook.requests) == 1
    headers, body = hook.requests[0]
    assert headers["idempotency-key"] == "alr_outbox_1"
    parts = dict(p.split("=", 1) for p in headers["x-shieldwall-signature"].split(","))
    expected = hmac.new(SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], expected.hexdigest())  # computed here, not by us
    doc = json.loads(body)
    assert doc["type"] == "alert.raised" and doc["alert"]["alert_id"] == "alr_outbox_1"
    assert "C-1" not in body.decode()


def test_an_open_alert_is_pushed_again_once_per_severity_it_crosses(
    settings: Settings, clock: ManualClock, hook: Hook
) -> None:
    """Raised medium, grown to medium, high, high, critical, then high again: the receiver gets
    the raise and two escalations (to high, to critical), each under a key of its own."""
    svc = services_with(settings, clock, [{"type": "webhook", "url": hook.url}])
    try:
        raised = alert()
        # the store the insider watch raises and grows its alerts through (wiring's ``raised``)
        watch_store = NotifyingAlertStore(_store(svc), _dispatcher(svc))
        watch_store.raise_alert(raised)
        for severity in (
            Severity.MEDIUM,
            Severity.HIGH,
            Severity.HIGH,
            Severity.CRITICAL,
            Severity.HIGH,
        ):
            assert watch_store.update_alert(replace(raised, severity=severity))
        _dispatcher(svc).close(timeout=120)
        assert _store(svc).pending_deliveries() == 0
        stored = _store(svc).get(raised.alert_id)
        assert stored is not None and stored.severity is Severity.HIGH  # updated in place
    finally:
        svc.close()
    got = [(h["idempotency-key"], json.loads(b)) for h, b in hook.requests]
    assert [k for k, _ in got] == [
        "alr_outbox_1",
        "alr_outbox_1:escalated:high",
        "alr_outbox_1:escalated:critical",
    ]
    assert [d["type"] for _, d in got] == ["alert.raised", "alert.escalated", "alert.escalated"]
    assert [d.get("escalated_to") for _, d in got] == [None, "high", "critical"]
