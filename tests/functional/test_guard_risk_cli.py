"""Guard login risk through the real CLI: replay a login log, import an ASN table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.importer import CorpusImporter, MergeMode
from shieldwall.guard.passwords.sources import SourceFormat
from shieldwall.sim.logins import AttackKind, LoginWorld, WorldConfig
from tests.functional.test_custody_cli import cli, home  # noqa: F401 - fixtures


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_replay_decides_in_time_order_and_skips_bad_lines(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Out-of-order events are replayed by time; bad lines are named on stderr and skipped;
    optional fields may be missing; one JSON decision per good line."""
    events = _write(
        tmp_path / "ev.jsonl",
        [
            json.dumps(
                {"ts": "2026-03-02T09:00:10Z", "account": "b", "ip": "1.80.1.1", "success": True}
            ),
            json.dumps(
                {
                    "ts": 1772442000,
                    "account": "a",
                    "ip": "1.80.1.2",
                    "success": False,
                    "user_agent": "x",
                    "device_id": "d",
                    "password_sha1": "0" * 40,
                }
            ),
            "not json",
            json.dumps(
                {"ts": "2026-03-02T09:00:11", "account": "c", "ip": "999.1.1.1", "success": True}
            ),
            json.dumps({"ts": "2026-03-02T09:00:12", "account": "c", "success": True}),
            json.dumps(
                {"ts": "2026-03-02T09:00:13", "account": "c", "ip": "1.80.1.1", "success": "yes"}
            ),
            json.dumps({"ts": "yesterday", "account": "c", "ip": "1.80.1.1", "success": True}),
            json.dumps(
                {
                    "ts": "2026-03-02T09:00:14",
                    "account": "c",
                    "ip": "1.80.1.1",
                    "success": True,
                    "password_sha1": "zz",
                }
            ),
            "",
        ],
    )
    with events.open("ab") as fh:
        fh.write(b'{"ts": 1, "account": "\xff\xfe", "ip": "1.1.1.1", "success": true}\n')
    code, out, err = cli("logins", "replay", str(events), capsys=capsys)
    assert code == 0
    assert "line 10: not valid UTF-8" in err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in rows] == [2, 1]  # 1772442000 is 09:00:00Z, before line 1
    assert all(set(r) == {"line", "decision", "score", "reasons"} for r in rows)
    for n, why in (
        (3, "not valid JSON"),
        (4, "ip"),
        (5, "ip: is required"),
        (6, "success"),
        (7, "ts: not an ISO 8601"),
        (8, "password_sha1"),
    ):
        assert f"line {n}:" in err and why in err
    summary = json.loads(err.strip().splitlines()[-1])
    assert summary["events"] == 2 and summary["bad_lines"] == 7
    assert "yesterday" not in err and "999.1.1.1" not in err  # values are never quoted back


def test_replay_of_simulated_stuffing_challenges_it(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A simulated log (benign warm-up, then stuffing) replayed from a file: the stuffing is
    mostly challenged, benign logins mostly allowed; breached passwords seen via the corpus."""
    world = LoginWorld(
        9, WorldConfig(customers=120, days=2.05, warmup_days=2.0, attacks=(AttackKind.STUFFING,))
    )
    events = world.events()[:2200]
    lines = [json.dumps(e.as_json()) for e in events]
    path = _write(tmp_path / "sim.jsonl", lines)
    src = _write(tmp_path / "breached.txt", [c.password for c in world.customers if c.reused])
    CorpusImporter(home / "passwords", HashKind.SHA1, fsync=False).run(
        [(src, SourceFormat.PLAIN)], MergeMode.ADD
    )
    code, out, _ = cli("logins", "replay", str(path), capsys=capsys)
    assert code == 0
    decided = {json.loads(x)["line"]: json.loads(x) for x in out.splitlines()}
    attack = [decided[n + 1] for n, e in enumerate(events) if e.is_attack]
    benign = [decided[n + 1] for n, e in enumerate(events) if not e.is_attack]
    assert len(attack) > 500
    assert sum(r["decision"] != "allow" for r in attack) / len(attack) > 0.9
    assert sum(r["decision"] != "allow" for r in benign) / len(benign) < 0.05
    assert '"breached_password"' in out


def test_asn_import_installs_a_table(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A good table is installed atomically and used by the next replay; a bad one is refused
    with its line number and exit 1, leaving the installed table alone."""
    good = _write(
        tmp_path / "asn.csv", ["start_ip,end_ip,asn,name", "10.0.0.0,10.255.255.255,64600,TEN"]
    )
    code, out, _ = cli("logins", "asn-import", str(good), "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["ranges"] == 1
    installed = home / "risk" / "asn.csv"
    assert installed.read_text() == good.read_text()
    bad = _write(tmp_path / "bad.csv", ["10.0.0.0,10.0.0.255,64600,A", "10.0.1.0,oops,1,B"])
    code, _, err = cli("logins", "asn-import", str(bad), capsys=capsys)
    assert code == 1 and "bad.csv:2" in err and err.count("\n") == 1
    assert installed.read_text() == good.read_text()
    code, _, err = cli("logins", "asn-import", str(tmp_path / "missing.csv"), capsys=capsys)
    assert code == 1 and "missing.csv" in err
    events = _write(
        tmp_path / "ev.jsonl",
        [
            json.dumps(
                {"ts": "2026-03-02T09:00:00Z", "account": "a", "ip": "10.1.2.3", "success": False}
            )
        ],
    )
    assert cli("logins", "replay", str(events), capsys=capsys)[0] == 0


def test_replay_of_a_missing_file_fails_cleanly(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A missing events file: one line on stderr, exit 1."""
    code, out, err = cli("logins", "replay", str(tmp_path / "none.jsonl"), capsys=capsys)
    assert code == 1 and out == "" and err.startswith("error:") and err.count("\n") == 1
