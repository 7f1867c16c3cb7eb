"""Tardos codewords and scoring: biases follow the cut-off arcsine law, bits follow their biases,
the Chernoff bound is a true bound for innocent recipients, and colluders are caught."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.trace.releases.tardos import TardosKeys, code_length, cutoff, score, term

KEYS = TardosKeys(b"k" * 32, c=5)


def positions(n: int, salt: str = "") -> list[bytes]:
    return [KEYS.position("building", f"{salt}{i}".encode()) for i in range(n)]


def test_biases_follow_cut_off_arcsine() -> None:
    """Biases stay in [t, 1-t] and have the arcsine law's mean 1/2 and quartiles."""
    p = np.array([KEYS.bias(x) for x in positions(20_000)])
    t = cutoff(5)
    assert p.min() >= t - 1e-12 and p.max() <= 1 - t + 1e-12
    assert abs(p.mean() - 0.5) < 0.01
    # arcsine CDF: F(x) = 2/pi * asin(sqrt(x)); F(0.1464) ~ 0.25
    assert abs(np.mean(p < 0.1464) - 0.25) < 0.015


def test_bits_follow_biases_and_differ_per_recipient() -> None:
    """A recipient's bit is 1 with probability p; two recipients' bits are independent."""
    pos = positions(20_000)
    a, b = KEYS.recipient("a"), KEYS.recipient("b")
    p = np.array([KEYS.bias(x) for x in pos])
    xa = np.array([a.bit(x) for x in pos])
    xb = np.array([b.bit(x) for x in pos])
    assert abs(xa.mean() - p.mean()) < 0.015
    assert abs(np.mean(xa * xb) - np.mean(p * p)) < 0.015
    assert [a.bit(x) for x in pos[:50]] == [KEYS.recipient("a").bit(x) for x in pos[:50]]


@given(st.floats(0.001, 0.999), st.integers(0, 1))
@settings(max_examples=200)
def test_terms_have_mean_zero_and_unit_variance(p: float, y: int) -> None:
    """Under innocence each symmetric term has mean 0 and variance 1, whatever the leak bit."""
    mean = p * term(1, y, p) + (1 - p) * term(0, y, p)
    var = p * term(1, y, p) ** 2 + (1 - p) * term(0, y, p) ** 2
    assert abs(mean) < 1e-9 and abs(var - 1) < 1e-9


def test_false_accusation_bound_holds_over_many_innocents() -> None:
    """2,000 innocent recipients against one leak: the share at p <= 10^-k stays below 10^-k
    and nobody is accused at 1e-6."""
    pos = positions(400, "fa")
    p = [KEYS.bias(x) for x in pos]
    coalition = [KEYS.recipient(f"c{i}") for i in range(3)]
    rng = random.Random(5)
    leaked = [rng.choice(coalition).bit(x) for x in pos]
    logs = []
    for j in range(2000):
        rc = KEYS.recipient(f"innocent-{j}")
        logs.append(score([rc.bit(x) for x in pos], leaked, p).log10_p)
    logs_arr = np.array(logs)
    for level in (-1, -2):
        assert np.mean(logs_arr <= level) <= 10.0**level
    assert np.sum(logs_arr <= -3) <= 6  # Poisson(2) would exceed 6 with probability 0.5%
    assert logs_arr.min() > -6


def test_colluders_found_with_enough_positions() -> None:
    """Five colluders mixing their copies at random are each accused at 1e-6 over 4,000
    positions; no innocent among 200 is."""
    pos = positions(4000, "col")
    p = [KEYS.bias(x) for x in pos]
    coalition = [KEYS.recipient(f"k{i}") for i in range(5)]
    rng = random.Random(9)
    leaked = [rng.choice(coalition).bit(x) for x in pos]
    for rc in coalition:
        assert score([rc.bit(x) for x in pos], leaked, p).log10_p <= -6
    for j in range(200):
        rc = KEYS.recipient(f"inn{j}")
        assert score([rc.bit(x) for x in pos], leaked, p).log10_p > -6


def test_bound_versus_exact_small_case() -> None:
    """For 12 positions the exact tail (enumerated) never exceeds the Chernoff bound."""
    pos = positions(12, "ex")
    p = [KEYS.bias(x) for x in pos]
    leaked = [1, 0] * 6
    scores, probs = [], []
    for mask in range(1 << 12):
        bits = [(mask >> i) & 1 for i in range(12)]
        prob = math.prod(pi if b else 1 - pi for b, pi in zip(bits, p, strict=True))
        scores.append(sum(term(b, y, pi) for b, y, pi in zip(bits, leaked, p, strict=True)))
        probs.append(prob)
    order = np.argsort(scores)
    for k in order[-200::20]:
        s = scores[k]
        exact = sum(pr for sc, pr in zip(scores, probs, strict=True) if sc >= s - 1e-12)
        bits = [(int(k) >> i) & 1 for i in range(12)]
        bound = 10 ** score(bits, leaked, p).log10_p
        assert exact <= bound * (1 + 1e-9)


def test_score_validation_and_code_length() -> None:
    """Mismatched lengths are refused; no positions means p = 1; Tardos' length for c=5."""
    with pytest.raises(ValueError, match="same length"):
        score([1], [1, 0], [0.5])
    assert score([], [], []).log10_p == 0.0
    assert code_length(5, 1e-6) == 100 * 25 * 14
