"""A record dated ahead of the watch's clock (a host whose clock runs fast) counts as now."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Alert
from shieldwall.core.clock import ManualClock
from shieldwall.core.events import AuditRecord
from shieldwall.storage.watch_state_memory import MemoryAlertStore, MemoryWatchState
from shieldwall.trace.watch.engine import Watch
from tests.unit.trace.watch.scenario import Scenario, alerts_for, at
from tests.unit.trace.watch.test_detectors import BASELINE, DAY, harvest


def _stream() -> tuple[list[AuditRecord], list[str], str]:
    """Baseline days, one entry dated a year ahead, then a harvesting agent."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE)
    for a in team:
        s.agent_day(a, "t1", DAY)
    taken = harvest(s, team[0], "t1", 15)
    records = s.records()
    cut = next(i for i, r in enumerate(records) if r.event.ts >= at(DAY, 0))
    skewed = replace(records[cut - 1].event, ts=records[cut - 1].event.ts + timedelta(days=365))
    events = [r.event for r in records[:cut]] + [skewed] + [r.event for r in records[cut:]]
    return [AuditRecord(i, e, b"") for i, e in enumerate(events)], taken, team[0]


def _watch(stream: list[AuditRecord], clocked: bool) -> tuple[Watch, MemoryAlertStore]:
    """Feed the stream as it happens, half an hour at a time, the clock at each batch's last
    honest entry (the skewed one rides along with its neighbours)."""
    store = MemoryAlertStore()
    clock = ManualClock(stream[0].event.ts)
    watch = Watch(WatchSettings(), MemoryWatchState(), store, clock=clock if clocked else None)
    batch: list[AuditRecord] = []
    start = stream[0].event.ts
    for r in stream:
        skewed = r.event.ts > start + timedelta(days=1)
        if not skewed and r.event.ts > start + timedelta(minutes=30):
            watch.process(batch)
            batch, start = [], r.event.ts
        batch.append(r)
        if not skewed:
            clock.set(max(clock.now(), r.event.ts))
    watch.process(batch)
    return watch, store


def _harvest_alerts(store: MemoryAlertStore, agent: str) -> list[Alert]:
    return alerts_for(store, agent, "harvesting")


def test_a_future_dated_entry_does_not_blind_the_watch() -> None:
    """With the clock, the harvest after a year-ahead entry still alerts; without, it did not."""
    stream, taken, agent = _stream()
    watch, store = _watch(stream, clocked=True)
    found = _harvest_alerts(store, agent)
    assert len(found) == 1 and set(found[0].customer_ids) <= set(taken)
    assert watch.future_dated == 1
    _, blind = _watch(stream, clocked=False)
    assert _harvest_alerts(blind, agent) == []  # the failure the clock prevents
