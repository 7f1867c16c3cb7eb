"""``python -m shieldwall.demo``: a usage error for unknown arguments, and it never deletes a
directory that is not a previous demo's output."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldwall import demo


def test_unknown_argument_is_a_usage_error() -> None:
    """Only ``custody`` (or nothing) is understood."""
    assert demo.main(["nope"]) == 2


def test_foreign_output_directory_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo-sim directory without a scorecard or a home is not the demo's: refused, kept."""
    monkeypatch.setenv("SHIELDWALL_HOME", str(tmp_path))
    mine = tmp_path / "demo-sim"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert demo.main([]) == 1
    assert (mine / "notes.txt").read_text() == "keep me"
