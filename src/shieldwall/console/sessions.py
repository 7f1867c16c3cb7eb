"""Server-side console sessions: an idle timeout, an absolute lifetime and a CSRF token each.

The browser holds only a random 256-bit token (the session cookie); the store is keyed by the
token's SHA-256, so whoever reads the store (a Redis dump, a debugger) holds no cookie that
works. A session is alive while both ``now - last_seen < idle`` and ``now - created_at <
lifetime`` (OWASP Session Management Cheat Sheet: idle and absolute timeouts); a dead session
is deleted when it is next presented. The clock is injected, so tests move time instead of
sleeping.

The CSRF defence is the synchronizer-token pattern: each session has its own random token,
rendered into every form and checked (constant-time) on every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from shieldwall.core.clock import Clock

LANGUAGES = ("en", "zh")


@dataclass(frozen=True, slots=True)
class Session:
    principal_id: str
    csrf_token: str
    created_at: datetime
    last_seen: datetime
    lang: str = "en"


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta

    def alive(self, session: Session, now: datetime) -> bool:
        """True while the session is neither idle too long nor older than its lifetime."""
        return now - session.last_seen < self.idle and now - session.created_at < self.lifetime


class SessionStore(Protocol):
    """Where sessions live, keyed by the hex SHA-256 of their token."""

    def put(self, key: str, session: Session) -> None: ...

    def get(self, key: str) -> Session | None: ...

    def delete(self, key: str) -> None: ...


class MemorySessionStore:
    """Sessions in this process (the embedded default: one ``shieldwall serve`` process)."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def put(self, key: str, session: Session) -> None:
        with self._lock:
            self._sessions[key] = session

    def get(self, key: str) -> Session | None:
        with self._lock:
            return self._sessions.get(key)

    def delete(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)


def token_key(token: str) -> str:
    """The store's key for a cookie token."""
    return hashlib.sha256(token.encode()).hexdigest()


class ConsoleSessions:
    """Opens, resumes and closes sessions under one :class:`SessionPolicy`."""

    def __init__(self, store: SessionStore, policy: SessionPolicy, clock: Clock) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock

    def open(self, principal_id: str, lang: str = "en") -> tuple[str, Session]:
        """A new session for a signed-in principal; returns the cookie token (shown once)."""
        now = self.clock.now()
        token = secrets.token_urlsafe(32)
        session = Session(principal_id, secrets.token_urlsafe(32), now, now, _lang(lang))
        self.store.put(token_key(token), session)
        return token, session

    def resume(self, token: str | None) -> Session | None:
        """The live session of ``token`` with its ``last_seen`` moved to now; None for an
        unknown, idle or expired token (a dead session is deleted)."""
        if not token:
            return None
        key = token_key(token)
        session = self.store.get(key)
        if session is None:
            return None
        now = self.clock.now()
        if not self.policy.alive(session, now):
            self.store.delete(key)
            return None
        session = replace(session, last_seen=now)
        self.store.put(key, session)
        return session

    def set_language(self, token: str, lang: str) -> None:
        key = token_key(token)
        session = self.store.get(key)
        if session is not None:
            self.store.put(key, replace(session, lang=_lang(lang)))

    def close(self, token: str | None) -> None:
        if token:
            self.store.delete(token_key(token))


def csrf_matches(session: Session, presented: str | None) -> bool:
    """Constant-time check of a form's CSRF token against the session's."""
    if not presented:
        return False
    return hmac.compare_digest(session.csrf_token.encode(), presented.encode())


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"
