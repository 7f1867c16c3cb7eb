"""The next step for each alert, as commands a person can paste.

Pure: an alert (as ``GET /v1/alerts`` returns it) and what the team already did give the
``shieldwall`` commands that follow, as argument lists; :func:`command_line` writes one as a
shell line with the home it must run against. The commands are the CLI's own: ``alerts show``
(the alert, its reasons and the audit entries behind it), ``principals suspend --alert`` (stop
the principal's key while it is investigated; ``principals reinstate`` when it already is) and
``cases open --source alert --ref`` (an incident case from the alert).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Step:
    why: str
    argv: tuple[str, ...]  # after ``shieldwall``


def next_steps(alert: Mapping[str, Any], suspended: bool) -> tuple[Step, ...]:
    """Read the alert; suspend its principal (or, already suspended, reinstate it once cleared);
    open a case from it."""
    alert_id, principal = str(alert["alert_id"]), str(alert["principal_id"])
    if suspended:
        key = Step(
            "once cleared, give the key back",
            ("principals", "reinstate", principal, "--alert", alert_id),
        )
    else:
        key = Step(
            "stop its key while you look", ("principals", "suspend", principal, "--alert", alert_id)
        )
    return (
        Step("read the reasons and the records behind it", ("alerts", "show", alert_id)),
        key,
        Step("open a case", ("cases", "open", "--source", "alert", "--ref", alert_id)),
    )


def command_line(argv: Sequence[str], home: Path, program: str) -> str:
    """``SHIELDWALL_HOME=HOME PROGRAM ARGV...``, quoted for a POSIX shell."""
    return f"SHIELDWALL_HOME={shlex.quote(str(home))} {shlex.join([program, *argv])}"
