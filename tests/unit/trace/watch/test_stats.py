"""The score scale: Chernoff bounds never claim more surprise than the exact tail."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from shieldwall.trace.watch.stats import (
    binomial_surprise,
    poisson_surprise,
    quantile,
    tolerate_odds,
)


@given(
    n=st.integers(1, 5000),
    frac=st.floats(0, 1),
    p=st.floats(1e-4, 0.99),
)
def test_binomial_bound_is_conservative(n: int, frac: float, p: float) -> None:
    """-log10 of the bound <= -log10 of the exact P(X >= k); zero at or below the mean."""
    k = round(frac * n)
    score = binomial_surprise(k, n, p)
    exact = stats.binom.sf(k - 1, n, p)
    if k <= n * p:
        assert score == 0.0
    if exact > 0:
        assert score <= -math.log10(exact) + 1e-9


@given(k=st.integers(0, 3000), mu=st.floats(0.01, 500))
def test_poisson_bound_is_conservative(k: int, mu: float) -> None:
    """Same for Poisson counts."""
    score = poisson_surprise(k, mu)
    exact = stats.poisson.sf(k - 1, mu)
    if k <= mu:
        assert score == 0.0
    if exact > 0:
        assert score <= -math.log10(exact) + 1e-9


def test_known_values_and_shape() -> None:
    """Ten of ten at p = 0.01 is 20 orders of magnitude; more of the same scores more."""
    assert binomial_surprise(10, 10, 0.01) == 20.0
    assert binomial_surprise(20, 40, 0.05) < binomial_surprise(40, 80, 0.05)
    assert poisson_surprise(5, 5) == 0.0 and poisson_surprise(50, 5) > 20


def test_tolerance_multiplies_odds_and_stays_a_proportion() -> None:
    """Odds times three: 0.25 becomes 0.5, tiny rates triple, nothing reaches 1."""
    assert tolerate_odds(0.25, 3) == 0.5
    assert math.isclose(tolerate_odds(0.001, 3), 0.003, rel_tol=0.01)
    assert tolerate_odds(0.99, 3) < 1 and tolerate_odds(0.0, 3) == 0.0


def test_quantile_nearest_rank() -> None:
    """The 90th percentile of 1..10 is 9; of nothing, None."""
    assert quantile([float(x) for x in range(10, 0, -1)], 0.9) == 9
    assert quantile([], 0.5) is None
