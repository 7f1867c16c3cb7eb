"""The login decisions' history in the database (SQLite and PostgreSQL): an example worked by
hand, the same answers as the in-process history on random batches (small bounds, so the days
kept, the window, the account limit and the address cap all bite), and the newest hour."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from sqlalchemy import delete

from shieldwall.guard.risk.history import (
    DecisionEvent,
    DecisionHistory,
    HistoryBounds,
    HourCounts,
    Kind,
)
from shieldwall.storage.risk_history_memory import MemoryDecisionHistory
from shieldwall.storage.risk_history_sql import SqlDecisionHistory
from shieldwall.storage.tables.guard import (
    risk_history_accounts,
    risk_history_hours,
    risk_history_sources,
)
from shieldwall.wiring import Services
from tests.unit.guard.risk.test_history import events

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()  # on the hour
H0 = int(T0 // 3600)


def clear(h: SqlDecisionHistory) -> None:
    with h.engine.begin() as conn:
        for t in (risk_history_sources, risk_history_accounts, risk_history_hours):
            conn.execute(delete(t))


def test_an_example_worked_by_hand(services: Services) -> None:
    """Hour 0: allow, deny from i:1, failure from i:2 (account known); hour 1: challenge
    from i:1 again. One account under attack: 1 challenge, 1 denial, 1 failure, 2 addresses,
    known; the allow puts nothing on the list. A second writer (a new instance) adds to it."""
    h: DecisionHistory = SqlDecisionHistory(services.engine)
    assert h.newest_hour() is None and h.under_attack(T0) == []
    h.record(
        [
            DecisionEvent(T0 + 10, Kind.ALLOW, "a:2", "i:9"),
            DecisionEvent(T0 + 20, Kind.DENY, "a:1", "i:1"),
            DecisionEvent(T0 + 30, Kind.FAILURE, "a:1", "i:2", True),
        ]
    )
    SqlDecisionHistory(services.engine).record(
        [DecisionEvent(T0 + 3700, Kind.CHALLENGE, "a:1", "i:1")]
    )
    assert h.hours(H0 - 1, H0 + 2) == [
        HourCounts(H0 - 1),
        HourCounts(H0, allow=1, deny=1, failure=1),
        HourCounts(H0 + 1, challenge=1),
        HourCounts(H0 + 2),
    ]
    (a,) = h.under_attack(T0 + 3700)
    assert (a.account, a.first_seen, a.last_seen) == ("a:1", T0 + 20, T0 + 3700)
    assert (a.challenges, a.denials, a.failures, a.sources, a.account_known) == (1, 1, 1, 2, True)
    assert h.newest_hour() == H0 + 1
    assert h.under_attack(T0 + 3700 + 24 * 3600 + 1) == []  # the window (24 h) has passed


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=events)
def test_the_database_answers_as_memory_does(
    services: Services, batches: list[list[tuple[float, Kind, str, str, bool | None]]]
) -> None:
    bounds = HistoryBounds(2, 3, 4, 3)
    sql = SqlDecisionHistory(services.engine, bounds)
    clear(sql)
    memory = MemoryDecisionHistory(bounds)
    now = T0
    for batch in batches:
        out = []
        for dt, kind, account, source, known in batch:
            now += dt
            out.append(DecisionEvent(now, kind, account, source, known))
        memory.record(out)
        sql.record(out)
        first, last = H0 - 1, int(now // 3600)
        assert sql.hours(first, last) == memory.hours(first, last)
        assert sql.under_attack(now, 10) == memory.under_attack(now, 10)
        assert sql.newest_hour() == memory.newest_hour()


def test_a_buffered_history_writes_in_batches_and_on_reads(services: Services) -> None:
    """buffer=3, linger 5 s on a hand-moved monotonic clock: two events stay in the process
    (another instance sees nothing), the third writes all three; a lone event is written once
    it has waited 5 s (at the next call), or when this instance reads, or at flush."""
    now = [0.0]
    h = SqlDecisionHistory(services.engine, buffer=3, linger_seconds=5.0, monotonic=lambda: now[0])
    other = SqlDecisionHistory(services.engine)
    h.record([DecisionEvent(T0 + 1, Kind.ALLOW, "a:1", "i:1")])
    h.record([DecisionEvent(T0 + 2, Kind.DENY, "a:1", "i:1")])
    assert other.newest_hour() is None
    h.record([DecisionEvent(T0 + 3, Kind.ALLOW, "a:2", "i:2")])
    assert other.hours(H0, H0) == [HourCounts(H0, allow=2, deny=1)]
    h.record([DecisionEvent(T0 + 4, Kind.ALLOW, "a:3", "i:3")])
    now[0] = 5.0
    h.record([DecisionEvent(T0 + 5, Kind.ALLOW, "a:3", "i:3")])  # the first waited 5 s
    assert other.hours(H0, H0) == [HourCounts(H0, allow=4, deny=1)]
    h.record([DecisionEvent(T0 + 6, Kind.ALLOW, "a:4", "i:4")])
    assert h.hours(H0, H0) == [HourCounts(H0, allow=5, deny=1)]  # its own read flushed it
    h.record([DecisionEvent(T0 + 7, Kind.CHALLENGE, "a:4", "i:4")])
    h.flush()
    assert other.hours(H0, H0) == [HourCounts(H0, allow=5, challenge=1, deny=1)]
