"""The dispatcher: retries with backoff, a failing or stuck sink delays only itself, a full
queue drops and logs, close lets queued alerts out, and log lines carry ids, not data."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import ManualClock
from shieldwall.trace.delivery.dispatch import (
    AlertDispatcher,
    Backoff,
    NotifyingAlertStore,
    Redelivery,
)
from shieldwall.trace.delivery.errors import DeliveryFailed
from shieldwall.trace.delivery.ports import AlertEvent, PendingDelivery, sink_ids

ALERT = Alert(
    alert_id="alr_1",
    kind="harvesting",
    principal_id="agent-li",
    severity=Severity.HIGH,
    score=9.0,
    reasons=(Reason("r", "d"),),
    raised_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    customer_ids=("CUST-SECRET-1",),
)
NO_WAIT = Backoff(max_attempts=4, first_seconds=0.0, max_seconds=0.0)


def wait_until(cond: Callable[[], bool], bound: float = 30.0) -> None:
    """Poll a condition with a generous bound (a loaded machine is slow, never wrong)."""
    end = time.monotonic() + bound
    while not cond():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.005)


class FakeSink:
    """Fails the first ``failures`` tries (retryable or not), then records what it got."""

    def __init__(self, name: str, failures: int = 0, *, retryable: bool = True) -> None:
        self.name = name
        self.failures = failures
        self.retryable = retryable
        self.tries = 0
        self.got: list[str] = []
        self.closed = False
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def deliver(self, event: AlertEvent) -> None:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(30)
        self.tries += 1
        if self.tries <= self.failures:
            raise DeliveryFailed("http_503", retryable=self.retryable)
        self.got.append(event.key)

    def close(self) -> None:
        self.closed = True


def test_backoff_doubles_up_to_its_cap() -> None:
    """1, 2, 4, 8 … seconds, never past the cap."""
    b = Backoff(max_attempts=8, first_seconds=1.0, max_seconds=5.0)
    assert [b.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_retries_until_delivered_and_a_dead_sink_does_not_hold_up_the_others() -> None:
    """One sink fails twice then works; another always fails; a third works at once."""
    flaky, dead, good = FakeSink("flaky", 2), FakeSink("dead", 99), FakeSink("good")
    d = AlertDispatcher([flaky, dead, good], backoff=NO_WAIT)
    d.submit(ALERT)
    wait_until(lambda: good.got == ["alr_1"] and flaky.got == ["alr_1"] and dead.tries == 4)
    d.close(timeout=30)
    stats = d.stats()
    assert stats["flaky"] == {
        "delivered": 1,
        "failed": 0,
        "retried": 2,
        "dropped": 0,
        "queued": 0,
        "redelivered": 0,
    }
    assert stats["dead"]["failed"] == 1 and stats["dead"]["retried"] == 3
    assert stats["good"]["delivered"] == 1
    assert flaky.closed and dead.closed and good.closed


def test_a_refusal_is_not_retried() -> None:
    """A non-retryable failure (e.g. HTTP 400) is tried once and logged."""
    refused = FakeSink("refused", 99, retryable=False)
    d = AlertDispatcher([refused], backoff=NO_WAIT)
    d.submit(ALERT)
    d.close(timeout=30)
    assert refused.tries == 1 and d.stats()["refused"]["failed"] == 1


def test_submit_never_blocks_and_a_full_queue_drops(caplog: pytest.LogCaptureFixture) -> None:
    """A stuck sink: the caller returns at once, one alert waits, the next is dropped."""
    stuck = FakeSink("stuck")
    stuck.gate = threading.Event()
    d = AlertDispatcher([stuck], queue_size=1, backoff=NO_WAIT)
    d.submit(ALERT)
    assert stuck.entered.wait(30)  # the worker holds the first alert
    d.submit(replace(ALERT, alert_id="alr_2"))  # waits in the queue
    with caplog.at_level(logging.WARNING):
        d.submit(replace(ALERT, alert_id="alr_3"))  # the queue is full
    assert d.stats()["stuck"]["dropped"] == 1
    assert "alr_3" in caplog.text and "queue is full" in caplog.text
    stuck.gate.set()
    d.close(timeout=30)
    assert stuck.got == ["alr_1", "alr_2"]


def test_close_stops_waiting_retries_at_its_deadline(caplog: pytest.LogCaptureFixture) -> None:
    """A sink in a long backoff gives up when close's deadline passes, and says so."""
    dead = FakeSink("dead", 99)
    d = AlertDispatcher([dead], backoff=Backoff(5, 3600.0, 3600.0))
    d.submit(ALERT)
    assert dead.entered.wait(30)
    with caplog.at_level(logging.WARNING):
        d.close(timeout=0.05)
        wait_until(lambda: "no more retries" in caplog.text)
    assert dead.tries == 1 and d.stats()["dead"]["failed"] == 1


def test_log_lines_name_ids_not_data(caplog: pytest.LogCaptureFixture) -> None:
    """A failure is logged with the alert id, the sink and a reason; no customer id."""

    class Leaky(FakeSink):
        def deliver(self, event: AlertEvent) -> None:
            raise RuntimeError(f"boom {event.alert.customer_ids}")

    d = AlertDispatcher([Leaky("leaky")], backoff=NO_WAIT)
    with caplog.at_level(logging.WARNING):
        d.submit(ALERT)
        d.close(timeout=30)
    assert "alr_1" in caplog.text and "unexpected RuntimeError" in caplog.text
    assert "CUST-SECRET-1" not in caplog.text


class ListStore:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.raised: list[Alert] = []

    def raise_alert(self, alert: Alert) -> None:
        if self.fail:
            raise RuntimeError("database away")
        self.raised.append(alert)

    def update_alert(self, alert: Alert) -> bool:
        return True

    def open_alert(self, principal_id: str, kind: str) -> Alert | None:
        return None


def test_notifying_store_stores_first_and_pushes_only_what_was_stored() -> None:
    """A failing sink leaves the alert stored; a failing store pushes nothing."""
    dead, good = FakeSink("dead", 99), FakeSink("good")
    d = AlertDispatcher([dead, good], backoff=NO_WAIT)
    ok = ListStore()
    NotifyingAlertStore(ok, d).raise_alert(ALERT)
    assert ok.raised == [ALERT]
    with pytest.raises(RuntimeError):
        NotifyingAlertStore(ListStore(fail=True), d).raise_alert(replace(ALERT, alert_id="alr_x"))
    d.close(timeout=30)
    assert good.got == ["alr_1"] and dead.tries == 4


class FakeOutbox:
    """Rows claimed once each (as a lease would), what was marked delivered, and each prune
    asked for (answered from ``pruned``, then 0)."""

    def __init__(self, rows: list[PendingDelivery], pruned: tuple[int, ...] = ()) -> None:
        self.rows = rows
        self.marked: list[tuple[str, str]] = []
        self.pruned = list(pruned)
        self.prunes: list[tuple[datetime, int]] = []
        self.pruning = threading.Event()

    def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[PendingDelivery]:
        taken, self.rows = self.rows[:limit], self.rows[limit:]
        return taken

    def mark_delivered(self, key: str, sink: str, at: datetime) -> None:
        self.marked.append((key, sink))

    def prune_delivered(self, before: datetime, limit: int) -> int:
        self.prunes.append((before, limit))
        self.pruning.set()
        return self.pruned.pop(0) if self.pruned else 0


def test_redeliver_queues_each_claimed_row_for_its_own_sink_and_marks_it() -> None:
    """Rows for two sinks (one repeated name: ``#2``) and one for a sink no longer configured,
    in batches of 2: each configured row goes to its sink once and is marked; the other is
    left alone."""
    raised = AlertEvent.raised(ALERT)
    up = AlertEvent.escalated(replace(ALERT, severity=Severity.CRITICAL))
    rows = [
        PendingDelivery("hook", raised),
        PendingDelivery("hook#2", raised),
        PendingDelivery("hook", up),
        PendingDelivery("gone", raised),
    ]
    first, second = FakeSink("hook"), FakeSink("hook")
    outbox = FakeOutbox(rows)
    d = AlertDispatcher(
        [first, second],
        backoff=NO_WAIT,
        outbox=outbox,
        clock=ManualClock(ALERT.raised_at),
        redelivery=Redelivery(batch=2),
    )
    assert d.sinks == ["hook", "hook#2"]
    assert d.redeliver() == 3
    d.close(timeout=30)
    assert first.got == ["alr_1", "alr_1:escalated:critical"] and second.got == ["alr_1"]
    assert sorted(outbox.marked) == [
        ("alr_1", "hook"),
        ("alr_1", "hook#2"),
        ("alr_1:escalated:critical", "hook"),
    ]
    assert d.stats()["hook"]["redelivered"] == 2


def test_an_event_in_hand_is_not_queued_twice() -> None:
    """While a sink holds an event, a flush that claims it again does not queue a copy."""
    stuck = FakeSink("stuck")
    stuck.gate = threading.Event()
    outbox = FakeOutbox([PendingDelivery("stuck", AlertEvent.raised(ALERT))])
    d = AlertDispatcher([stuck], backoff=NO_WAIT, outbox=outbox, clock=ManualClock(ALERT.raised_at))
    d.submit(ALERT)
    assert stuck.entered.wait(30)
    assert d.redeliver() == 0
    stuck.gate.set()
    d.close(timeout=30)
    assert stuck.got == ["alr_1"] and outbox.marked == [("alr_1", "stuck")]


def test_start_redelivery_flushes_at_once_on_its_own_thread() -> None:
    """A serving process starts the flusher: the pending row goes out without a new alert;
    close stops the flusher; without an outbox there is nothing to start."""
    sink = FakeSink("hook")
    outbox = FakeOutbox([PendingDelivery("hook", AlertEvent.raised(ALERT))])
    d = AlertDispatcher([sink], backoff=NO_WAIT, outbox=outbox, clock=ManualClock(ALERT.raised_at))
    d.start_redelivery()
    d.start_redelivery()  # a second start is the same as one
    assert sink.entered.wait(30)
    d.close(timeout=30)
    assert sink.got == ["alr_1"] and outbox.marked == [("alr_1", "hook")]
    plain = AlertDispatcher([FakeSink("x")])
    plain.start_redelivery()
    assert plain.redeliver() == 0
    plain.close(timeout=30)


def test_prune_removes_in_batches_until_one_comes_back_short() -> None:
    """Retention one hour, batches of 2: full, full, short (5 rows) is three calls, each
    asking for rows delivered before 08:00 when the clock reads 09:00."""
    outbox = FakeOutbox([], pruned=(2, 2, 1, 2))
    d = AlertDispatcher(
        [FakeSink("hook")],
        outbox=outbox,
        clock=ManualClock(ALERT.raised_at),
        redelivery=Redelivery(batch=2, keep_delivered_seconds=3600.0),
    )
    assert d.prune() == 5
    assert outbox.prunes == [(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), 2)] * 3
    d.close(timeout=30)


def test_prune_takes_at_most_its_batches_a_round() -> None:
    """Every batch comes back full: a round stops after ``prune_batches`` of them, and the
    next round goes on; without an outbox nothing is pruned."""
    outbox = FakeOutbox([], pruned=(3,) * 5)
    d = AlertDispatcher(
        [FakeSink("hook")],
        outbox=outbox,
        clock=ManualClock(ALERT.raised_at),
        redelivery=Redelivery(batch=3, prune_batches=2),
    )
    assert d.prune() == 6
    assert d.prune() == 6
    assert d.prune() == 3
    assert len(outbox.prunes) == 6
    d.close(timeout=30)
    assert AlertDispatcher([FakeSink("x")]).prune() == 0


def test_the_flusher_prunes_after_it_flushes() -> None:
    """The serving process's rounds prune too: the flusher asks for rows delivered more than
    seven days (the default) before now."""
    outbox = FakeOutbox([])
    d = AlertDispatcher([FakeSink("hook")], outbox=outbox, clock=ManualClock(ALERT.raised_at))
    d.start_redelivery()
    assert outbox.pruning.wait(30)
    d.close(timeout=30)
    assert outbox.prunes[0] == (datetime(2026, 2, 23, 9, 0, tzinfo=UTC), 500)


def test_sink_ids_are_unique_and_fit_the_outbox_column() -> None:
    """Repeated labels get ``#2``, ``#3``; a label longer than the column is cut, still
    unique (a 253-character host name would otherwise fail the alert's own transaction)."""
    long = "webhook:" + "h" * 253
    ids = sink_ids(["a", "b", "a", long, long, "a"])
    assert ids[:3] == ["a", "b", "a#2"] and ids[5] == "a#3"
    assert len(set(ids)) == 6 and all(len(i) <= 128 for i in ids)
