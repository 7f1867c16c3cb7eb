"""Console sessions on an injected clock: idle timeout, absolute lifetime, hashed store keys,
constant-time CSRF check."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shieldwall.console.sessions import (
    ConsoleSessions,
    MemorySessionStore,
    SessionPolicy,
    csrf_matches,
)
from shieldwall.core.clock import ManualClock

IDLE, LIFETIME = timedelta(minutes=15), timedelta(hours=8)


def sessions() -> tuple[ConsoleSessions, MemorySessionStore, ManualClock]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    store = MemorySessionStore()
    return ConsoleSessions(store, SessionPolicy(IDLE, LIFETIME), clock), store, clock


def test_the_store_holds_the_tokens_hash_not_the_token() -> None:
    """Whoever reads the store holds no working cookie: its key is the token's SHA-256."""
    s, store, _ = sessions()
    token, _ = s.open("sec-admin")
    assert store.get(token) is None
    assert store.get(hashlib.sha256(token.encode()).hexdigest()) is not None


def test_idle_timeout_ends_a_session_and_deletes_it() -> None:
    """Used within 15 minutes it lives on; 15 minutes unused it is gone."""
    s, store, clock = sessions()
    token, _ = s.open("sec-admin")
    clock.advance(IDLE - timedelta(seconds=1))
    assert s.resume(token) is not None
    clock.advance(IDLE)
    assert s.resume(token) is None
    assert len(store) == 0


def test_the_lifetime_ends_a_busy_session() -> None:
    """Never idle, still signed out 8 hours after sign-in."""
    s, _, clock = sessions()
    token, _ = s.open("sec-admin")
    for _ in range(31):  # 31 x 15.5 min < 8 h
        clock.advance(timedelta(minutes=15.5) - timedelta(minutes=1))
        assert s.resume(token) is not None
    clock.advance(LIFETIME)
    assert s.resume(token) is None


def test_close_and_unknown_tokens() -> None:
    s, _, _ = sessions()
    token, _ = s.open("sec-admin")
    s.close(token)
    assert s.resume(token) is None
    assert s.resume(None) is None and s.resume("") is None and s.resume("nope") is None


def test_language_is_kept_and_limited_to_the_catalog() -> None:
    s, _, _ = sessions()
    token, session = s.open("sec-admin", "fr")
    assert session.lang == "en"
    s.set_language(token, "zh")
    resumed = s.resume(token)
    assert resumed is not None and resumed.lang == "zh"


@given(st.text(max_size=60))
def test_only_the_sessions_own_csrf_token_matches(presented: str) -> None:
    """No other string matches the session's token (a random 43-character one)."""
    s, _, _ = sessions()
    _, session = s.open("sec-admin")
    assert csrf_matches(session, session.csrf_token)
    assert not csrf_matches(session, presented)
    assert not csrf_matches(session, None)
