"""A worker's watch partition on a fake JetStream client (no NATS): every alert it raises is
published, in whichever batch it was raised, and entries whose messages come after newer ones
(a killed worker's batch, redelivered after its wait) are read from the log, not lost. The NATS
path itself is tested against the real server in tests/functional/test_intake_worker.py."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any, cast

from nats.aio.msg import Msg

from shieldwall.config import NatsSettings, WatchSettings
from shieldwall.core.alerts import Alert
from shieldwall.core.events import AccessEvent, Action, AuditRecord, Decision
from shieldwall.intake.subjects import partition_of
from shieldwall.intake.watchfeed import AlertTap, PartitionSource, encode_record
from shieldwall.intake.worker import IntakeWorker, WatchPartition
from shieldwall.storage.watch_state_memory import (
    MemoryAlertStore,
    MemoryCursorStore,
    MemoryWatchState,
)
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.runner import WatchRunner
from tests.unit.intake.test_service import make
from tests.unit.intake.test_watchfeed import Log
from tests.unit.intake.test_worker_decisions import FakeJetStream, FakeMsg

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MINE, OTHER = "agent-harvest", "agent-3"  # partitions 0 and 1 of 2 (test_subjects checks)


def entry(seq: int, actor: str, action: Action = Action.READ) -> AuditRecord:
    event = AccessEvent(
        T, actor, "agent", action, Decision.ALLOW, "store_read", unit="cs-1", customer_ids=("C1",)
    )
    return AuditRecord(seq, event, bytes([seq]) * 32)


def setup(records: list[AuditRecord]) -> tuple[IntakeWorker, WatchPartition, FakeJetStream]:
    """A worker running partition 0 of 2 over ``records`` as the CLI wires it: the alert tap
    appends to the partition's ``alerts`` list."""
    assert (partition_of(MINE, 2), partition_of(OTHER, 2)) == (0, 1)
    raised: list[Alert] = []
    state = MemoryWatchState()
    watch = Watch(WatchSettings(), state, AlertTap(MemoryAlertStore(), raised.append))
    runner = WatchRunner(
        watch, PartitionSource(Log(records), 0, 2), MemoryCursorStore(), state, name="p0of2"
    )
    wp = WatchPartition(runner, 0, 2, raised)
    intake, _, _ = make()
    w = IntakeWorker(intake, NatsSettings(prefix="p"), watch=wp)
    js = FakeJetStream()
    w._js = cast(Any, js)  # the client run() would connect
    return w, wp, js


def deliver(
    w: IntakeWorker,
    wp: WatchPartition,
    js: FakeJetStream,
    messages: list[tuple[AuditRecord, int | None]],
) -> list[FakeMsg]:
    """Hand the partition one fetched batch of ``(entry, prev)`` messages."""
    msgs = [FakeMsg(encode_record(r, prev), js) for r, prev in messages]
    asyncio.run(w.handle_watch(wp, cast(list[Msg], msgs)))
    return msgs


def alerts_published(js: FakeJetStream) -> list[tuple[str, str]]:
    """(detector, principal) of each message on ``p.alerts``, whether the alert's fields are at
    the top or nested as a sink's event (``{"alert": {...}}``)."""
    out = []
    for subject, body, _ in js.published:
        if subject == "p.alerts":
            message = json.loads(body)
            alert = message.get("alert", message)
            out.append((alert["kind"], alert["principal_id"]))
    return out


def test_an_alert_raised_in_a_later_batch_is_published() -> None:
    """A break-glass use in the second batch: its alert reaches ``p.alerts`` (the worker used to
    replace the list the tap appends to after the first batch, and published nothing after)."""
    records = [entry(0, MINE), entry(1, MINE), entry(2, MINE, Action.BREAK_GLASS)]
    w, wp, js = setup(records)
    deliver(w, wp, js, [(records[0], None), (records[1], 0)])
    assert alerts_published(js) == []
    deliver(w, wp, js, [(records[2], 1)])
    assert alerts_published(js) == [("break_glass_misuse", MINE)]
    assert w.stats.alerts == 1 and wp.alerts == []


def test_entries_whose_messages_come_late_are_read_from_the_log() -> None:
    """Partition 0 holds the even entries. After 0 and 2, the messages of 8 and 10 come before
    those of 4 and 6 (a killed worker's batch, redelivered after its wait): 4 and 6 are read
    from the log and applied first, the break-glass at 6 raises its alert, and their messages,
    when they come, change nothing. Each entry is applied once, in order."""
    records = [
        entry(i, MINE if i % 2 == 0 else OTHER, Action.BREAK_GLASS if i == 6 else Action.READ)
        for i in range(12)
    ]
    w, wp, js = setup(records)
    watch = wp.runner.watch
    deliver(w, wp, js, [(records[0], None), (records[2], 0)])
    assert (watch.processed, watch.last_seq) == (2, 2)

    early = deliver(w, wp, js, [(records[8], 6), (records[10], 8)])
    assert (watch.processed, watch.last_seq) == (6, 10)
    assert w.stats.watched_from_log == 2
    assert alerts_published(js) == [("break_glass_misuse", MINE)]
    assert all(m.acked for m in early)

    late = deliver(w, wp, js, [(records[4], 2), (records[6], 4)])
    assert (watch.processed, watch.last_seq) == (6, 10)
    assert all(m.acked for m in late) and len(alerts_published(js)) == 1
    assert wp.runner.cursors.load("p0of2") == 10


def test_a_relay_restarted_says_no_prev_and_the_log_is_asked() -> None:
    """A restarted relay's first message to a partition has no ``prev``: the log is read for
    what lies between (here nothing is missing, so nothing is read twice)."""
    records = [entry(i, MINE if i % 2 == 0 else OTHER) for i in range(6)]
    w, wp, js = setup(records)
    deliver(w, wp, js, [(records[0], None), (records[2], 0)])
    deliver(w, wp, js, [(records[4], None)])
    assert (wp.runner.watch.processed, w.stats.watched_from_log) == (3, 0)
