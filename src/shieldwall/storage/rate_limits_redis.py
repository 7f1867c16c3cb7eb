"""The API's moving windows on Redis, every window of a request in one script run.

The ``limits`` library counts one window per call, so a login request under two rules (per key and
per address) cost two round trips before any work; here one ``EVALSHA`` checks and counts them
all. The lists are the library's own (the newest timestamp first, trimmed to the limit, expiring
after the window) under the same key names (``<prefix>:LIMITER/<rule>/<tag>/<amount>/<multiples>/
<granularity>``), so processes of either kind count together and the library's ``reset`` clears
them.

All or none: when any window is spent nothing is counted in any (a refused request uses no one's
allowance) and the reply names each spent window with its limit-th newest entry, from which the
caller computes when it frees a slot.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from shieldwall.core.errors import StorageError
from shieldwall.storage.rate_limits import Window
from shieldwall.storage.redis_script import FastScript

_ACQUIRE = """
local now = tonumber(ARGV[1])
local spent = {}
for i = 2, #ARGV, 3 do
  local entry = redis.call('LINDEX', ARGV[i], tonumber(ARGV[i + 1]) - 1)
  if entry and tonumber(entry) >= now - tonumber(ARGV[i + 2]) then
    spent[#spent + 1] = (i - 2) / 3
    spent[#spent + 1] = entry
  end
end
if #spent > 0 then
  return spent
end
for i = 2, #ARGV, 3 do
  redis.call('LPUSH', ARGV[i], ARGV[1])
  redis.call('LTRIM', ARGV[i], 0, tonumber(ARGV[i + 1]) - 1)
  redis.call('EXPIRE', ARGV[i], ARGV[i + 2])
end
return spent
"""


class RedisWindows:
    """Moving windows in Redis under ``prefix``; thread-safe (its lane is)."""

    blocking = True

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._script = FastScript(client, _ACQUIRE)
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisWindows:
        return cls(redis.Redis.from_url(url), prefix)

    def acquire(self, windows: Sequence[Window], now: float) -> list[tuple[int, float]]:
        """:meth:`shieldwall.storage.rate_limits.Windows.acquire` in one round trip."""
        return self.acquire_many([windows], now)[0]

    def acquire_many(
        self, requests: Sequence[Sequence[Window]], now: float
    ) -> list[list[tuple[int, float]]]:
        """:meth:`shieldwall.storage.rate_limits.Windows.acquire_many`: one script run per
        request, all in one round trip."""
        calls: list[list[str | int]] = []
        for windows in requests:
            args: list[str | int] = [repr(now)]
            for key, limit, seconds in windows:
                args += [f"{self._prefix}:{key}", limit, seconds]
            calls.append(args)
        try:
            replies = self._script.call_many(calls)
        except redis.RedisError as exc:
            raise StorageError(f"rate-limit storage is unavailable: {type(exc).__name__}") from None
        return [
            [(int(reply[i]), float(reply[i + 1])) for i in range(0, len(reply), 2)]
            for reply in replies
        ]
