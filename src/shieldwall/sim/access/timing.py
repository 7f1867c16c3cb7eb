"""Time in the access world: units of local seconds, and the draws of when things happen."""

from __future__ import annotations

import math
import random

DAY = 86_400.0
HOUR = 3_600.0
MINUTE = 60.0


def working_hours(t: float, start: int, end: int, rng: random.Random) -> float:
    """``t``, or the next working morning when ``t`` falls outside ``start``-``end`` local."""
    day = math.floor(t / DAY)
    hour = (t - day * DAY) / HOUR
    if start <= hour < end:
        return t
    if hour >= end:
        day += 1
    return day * DAY + (start + rng.uniform(0, 2)) * HOUR


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above 50)."""
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
