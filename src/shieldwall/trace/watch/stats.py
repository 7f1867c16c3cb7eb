"""How surprising a count is, on one scale for every detector: -log10 of a tail bound.

A detector compares what a principal did (``k`` of ``n`` customers, or ``k`` in a day) with
what its peers or its own past make expected. The score is ``-log10`` of the Chernoff bound on
the chance of seeing that much or more under the expected rate:

- binomial: ``P(X >= k) <= exp(-n * KL(k/n || p))`` (Chernoff 1952; Hoeffding 1963, Thm 1;
  Arratia & Gordon 1989 for the KL form);
- Poisson: ``P(X >= k) <= exp(-(k * ln(k/mu) - k + mu))``.

The bound is closed-form (no special functions on the hot path) and errs on the side of a
smaller score, so a score of 6 means "a chance of at most one in a million". Rates are
inflated by a tolerance before the test (odds times ``tolerance`` for proportions), because
people differ from their peers for good reasons and only a large, sustained difference should
surprise.
"""

from __future__ import annotations

import math

LN10 = math.log(10.0)
MAX_SCORE = 99.0


def binomial_surprise(k: float, n: float, p: float) -> float:
    """``-log10`` of the Chernoff bound on P(X >= k) for X ~ Binomial(n, p); 0 when k <= np."""
    if n <= 0 or k <= 0:
        return 0.0
    p = min(max(p, 1e-12), 1.0 - 1e-12)
    q = min(k / n, 1.0)
    if q <= p:
        return 0.0
    kl = q * math.log(q / p)
    if q < 1.0:
        kl += (1.0 - q) * math.log((1.0 - q) / (1.0 - p))
    return min(MAX_SCORE, n * kl / LN10)


def poisson_surprise(k: float, mu: float) -> float:
    """``-log10`` of the Chernoff bound on P(X >= k) for X ~ Poisson(mu); 0 when k <= mu."""
    if k <= 0:
        return 0.0
    mu = max(mu, 1e-12)
    if k <= mu:
        return 0.0
    return min(MAX_SCORE, (k * math.log(k / mu) - k + mu) / LN10)


def tolerate_odds(p: float, tolerance: float) -> float:
    """The proportion whose odds are ``tolerance`` times those of ``p`` (stays below 1)."""
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    odds = p / (1.0 - p) * tolerance
    return odds / (1.0 + odds)


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def quantile(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (``q`` in [0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[rank]
