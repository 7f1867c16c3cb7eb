"""A principal's records logged out of event order (two intake workers, each committing its own
batch) must not change what the reveal test decides.

The deployment test (tests/functional/test_deployment.py) once lost the planted insider's
``reveal_rate`` alert: its reads made after its last reveal were committed by the other worker
first, and the rate test, counting customers as they arrived, divided the reveals by them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shieldwall.config import WatchSettings
from shieldwall.core.events import AccessEvent, Action, AuditRecord, Decision
from shieldwall.storage.watch_state_memory import MemoryAlertStore, MemoryWatchState
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.workingset import DayProfile

# Local midnight of day 0 in Shanghai (the watch's default time zone), 2026-03-02.
T0 = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
ADMIN = "adm-1"


def _event(day: int, minute: int, action: Action, customer: int) -> AccessEvent:
    return AccessEvent(
        ts=T0 + timedelta(days=day, hours=9, minutes=minute),
        actor=ADMIN,
        role="admin",
        unit="it",
        action=action,
        decision=Decision.ALLOW,
        reason="store_read",
        customer_ids=(f"C{customer * 1000:07d}",),  # far apart: no id walk
        fields={"phone": "clear"} if action is Action.REVEAL else {"phone": "masked"},
        channel="store",
    )


def _day() -> tuple[list[AccessEvent], list[AccessEvent], list[AccessEvent], list[AccessEvent]]:
    """The only admin: 10 customers read on day 0; on day 1, 30 read, 8 of them revealed, then
    400 more read. Returns (day 0, day 1's first reads, its reveals, its later reads)."""
    history = [_event(0, i, Action.READ, 5000 + i) for i in range(10)]
    reads = [_event(1, i, Action.READ, i) for i in range(30)]
    reveals = [_event(1, 30 + i, Action.REVEAL, i) for i in range(8)]
    later = [_event(1, 40 + i, Action.READ, 100 + i) for i in range(400)]
    return history, reads, reveals, later


def _alerts(events: list[AccessEvent]) -> list[str]:
    """The reasons of the reveal alerts raised over ``events`` logged in this order."""
    store = MemoryAlertStore()
    watch = Watch(WatchSettings(), MemoryWatchState(), store)
    records = [AuditRecord(seq, e, b"") for seq, e in enumerate(events)]
    for i in range(0, len(records), 100):  # pages, as the runner reads the log
        watch.process(records[i : i + 100])
    return [a.reasons[0].detail for a in store.list() if a.kind == "reveal_rate"]


# Worked by hand. No peers (the only admin), so the rate is the floor 0.002, its odds tripled:
# p = 0.006012 / 1.006012 = 0.005976. Score: the Chernoff bound, n * KL(k/n || p) / ln 10.
# - In event order the 6th reveal is the first over 6 (6 of 30 today: 30 * 0.52839 / 2.302585
#   = 6.88; 5 of 30: 5.31), and the 8th ends at 8 of 30 today (30 * 0.78981 / 2.302585 =
#   10.29, beating the window's 8 of 40, 9.18): one alert, its last reason that one.
# - The later reads counted first: 8 of 430 today (430 * 0.0085803 / 2.302585 = 1.60) and
#   8 of 440 in the window (1.55): under 6, no alert.
EXPECTED = "revealed fields of 8 of 30 customers today"


def test_in_event_order_the_reveals_raise_an_alert() -> None:
    history, reads, reveals, later = _day()
    found = _alerts([*history, *reads, *reveals, *later])
    assert len(found) == 1 and found[0].startswith(EXPECTED), found


@pytest.mark.parametrize("reveals_reversed", [False, True], ids=["reveals", "reversed"])
def test_later_reads_logged_first_do_not_dilute_the_reveals(reveals_reversed: bool) -> None:
    """The other worker's batch (the later reads) commits before this one (the reveals);
    reversed, the reveals are also logged latest first (the earliest reveal last)."""
    history, reads, reveals, later = _day()
    if reveals_reversed:
        reveals = reveals[::-1]
    found = _alerts([*history, *reads, *later, *reveals])
    assert len(found) == 1 and found[0].startswith(EXPECTED), found


def test_count_until_keeps_the_earliest_time_whatever_the_arrival_order() -> None:
    p = DayProfile()
    assert p.mark_at("cust", ["a", "b"], 20.0) == ["a", "b"]
    assert p.mark_at("cust", ["a"], 30.0) == []  # seen earlier: nothing moves
    assert p.mark_at("cust", ["b", "c"], 10.0) == ["b", "c"]  # b logged late, at 10
    assert p.counts["cust"] == 3
    assert [p.count_until("cust", t) for t in (5.0, 10.0, 19.0, 20.0)] == [0, 2, 2, 3]
    assert p.times("cust") == [10.0, 10.0, 20.0]
    again = DayProfile.from_json(p.to_json())  # type: ignore[arg-type]
    assert again == p
    assert [again.count_until("cust", t) for t in (5.0, 10.0, 19.0, 20.0)] == [0, 2, 2, 3]


def test_a_customer_marked_without_a_time_counts_at_any_time() -> None:
    """A profile written before times were kept: its customers were all seen before now."""
    p = DayProfile.from_json({"c": {"cust": 2}, "s": {"cust": ["a", "b"]}})
    assert p.mark_at("cust", ["c"], 50.0) == ["c"]
    assert p.mark_at("cust", ["d"], 70.0) == ["d"]
    assert [p.count_until("cust", t) for t in (10.0, 50.0, 60.0, 70.0)] == [2, 3, 3, 4]
