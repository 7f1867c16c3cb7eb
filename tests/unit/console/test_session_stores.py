"""Both session stores behave the same behind :class:`ConsoleSessions`: a session opened
through one Redis store is resumed through another (two workers), and idle sessions end on
the service's clock, not Redis's. Redis at 127.0.0.1:6379."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from shieldwall.console.sessions import (
    ConsoleSessions,
    MemorySessionStore,
    SessionPolicy,
    SessionStore,
    token_key,
)
from shieldwall.core.clock import ManualClock
from shieldwall.storage.console_sessions_redis import RedisSessionStore

URL = "redis://127.0.0.1:6379/0"
POLICY = SessionPolicy(timedelta(minutes=15), timedelta(hours=8))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Iterator[SessionStore]:
    if request.param == "memory":
        yield MemorySessionStore()
        return
    s = RedisSessionStore.from_url(URL, tenant=f"t{secrets.token_hex(4)}", ttl_seconds=60)
    yield s
    s.clear()


def test_a_session_round_trips_and_ends_when_idle(store: SessionStore) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    sessions = ConsoleSessions(store, POLICY, clock)
    token, opened = sessions.open("sec-admin", "zh")
    clock.advance(timedelta(minutes=5))
    resumed = sessions.resume(token)
    assert resumed is not None
    assert (resumed.principal_id, resumed.csrf_token, resumed.lang) == (
        "sec-admin",
        opened.csrf_token,
        "zh",
    )
    assert resumed.created_at == opened.created_at and resumed.last_seen == clock.now()
    clock.advance(timedelta(minutes=15))
    assert sessions.resume(token) is None
    assert store.get(token_key(token)) is None


@pytest.mark.redis
def test_two_workers_share_a_session_through_redis() -> None:
    """Signed in on one worker, known to the other; signed out on the second, gone for both."""
    tenant = f"t{secrets.token_hex(4)}"
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    one = RedisSessionStore.from_url(URL, tenant=tenant, ttl_seconds=60)
    two = RedisSessionStore.from_url(URL, tenant=tenant, ttl_seconds=60)
    try:
        token, _ = ConsoleSessions(one, POLICY, clock).open("sec-admin")
        second = ConsoleSessions(two, POLICY, clock)
        assert second.resume(token) is not None
        second.close(token)
        assert ConsoleSessions(one, POLICY, clock).resume(token) is None
    finally:
        one.clear()
