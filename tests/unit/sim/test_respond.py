"""The simulated response's pure parts: losses drawn per customer, and the terminal lines."""

from __future__ import annotations

from typing import Any

from shieldwall.cli.simulate import response_lines
from shieldwall.sim.respond import loss_fen


def test_a_loss_is_whole_yuan_in_range_and_the_same_for_the_same_customer() -> None:
    """500 to 30 000 yuan in whole yuan (fen divisible by 100), fixed by seed and customer."""
    losses = [loss_fen(7, f"C{n:05d}") for n in range(500)]
    assert all(50_000 <= x <= 3_000_000 and x % 100 == 0 for x in losses)
    assert losses == [loss_fen(7, f"C{n:05d}") for n in range(500)]
    assert len(set(losses)) > 400  # drawn, not constant
    assert [loss_fen(8, f"C{n:05d}") for n in range(20)] != losses[:20]


def test_response_lines_show_hours_and_yuan() -> None:
    """Hours to one decimal, '-' where a step was not reached, 'no harm done' where an attack
    harmed nobody, fen as yuan with two decimals (123456 fen is 1234.56 yuan)."""
    resp: dict[str, Any] = {
        "cases": [
            {"contained_at": "t", "notified_at": "t"},
            {"contained_at": None, "notified_at": None},
        ],
        "timing": {
            "harvest": {
                "first_harm": "t",
                "to_case_h": 2.46,
                "to_contained_h": 2.46,
                "to_notified_h": 6.5,
            },
            "outlet": {
                "first_harm": None,
                "to_case_h": None,
                "to_contained_h": None,
                "to_notified_h": None,
            },
            "scam": {
                "first_harm": "t",
                "to_case_h": 3.0,
                "to_contained_h": None,
                "to_notified_h": None,
            },
        },
        "money": {
            "deceived": 2,
            "lost_fen": 123456,
            "compensated_fen": 100005,
            "advanced_fen": 0,
            "claims_paid": 1,
            "claims_open": 1,
        },
    }
    lines = response_lines(resp)
    assert lines[0] == "cases: 2 (1 contained, 1 notified); from first harm to:"
    assert lines[2].split() == ["harvest", "2.5", "h", "2.5", "h", "6.5", "h"]
    assert lines[3].split() == ["outlet", "no", "harm", "done"]
    assert lines[4].split() == ["scam", "3.0", "h", "-", "-"]
    assert lines[5] == (
        "money: 2 deceived lost 1234.56 yuan; compensated 1000.05 yuan (0.00 advanced);"
        " claims 1 paid, 1 open"
    )
    assert response_lines({"enabled": True}) == []
