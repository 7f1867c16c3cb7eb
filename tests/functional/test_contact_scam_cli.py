"""Scam commands through the real CLI (``shieldwall.cli.app.main``) and the console script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.cli.app import main
from tests.functional.clihome import cli_home

SCRIPT = "您好,我是商城售后,您的快递丢失了,三倍赔偿,请加QQ 12345678,把验证码告诉我"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, initialised SQLite home with an agent and the store app."""
    with cli_home(tmp_path, monkeypatch) as h:
        assert main(["principals", "add", "agent-li", "--role", "agent"]) == 0
        assert main(["principals", "add", "app", "--role", "service"]) == 0
        assert main(["principals", "add", "bi", "--role", "analyst"]) == 0
        yield h


def run(
    args: list[str],
    stdin: bytes,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_score_prints_signals(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`scam score` reads stdin and prints the score, label and signal table."""
    code, out, _ = run(["scam", "score"], SCRIPT.encode(), capsys, monkeypatch)
    assert code == 0
    assert "likely_scam" in out and "code_request" in out and "把验证码" in out


def test_score_json_and_invalid_utf8(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Invalid UTF-8 is replaced, counted in the JSON and warned about on stderr."""
    code, out, err = run(
        ["scam", "score", "--json"], SCRIPT.encode() + b"\xff\xfe", capsys, monkeypatch
    )
    assert code == 0
    body = json.loads(out)
    assert body["replaced_bytes"] == 2 and body["label"] == "likely_scam"
    assert "2 invalid UTF-8" in err


def test_score_refuses_huge_input(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text over the cap is one line on stderr and exit 1."""
    code, out, err = run(["scam", "score"], b"a" * 100_000, capsys, monkeypatch)
    assert code == 1 and out == ""
    assert err.startswith("error: stdin:") and "limit" in err and len(err.splitlines()) == 1


def test_score_lines_goes_on_after_a_bad_line(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--lines scores each line; an over-long line gets an error object and the run goes on."""
    data = b"\n".join([b"hello", b"x" * 90_000, SCRIPT.encode(), b"\xff refund"]) + b"\n"
    code, out, _ = run(["scam", "score", "--lines"], data, capsys, monkeypatch)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["label"] == "low_risk"
    assert rows[1]["error"]["code"] == "text_too_long"
    assert rows[2]["label"] == "likely_scam"
    assert rows[3]["replaced_bytes"] == 1
    assert code == 1  # one line failed


def test_report_campaigns_victims(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reports sharing a QQ become one campaign; campaigns and victims list them."""
    when = "2026-01-05T10:00:00+08:00"
    base = ["scam", "report", "--channel", "call", "--received-at", when, "--json"]
    code, out, _ = run(
        [*base, "--as", "agent-li", "--customer-id", "C1"], SCRIPT.encode(), capsys, monkeypatch
    )
    assert code == 0, out
    first = json.loads(out)
    code, out, _ = run(
        [*base, "--as", "app", "--customer-id", "C2", "--knew", "name"],
        "扣扣 12345678 领理赔".encode(),
        capsys,
        monkeypatch,
    )
    assert code == 0 and json.loads(out)["campaign_id"] == first["campaign_id"]

    code, out, _ = run(["scam", "campaigns", "--json"], b"", capsys, monkeypatch)
    campaigns = json.loads(out)
    assert code == 0 and len(campaigns) == 1 and campaigns[0]["size"] == 2
    code, out, _ = run(
        ["scam", "victims", first["campaign_id"], "--json"], b"", capsys, monkeypatch
    )
    assert [v["customer_id"] for v in json.loads(out)] == ["C1", "C2"]
    code, out, _ = run(["scam", "campaigns"], b"", capsys, monkeypatch)
    assert "qq:12345678 x2" in out


def test_report_errors_exit_non_zero(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad channel, a role that may not report, an unknown campaign: one line, non-zero exit."""
    base = ["scam", "report", "--received-at", "2026-01-05T10:00:00+08:00"]
    code, _, err = run(
        [*base, "--as", "agent-li", "--channel", "pigeon"], b"x", capsys, monkeypatch
    )
    assert code == 1 and "channel:" in err
    code, _, err = run([*base, "--as", "bi", "--channel", "sms"], b"x", capsys, monkeypatch)
    assert code == 3
    code, _, err = run(["scam", "victims", "cmp_nope"], b"", capsys, monkeypatch)
    assert code == 4 and "no campaign" in err


def test_report_batch_goes_on_after_bad_lines(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`scam report --jsonl`: each bad line (JSON, field, size) is reported; good lines land."""
    good = {"channel": "sms", "received_at": "2026-01-05T10:00:00+08:00", "text": SCRIPT}
    lines = [
        json.dumps(good, ensure_ascii=False).encode(),
        b"{not json",
        json.dumps({**good, "channel": "fax"}).encode(),
        json.dumps({**good, "text": "y" * 200_000}).encode(),
        json.dumps({**good, "colour": "red"}).encode(),
        b"",
        json.dumps({**good, "text": "加QQ 12345678 again"}).encode(),
    ]
    path = tmp_path / "reports.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out, _ = run(
        ["scam", "report", "--as", "agent-li", "--jsonl", str(path), "--json"],
        b"",
        capsys,
        monkeypatch,
    )
    rows = [json.loads(x) for x in out.splitlines()]
    errors = {r["line"]: r["error"] for r in rows if "error" in r}
    assert set(errors) == {2, 3, 4, 5} and code == 1
    assert errors[3]["field"] == "channel" and errors[5]["field"] == "colour"
    accepted = [r for r in rows if "error" not in r]
    assert [r["line"] for r in accepted] == [1, 7]
    assert accepted[0]["campaign_id"] == accepted[1]["campaign_id"]


def test_console_script_reads_real_stdin(home: Path) -> None:
    """The installed `shieldwall` command scores bytes piped on its real stdin."""
    exe = Path(sys.executable).with_name("shieldwall")
    done = subprocess.run(
        [str(exe), "scam", "score", "--json", "--lang", "en"],
        input=b"Please read me the code we just sent \xc3\x28",
        capture_output=True,
        env={**os.environ, "SHIELDWALL_HOME": str(home)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["replaced_bytes"] == 1 and body["lang"] == "en"
    assert any(s["signal"] == "code_request" for s in body["signals"])
