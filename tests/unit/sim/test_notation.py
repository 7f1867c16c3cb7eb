"""p-values and scores at a limit are written as bounds and explained."""

from __future__ import annotations

from shieldwall.sim.notation import P_FLOOR_NOTE, SCORE_CAP_NOTE, notes_for, p_text, score_capped
from shieldwall.trace.watch.stats import binomial_surprise


def test_p_values_written_plainly_as_bounds_and_at_the_floor() -> None:
    """Small p in scientific notation; a capped score's p as "≤"; below 1e-300 (0.0 after
    underflow, or a subnormal) as "< 1e-300"; none as "-"."""
    assert p_text(None) == "-"
    assert p_text(0.012) == "0.012"
    assert p_text(3.2e-56) == "3.2e-56"
    assert p_text(1e-99, capped=True) == "≤ 1.0e-99"
    assert p_text(0.0) == "< 1e-300"
    assert p_text(5e-320) == "< 1e-300"


def test_a_score_the_watch_capped_is_recognised() -> None:
    """A binomial tail far beyond the cap (1,000 of 1,000 at p = 0.001: -log10 = 3000) comes
    back at the cap, which score_capped recognises; an ordinary score is not capped."""
    extreme = binomial_surprise(1000, 1000, 0.001)
    assert score_capped(extreme)
    assert not score_capped(20.0) and not score_capped(None)


def test_notes_only_for_what_is_shown() -> None:
    """One line per limit that a shown value reaches; none when nothing is at a limit."""
    assert notes_for([(1e-5, False), (None, False)]) == []
    assert notes_for([(1e-99, True)]) == [SCORE_CAP_NOTE]
    assert notes_for([(0.0, False), (1e-99, True)]) == [SCORE_CAP_NOTE, P_FLOOR_NOTE]
