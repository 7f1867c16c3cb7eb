"""Cases through the real CLI: open, move, link, evidence add/list, export a bundle, and verify
it with ``cases verify-bundle`` in a process environment with no shieldwall home at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(12).customers(3)


def test_cases_cli_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every command once; an invalid move is one line on stderr and exit 1; the exported
    bundle verifies without a home, and fails once its evidence file is changed."""
    with cli_home(tmp_path, monkeypatch, PEOPLE):
        code, out, _ = run_cli(capsys, "cases", "open", "--json")
        assert code == 0
        case_id = json.loads(out)["case_id"]
        code, _, err = run_cli(capsys, "cases", "transition", case_id, "notified")
        assert code == 1 and err.count("\n") == 1 and "from open to notified" in err
        assert run_cli(capsys, "cases", "transition", case_id, "investigating")[0] == 0
        assert run_cli(capsys, "principals", "add", "agent-x", "--role", "agent")[0] == 0
        code, out, err = run_cli(
            capsys,
            "cases",
            "link",
            case_id,
            "--principal",
            "agent-x",
            "--suspend",
            "--customer",
            PEOPLE[0].customer_id,
        )
        assert code == 0, err
        code, _, err = run_cli(capsys, "cases", "link", case_id, "--customer", "C-nobody")
        assert code == 4 and "customer_ids" in err
        leak = tmp_path / "leak.csv"
        leak.write_text(f"{PEOPLE[0].phone},{PEOPLE[0].name}\n", encoding="utf-8")
        code, out, err = run_cli(
            capsys,
            "cases",
            "evidence",
            "add",
            case_id,
            str(leak),
            "--kind",
            "leaked_file",
            "--json",
        )
        assert code == 0, err
        assert json.loads(out)["media_type"] == "text/csv"
        code, out, _ = run_cli(capsys, "cases", "evidence", "list", case_id, "--json")
        assert [e["kind"] for e in json.loads(out)] == ["leaked_file"]
        code, out, _ = run_cli(capsys, "cases", "list", "--json")
        assert [c["state"] for c in json.loads(out)] == ["investigating"]
        code, out, _ = run_cli(capsys, "cases", "show", case_id)
        assert code == 0 and "evidence_received" in out and PEOPLE[0].phone not in out
        bundle = tmp_path / "bundle"
        code, _, err = run_cli(
            capsys, "cases", "export", case_id, "--out", str(bundle), "--reason", "x"
        )
        assert code == 3 and not bundle.exists()
        code, out, err = run_cli(
            capsys,
            "cases",
            "export",
            case_id,
            "--out",
            str(bundle),
            "--reason",
            "police request 44",
        )
        assert code == 0, err
        key = common.services().audit.signer.verifier.key
    # No home, no database: only the directory and the public key.
    monkeypatch.setenv("SHIELDWALL_HOME", str(tmp_path / "absent"))
    common.settings.cache_clear()
    common.services.cache_clear()
    code, out, err = run_cli(capsys, "cases", "verify-bundle", str(bundle), "--key", key)
    assert code == 0, err
    assert "FAILED" not in out + err and not (tmp_path / "absent").exists()
    evidence = next((bundle / "evidence").iterdir())
    evidence.write_text("tampered\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "cases", "verify-bundle", str(bundle), "--json")
    assert code == 1
    assert any("does not hash as the manifest says" in f for f in json.loads(out)["failed"])
    code, _, err = run_cli(capsys, "cases", "verify-bundle", str(tmp_path / "none"))
    assert code == 1 and err.startswith("error: bundle:")
