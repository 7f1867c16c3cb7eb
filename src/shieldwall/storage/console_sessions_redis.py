"""Console sessions in Redis, so every worker of ``shieldwall serve --workers N`` knows them.

A session is one JSON string under ``shieldwall:<tenant>:console:s:<sha256 of the token>``
(the key already is the hash: Redis never holds a working cookie). Its Redis TTL only collects
garbage (set to the session's lifetime, on Redis's clock); whether a session is alive is decided
by :class:`~shieldwall.console.sessions.SessionPolicy` on the service's own clock.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import cast

import redis

from shieldwall.console.sessions import Session
from shieldwall.core.errors import StorageError


class RedisSessionStore:
    """Implements :class:`~shieldwall.console.sessions.SessionStore`."""

    def __init__(self, client: redis.Redis, *, tenant: str, ttl_seconds: int) -> None:
        self.client = client
        self.prefix = f"shieldwall:{tenant}:console:s:"
        self.ttl = max(1, ttl_seconds)

    @classmethod
    def from_url(cls, url: str, *, tenant: str, ttl_seconds: int) -> RedisSessionStore:
        return cls(redis.Redis.from_url(url), tenant=tenant, ttl_seconds=ttl_seconds)

    def put(self, key: str, session: Session) -> None:
        value = json.dumps(
            {
                "principal_id": session.principal_id,
                "csrf_token": session.csrf_token,
                "created_at": session.created_at.isoformat(),
                "last_seen": session.last_seen.isoformat(),
                "lang": session.lang,
            }
        )
        try:
            self.client.set(self.prefix + key, value, ex=self.ttl)
        except redis.RedisError as exc:
            raise StorageError(f"console sessions: Redis failed ({type(exc).__name__})") from None

    def get(self, key: str) -> Session | None:
        try:
            raw = cast(bytes | None, self.client.get(self.prefix + key))
        except redis.RedisError as exc:
            raise StorageError(f"console sessions: Redis failed ({type(exc).__name__})") from None
        if raw is None:
            return None
        data = json.loads(raw)
        return Session(
            data["principal_id"],
            data["csrf_token"],
            datetime.fromisoformat(data["created_at"]),
            datetime.fromisoformat(data["last_seen"]),
            data["lang"],
        )

    def delete(self, key: str) -> None:
        try:
            self.client.delete(self.prefix + key)
        except redis.RedisError as exc:
            raise StorageError(f"console sessions: Redis failed ({type(exc).__name__})") from None

    def clear(self) -> None:
        """Delete every session of this tenant (tests)."""
        for k in self.client.scan_iter(match=self.prefix + "*"):
            self.client.delete(k)
