"""Guard passwords through the real CLI: import, merge, resume, stats, range, check on stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from shieldwall.cli.app import main
from shieldwall.guard.passwords import shardfile
from shieldwall.guard.passwords.hashing import HashKind
from tests.functional.test_custody_cli import cli, home, seeded  # noqa: F401 - fixtures

SHA_PASSWORD = HashKind.SHA1.digest("password").hex().upper()


def _hibp_file(path: Path, entries: dict[str, int]) -> Path:
    path.write_text(
        "\r\n".join(f"{HashKind.SHA1.digest(p).hex().upper()}:{c}" for p, c in entries.items())
        + "\r\nnot-a-hash-line\r\n"
    )
    return path


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_import_merge_stats_range(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """import builds, a second import is refused, merge updates; malformed lines named."""
    v1 = _hibp_file(tmp_path / "v1.txt", {"password": 100, "123456": 50})
    code, out, err = cli("passwords", "import", str(v1), "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0 and report["hashes_after"] == 2 and report["malformed"] == 1
    assert report["errors"] == ["v1.txt:3: expected 40 hex digits, a colon and a count"]
    code, _, err = cli("passwords", "import", str(v1), capsys=capsys)
    assert code == 1 and "use merge" in err
    v2 = _hibp_file(tmp_path / "v2.txt", {"password": 120, "qwerty": 7})
    assert cli("passwords", "merge", str(v2), capsys=capsys)[0] == 0
    code, out, _ = cli("passwords", "stats", "--verify", "--json", capsys=capsys)
    stats = json.loads(out)
    assert code == 0 and stats["hashes"] == 3 and stats["problems"] == []
    code, out, _ = cli("passwords", "range", SHA_PASSWORD[:5], capsys=capsys)
    assert out == f"{SHA_PASSWORD[5:]}:120\n"
    code, _, err = cli("passwords", "range", "XYZ", capsys=capsys)
    assert code == 1 and "not in a valid format" in err


def test_interrupted_import_resumes(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A merge killed mid-build is finished by running the same command again."""
    lists = tmp_path / "list.txt"
    lists.write_text("".join(f"pw{i}\n" for i in range(300)) + "password\npassword\n")
    real = shardfile.write_atomic
    calls = {"n": 0}

    def crash(path: Path, data: bytes, *, fsync: bool = True) -> None:
        if path.suffix == ".shard":
            calls["n"] += 1
            if calls["n"] == 20:
                raise KeyboardInterrupt
        real(path, data, fsync=fsync)

    monkeypatch.setattr(shardfile, "write_atomic", crash)
    code, _, _ = cli("passwords", "merge", "--format", "plain", str(lists), capsys=capsys)
    assert code == 130
    monkeypatch.setattr(shardfile, "write_atomic", real)
    code, out, _ = cli("passwords", "stats", capsys=capsys)
    assert "unfinished" in out
    code, out, _ = cli(
        "passwords", "merge", "--format", "plain", str(lists), "--json", capsys=capsys
    )
    assert (
        code == 0 and json.loads(out)["resumed"] is True and json.loads(out)["hashes_after"] == 301
    )
    _, out, _ = cli("passwords", "range", SHA_PASSWORD[:5], capsys=capsys)
    assert out.strip() == f"{SHA_PASSWORD[5:]}:2"


def test_check_reads_stdin(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """check takes the password from stdin; 0 accepted, 5 rejected with reasons."""
    assert (
        cli(
            "passwords",
            "import",
            str(_hibp_file(tmp_path / "a.txt", {"correct horse battery": 3})),
            capsys=capsys,
        )[0]
        == 0
    )
    _stdin(monkeypatch, "correct horse battery\n")
    code, out, _ = cli("passwords", "check", "--json", capsys=capsys)
    verdict = json.loads(out)
    assert code == 5 and [r["code"] for r in verdict["reasons"]] == ["breached"]
    _stdin(monkeypatch, "violet tractor humming softly\n")
    code, out, _ = cli("passwords", "check", "--lang", "en", capsys=capsys)
    assert code == 0 and out.strip() == "Password accepted."
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps({"name": "李雷", "phone": "+8613912345678"}), encoding="utf-8")
    _stdin(monkeypatch, "lilei loves the sea forever\n")
    code, out, _ = cli("passwords", "check", "--context", str(ctx), "--lang", "zh", capsys=capsys)
    assert code == 5 and "[contains_name]" in out and "姓名" in out


def test_check_customer_from_custody(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--customer looks the customer up through custody (decrypted in process, audited)."""
    seeded(home, tmp_path, capsys)
    from tests.functional.test_custody_cli import PEOPLE

    person = PEOPLE[0]
    _stdin(monkeypatch, f"ocean breeze {person.phone[-4:]} at dusk\n")
    code, out, _ = cli(
        "passwords", "check", "--customer", person.customer_id, "--json", capsys=capsys
    )
    assert code == 5 and "contains_phone" in [r["code"] for r in json.loads(out)["reasons"]]
    assert person.phone[-4:] not in out
    code, _, err = cli("passwords", "check", "--customer", "C-missing", capsys=capsys)
    assert code == 4 and "no customer" in err


def test_password_not_accepted_on_argv(home: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    """There is no option that takes the password itself."""
    assert main(["passwords", "check", "--password", "x"]) == 2
