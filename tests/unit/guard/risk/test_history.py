"""The decision history: hour counts and accounts under attack worked by hand, its bounds
(days kept, window, most accounts, addresses counted), the same answers from memory and
Redis on random event sequences, and the engine feeding it tags only."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.core.errors import StorageError
from shieldwall.guard.risk.history import (
    DecisionEvent,
    DecisionHistory,
    HistoryBounds,
    HourCounts,
    Kind,
)
from shieldwall.guard.risk.model import Decision, LoginAttempt
from shieldwall.storage.risk_history_memory import MemoryDecisionHistory
from shieldwall.storage.risk_history_redis import RedisDecisionHistory
from shieldwall.wiring.state import risk_history
from tests.unit.guard.risk.conftest import make_engine

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()  # on the hour
H0 = int(T0 // 3600)
URL = "redis://127.0.0.1:6379/0"


def ev(dt: float, kind: Kind, account: str = "a:1", source: str = "i:1") -> DecisionEvent:
    return DecisionEvent(T0 + dt, kind, account, source)


def test_hours_count_each_kind_in_its_hour() -> None:
    """Two allows and a deny in the first hour, a challenge and a failure in the next."""
    h = MemoryDecisionHistory()
    h.record([ev(0, Kind.ALLOW), ev(10, Kind.ALLOW), ev(3599, Kind.DENY)])
    h.record([ev(3600, Kind.CHALLENGE), ev(7199, Kind.FAILURE)])
    assert h.hours(H0 - 1, H0 + 2) == [
        HourCounts(H0 - 1),
        HourCounts(H0, allow=2, deny=1),
        HourCounts(H0 + 1, challenge=1, failure=1),
        HourCounts(H0 + 2),
    ]


def test_an_account_under_attack_counts_its_events_and_addresses() -> None:
    """Failures from 3 addresses, a deny from one of them, and allows (which never enter):
    3 addresses, 1 denial, 3 failures; the outcome's 'unknown account' is kept."""
    h = MemoryDecisionHistory()
    h.record([ev(0, Kind.ALLOW, "a:owner")])
    h.record([DecisionEvent(T0 + i, Kind.FAILURE, "a:x", f"i:{i}", False) for i in range(3)])
    h.record([ev(5, Kind.DENY, "a:x", "i:0")])
    (top,) = h.under_attack(T0 + 10)
    assert (top.account, top.sources, top.denials, top.failures, top.challenges) == (
        "a:x",
        3,
        1,
        3,
        0,
    )
    assert top.account_known is False and top.first_seen == T0 and top.last_seen == T0 + 5


def test_ranking_puts_most_addresses_first_then_most_events() -> None:
    """a:many (4 addresses, 4 events) before a:busy (1 address, 9 events) before a:few."""
    h = MemoryDecisionHistory()
    h.record([ev(i, Kind.FAILURE, "a:many", f"i:{i}") for i in range(4)])
    h.record([ev(10 + i, Kind.CHALLENGE, "a:busy") for i in range(9)])
    h.record([ev(30, Kind.FAILURE, "a:few")])
    assert [a.account for a in h.under_attack(T0 + 60)] == ["a:many", "a:busy", "a:few"]
    assert [a.account for a in h.under_attack(T0 + 60, limit=1)] == ["a:many"]


def test_bounds_hold() -> None:
    """Addresses saturate at the cap; beyond max_accounts the least recent goes; an account
    leaves the window hours after its last event; hour buckets older than the days go."""
    h = MemoryDecisionHistory(HistoryBounds(days=1, window_hours=2, max_accounts=3, sources_cap=5))
    h.record([ev(i, Kind.FAILURE, "a:x", f"i:{i}") for i in range(50)])
    assert h.under_attack(T0 + 60)[0].sources == 5
    h.record([ev(100 + i, Kind.DENY, f"a:{i}") for i in range(3)])  # a:x is the least recent
    assert sorted(a.account for a in h.under_attack(T0 + 200)) == ["a:0", "a:1", "a:2"]
    assert h.under_attack(T0 + 102 + 2 * 3600) == [h.under_attack(T0 + 200)[0]]  # a:2 still
    assert h.under_attack(T0 + 103 + 2 * 3600) == []
    h.record([ev(25 * 3600, Kind.ALLOW)])
    assert h.hours(H0, H0)[0] == HourCounts(H0)  # a day and an hour later: dropped
    assert len(h._hours) == 1  # only the new hour's bucket is held


def test_an_account_idle_past_the_window_starts_afresh() -> None:
    """Its counts restart when it comes back after the window: first seen is the return."""
    h = MemoryDecisionHistory(HistoryBounds(window_hours=1))
    h.record([ev(0, Kind.FAILURE, "a:x", "i:1"), ev(1, Kind.FAILURE, "a:x", "i:2")])
    h.record([ev(7200, Kind.DENY, "a:x", "i:3")])
    (top,) = h.under_attack(T0 + 7200)
    assert (top.failures, top.denials, top.sources, top.first_seen) == (0, 1, 1, T0 + 7200)


def test_the_engine_feeds_decisions_and_failures_as_tags() -> None:
    """assess records each decision, outcome each failure, under the engine's account tag and
    address tag: the login name and the address are nowhere in the history."""
    clock = ManualClock(datetime.fromtimestamp(T0, UTC))
    history = MemoryDecisionHistory()
    engine = make_engine(clock)
    engine.history = history
    for i in range(12):
        a = engine.assess(LoginAttempt("victim@example.com", f"198.51.100.{i}"))
        engine.outcome(a.assessment_id, success=False, account_known=True)
    batch = engine.assess_many([LoginAttempt("other@example.com", "203.0.113.9")])
    assert not isinstance(batch[0], Exception) and batch[0].decision is Decision.ALLOW
    counts = history.hours(H0, H0)[0]
    assert counts.decided == 13 and counts.failure == 12
    (top,) = history.under_attack(T0)
    assert top.account == engine.account_key("victim@example.com")
    assert top.failures == 12 and top.sources == 12 and top.account_known is True
    assert top.challenges + top.denials >= 1  # twelve new addresses failing: not all allowed
    held = repr(history._accounts) + repr(history._hours)
    assert "victim" not in held and "198.51.100" not in held


def test_a_repeated_attempt_is_not_recorded_again() -> None:
    """Two attempts with idempotency keys, then the same two again (a redelivered batch),
    through ``assess_many`` and one through ``assess``, and one new attempt: the history holds
    three decisions (one per key), not six."""
    clock = ManualClock(datetime.fromtimestamp(T0, UTC))
    history = MemoryDecisionHistory()
    engine = make_engine(clock)
    engine.history = history
    first = [
        LoginAttempt("li@example.com", "198.51.100.1", once="logins.attempts:e1"),
        LoginAttempt("wang@example.com", "198.51.100.2", once="logins.attempts:e2"),
    ]
    engine.assess_many(first)
    engine.assess_many(first)  # redelivered: repeats
    engine.assess(first[0])  # a repeat again, one at a time
    engine.assess_many(
        [LoginAttempt("zhao@example.com", "198.51.100.3", once="logins.attempts:e3")]
    )
    assert history.hours(H0, H0)[0].decided == 3


@pytest.fixture
def redis_history() -> Iterator[RedisDecisionHistory]:
    h = RedisDecisionHistory.from_url(
        URL, tenant=f"t{secrets.token_hex(4)}", bounds=HistoryBounds(2, 3, 4, 3)
    )
    yield h
    h.clear()


events = st.lists(
    st.lists(
        st.tuples(
            st.floats(0.5, 4000, allow_nan=False),  # seconds after the previous event
            st.sampled_from(list(Kind)),
            st.sampled_from([f"a:{i}" for i in range(7)]),
            st.sampled_from([f"i:{i}" for i in range(6)]),
            st.sampled_from([None, True, False]),
        ),
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.redis
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=events)
def test_redis_answers_as_memory_does(
    redis_history: RedisDecisionHistory,
    batches: list[list[tuple[float, Kind, str, str, bool | None]]],
) -> None:
    """The same batches into both (small bounds, so eviction, expiry and the address cap all
    happen): the same hour counts and the same accounts under attack after each batch."""
    redis_history.clear()
    memory = MemoryDecisionHistory(redis_history.bounds)
    now = T0
    for batch in batches:
        out = []
        for dt, kind, account, source, known in batch:
            now += dt
            out.append(DecisionEvent(now, kind, account, source, known))
        for h in (memory, redis_history):
            h.record(out)
        first, last = H0 - 1, int(now // 3600)
        assert redis_history.hours(first, last) == memory.hours(first, last)
        assert redis_history.under_attack(now, 10) == memory.under_attack(now, 10)
        assert redis_history.newest_hour() == memory.newest_hour()


@pytest.mark.redis
def test_both_conform_to_the_protocol(redis_history: RedisDecisionHistory) -> None:
    """Each implementation is a DecisionHistory (the engine and the console take either)."""
    both: list[DecisionHistory] = [MemoryDecisionHistory(), redis_history]
    for h in both:
        h.record([])
        assert h.under_attack(T0) == []


@pytest.mark.redis
def test_a_buffered_redis_history_writes_in_batches_and_on_reads(
    redis_history: RedisDecisionHistory,
) -> None:
    """buffer=3, linger 5 s on a hand-moved monotonic clock, as the database history's test:
    two events stay in the process (another instance on the same keys sees nothing), the third
    writes all three; a lone event is written once it has waited 5 s (at the next call), or
    when this instance reads, or at flush."""
    now = [0.0]
    tenant = redis_history.prefix.split(":")[1]
    h = RedisDecisionHistory(
        redis_history.client, tenant=tenant, buffer=3, linger_seconds=5.0, monotonic=lambda: now[0]
    )
    other = redis_history
    h.record([ev(1, Kind.ALLOW, "a:1", "i:1")])
    h.record([ev(2, Kind.DENY, "a:1", "i:1")])
    assert other.newest_hour() is None
    h.record([ev(3, Kind.ALLOW, "a:2", "i:2")])
    assert other.hours(H0, H0) == [HourCounts(H0, allow=2, deny=1)]
    h.record([ev(4, Kind.ALLOW, "a:3", "i:3")])
    now[0] = 5.0
    h.record([ev(5, Kind.ALLOW, "a:3", "i:3")])  # the first waited 5 s
    assert other.hours(H0, H0) == [HourCounts(H0, allow=4, deny=1)]
    h.record([ev(6, Kind.ALLOW, "a:4", "i:4")])
    assert h.hours(H0, H0) == [HourCounts(H0, allow=5, deny=1)]  # its own read flushed it
    h.record([ev(7, Kind.CHALLENGE, "a:4", "i:4")])
    h.flush()
    assert other.hours(H0, H0) == [HourCounts(H0, allow=5, challenge=1, deny=1)]
    # one address and one event each: the more recent first (rank)
    assert [a.account for a in other.under_attack(T0 + 7)] == ["a:4", "a:1"]


@pytest.mark.redis
def test_the_service_holds_back_its_redis_history(tmp_path: Path) -> None:
    """The composition root's Redis history is buffered: an event recorded by the service is
    not yet seen by another reader of the same keys, and is once the service flushes (as
    ``Services.close`` does)."""
    tenant = f"t{secrets.token_hex(4)}"
    settings = load_settings(
        {"SHIELDWALL_HOME": str(tmp_path), "SHIELDWALL_STATE_BACKEND": "redis"},
        {"tenant": tenant},
    )
    service = risk_history(settings, create_engine("sqlite://"))
    other = RedisDecisionHistory.from_url(URL, tenant=tenant)
    try:
        service.record([ev(1, Kind.DENY)])
        assert other.newest_hour() is None
        service.flush()
        assert other.hours(H0, H0) == [HourCounts(H0, deny=1)]
    finally:
        other.clear()


class BrokenHistory(MemoryDecisionHistory):
    def record(self, events: Sequence[DecisionEvent]) -> None:
        raise StorageError("redis is unavailable: ConnectionError")


def test_a_history_that_cannot_be_written_does_not_turn_logins_away(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis down for the history: assess and outcome answer as without one; a warning names
    the error's type only."""
    clock = ManualClock(datetime.fromtimestamp(T0, UTC))
    engine = make_engine(clock)
    engine.history = BrokenHistory()
    a = engine.assess(LoginAttempt("victim@example.com", "198.51.100.1"))
    assert a.decision is Decision.ALLOW
    assert engine.outcome(a.assessment_id, success=False).success is False
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["login decision history not written: StorageError"] * 2
