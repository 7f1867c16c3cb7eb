"""The watch's state in Redis, for a service that runs several workers.

Records are plain string keys under ``shieldwall:<tenant>:watch:`` with a TTL, written in
pipelined batches (one round trip per batch of the watch); a new lease holder reads them all
back with ``SCAN`` + ``MGET``. The lease is one key set with ``NX PX`` and renewed or released
only by its owner (a compare-and-set in Lua, as the Redis documentation's single-instance lock
pattern does), so exactly one worker processes the log at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

import redis

from shieldwall.core.errors import StorageError

PIPELINE = 1000
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisWatchState:
    def __init__(self, client: redis.Redis, *, tenant: str = "default") -> None:
        self.client = client
        self.prefix = f"shieldwall:{tenant}:watch:"
        self.lease_key = f"shieldwall:{tenant}:watch-lease"
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, *, tenant: str = "default") -> RedisWatchState:
        return cls(redis.Redis.from_url(url), tenant=tenant)

    @property
    def durable(self) -> bool:
        return True

    def load_all(self) -> Iterator[tuple[str, bytes]]:
        start = len(self.prefix)
        try:
            batch: list[bytes] = []
            for key in self.client.scan_iter(match=self.prefix + "*", count=PIPELINE):
                batch.append(key)
                if len(batch) >= PIPELINE:
                    yield from self._fetch(batch, start)
                    batch = []
            yield from self._fetch(batch, start)
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def _fetch(self, keys: list[bytes], start: int) -> Iterator[tuple[str, bytes]]:
        if not keys:
            return
        values = cast(list[bytes | None], self.client.mget(keys))
        for key, value in zip(keys, values, strict=True):
            if value is not None:
                yield key.decode()[start:], value

    def put_many(self, items: Mapping[str, bytes], ttl_seconds: int) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for n, (key, value) in enumerate(items.items(), 1):
                pipe.set(self.prefix + key, value, ex=ttl_seconds)
                if n % PIPELINE == 0:
                    pipe.execute()
            pipe.execute()
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def acquire(self, owner: str, ttl_seconds: float) -> bool:
        try:
            got: Any = self._renew(keys=[self.lease_key], args=[owner, int(ttl_seconds * 1000)])
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        return bool(got)

    def release(self, owner: str) -> None:
        try:
            self._release(keys=[self.lease_key], args=[owner])
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def clear(self) -> int:
        """Delete every record and the lease (tests, and ``shieldwall watch reset``)."""
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=PIPELINE))
        keys.append(self.lease_key.encode())
        return int(self.client.delete(*keys))
