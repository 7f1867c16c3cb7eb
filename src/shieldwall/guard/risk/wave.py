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

import statistics
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
