"""The lookup rate limit: at most ``limit`` lookups per principal in any ``window`` seconds.

A sliding log (every admitted lookup's time kept for one window) rather than a fixed window:
a fixed window admits twice the limit across a boundary, which is exactly the burst a
harvester would time. Refused attempts are not logged, so a caller that waits the
``retry_after`` it was told is admitted. The log lives behind :class:`SlidingLog`
(``shieldwall.storage``: in process, or Redis when several workers share the limit); the
clock is injected. This is custody's own policy rule for lookups, separate from any HTTP
per-key or per-address limit in front of the API.
"""

from __future__ import annotations

from shieldwall.core.clock import Clock
from shieldwall.custody.ports import SlidingLog


class LookupLimit:
    """Admits a principal's lookup or says how many seconds until it would be admitted."""

    def __init__(self, log: SlidingLog, clock: Clock, *, limit: int, window_seconds: float) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.log = log
        self.clock = clock
        self.limit = limit
        self.window = window_seconds

    def admit(self, principal_id: str) -> float | None:
        """None when admitted (and counted); else the seconds until a slot frees."""
        now = self.clock.now().timestamp()
        oldest = self.log.add_if_below(principal_id, now, now - self.window, self.limit)
        if oldest is None:
            return None
        return max(oldest + self.window - now, 0.0)
