"""The insider watch through the real CLI: ``watch run`` catches up from its cursor and
resumes, ``alerts list|show|close``, evidence that fails when the log is edited, bad input."""

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

PEOPLE = PeopleFactory(8).customers(12)
REASON = "customer fainted on the phone, need the address"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite home with customers and an agent; CLI caches cleared."""
    with cli_home(tmp_path, monkeypatch, PEOPLE) as h:
        assert main(["principals", "add", "agent-li", "--role", "agent", "--unit", "cs-1"]) == 0
        yield h


cli = run_cli


def restart() -> None:
    """A new CLI process: services (and the in-process watch state) built afresh."""
    if common.services.cache_info().currsize:
        common.services().close()
    common.services.cache_clear()


def break_glass(capsys: pytest.CaptureFixture[str], customer: str) -> None:
    code, _, _ = cli(
        capsys, "customers", "break-glass", customer, "--as", "agent-li", "--reason", REASON
    )
    assert code == 0


def test_watch_run_catches_up_resumes_and_alerts_show_proves(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """watch run alerts, resumes at its cursor, grows the alert; alerts show proves; close."""
    break_glass(capsys, PEOPLE[0].customer_id)
    code, out, _ = cli(capsys, "watch", "run", "--once", "--json")
    first = json.loads(out)
    assert code == 0 and first["processed"] > 0 and first["alerts_raised"] == 1

    restart()
    code, out, _ = cli(capsys, "watch", "run", "--once", "--json")
    assert code == 0 and json.loads(out)["processed"] == 0  # resumed at the cursor

    break_glass(capsys, PEOPLE[1].customer_id)
    break_glass(capsys, PEOPLE[2].customer_id)
    code, out, _ = cli(capsys, "watch", "run", "--once", "--json")
    again = json.loads(out)
    assert again["processed"] == 2  # the two new audit entries only
    assert again["alerts_raised"] == 0  # the open alert grew instead

    code, out, _ = cli(capsys, "alerts", "list", "--kind", "break_glass_misuse", "--json")
    listed = json.loads(out)
    assert len(listed) == 1 and listed[0]["principal_id"] == "agent-li"
    assert len(listed[0]["customer_ids"]) == 3
    alert_id = listed[0]["alert_id"]

    code, out, _ = cli(capsys, "alerts", "show", alert_id, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["evidence"]["verified"]
    assert [e["entry"]["action"] for e in shown["evidence"]["entries"]] == ["break_glass"] * 3
    for c in PEOPLE:
        assert c.name not in out and c.phone not in out and c.address not in out

    code, out, _ = cli(capsys, "alerts", "show", alert_id)
    assert code == 0 and "all verified" in out and "break_glass_use" in out

    code, out, _ = cli(capsys, "watch", "status", "--json")
    status = json.loads(out)
    assert status["behind"] == 0 and status["cursor"] == status["log_size"] - 1

    assert cli(capsys, "alerts", "close", alert_id)[0] == 0
    code, out, _ = cli(capsys, "alerts", "list", "--kind", "break_glass_misuse", "--json")
    assert code == 0 and len(json.loads(out)) == 1


def test_alerts_show_fails_when_an_entry_was_edited(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Edit an audit entry behind an alert: its proof no longer verifies, exit 1."""
    break_glass(capsys, PEOPLE[3].customer_id)
    assert cli(capsys, "watch", "run", "--once")[0] == 0
    code, out, _ = cli(capsys, "alerts", "list", "--kind", "break_glass_misuse", "--json")
    alert = json.loads(out)[0]
    seq = alert["audit_seqs"][0]
    with sqlite3.connect(home / "shieldwall.db") as db:
        db.execute(
            "UPDATE audit_entries SET body = replace(body, 'break_glass', 'read') WHERE seq = ?",
            (seq,),
        )
    restart()
    code, out, _ = cli(capsys, "alerts", "show", alert["alert_id"])
    assert code == 1 and "FAILED" in out


def test_bad_input_gets_one_line_and_an_exit_code(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown alert is 'not found' (exit 4); bad options are usage errors (exit 2)."""
    code, _, err = cli(capsys, "alerts", "show", "alr_nope")
    assert code == 4 and err.strip().count("\n") == 0 and "alr_nope" in err
    assert cli(capsys, "alerts", "close", "alr_nope")[0] == 4
    assert cli(capsys, "alerts", "show", "x", "--entries", "-3")[0] == 2
    assert cli(capsys, "watch", "nonsense")[0] == 2


def test_alert_ids_are_in_every_table_that_lists_alerts(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``watch run`` and ``alerts list`` print each alert's id whole, so ``close`` can use it."""
    break_glass(capsys, PEOPLE[4].customer_id)
    code, out, _ = cli(capsys, "watch", "run", "--once")
    assert code == 0
    code, listed, _ = cli(capsys, "alerts", "list", "--json")
    ids = {a["alert_id"] for a in json.loads(listed)}
    watch_ids = {a["alert_id"] for a in json.loads(listed) if a["kind"] == "break_glass_misuse"}
    assert len(ids) == 2 and len(watch_ids) == 1  # custody's break_glass and the watch's
    assert all(i in out for i in watch_ids), out
    code, table, _ = cli(capsys, "alerts", "list")
    assert code == 0 and all(i in table for i in ids)
    restart()
    code, out, _ = cli(capsys, "watch", "run", "--once", "--json")
    assert code == 0 and json.loads(out)["alert_ids"] == []  # nothing new to look at
    assert cli(capsys, "alerts", "close", watch_ids.pop())[0] == 0
