"""docs/configuration.md is generated from config.py and must match it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from shieldwall.config import ENVIRONMENT
from shieldwall.config_reference import render, settings_rows

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
REGENERATE = "python -m shieldwall.config_reference > docs/configuration.md"


def test_the_committed_reference_matches_config() -> None:
    """The committed file is what the generator writes now (else: regenerate it)."""
    assert DOC.read_text(encoding="utf-8") == render(), f"out of date: run `{REGENERATE}`"


def test_every_setting_has_a_description() -> None:
    """A new setting without ``Field(description=...)`` fails here, naming it."""
    missing = [key for key, _, field, _ in settings_rows() if not field.description]
    assert missing == []


def test_every_environment_variable_is_listed_beside_its_setting() -> None:
    """Each SHIELDWALL_* variable appears on its setting's row."""
    text = render()
    for var, key in ENVIRONMENT.items():
        assert f"| `{key}` | `{var}` |" in text


def test_a_row_reads_as_worked_by_hand() -> None:
    """Type, default, bounds and description of two settings, as read from config.py."""
    text = render()
    assert (
        "| `api.worker_threads` |  | integer | `6` | ≥ 1, ≤ 200 |"
        " threads per worker for sync routes |"
    ) in text
    assert (
        '| `state_backend` | `SHIELDWALL_STATE_BACKEND` | "memory" \\| "redis" | `"memory"` |'
        in (text)
    )


def test_the_module_runs_as_a_script() -> None:
    """``python -m shieldwall.config_reference`` prints the reference."""
    out = subprocess.run(
        [sys.executable, "-m", "shieldwall.config_reference"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert out == render()
