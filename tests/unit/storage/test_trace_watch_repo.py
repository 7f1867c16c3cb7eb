"""SQL parts of the insider watch: the cursor, and the alert store's update and open lookup,
on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.storage.trace_watch_repo import SqlCursorStore
from shieldwall.wiring import Services

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def alert(alert_id: str, kind: str = "harvesting") -> Alert:
    return Alert(
        alert_id=alert_id,
        kind=kind,
        principal_id="agent-1",
        severity=Severity.MEDIUM,
        score=7.5,
        reasons=(Reason("self_made_relationship", "12 of 40 customers"),),
        raised_at=T,
        first_at=T,
        last_at=T,
        customer_ids=("C1", "C2"),
        audit_seqs=(3, 4),
        details={"detector": kind},
    )


def test_cursor_starts_at_minus_one_and_keeps_the_last_save(services: Services) -> None:
    """An unknown reader starts before the first entry; saves replace, per name."""
    cursors = SqlCursorStore(services.engine, services.clock)
    assert cursors.load("w") == -1
    cursors.save("w", 10)
    cursors.save("w", 42)
    cursors.save("other", 7)
    assert cursors.load("w") == 42 and cursors.load("other") == 7


def test_alert_update_and_open_lookup(services: Services) -> None:
    """An open alert grows in place; a closed one cannot be updated and is no longer open."""
    store = services.alerts
    store.raise_alert(alert("alr_1"))
    grown = replace(
        alert("alr_1"),
        severity=Severity.CRITICAL,
        score=40.0,
        last_at=T + timedelta(hours=3),
        customer_ids=("C1", "C2", "C3"),
        audit_seqs=(3, 4, 9),
    )
    assert store.update_alert(grown)
    got = store.get("alr_1")
    assert got is not None
    assert (got.severity, got.score, got.customer_ids, got.audit_seqs, got.last_at) == (
        Severity.CRITICAL,
        40.0,
        ("C1", "C2", "C3"),
        (3, 4, 9),
        T + timedelta(hours=3),
    )
    assert store.open_alert("agent-1", "harvesting") == got
    assert store.open_alert("agent-1", "volume") is None
    assert store.set_status("alr_1", "closed")
    assert store.open_alert("agent-1", "harvesting") is None
    assert not store.update_alert(grown)
    assert not store.update_alert(alert("alr_missing"))
    assert store.get("alr_missing") is None
