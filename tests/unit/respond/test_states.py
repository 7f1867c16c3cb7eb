"""The case state machine: every (from, to) pair of the five states, against the moves the
issue and docs/respond.md name, written out here by hand."""

from __future__ import annotations

import itertools

import pytest

from shieldwall.respond.errors import CaseInvalid, InvalidTransition
from shieldwall.respond.states import CaseState, allowed, check_transition, parse_state

# The allowed moves, written independently of the table in states.py.
ALLOWED = {
    ("open", "investigating"),
    ("open", "contained"),
    ("open", "closed"),
    ("investigating", "contained"),
    ("investigating", "closed"),
    ("contained", "investigating"),
    ("contained", "notified"),
    ("contained", "closed"),
    ("notified", "investigating"),
    ("notified", "closed"),
    ("closed", "investigating"),
}
PAIRS = list(itertools.product([s.value for s in CaseState], repeat=2))


def test_there_are_five_states() -> None:
    """The issue's five states and no others."""
    assert [s.value for s in CaseState] == [
        "open",
        "investigating",
        "contained",
        "notified",
        "closed",
    ]


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_every_pair_is_allowed_exactly_when_listed(current: str, target: str) -> None:
    """All 25 pairs: the listed ones pass, every other one raises InvalidTransition."""
    a, b = CaseState(current), CaseState(target)
    assert allowed(a, b) == ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        check_transition(a, b)
    else:
        with pytest.raises(InvalidTransition) as caught:
            check_transition(a, b)
        assert caught.value.code == "invalid_transition"
        assert f"from {current} to {target}" in caught.value.reason


def test_no_state_moves_to_itself() -> None:
    """Staying in place is not a transition (it would write a timeline entry for nothing)."""
    assert not any(allowed(s, s) for s in CaseState)


def test_unknown_state_is_a_field_error() -> None:
    """A state outside the five: CaseInvalid naming the field and the options."""
    with pytest.raises(CaseInvalid) as caught:
        parse_state("resolved", "to")
    assert caught.value.field == "to"
    assert "investigating" in caught.value.reason
