"""A database that is gone or not initialised gives one clear line, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.cli.app import main


@pytest.fixture(autouse=True)
def fresh_cli_caches() -> None:
    common.settings.cache_clear()
    common.services.cache_clear()


def test_unreachable_postgres(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PostgreSQL URL nobody answers on is reported as unreachable (exit 1)."""
    monkeypatch.setenv("SHIELDWALL_HOME", str(tmp_path))
    monkeypatch.setenv(
        "SHIELDWALL_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    )
    code = main(["init"])
    err = capsys.readouterr().err
    assert (
        code == 1 and err.startswith("error: the database is unreachable") and err.count("\n") == 1
    )


def test_bad_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A config file with an unknown setting names it."""
    cfg = tmp_path / "shieldwall.toml"
    cfg.write_text("[custody]\nticket_ttl_hours = -1\n")
    monkeypatch.setenv("SHIELDWALL_HOME", str(tmp_path))
    monkeypatch.delenv("SHIELDWALL_DATABASE_URL", raising=False)
    assert main(["init"]) == 1
    assert "custody.ticket_ttl_hours" in capsys.readouterr().err
