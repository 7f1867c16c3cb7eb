"""Redis state: the same alerts as in-process state on the same stream, across hand-overs;
an exclusive lease. Needs the Redis server at 127.0.0.1:6379."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
import redis

from shieldwall.config import WatchSettings
from shieldwall.storage.watch_state_memory import (
    MemoryAlertStore,
    MemoryCursorStore,
    MemoryWatchState,
)
from shieldwall.storage.watch_state_redis import RedisWatchState
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.runner import WatchRunner
from tests.unit.trace.watch.fakes import FakeLog
from tests.unit.trace.watch.test_runner import fingerprint, world

pytestmark = pytest.mark.redis
URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def state() -> Iterator[RedisWatchState]:
    s = RedisWatchState.from_url(URL, tenant=f"t{secrets.token_hex(4)}")
    yield s
    s.clear()


def test_redis_gives_the_alerts_of_memory_across_handovers(state: RedisWatchState) -> None:
    """Three watches handing over through Redis give the alerts of one in-process watch."""
    records = world().records()
    whole = MemoryAlertStore()
    Watch(WatchSettings(), MemoryWatchState(), whole).process(records)
    alerts = MemoryAlertStore()
    thirds = [records[: len(records) // 3], records[len(records) // 3 : 2 * len(records) // 3]]
    thirds.append(records[2 * len(records) // 3 :])
    for part in thirds:
        watch = Watch(WatchSettings(), state, alerts)
        watch.load()
        for i in range(0, len(part), 400):
            watch.process(part[i : i + 400])
    assert fingerprint(alerts.list()) == fingerprint(whole.list())
    assert alerts.list()


def test_records_round_trip_with_a_ttl(state: RedisWatchState) -> None:
    """What is put comes back from load_all, and every key expires."""
    state.put_many({"p|x|1": b'{"c":{},"s":{}}', "m|meta": b'{"seq":3}'}, 60)
    assert dict(state.load_all()) == {"p|x|1": b'{"c":{},"s":{}}', "m|meta": b'{"seq":3}'}
    client = redis.Redis.from_url(URL)
    ttl = client.ttl(state.prefix + "m|meta")
    assert isinstance(ttl, int) and 0 < ttl <= 60


def test_the_lease_is_exclusive_renewable_and_expires(state: RedisWatchState) -> None:
    """One owner at a time; it renews its own lease; a released or lapsed lease passes on."""
    assert state.acquire("a", 5)
    assert not state.acquire("b", 5)
    assert state.acquire("a", 5)
    state.release("b")  # not b's to release
    assert not state.acquire("b", 5)
    state.release("a")
    assert state.acquire("b", 0.2)
    time.sleep(0.35)
    assert state.acquire("a", 5)


def test_two_runners_one_leader(state: RedisWatchState) -> None:
    """Two workers on one Redis state: only the lease holder works; the other takes over."""
    records = world().records()
    log = FakeLog(records[:3000])
    cursors, alerts = MemoryCursorStore(), MemoryAlertStore()
    settings = WatchSettings(batch_size=500)
    a = WatchRunner(Watch(settings, state, alerts), log, cursors, state, owner="a")
    b = WatchRunner(Watch(settings, state, alerts), log, cursors, state, owner="b")
    assert a.catch_up() == 3000
    assert b.catch_up() == 0  # a holds the lease
    a.stop()  # releases it
    log.records = list(records)
    assert b.catch_up() == len(records) - 3000
    whole = MemoryAlertStore()
    Watch(WatchSettings(), MemoryWatchState(), whole).process(records)
    assert fingerprint(alerts.list()) == fingerprint(whole.list())
