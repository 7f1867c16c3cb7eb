"""The alert delivery outbox in SQL (``DeliveryOutbox`` and ``EscalatingAlertStore``) on SQLite
and PostgreSQL: rows written with the alert, due after the lease, claimed by one flush at a
time, done once marked; escalations recorded once per severity crossed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import ManualClock
from shieldwall.core.errors import StorageError
from shieldwall.storage.alerts_repo import SqlAlertStore
from shieldwall.storage.tables.alerts import alert_deliveries
from shieldwall.trace.delivery.ports import (
    ESCALATED,
    RAISED,
    DeliveryOutbox,
    EscalatingAlertStore,
)
from shieldwall.wiring import Services

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def alert(alert_id: str = "alr_1", severity: Severity = Severity.LOW) -> Alert:
    return Alert(
        alert_id=alert_id,
        kind="harvesting",
        principal_id="agent-1",
        severity=severity,
        score=3.0,
        reasons=(Reason("self_made_relationship", "12 of 40 customers"),),
        raised_at=T,
        customer_ids=("C1",),
    )


def outbox(services: Services, clock: ManualClock) -> SqlAlertStore:
    return SqlAlertStore(services.engine, deliver_to=["hook", "siem"], lease=LEASE, clock=clock)


def test_the_sql_store_is_an_outbox_and_an_escalating_store(
    services: Services, clock: ManualClock
) -> None:
    """It satisfies both interfaces the dispatcher and the notifying store rely on."""
    store = outbox(services, clock)
    assert isinstance(store, EscalatingAlertStore)
    _: DeliveryOutbox = store


def test_a_raise_writes_a_row_per_sink_due_after_the_lease(
    services: Services, clock: ManualClock
) -> None:
    """Two sinks, two rows; nothing is due before the lease; then each is claimed once with
    the alert as stored, and a second flush right after finds them leased."""
    store = outbox(services, clock)
    store.raise_alert(alert())
    assert store.pending_deliveries() == 2
    assert store.claim_due(clock.now(), LEASE, 10) == []
    clock.advance(LEASE)
    claimed = store.claim_due(clock.now(), LEASE, 10)
    assert sorted(c.sink for c in claimed) == ["hook", "siem"]
    assert {(c.event.type, c.event.key) for c in claimed} == {(RAISED, "alr_1")}
    assert claimed[0].event.alert == alert()
    assert store.claim_due(clock.now(), LEASE, 10) == []  # another process's flush
    clock.advance(LEASE)
    assert len(store.claim_due(clock.now(), LEASE, 10)) == 2  # not delivered: due again


def test_marked_rows_are_never_claimed_again(services: Services, clock: ManualClock) -> None:
    """Marking one sink's row leaves only the other's pending; the limit caps a claim."""
    store = outbox(services, clock)
    store.raise_alert(alert("alr_1"))
    store.raise_alert(alert("alr_2"))
    store.mark_delivered("alr_1", "hook", clock.now())
    store.mark_delivered("alr_1", "hook", clock.now())  # twice: the same as once
    assert store.pending_deliveries() == 3
    clock.advance(LEASE)
    assert len(store.claim_due(clock.now(), LEASE, 2)) == 2
    rest = store.claim_due(clock.now(), LEASE, 10)
    assert len(rest) == 1
    clock.advance(3 * LEASE)
    due = store.claim_due(clock.now(), LEASE, 10)
    assert ("alr_1", "hook") not in {(c.event.key, c.sink) for c in due}
    assert len(due) == 3


def test_a_raise_that_fails_writes_no_rows(services: Services, clock: ManualClock) -> None:
    """The same alert id twice: the second raise rolls back whole, its rows with it."""
    store = outbox(services, clock)
    store.raise_alert(alert())
    with pytest.raises(StorageError):
        store.raise_alert(alert())
    assert store.pending_deliveries() == 2


def test_escalations_are_recorded_once_per_severity_crossed(
    services: Services, clock: ManualClock
) -> None:
    """Low raised; low again, medium, medium, critical, high: escalations to medium and to
    critical only; a closed alert is neither updated nor escalated."""
    store = outbox(services, clock)
    store.raise_alert(alert())
    seen = [
        store.update_alert_escalating(alert(severity=s))
        for s in (
            Severity.LOW,
            Severity.MEDIUM,
            Severity.MEDIUM,
            Severity.CRITICAL,
            Severity.HIGH,
        )
    ]
    assert seen == [
        (True, None),
        (True, Severity.MEDIUM),
        (True, None),
        (True, Severity.CRITICAL),
        (True, None),
    ]
    assert store.pending_deliveries() == 2 * 3
    clock.advance(LEASE)
    keys = {
        (c.event.type, c.event.key, c.event.severity)
        for c in store.claim_due(clock.now(), LEASE, 10)
    }
    assert keys == {
        (RAISED, "alr_1", Severity.LOW),
        (ESCALATED, "alr_1:escalated:medium", Severity.MEDIUM),
        (ESCALATED, "alr_1:escalated:critical", Severity.CRITICAL),
    }
    assert store.set_status("alr_1", "closed")
    closed = replace(alert(), severity=Severity.CRITICAL, score=99.0)
    assert store.update_alert_escalating(closed) == (False, None)


def test_without_sinks_nothing_is_written(services: Services, clock: ManualClock) -> None:
    """The store of a deployment with no sink keeps no outbox and escalates nothing."""
    store = SqlAlertStore(services.engine, clock=clock)
    store.raise_alert(alert())
    assert store.update_alert_escalating(alert(severity=Severity.HIGH)) == (True, None)
    assert store.pending_deliveries() == 0


def test_pruning_removes_only_rows_delivered_before_the_cutoff(
    services: Services, clock: ManualClock
) -> None:
    """Three alerts to two sinks: of the six rows, the two delivered at 09:00 go with a 10:00
    cutoff, the one delivered at 11:00 and the three never delivered stay (still claimable)."""
    store = outbox(services, clock)
    for n in (1, 2, 3):
        store.raise_alert(alert(f"alr_{n}"))
    store.mark_delivered("alr_1", "hook", T)
    store.mark_delivered("alr_1", "siem", T)
    store.mark_delivered("alr_2", "hook", T + timedelta(hours=2))
    assert store.prune_delivered(T + timedelta(hours=1), 100) == 2
    assert store.prune_delivered(T + timedelta(hours=1), 100) == 0  # nothing left to take
    assert _rows(services) == {
        ("alr_2", "hook"),
        ("alr_2", "siem"),
        ("alr_3", "hook"),
        ("alr_3", "siem"),
    }
    assert store.pending_deliveries() == 3
    clock.advance(LEASE)
    due = {(c.event.key, c.sink) for c in store.claim_due(clock.now(), LEASE, 10)}
    assert due == {("alr_2", "siem"), ("alr_3", "hook"), ("alr_3", "siem")}


def test_pruning_takes_at_most_the_limit_oldest_first(
    services: Services, clock: ManualClock
) -> None:
    """Four delivered rows, delivered an hour apart, limit 3: the three oldest go, then the
    last."""
    store = outbox(services, clock)
    store.raise_alert(alert("alr_1"))
    store.raise_alert(alert("alr_2"))
    order = [("alr_2", "siem"), ("alr_1", "hook"), ("alr_2", "hook"), ("alr_1", "siem")]
    for hours, (key, sink) in enumerate(order):
        store.mark_delivered(key, sink, T + timedelta(hours=hours))
    cutoff = T + timedelta(days=1)
    assert store.prune_delivered(cutoff, 3) == 3
    assert _rows(services) == {order[-1]}
    assert store.prune_delivered(cutoff, 3) == 1
    assert _rows(services) == set()


def test_an_open_alerts_escalation_rows_are_kept_until_it_closes(
    services: Services, clock: ManualClock
) -> None:
    """Delivered long ago, the raise row goes but the escalation to high stays while the alert
    is open, so falling to medium and climbing back to high is not pushed again; once the
    alert is closed, the escalation row goes too."""
    store = outbox(services, clock)
    store.raise_alert(alert())
    assert store.update_alert_escalating(alert(severity=Severity.HIGH)) == (True, Severity.HIGH)
    for key in ("alr_1", "alr_1:escalated:high"):
        for sink in ("hook", "siem"):
            store.mark_delivered(key, sink, T)
    later = T + timedelta(days=30)
    assert store.prune_delivered(later, 100) == 2
    assert _rows(services) == {("alr_1:escalated:high", "hook"), ("alr_1:escalated:high", "siem")}
    assert store.update_alert_escalating(alert(severity=Severity.MEDIUM)) == (True, None)
    assert store.update_alert_escalating(alert(severity=Severity.HIGH)) == (True, None)
    assert store.pending_deliveries() == 0
    assert store.set_status("alr_1", "closed")
    assert store.prune_delivered(later, 100) == 2
    assert _rows(services) == set()


def _rows(services: Services) -> set[tuple[str, str]]:
    """Every outbox row's (key, sink), delivered or not."""
    with services.engine.connect() as conn:
        return {(r.key, r.sink) for r in conn.execute(select(alert_deliveries))}
