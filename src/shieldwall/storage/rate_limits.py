"""Where the API's rate-limit counters live: in process, or in Redis shared by every worker.

The counters are the ``limits`` library's moving windows (its lists and key names). This module
picks their storage from the settings and gives the API a way to count one request in several
windows at once, all or none (:class:`MemoryWindows` here; on Redis
:class:`shieldwall.storage.rate_limits_redis.RedisWindows`, one script run). Keys are
``<key_prefix>:<tenant>:...`` and hold keyed tags, never an address or a principal's name (see
:mod:`shieldwall.api.ratelimit`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from limits.storage import MemoryStorage, RedisStorage, Storage

from shieldwall.config import Settings
from shieldwall.core.extras import REDIS_FEATURE, require_extra

Window = tuple[str, int, int]
"""A window to count one request in: the ``limits`` key (without prefix), limit, seconds."""


class Windows(Protocol):
    """Counts one request in several moving windows, all or none."""

    blocking: bool  # True when a count waits on the network

    def acquire(self, windows: Sequence[Window], now: float) -> list[tuple[int, float]]:
        """Count one request at ``now`` in every window, or in none when any is spent: then
        return each spent window's index and its limit-th newest entry (the window frees a
        slot when that entry is ``seconds`` old)."""
        ...

    def acquire_many(
        self, requests: Sequence[Sequence[Window]], now: float
    ) -> list[list[tuple[int, float]]]:
        """:meth:`acquire` for each request in turn, each seeing the ones before it."""
        ...


class MemoryWindows:
    """:class:`Windows` on the library's process memory, atomic under one lock (its moving
    windows read the library's clock, ``time.time``, which is what ``now`` is)."""

    blocking = False

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage
        self._lock = threading.Lock()

    def acquire(self, windows: Sequence[Window], now: float) -> list[tuple[int, float]]:
        with self._lock:
            spent = []
            for index, (key, limit, seconds) in enumerate(windows):
                oldest, count = self._storage.get_moving_window(key, limit, seconds)
                if count >= limit:  # the window holds ``limit`` entries, the oldest first out
                    spent.append((index, oldest))
            if not spent:
                for key, limit, seconds in windows:
                    self._storage.acquire_entry(key, limit, seconds)
            return spent

    def acquire_many(
        self, requests: Sequence[Sequence[Window]], now: float
    ) -> list[list[tuple[int, float]]]:
        return [self.acquire(windows, now) for windows in requests]


def rate_limit_storage(settings: Settings) -> Storage:
    """Redis when ``state_backend`` is ``redis`` (several workers must share one count),
    else process memory. Backend errors are wrapped in ``limits.errors.StorageError``."""
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        return RedisStorage(settings.redis_url, key_prefix=_prefix(settings), wrap_exceptions=True)
    return MemoryStorage(wrap_exceptions=True)


def rate_limit_windows(settings: Settings) -> Windows:
    """The API's all-or-none counter, where :func:`rate_limit_storage` keeps its lists: Redis
    when ``state_backend`` is ``redis``, else process memory. Backend errors are
    :class:`~shieldwall.core.errors.StorageError`."""
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.rate_limits_redis import RedisWindows  # noqa: PLC0415 - needs redis

        return RedisWindows.from_url(settings.redis_url, _prefix(settings))
    return MemoryWindows(MemoryStorage(wrap_exceptions=True))


def _prefix(settings: Settings) -> str:
    return f"{settings.api.rate_limits.key_prefix}:{settings.tenant}"
