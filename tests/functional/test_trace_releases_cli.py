"""Releases and leak attribution through the real CLI: ``releases create|list|show|canary`` and
``trace file``, with one-line errors and non-zero exits on bad input."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.cli.app import main
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(21).customers(60)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite home with 60 customers and two partners; CLI caches cleared."""
    with cli_home(tmp_path, monkeypatch, PEOPLE) as h:
        for pid in ("partner-a", "partner-b"):
            assert main(["principals", "add", pid, "--role", "partner", "--unit", pid]) == 0
        yield h


cli = run_cli


def ids_file(tmp_path: Path, name: str, people: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(people) + "\n", encoding="utf-8")
    return path


def test_create_list_show_canary_and_trace(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two overlapping releases; the leaked copy of one is traced to its recipient only."""
    ids = [c.customer_id for c in PEOPLE]
    out_a, out_b = tmp_path / "a.csv", tmp_path / "b.json"
    code, out, err = cli(
        capsys, "releases", "create", "--to", "partner-a", "--customers",
        str(ids_file(tmp_path, "a.txt", ids[:40])), "--optional",
        str(ids_file(tmp_path, "ao.txt", ids[40:])), "--out", str(out_a), "--json",
    )  # fmt: skip
    assert code == 0, err
    rel_a = json.loads(out)["release"]
    code, out, err = cli(
        capsys, "releases", "create", "--to", "partner-b", "--customers",
        str(ids_file(tmp_path, "b.txt", ids[20:])), "--format", "json", "--out", str(out_b),
        "--canaries", "3", "--note", "weekly fulfilment list",
    )  # fmt: skip
    assert code == 0, err
    assert "3 canaries" in out and json.loads(out_b.read_text(encoding="utf-8"))
    code, out, _ = cli(capsys, "releases", "list", "--json")
    assert code == 0 and len(json.loads(out)["releases"]) == 2
    code, out, _ = cli(capsys, "releases", "show", rel_a["release_id"], "--json")
    assert code == 0 and json.loads(out)["file_sha256"] == rel_a["file_sha256"]
    code, out, _ = cli(capsys, "releases", "list", "--to", "partner-b", "--json")
    assert [r["note"] for r in json.loads(out)["releases"]] == ["weekly fulfilment list"]
    rows = list(csv.DictReader(out_a.open(encoding="utf-8")))
    real = {c.phone for c in PEOPLE}
    trap = next(r["phone"] for r in rows if r["phone"] not in real)
    code, out, _ = cli(capsys, "releases", "canary", trap, "--json")
    assert code == 0 and json.loads(out)["release"]["release_id"] == rel_a["release_id"]
    code, out, err = cli(capsys, "trace", "file", str(out_a), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["accused"] == ["partner-a"]
    code, out, _ = cli(capsys, "trace", "file", str(out_a))
    assert code == 0 and "partner-a" in out and "YES" in out


def test_cli_errors(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad recipient, missing ids file, unknown release, unknown trap, empty and junk leaks."""
    cid = PEOPLE[0].customer_id
    out = tmp_path / "x.csv"
    cases = [
        (["releases", "create", "--to", "nobody", "--customer", cid, "--out", str(out)], 4),
        (["releases", "create", "--to", "partner-a", "--customers", "/nope", "--out", str(out)], 1),
        (["releases", "create", "--to", "partner-a", "--customer", cid, "--fields", "x",
          "--out", str(out)], 1),
        (["releases", "create", "--to", "partner-a", "--customer", cid,
          "--out", str(tmp_path / "no" / "x.csv")], 1),
        (["releases", "show", "rel_nope"], 4),
        (["releases", "canary", "+8617030000000"], 4),
        (["trace", "file", str(tmp_path / "missing.csv")], 1),
    ]  # fmt: skip
    for args, expected in cases:
        code, _, err = cli(capsys, *args)
        assert code == expected, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1
    assert not out.exists()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 50)
    for path, reason in [(empty, "empty"), (junk, "binary")]:
        code, _, err = cli(capsys, "trace", "file", str(path))
        assert code == 1 and reason in err
