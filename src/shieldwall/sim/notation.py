"""How the report writes a p-value or a score that sits at a limit, and the line explaining it.

Two limits meet the simulation's figures. The insider watch caps an alert's score at
:data:`~shieldwall.trace.watch.stats.MAX_SCORE` (99, −log10 of a tail bound), so a p-value of
1e-99 there means "1e-99 or smaller". A p-value below :data:`P_FLOOR` (1e-300, near the
smallest double) is written "< 1e-300": the arithmetic can no longer tell it from 0.
"""

from __future__ import annotations

from shieldwall.trace.watch.stats import MAX_SCORE

P_FLOOR = 1e-300
SCORE_CAP_NOTE = (
    f"The insider watch caps an alert's score at {MAX_SCORE:g} (p = 10^-score), so a score of"
    f" {MAX_SCORE:g} and a p-value of 1e-{MAX_SCORE:g} mean “at least this extreme”."
)
P_FLOOR_NOTE = "A p-value shown as “< 1e-300” is below what a double can tell from zero."


def score_capped(score: float | None) -> bool:
    """The watch's score sits at its cap (the true value may be higher)."""
    return score is not None and score >= MAX_SCORE


def p_text(p: float | None, capped: bool = False) -> str:
    """``1.2e-05``; ``≤ 1.0e-99`` when the score behind it is capped; ``< 1e-300`` at the
    floor; ``-`` when there is none."""
    if p is None:
        return "-"
    if p < P_FLOOR:
        return "< 1e-300"
    text = f"{p:.1e}" if p < 1e-3 else f"{p:.3g}"
    return f"≤ {text}" if capped else text


def notes_for(p_values: list[tuple[float | None, bool]]) -> list[str]:
    """The explanation lines the shown values need (none when nothing is at a limit)."""
    out = []
    if any(capped for p, capped in p_values if p is not None):
        out.append(SCORE_CAP_NOTE)
    if any(p is not None and p < P_FLOOR for p, _ in p_values):
        out.append(P_FLOOR_NOTE)
    return out
