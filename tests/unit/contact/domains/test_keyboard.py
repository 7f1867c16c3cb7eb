"""QWERTY adjacency and the keyboard-aware edit distance."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shieldwall.contact.domains.keyboard import keyboard_distance, neighbours


def test_neighbours_follow_the_board() -> None:
    """Adjacency comes from key geometry: g touches f h t y v b and nothing else."""
    assert neighbours("g") == frozenset("fhtyvb")
    assert "p" not in neighbours("q")
    assert neighbours("€") == frozenset()


def test_typing_slips_cost_less_than_other_edits() -> None:
    """A neighbouring key, a doubled letter and a swap cost 0.5; a far key costs 1."""
    assert keyboard_distance("jimgdong", "jingdong") == 0.5
    assert keyboard_distance("jingdongg", "jingdong") == 0.5
    assert keyboard_distance("jingdnog", "jingdong") == 0.5
    assert keyboard_distance("jingdong", "jingdong") == 0.0
    assert keyboard_distance("jingdonq", "jingdong") == 1.0
    assert keyboard_distance("jingdon", "jingdong") == 0.75


def test_limit_cuts_off_early() -> None:
    """Beyond the limit the function answers limit + 1 instead of the exact cost."""
    assert keyboard_distance("zzzzzzzz", "jingdong", limit=2.0) == 3.0


@given(st.text(alphabet="abcdefghij-", max_size=10), st.text(alphabet="abcdefghij-", max_size=10))
def test_distance_is_bounded_by_plain_edits(a: str, b: str) -> None:
    """Weighted cost is never above the plain edit count and zero only for equal strings."""
    cost = keyboard_distance(a, b, limit=100.0)
    assert cost <= max(len(a), len(b))
    assert (cost == 0) == (a == b)
