"""Issue #10 point 10 (audit part): `alerts show` reports a tampered audit entry as failed
evidence (exit 1) instead of printing a traceback."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(55).customers(6)
REASON = "customer fainted on the phone, need the address"


@pytest.fixture
def alert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, dict]]:  # type: ignore[type-arg]
    """A home with one break-glass alert raised by the insider watch."""
    with cli_home(tmp_path, monkeypatch, PEOPLE) as home:
        assert main(["principals", "add", "agent-li", "--role", "agent", "--unit", "cs-1"]) == 0
        code = main(
            [
                *("customers", "break-glass", PEOPLE[2].customer_id),
                *("--as", "agent-li", "--reason", REASON),
            ]
        )
        assert code == 0 and main(["watch", "run", "--once"]) == 0
        yield home, _alerts()[0]


def _alerts() -> list[dict]:  # type: ignore[type-arg]
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["alerts", "list", "--kind", "break_glass_misuse", "--json"]) == 0
    return json.loads(buf.getvalue())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_entries SET body = 'not an entry' WHERE seq = ?",
        "UPDATE audit_entries SET body = replace(body, 'break_glass', 'bogus') WHERE seq = ?",
        "DELETE FROM audit_entries WHERE seq = ?",
    ],
)
def test_alerts_show_reports_an_unreadable_or_deleted_entry_as_failed(
    alert: tuple[Path, dict],  # type: ignore[type-arg]
    capsys: pytest.CaptureFixture[str],
    tamper: str,
) -> None:
    """An entry made unreadable or deleted is shown as FAILED evidence, exit 1, no traceback."""
    home, found = alert
    seq = found["audit_seqs"][0]
    with sqlite3.connect(home / "shieldwall.db") as db:
        db.execute(tamper, (seq,))
    common.services().close()
    common.services.cache_clear()
    code, out, err = run_cli(capsys, "alerts", "show", found["alert_id"])
    assert code == 1 and "FAILED" in out and "Traceback" not in out + err
    code, out, _ = run_cli(capsys, "alerts", "show", found["alert_id"], "--json")
    entry = next(e for e in json.loads(out)["evidence"]["entries"] if e["seq"] == seq)
    assert code == 1 and entry["verified"] is False and entry["problem"]
