"""A fresh SQLite home for CLI tests: initialised, customers imported, CLI caches cleared."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.core.model import Customer


@contextmanager
def cli_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, people: Sequence[Customer] = ()
) -> Iterator[Path]:
    """``SHIELDWALL_HOME`` at a new directory, ``shieldwall init`` run and ``people`` imported
    with ``shieldwall customers import``; the CLI's cached services closed afterwards."""
    h = tmp_path / "home"
    monkeypatch.setenv("SHIELDWALL_HOME", str(h))
    monkeypatch.delenv("SHIELDWALL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHIELDWALL_STATE_BACKEND", raising=False)
    common.settings.cache_clear()
    common.services.cache_clear()
    assert main(["init"]) == 0
    if people:
        path = tmp_path / "customers.csv"
        rows = ["customer_id,name,phone,email,address,national_id"] + [
            f"{c.customer_id},{c.name},{c.phone},{c.email},{c.address},{c.national_id}"
            for c in people
        ]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        assert main(["customers", "import", str(path)]) == 0
    try:
        yield h
    finally:
        if common.services.cache_info().currsize:
            common.services().close()
        common.settings.cache_clear()
        common.services.cache_clear()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``shieldwall ARGS`` in process: exit code, stdout, stderr (of this call only)."""
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err
