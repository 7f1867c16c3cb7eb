"""The platform-wide wave detector: is the whole store under a credential-stuffing wave now?

A wave shows as the platform's failure rate, or its share of attempts on accounts that do not
exist, rising far above normal. "Normal" is a robust baseline: the median of the hourly rates of
the last ``baseline_hours`` (hours with too few attempts are skipped) and the median absolute
deviation (MAD, scaled by 1.4826 to estimate a standard deviation). The current rate is read
from the platform's short-window decayed counts. The level is 0 below
``median + max(4 MAD, median / 2, 3 points)`` and rises linearly to 1 at twice that threshold;
the engine raises everyone's unfamiliar logins by it (see :mod:`.engine`).

Median and MAD rather than mean and standard deviation because the baseline must not learn the
previous wave: an hour of attack is an outlier that moves a median little (Hampel's identifier).
"""

from __future__ import annotations

import math
import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass

MIN_HOUR_ATTEMPTS = 20.0
MAD_SCALE = 1.4826


@dataclass(frozen=True, slots=True)
class Baseline:
    hour: int
    hours_used: int
    failure_median: float
    failure_threshold: float
    unknown_median: float
    unknown_threshold: float


@dataclass(frozen=True, slots=True)
class WaveReading:
    level: float  # 0..1
    failure_rate: float
    unknown_rate: float
    baseline: Baseline | None


def _threshold(values: list[float]) -> tuple[float, float]:
    med = statistics.median(values)
    mad = statistics.median(abs(v - med) for v in values) * MAD_SCALE
    return med, med + max(4.0 * mad, 0.5 * med, 0.03)


class WaveDetector:
    """Reads the wave level from the platform counters, with a baseline cached per hour."""

    def __init__(
        self,
        hours: Callable[[int, int], list[tuple[int, float, float, float]]],
        *,
        baseline_hours: int = 168,
        min_hours: int = 6,
        min_attempts: float = 30.0,
    ) -> None:
        self._hours = hours
        self.baseline_hours = baseline_hours
        self.min_hours = min_hours
        self.min_attempts = min_attempts
        self._cached: Baseline | None = None
        self._cached_hour: int | None = None

    def baseline(self, hour: int) -> Baseline | None:
        if self._cached_hour == hour:
            return self._cached
        rows = self._hours(hour - self.baseline_hours, hour - 1)
        usable = [(a, f, u) for _, a, f, u in rows if a >= MIN_HOUR_ATTEMPTS]
        base = None
        if len(usable) >= self.min_hours:
            fmed, fthr = _threshold([min(f / a, 1.0) for a, f, _ in usable])
            umed, uthr = _threshold([min(u / a, 1.0) for a, _, u in usable])
            base = Baseline(hour, len(usable), fmed, fthr, umed, uthr)
        self._cached, self._cached_hour = base, hour
        return base

    def read(self, hour: int, attempts: float, failures: float, unknown: float) -> WaveReading:
        """The wave level now, from short-window platform ``attempts``, ``failures``,
        ``unknown``-account failures."""
        if attempts <= 0:
            return WaveReading(0.0, 0.0, 0.0, None)
        frate = failures / attempts
        urate = unknown / attempts
        base = self.baseline(hour)
        if base is None or attempts < self.min_attempts:
            return WaveReading(0.0, frate, urate, base)
        level = max(
            (frate - base.failure_threshold) / base.failure_threshold,
            (urate - base.unknown_threshold) / base.unknown_threshold,
        )
        return WaveReading(min(max(level, 0.0), 1.0), frate, urate, base)


class Unanswered:
    """How far the share of attempts the engine stopped and nobody answered is above its usual
    level: the failures that a blocked wave hides.

    The platform's failure rate counts password checks, and a stopped attempt often has none: a
    bot that is challenged goes away. So once the engine challenges a wave, its failures stop,
    the rate falls back to normal, the challenges end and the wave goes on unchallenged (the
    demo's distributed wave, seed 7: 5 of its 7 accounts were taken *after* it was first
    detected). This counts each decision and each stop (challenge or deny), less the stops that a
    passed step-up answered (a customer, not a bot), decayed over the short and the long window
    like the platform's counters, and gives the short window's share of unanswered stops minus
    the long window's: the usual share (customers who abandon a challenge, a store that never
    reports step-ups) cancels out, a surge of stops shows.

    Counted in process, as rates: each process of a deployment sees its share of the traffic,
    and the share of a share estimates the share (a step-up answered on another process than
    its challenge is balanced by the others'). Thread-safe; a time earlier than the last is
    counted without decay.
    """

    def __init__(self, short_tau: float, long_tau: float) -> None:
        self._taus = (short_tau, long_tau)
        self._lock = threading.Lock()
        self._t = 0.0
        # decided and unanswered stops, short window then long window
        self._counts = [0.0, 0.0, 0.0, 0.0]

    def _decay(self, now: float) -> None:
        dt = now - self._t
        if dt > 0:
            c = self._counts
            ks, kl = math.exp(-dt / self._taus[0]), math.exp(-dt / self._taus[1])
            c[0] *= ks
            c[1] *= ks
            c[2] *= kl
            c[3] *= kl
            self._t = now

    def decided(self, now: float, stopped: bool) -> None:
        """One decision at ``now``; ``stopped``: challenged or denied."""
        with self._lock:
            self._decay(now)
            c = self._counts
            c[0] += 1.0
            c[2] += 1.0
            if stopped:
                c[1] += 1.0
                c[3] += 1.0

    def answered(self, now: float) -> None:
        """A passed step-up at ``now``: one stop was a customer, not an attack."""
        with self._lock:
            self._decay(now)
            c = self._counts
            c[1] = max(c[1] - 1.0, 0.0)
            c[3] = max(c[3] - 1.0, 0.0)

    def excess(self, now: float) -> float:
        """The short window's share of unanswered stops above the long window's (0 at most
        times; 0 before any decision)."""
        with self._lock:
            self._decay(now)
            decided_s, stopped_s, decided_l, stopped_l = self._counts
            if decided_s <= 0 or decided_l <= 0:
                return 0.0
            return max(stopped_s / decided_s - stopped_l / decided_l, 0.0)
