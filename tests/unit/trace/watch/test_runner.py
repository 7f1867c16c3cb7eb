"""The runner: catch-up from a durable cursor, warm-up of an empty state, the in-process queue."""

from __future__ import annotations

import time

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Alert
from shieldwall.storage.watch_state_memory import (
    MemoryAlertStore,
    MemoryCursorStore,
    MemoryWatchState,
)
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.runner import WatchRunner
from tests.unit.trace.watch.fakes import FakeLog
from tests.unit.trace.watch.scenario import Scenario, at
from tests.unit.trace.watch.test_detectors import harvest


def world() -> Scenario:
    """Five days of two teams; on day 4 one agent harvests and another breaks the glass."""
    s = Scenario()
    team = s.team("t1", 6, range(5))
    s.team("t2", 6, range(5))
    harvest(s, team[0], "t1", 40)
    s.break_glass("t2-a1", "agent", "t2", "C0000042", at(4, 11))
    return s


def fingerprint(alerts: list[Alert]) -> set[tuple[object, ...]]:
    return {
        (a.principal_id, a.kind, a.severity, a.customer_ids, a.audit_seqs, a.first_at, a.status)
        for a in alerts
    }


def runner(log: FakeLog, cursors: MemoryCursorStore, alerts: MemoryAlertStore, **kw: object):  # type: ignore[no-untyped-def]
    settings = WatchSettings(batch_size=300, **kw)  # type: ignore[arg-type]
    state = MemoryWatchState()
    return WatchRunner(Watch(settings, state, alerts), log, cursors, state)


def test_catch_up_resumes_from_the_cursor_with_the_same_alerts() -> None:
    """A restart mid-log (empty state, warm-up) ends with one uninterrupted run's alerts."""
    records = world().records()
    whole = MemoryAlertStore()
    one = runner(FakeLog(records), MemoryCursorStore(), whole)
    assert one.catch_up() == len(records)
    assert one.cursors.load(one.name) == len(records) - 1

    log = FakeLog(records[: len(records) * 3 // 4])
    cursors, alerts = MemoryCursorStore(), MemoryAlertStore()
    first = runner(log, cursors, alerts)
    first.catch_up()
    first.stop()
    raised_before = len(alerts.list())
    log.records = list(records)  # the log grew while the watch was down
    second = runner(log, cursors, alerts)
    assert second.prepare()
    assert len(alerts.list()) == raised_before  # warming up raises nothing
    assert second.watch.last_seq == len(records) * 3 // 4 - 1
    done = second.catch_up()
    assert done == len(records) - len(records) * 3 // 4
    assert fingerprint(alerts.list()) == fingerprint(whole.list())
    assert len(alerts.list()) == len(whole.list())


def test_in_process_listener_only_queues_and_the_worker_catches_up() -> None:
    """Appends reach the worker through the buffer; dropped ones are read back from the log."""
    records = world().records()
    log = FakeLog()
    cursors, alerts = MemoryCursorStore(), MemoryAlertStore()
    r = runner(log, cursors, alerts, queue_size=100, poll_seconds=0.05)
    log.subscribe(r.on_append)
    for rec in records[:150]:  # the worker is not running: the queue fills, then drops
        log.append([rec.event])
    assert r.dropped == 50
    r.start()
    for i in range(150, len(records), 7):
        log.append([rec.event for rec in records[i : i + 7]])
    assert r.drain(20)
    deadline_ok = False
    for _ in range(400):
        if r.watch.last_seq == len(records) - 1:
            deadline_ok = True
            break
        time.sleep(0.05)
    r.stop()
    assert deadline_ok, r.watch.last_seq
    assert cursors.load(r.name) == len(records) - 1
    whole = MemoryAlertStore()
    runner(FakeLog(records), MemoryCursorStore(), whole).catch_up()
    assert fingerprint(alerts.list()) == fingerprint(whole.list())


def test_processing_is_idempotent_by_sequence() -> None:
    """Feeding a page twice changes nothing: a crash between state and cursor is harmless."""
    records = world().records()
    alerts = MemoryAlertStore()
    watch = Watch(WatchSettings(), MemoryWatchState(), alerts)
    watch.process(records)
    before = (fingerprint(alerts.list()), {k: dict(v.counts) for k, v in watch.ws.profiles.items()})
    watch.process(records[-500:])
    after = (fingerprint(alerts.list()), {k: dict(v.counts) for k, v in watch.ws.profiles.items()})
    assert before == after


def test_durable_state_survives_a_new_watch() -> None:
    """A new watch loading a durable state carries on with the same alerts as one watch."""
    records = world().records()
    whole = MemoryAlertStore()
    Watch(WatchSettings(), MemoryWatchState(), whole).process(records)
    state, alerts = MemoryWatchState(durable=True), MemoryAlertStore()
    cut = len(records) // 2
    Watch(WatchSettings(), state, alerts).process(records[:cut])
    assert len(state) > 0
    second = Watch(WatchSettings(), state, alerts)
    assert second.load() == len(state)
    assert second.last_seq == cut - 1
    second.process(records[cut:])
    assert fingerprint(alerts.list()) == fingerprint(whole.list())


def test_flush_returns_once_everything_appended_is_processed() -> None:
    """flush() covers dropped records and the batch in hand, with or without the worker: when
    it returns True the watch has applied every entry, and the alerts match one catch-up."""
    records = world().records()
    whole = MemoryAlertStore()
    runner(FakeLog(records), MemoryCursorStore(), whole).catch_up()

    log, alerts = FakeLog(), MemoryAlertStore()
    r = runner(log, MemoryCursorStore(), alerts, queue_size=100, poll_seconds=0.05)
    log.subscribe(r.on_append)
    for rec in records[:150]:  # no worker yet: the buffer fills and drops 50
        log.append([rec.event])
    assert r.dropped == 50
    assert r.flush(20) and r.watch.last_seq == 149  # no thread: processed here
    r.start()
    for i in range(150, len(records), 7):
        log.append([rec.event for rec in records[i : i + 7]])
    assert r.flush(60)
    assert r.watch.last_seq == len(records) - 1
    r.stop()
    assert fingerprint(alerts.list()) == fingerprint(whole.list())
