"""The next steps of an alert: read it, act on its principal's key, open a case; printed as a
shell line that names the home it runs against."""

from __future__ import annotations

import shlex
from pathlib import Path

from shieldwall.sim.next_steps import command_line, next_steps

ALERT = {"alert_id": "alr_1", "principal_id": "agent-7", "severity": "high"}


def test_steps_for_an_active_and_a_suspended_principal() -> None:
    """Active: show, suspend with the alert, open a case; already suspended: reinstate instead."""
    steps = [s.argv for s in next_steps(ALERT, suspended=False)]
    assert steps == [
        ("alerts", "show", "alr_1"),
        ("principals", "suspend", "agent-7", "--alert", "alr_1"),
        ("cases", "open", "--source", "alert", "--ref", "alr_1"),
    ]
    again = [s.argv for s in next_steps(ALERT, suspended=True)]
    assert again[1] == ("principals", "reinstate", "agent-7", "--alert", "alr_1")


def test_command_line_quotes_the_home_for_a_shell() -> None:
    """A home with a space is quoted; a POSIX shell split gives back the variable and argv."""
    line = command_line(("alerts", "show", "alr_1"), Path("/tmp/a b/home"), "shieldwall")
    assert line == "SHIELDWALL_HOME='/tmp/a b/home' shieldwall alerts show alr_1"
    assert shlex.split(line) == [
        "SHIELDWALL_HOME=/tmp/a b/home",
        "shieldwall",
        "alerts",
        "show",
        "alr_1",
    ]
