"""Custody through the real CLI (``shieldwall.cli.app.main``, the console script's body)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home
from tests.functional.conftest import order_row

PEOPLE = PeopleFactory(5).customers(30)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, initialised SQLite home; CLI caches cleared around each test."""
    with cli_home(tmp_path, monkeypatch) as h:
        yield h


def cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def write_customers(path: Path, people=PEOPLE, extra_rows: list[str] | None = None) -> Path:  # type: ignore[no-untyped-def]
    lines = ["customer_id,name,phone,email,address,national_id"]
    lines += [
        f"{c.customer_id},{c.name},{c.phone},{c.email},{c.address},{c.national_id}" for c in people
    ]
    lines += extra_rows or []
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def seeded(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli("customers", "import", str(write_customers(tmp_path / "c.csv")), capsys=capsys)[0] == 0
    )
    orders = tmp_path / "o.jsonl"
    orders.write_text(
        "\n".join(json.dumps(order_row(i, c)) for i, c in enumerate(PEOPLE, 1)) + "\n"
    )
    assert cli("orders", "import", str(orders), capsys=capsys)[0] == 0
    for pid, role in (
        ("agent-li", "agent"),
        ("courier-wang", "courier"),
        ("courier-zhao", "courier"),
    ):
        assert cli("principals", "add", pid, "--role", role, capsys=capsys)[0] == 0


def test_import_reports_bad_rows_and_writes_nothing(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad rows are listed with line, field and reason; exit 1; the database stays empty."""
    bad = [
        "X1,王五,12345,wang@qq.com,北京市朝阳区建国路1号,11010519491231002X",
        "X2,赵六,13812345678,not-an-email,北京市朝阳区建国路1号,11010519491231002X",
        "X3,钱七,13812345678,q@qq.com,北京市朝阳区建国路1号,110105194912310021",
        f"{PEOPLE[0].customer_id},重复,13812345678,d@qq.com,北京市朝阳区,11010519491231002X",
    ]
    code, out, err = cli(
        "customers",
        "import",
        str(write_customers(tmp_path / "c.csv", extra_rows=bad)),
        capsys=capsys,
    )
    assert code == 1
    assert "line 32: phone: is not a phone number" in err or "line 32: phone:" in err
    assert "line 33: email: is not an e-mail address" in err
    assert "line 34: national_id: check digit does not match (GB 11643)" in err
    assert "line 35: duplicate id in this file" in err
    assert "imported nothing: 4 of 34 rows rejected" in out
    for secret in ("12345", "not-an-email", "110105194912310021"):
        assert secret not in err
    code, out, _ = cli(
        "customers", "import", str(write_customers(tmp_path / "ok.csv")), "--json", capsys=capsys
    )
    assert code == 0 and json.loads(out)["imported"] == 30


def test_import_file_level_errors(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown columns, a missing file, binary junk and an unknown suffix give one-line errors."""
    p = tmp_path / "c.csv"
    p.write_text("customer_id,name,phone,shoe_size\nC1,张三,13812345678,42\n")
    code, _, err = cli("customers", "import", str(p), capsys=capsys)
    assert code == 1 and err.strip() == (
        "error: header: unknown column 'shoe_size'; "
        "expected customer_id, name, phone, email, address, national_id"
    )
    code, _, err = cli("customers", "import", str(tmp_path / "missing.csv"), capsys=capsys)
    assert code == 1 and "is not a readable file" in err
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"customer_id,name,phone\n\xff\xfe\x00\x81garbage\n")
    code, _, err = cli("customers", "import", str(junk), capsys=capsys)
    assert code == 1 and "is not UTF-8 text" in err
    code, _, err = cli("customers", "import", str(tmp_path / "c.txt"), capsys=capsys)
    assert code == 1


def test_show_deny_reveal_relay(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's job: masked read with a ticket, denial, relay for one courier only, reveal."""
    seeded(home, tmp_path, capsys)
    c = PEOPLE[0]
    code, out, _ = cli(
        "tickets",
        "open",
        "--agent",
        "agent-li",
        "--customer",
        c.customer_id,
        "--json",
        capsys=capsys,
    )
    ticket = json.loads(out)["ticket_id"]
    code, out, _ = cli(
        "customers",
        "show",
        c.customer_id,
        "--as",
        "agent-li",
        "--purpose",
        "after_sales",
        "--ticket",
        ticket,
        "--json",
        capsys=capsys,
    )
    assert code == 0 and json.loads(out)["fields"]["phone"]["view"] == "masked"
    code, _, err = cli(
        "customers",
        "show",
        PEOPLE[1].customer_id,
        "--as",
        "agent-li",
        "--purpose",
        "after_sales",
        capsys=capsys,
    )
    assert code == 3 and err.strip() == "error: no open ticket of this agent for this customer"
    code, _, err = cli(
        "customers",
        "show",
        c.customer_id,
        "--as",
        "ghost",
        "--purpose",
        "after_sales",
        capsys=capsys,
    )
    assert code == 4 and "principal_id: no principal ghost" in err
    code, _, err = cli(
        "customers", "show", c.customer_id, "--as", "agent-li", "--purpose", "spying", capsys=capsys
    )
    assert code == 1 and "purpose: unknown purpose" in err
    assert cli("orders", "status", "O0001", "shipped", capsys=capsys)[0] == 0
    assert (
        cli("couriers", "assign", "--courier", "courier-wang", "--order", "O0001", capsys=capsys)[0]
        == 0
    )
    code, out, _ = cli(
        "orders",
        "show",
        "O0001",
        "--as",
        "courier-wang",
        "--purpose",
        "delivery",
        "--json",
        capsys=capsys,
    )
    relay = json.loads(out)["fields"]["phone"]["value"]
    assert relay.startswith("1700") and relay not in c.phone
    code, out, _ = cli("relay", "resolve", relay, "--as", "courier-wang", capsys=capsys)
    assert code == 0 and f"customer {c.customer_id}" in out and c.phone not in out
    code, _, err = cli("relay", "resolve", relay, "--as", "courier-zhao", capsys=capsys)
    assert code == 3 and "not bound to this courier" in err
    code, out, _ = cli(
        "customers",
        "reveal",
        c.customer_id,
        "--field",
        "phone",
        "--as",
        "agent-li",
        "--purpose",
        "after_sales",
        "--reason",
        "customer asked for a call back",
        "--json",
        capsys=capsys,
    )
    assert code == 0 and json.loads(out)["value"] == c.phone


def test_suspend_and_reinstate_from_the_cli(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A suspended agent's reads are refused (exit 3) until reinstated; bad ids exit 4 or 1."""
    seeded(home, tmp_path, capsys)
    cid = PEOPLE[0].customer_id
    opened = cli("tickets", "open", "--agent", "agent-li", "--customer", cid, capsys=capsys)
    assert opened[0] == 0
    show = ("customers", "show", cid, "--as", "agent-li", "--purpose", "after_sales")
    assert cli(*show, capsys=capsys)[0] == 0
    code, out, _ = cli("principals", "suspend", "agent-li", "--alert", "alr_9", capsys=capsys)
    assert code == 0 and out.strip() == "agent-li suspended"
    code, _, err = cli(*show, capsys=capsys)
    assert code == 3 and err.strip() == "error: the principal is deactivated"
    assert cli("principals", "reinstate", "agent-li", capsys=capsys)[0] == 0
    assert cli(*show, capsys=capsys)[0] == 0
    code, _, err = cli("principals", "suspend", "ghost", capsys=capsys)
    assert code == 4 and err.startswith("error: principal_id: no principal ghost")
    code, _, err = cli("principals", "suspend", "agent-li", "--alert", "a b", capsys=capsys)
    assert code == 1 and err.startswith("error: alert_id:") and err.count("\n") == 1


def test_lookup_reads_value_from_stdin(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The looked-up value comes from stdin, never argv."""
    seeded(home, tmp_path, capsys)
    assert cli("principals", "add", "sec-admin", "--role", "admin", capsys=capsys)[0] == 0
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(PEOPLE[3].phone[3:] + "\n"))
    code, out, _ = cli(
        "customers",
        "lookup",
        "--by",
        "phone",
        "--as",
        "sec-admin",
        "--purpose",
        "investigation",
        "--reason",
        "scam report names this number",
        "--json",
        capsys=capsys,
    )
    assert code == 0 and json.loads(out) == {"customer_ids": [PEOPLE[3].customer_id]}


def test_key_rotation_is_resumable_and_keeps_data(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rotation pauses at --limit, resumes, re-encrypts every row and leaves reads working."""
    seeded(home, tmp_path, capsys)
    code, out, _ = cli("keys", "rotate", "--limit", "20", "--batch", "7", "--json", capsys=capsys)
    first = json.loads(out)
    assert code == 0 and first["finished"] is False and first["customers"] == 20
    code, out, _ = cli("keys", "status", "--json", capsys=capsys)
    status = json.loads(out)
    assert status["pending_rows"] == 40 and status["field_key_versions"] == {
        "1": "retiring",
        "2": "active",
    }
    ticket = json.loads(
        cli(
            "tickets",
            "open",
            "--agent",
            "agent-li",
            "--customer",
            PEOPLE[29].customer_id,
            "--json",
            capsys=capsys,
        )[1]
    )["ticket_id"]
    assert (
        cli(
            "customers",
            "show",
            PEOPLE[29].customer_id,
            "--as",
            "agent-li",
            "--purpose",
            "after_sales",
            "--ticket",
            ticket,
            capsys=capsys,
        )[0]
        == 0
    )
    code, out, _ = cli("keys", "rotate", "--kek", "--json", capsys=capsys)
    second = json.loads(out)
    assert second["finished"] is True and second["customers"] == 10 and second["orders"] == 30
    status = json.loads(cli("keys", "status", "--json", capsys=capsys)[1])
    assert status == {
        "field_key_versions": {"1": "retired", "2": "active"},
        "pending_rows": 0,
        "kek_version": 2,
        "provider": "file",
        "provider_location": f"key file {home / 'keys.json'}",
        "kek_versions": [2],
    }
    code, out, _ = cli(
        "customers",
        "reveal",
        PEOPLE[29].customer_id,
        "--field",
        "phone",
        "--as",
        "agent-li",
        "--purpose",
        "after_sales",
        "--reason",
        "verify after rotation",
        "--json",
        capsys=capsys,
    )
    assert json.loads(out)["value"] == PEOPLE[29].phone
    db = sqlite3.connect(home / "shieldwall.db")
    assert db.execute("select count(*) from customers where key_version < 2").fetchone() == (0,)


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            "UPDATE audit_entries SET body = replace(body, '\"cli\"', '\"api\"') WHERE seq = 5",
            "entry 5: was changed",
        ),
        ("DELETE FROM audit_entries WHERE seq = 6", "entry 6: is missing (deleted)"),
        (
            "UPDATE audit_entries SET seq = -1 WHERE seq = 3;"
            " UPDATE audit_entries SET seq = 3 WHERE seq = 4;"
            " UPDATE audit_entries SET seq = 4 WHERE seq = -1",
            "entry 3: was moved from position 4",
        ),
        (
            "DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries)",
            "is missing (deleted from the end)",
        ),
    ],
)
def test_audit_verify_names_the_tampered_entry(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], tamper: str, expected: str
) -> None:
    """Editing, deleting or reordering one audit row makes verify fail (exit 1), naming it."""
    seeded(home, tmp_path, capsys)
    for n in range(4):
        cli(
            "customers",
            "show",
            PEOPLE[n].customer_id,
            "--as",
            "agent-li",
            "--purpose",
            "after_sales",
            capsys=capsys,
        )
    assert cli("audit", "checkpoint", capsys=capsys)[0] == 0
    code, out, _ = cli("audit", "verify", capsys=capsys)
    assert code == 0 and "audit log OK" in out
    with sqlite3.connect(home / "shieldwall.db") as db:
        db.executescript(tamper)
    code, out, _ = cli("audit", "verify", "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    first = report["findings"][0]
    assert expected in f"entry {first['seq']}: {first['problem']}"


def test_rewritten_hashes_are_caught_by_the_signed_checkpoint(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rewriting an entry together with its leaf hash still fails the signed checkpoint."""
    from shieldwall.audit.merkle import leaf_hash

    seeded(home, tmp_path, capsys)
    cli("audit", "checkpoint", capsys=capsys)
    with sqlite3.connect(home / "shieldwall.db") as db:
        body = db.execute("select body from audit_entries where seq = 2").fetchone()[0]
        forged = body.replace('"cli"', '"api"')
        assert forged != body
        db.execute(
            "update audit_entries set body = ?, leaf_hash = ? where seq = 2",
            (forged, leaf_hash(forged.encode())),
        )
    code, out, _ = cli("audit", "verify", "--json", capsys=capsys)
    assert code == 1
    assert "do not match the signed checkpoint" in json.loads(out)["findings"][0]["problem"]


def test_trusted_checkpoint_catches_truncation(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cutting the tail and its checkpoints is caught by a checkpoint kept outside."""
    seeded(home, tmp_path, capsys)
    kept = tmp_path / "checkpoint.note"
    assert cli("audit", "checkpoint", "--out", str(kept), capsys=capsys)[0] == 0
    with sqlite3.connect(home / "shieldwall.db") as db:
        db.executescript(
            "DELETE FROM audit_entries WHERE seq >= 5; DELETE FROM audit_checkpoints;"
            " UPDATE audit_head SET tree_size = 5; DELETE FROM audit_nodes;"
        )
    # the database alone is consistent
    assert cli("audit", "verify", "--no-witness", capsys=capsys)[0] == 0
    code, out, _ = cli(
        "audit", "verify", "--no-witness", "--trusted", str(kept), "--json", capsys=capsys
    )
    assert code == 1 and "covers entries that are gone" in out
    code, out, _ = cli("audit", "verify", "--json", capsys=capsys)  # the witness file, by default
    assert code == 1 and "covers entries that are gone" in out


def test_broken_key_file_and_database(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A corrupt key file and a locked database each give a one-line error and exit 1."""
    keyfile = home / "keys.json"
    original = keyfile.read_bytes()
    keyfile.write_bytes(original[:40])
    common.services.cache_clear()
    code, _, err = cli("principals", "list", capsys=capsys)
    assert code == 1 and err.count("\n") == 1 and "is truncated or not JSON" in err
    keyfile.write_bytes(original)
    common.services.cache_clear()
    locker = sqlite3.connect(home / "shieldwall.db", timeout=0)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        from shieldwall.storage import db

        old = db.SQLITE_BUSY_TIMEOUT_MS
        db.SQLITE_BUSY_TIMEOUT_MS = 200
        code, _, err = cli("principals", "add", "x1", "--role", "agent", capsys=capsys)
        db.SQLITE_BUSY_TIMEOUT_MS = old
    finally:
        locker.rollback()
        locker.close()
    assert code == 1 and "locked" in err and err.count("\n") == 1
    assert cli("principals", "add", "x1", "--role", "agent", capsys=capsys)[0] == 0


def test_missing_home_says_run_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Using the CLI before init tells the user to run init."""
    monkeypatch.setenv("SHIELDWALL_HOME", str(tmp_path / "nowhere"))
    common.settings.cache_clear()
    common.services.cache_clear()
    code, _, err = cli("principals", "list", capsys=capsys)
    common.settings.cache_clear()
    common.services.cache_clear()
    assert code == 1 and "run shieldwall init" in err


def test_console_script_runs(tmp_path: Path) -> None:
    """The installed ``shieldwall`` entry point starts, and usage errors exit 2."""
    env = os.environ | {"SHIELDWALL_HOME": str(tmp_path / "h")}
    ok = subprocess.run(
        [sys.executable, "-m", "shieldwall", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0 and "customers" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "shieldwall", "customers", "show"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2 and "Missing" in bad.stderr
