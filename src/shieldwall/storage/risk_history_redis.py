"""The risk engine's decision history in Redis, shared by every worker of the service.

A batch of events is one Lua script (atomic, one round trip) doing what
:class:`~shieldwall.storage.risk_history_memory.MemoryDecisionHistory` does. Keys live under
``shieldwall:<tenant>:riskhist:``:

- ``h:<hour>``     hash ``allow|challenge|deny|failure`` of one hour's counts
- ``z``            sorted set of the accounts under attack, scored by their last event
- ``a:<account>``  hash ``first``, ``last``, ``challenge``, ``deny``, ``failure``, ``known``
- ``s:<account>``  set of the addresses (tags) seen, at most ``sources_cap``
- ``newest``       the newest hour counted

Times inside values are the engine's clock; which accounts leave the list is decided on them.
Redis TTLs (wall clock, longer than the kept days and the window) only collect garbage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis

from shieldwall.core.errors import StorageError
from shieldwall.guard.risk.history import (
    KINDS,
    AccountPressure,
    DecisionEvent,
    HistoryBounds,
    HourCounts,
    rank,
)
from shieldwall.storage.risk_history_buffer import BufferedWrites

_RECORD = """
local P = ARGV[1]
local window = tonumber(ARGV[2])
local maxn = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local hour_ttl = tonumber(ARGV[5])
local acct_ttl = tonumber(ARGV[6])
local n = tonumber(ARGV[7])
local Z = P .. 'z'
local function fmt(x) return string.format('%.17g', x) end
local latest = nil
local newest = tonumber(redis.call('GET', P .. 'newest'))
for i = 0, n - 1 do
  local b = 8 + i * 6
  local at = tonumber(ARGV[b])
  local hour = ARGV[b + 1]
  local kind = ARGV[b + 2]
  local acct = ARGV[b + 3]
  local src = ARGV[b + 4]
  local known = ARGV[b + 5]
  local hk = P .. 'h:' .. hour
  redis.call('HINCRBY', hk, kind, 1)
  redis.call('EXPIRE', hk, hour_ttl)
  if newest == nil or tonumber(hour) > newest then newest = tonumber(hour) end
  if kind ~= 'allow' then
    local ak = P .. 'a:' .. acct
    local sk = P .. 's:' .. acct
    local last = tonumber(redis.call('HGET', ak, 'last'))
    if last == nil or last < at - window then
      redis.call('DEL', ak, sk)
      redis.call('HSET', ak, 'first', fmt(at))
      last = at
    end
    if at > last then last = at end
    redis.call('HSET', ak, 'last', fmt(last))
    redis.call('HINCRBY', ak, kind, 1)
    if known ~= '' then redis.call('HSET', ak, 'known', known) end
    if redis.call('SCARD', sk) < cap then redis.call('SADD', sk, src) end
    redis.call('EXPIRE', ak, acct_ttl)
    redis.call('EXPIRE', sk, acct_ttl)
    redis.call('ZADD', Z, last, acct)
    if latest == nil or at > latest then latest = at end
  end
end
redis.call('SET', P .. 'newest', newest, 'EX', hour_ttl)
if latest ~= nil then
  local gone = redis.call('ZRANGEBYSCORE', Z, '-inf', '(' .. fmt(latest - window))
  local over = redis.call('ZCARD', Z) - #gone - maxn
  if over > 0 then
    local oldest = redis.call('ZRANGE', Z, #gone, #gone + over - 1)
    for _, m in ipairs(oldest) do gone[#gone + 1] = m end
  end
  for _, m in ipairs(gone) do
    redis.call('ZREM', Z, m)
    redis.call('DEL', P .. 'a:' .. m, P .. 's:' .. m)
  end
end
return 1
"""

_UNDER_ATTACK = """
local P = ARGV[1]
local members = redis.call('ZRANGEBYSCORE', P .. 'z', ARGV[2], '+inf')
local out = {}
for i, m in ipairs(members) do
  local h = redis.call('HMGET', P .. 'a:' .. m, 'first', 'last', 'challenge', 'deny', 'failure',
                       'known')
  out[i] = {m, h[1] or '', h[2] or '', h[3] or '0', h[4] or '0', h[5] or '0', h[6] or '',
            redis.call('SCARD', P .. 's:' .. m)}
end
return out
"""


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisDecisionHistory(BufferedWrites):
    """``buffer`` and ``linger_seconds``: see :class:`~.risk_history_buffer.BufferedWrites`
    (a batch is one script call). With a buffer, an ``assess`` costs the state's one round
    trip and no history write most of the time."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        tenant: str = "default",
        bounds: HistoryBounds | None = None,
        buffer: int = 1,
        linger_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(buffer=buffer, linger_seconds=linger_seconds, monotonic=monotonic)
        self._bounds = bounds or HistoryBounds()
        self.client = client
        self.prefix = f"shieldwall:{tenant}:riskhist:"
        self._record = client.register_script(_RECORD)
        self._under_attack = client.register_script(_UNDER_ATTACK)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        tenant: str = "default",
        bounds: HistoryBounds | None = None,
        buffer: int = 1,
        linger_seconds: float = 5.0,
    ) -> RedisDecisionHistory:
        return cls(
            redis.Redis.from_url(url),
            tenant=tenant,
            bounds=bounds,
            buffer=buffer,
            linger_seconds=linger_seconds,
        )

    @property
    def bounds(self) -> HistoryBounds:
        return self._bounds

    def _write(self, events: Sequence[DecisionEvent]) -> None:
        b = self._bounds
        args: list[Any] = [
            self.prefix,
            repr(b.window_seconds),
            b.max_accounts,
            b.sources_cap,
            (b.days + 1) * 86_400,
            int(b.window_seconds) + 86_400,
            len(events),
        ]
        for e in events:
            known = "" if e.account_known is None else ("1" if e.account_known else "0")
            args += [repr(e.at), e.hour, e.kind.value, e.account, e.source, known]
        try:
            self._record(keys=[], args=args)
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def hours(self, first: int, last: int) -> list[HourCounts]:
        self.flush()
        span = range(first, last + 1)
        try:
            pipe = self.client.pipeline(transaction=False)
            for h in span:
                pipe.hmget(self.prefix + f"h:{h}", [k.value for k in KINDS])
            rows = cast(list[list[Any]], pipe.execute())
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        return [
            HourCounts(h, *(int(v) if v is not None else 0 for v in row))
            for h, row in zip(span, rows, strict=True)
        ]

    def newest_hour(self) -> int | None:
        self.flush()
        try:
            value = self.client.get(self.prefix + "newest")
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        return None if value is None else int(_s(value))

    def under_attack(self, now: float, limit: int = 20) -> list[AccountPressure]:
        self.flush()
        horizon = repr(now - self._bounds.window_seconds)
        try:
            rows = cast(list[list[Any]], self._under_attack(keys=[], args=[self.prefix, horizon]))
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        found = []
        for m, first, last, ch, de, fa, known, sources in rows:
            if not _s(last):  # the hash expired under a member (garbage collection raced)
                continue
            k = _s(known)
            found.append(
                AccountPressure(
                    _s(m),
                    float(_s(first)),
                    float(_s(last)),
                    int(_s(ch)),
                    int(_s(de)),
                    int(_s(fa)),
                    int(sources),
                    None if not k else k == "1",
                )
            )
        return rank(found, limit)

    def clear(self) -> None:
        """Delete every key of this tenant's history (tests)."""
        self._drop_pending()
        for key in self.client.scan_iter(match=self.prefix + "*", count=1000):
            self.client.delete(key)
