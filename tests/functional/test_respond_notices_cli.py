"""Breach notices through the real CLI: ``cases notices clock|render|record|list`` and the
clock in ``cases show``; bad input is one line on stderr and a non-zero exit."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from shieldwall.custody import masking
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(13).customers(2)
CODES = ("--measure", "police_report", "--kind", "phone", "--kind", "name")


def test_notices_cli_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Render a Chinese PDF letter and an English HTML authority notice, record both
    audiences, list them; the case moves to notified; show prints the clock."""
    with cli_home(tmp_path, monkeypatch, PEOPLE):
        code, out, _ = run_cli(capsys, "cases", "open", "--json")
        case_id = json.loads(out)["case_id"]
        ids = [p.customer_id for p in PEOPLE]
        args = ["cases", "link", case_id, "--customer", ids[0], "--customer", ids[1]]
        assert run_cli(capsys, *args)[0] == 0
        code, out, err = run_cli(capsys, "cases", "notices", "clock", case_id)
        assert code == 0, err
        assert "gdpr authority pending" in out and "0/2 persons notified" in out
        letter = tmp_path / "letter.pdf"
        code, out, err = run_cli(
            capsys,
            "cases",
            "notices",
            "render",
            case_id,
            "--out",
            str(letter),
            "--regime",
            "pipl",
            "--audience",
            "person",
            "--customer",
            ids[0],
            "--format",
            "pdf",
            *CODES,
        )
        assert code == 0, err
        pages = PdfReader(BytesIO(letter.read_bytes())).pages
        text = "".join(p.extract_text() for p in pages).replace("\n", "")
        assert f"尊敬的{masking.name(PEOPLE[0].name)}：" in text
        assert PEOPLE[0].name not in text
        code, _, err = run_cli(
            capsys,
            "cases",
            "notices",
            "render",
            case_id,
            "--out",
            str(letter),
            "--regime",
            "pipl",
            "--audience",
            "authority",
            *CODES,
        )
        assert code == 1 and err.count("\n") == 1 and "exists" in err
        report = tmp_path / "report.html"
        code, _, err = run_cli(
            capsys,
            "cases",
            "notices",
            "render",
            case_id,
            "--out",
            str(report),
            "--regime",
            "gdpr",
            "--audience",
            "authority",
            "--lang",
            "en",
            *CODES,
        )
        assert code == 0, err
        assert "(a) Nature of the breach" in report.read_text(encoding="utf-8")
        assert run_cli(capsys, "cases", "transition", case_id, "contained")[0] == 0
        code, out, err = run_cli(
            capsys,
            "cases",
            "notices",
            "record",
            case_id,
            "--regime",
            "pipl",
            "--audience",
            "authority",
            "--channel",
            "portal",
            "--reference",
            "SH-CAC-2026-9",
            "--json",
            *CODES,
        )
        assert code == 0, err
        assert json.loads(out)["moved_to_notified"] is True
        code, out, err = run_cli(
            capsys,
            "cases",
            "notices",
            "record",
            case_id,
            "--regime",
            "pipl",
            "--audience",
            "person",
            "--channel",
            "sms",
            "--all-affected",
            *CODES,
        )
        assert code == 0, err
        assert "2 notices recorded; 0 already notified; case notified" in out
        code, out, _ = run_cli(capsys, "cases", "notices", "list", case_id, "--json")
        everything = json.loads(out)
        assert sorted(r["audience"] for r in everything) == ["authority", "person", "person"]
        code, out, err = run_cli(
            capsys, "cases", "notices", "list", case_id, "--json", "--limit", "2"
        )
        assert code == 0 and err.startswith("more: continue with --cursor "), err
        cursor = err.split()[-1]
        head = json.loads(out)
        code, out, err = run_cli(
            capsys, "cases", "notices", "list", case_id, "--json", "--cursor", cursor
        )
        assert code == 0 and err == "", err
        assert head + json.loads(out) == everything  # each once, in the listing's order
        code, _, err = run_cli(capsys, "cases", "notices", "list", case_id, "--cursor", "junk")
        assert code != 0 and err.count("\n") == 1 and "cursor" in err, err
        code, out, _ = run_cli(capsys, "cases", "show", case_id)
        assert "notice  pipl person    met" in out and "2/2 persons notified" in out
        assert PEOPLE[0].name not in out


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--regime", "ccpa"], "regime"),
        (["--channel", "pigeon"], "channel"),
        (["--at", "yesterday"], "at"),
        (["--at", "2026-03-02T09:00:00"], "at"),
        (["--measure", "pray"], "measures"),
        (["--customer", "C-nobody"], "customer_ids"),
    ],
)
def test_bad_notice_input_is_one_line_and_non_zero(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    field: str,
) -> None:
    with cli_home(tmp_path, monkeypatch):
        code, out, _ = run_cli(capsys, "cases", "open", "--json")
        case_id = json.loads(out)["case_id"]
        base = {"--regime": "pipl", "--audience": "authority", "--channel": "portal"}
        for flag, value in zip(extra[::2], extra[1::2], strict=True):
            base[flag] = value
        args = [a for kv in base.items() for a in kv] + ["--kind", "phone"]
        if "--measure" not in base:
            args += ["--measure", "police_report"]
        code, _, err = run_cli(capsys, "cases", "notices", "record", case_id, *args)
        assert code != 0 and err.count("\n") == 1 and field in err, err
        code, out, _ = run_cli(capsys, "cases", "notices", "list", case_id, "--json")
        assert json.loads(out) == []
