"""Custody's sliding logs (``custody.ports.SlidingLog``) in process: one worker's own count."""

from __future__ import annotations

import threading
from collections import deque


class MemorySlidingLog:
    def __init__(self) -> None:
        self._logs: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def add_if_below(self, key: str, now: float, since: float, limit: int) -> float | None:
        with self._lock:
            times = self._logs.setdefault(key, deque())
            while times and times[0] <= since:
                times.popleft()
            if len(times) >= limit:
                return times[0]
            times.append(now)
            return None
