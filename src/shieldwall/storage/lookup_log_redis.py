"""Custody's sliding logs (``custody.ports.SlidingLog``) in Redis, shared by every worker.

One sorted set per key (member and score: the event time), trimmed, counted and appended in
one Lua script so concurrent workers cannot both take the last slot; the key expires one
window after its last entry.
"""

from __future__ import annotations

import secrets

import redis

from shieldwall.core.errors import StorageError

_ADD_IF_BELOW = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[2])
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
  return oldest[2]
end
redis.call('zadd', KEYS[1], ARGV[1], ARGV[1] .. ':' .. ARGV[4])
redis.call('pexpire', KEYS[1], ARGV[5])
return false
"""


class RedisSlidingLog:
    def __init__(self, client: redis.Redis, *, tenant: str = "default", name: str) -> None:
        self.client = client
        self.prefix = f"shieldwall:{tenant}:{name}:"
        self._script = client.register_script(_ADD_IF_BELOW)

    @classmethod
    def from_url(cls, url: str, *, tenant: str = "default", name: str) -> RedisSlidingLog:
        return cls(redis.Redis.from_url(url), tenant=tenant, name=name)

    def add_if_below(self, key: str, now: float, since: float, limit: int) -> float | None:
        ttl_ms = max(int((now - since) * 1000) + 1000, 1000)
        try:
            oldest = self._script(
                keys=[self.prefix + key],
                args=[repr(now), repr(since), limit, secrets.token_hex(4), ttl_ms],
            )
        except redis.RedisError as exc:
            raise StorageError("the rate-limit store (Redis) is unavailable") from exc
        return None if oldest is None else float(oldest)
