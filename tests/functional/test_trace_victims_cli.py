"""Victim attribution through the real CLI: ``shieldwall trace victims FILE`` names the leaking
release with verified evidence (JSON and table), and bad files end in one line on stderr."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(41).customers(60)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite home with 60 customers, a partner and a release of twelve of them."""
    with cli_home(tmp_path, monkeypatch, PEOPLE) as h:
        assert main(["principals", "add", "partner-sf", "--role", "partner", "--unit", "sf"]) == 0
        relations = common.services().custody.relations
        relations.grant(
            "partner-sf",
            [c.customer_id for c in PEOPLE[:12]],
            ["name", "phone"],
            release_id="rel-7",
        )
        yield h


cli = run_cli


def victims_file(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "victims.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def leaked_csv() -> str:
    lines = ["phone,customer_id,called_at,knew"]
    lines += [f"{c.phone},,2099-01-01T00:00:00+08:00,name;phone" for c in PEOPLE[:7]]
    lines.append(f",{PEOPLE[40].customer_id},,phone")
    lines.append(",C-UNKNOWN,,")
    return "\n".join(lines) + "\n"


def test_trace_victims_names_the_release_in_json(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json: the release is source 1 with verified evidence; the unknown id is reported."""
    code, out, err = cli(capsys, "trace", "victims", victims_file(tmp_path, leaked_csv()), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [(s["kind"], s["id"], s["explained"]) for s in doc["sources"]] == [
        ("release", "rel-7", 7)
    ]
    assert doc["sources"][0]["evidence"]["verified"]
    assert doc["victims"]["unresolved"] == [{"row": 10, "reason": "unknown_customer"}]
    assert doc["unexplained"] == [PEOPLE[40].customer_id]
    assert all(c.phone not in out for c in PEOPLE)


def test_trace_victims_prints_a_table(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --json: the ranking, the source with its verified entries, the unresolved row."""
    code, out, _ = cli(capsys, "trace", "victims", victims_file(tmp_path, leaked_csv()))
    assert code == 0
    assert "source 1: release:rel-7 explains 7 victims" in out
    assert "verified" in out and "row 10: unknown_customer" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "file: is empty"),
        ("   \n\n", "file: is empty"),
        ("phone,colour\n13800000000,red\n", "unknown column at position 2"),
        ("knew\nname\n", "needs a phone or a customer_id column"),
        ("customer_id\n", "has a header but no victims"),
        ("customer_id,knew\nC000001,shoe\n", "row 2.knew: has an unknown item"),
        ("customer_id,called_at\nC000001,soon\n", "row 2.called_at: is not an ISO 8601 time"),
        ("customer_id,called_at\nC000001,2026-03-01T10:00\n", "needs a UTC offset"),
        ("customer_id\nC1,extra,cells\n", "row 2: has more cells"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file: is not CSV text"),
        (b"customer_id\n\xff\xfe\xfa\n", "file: is not UTF-8 text"),
    ],
)
def test_bad_files_fail_with_one_line(
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | bytes,
    message: str,
) -> None:
    """Each unusable file exits 1 with one line on stderr naming the problem, not the value."""
    code, out, err = cli(capsys, "trace", "victims", victims_file(tmp_path, content))
    assert code == 1 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert "13800000000" not in err and "shoe" not in err


def test_missing_file_fails_cleanly(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path that does not exist: exit 1, one line."""
    code, _, err = cli(capsys, "trace", "victims", str(tmp_path / "nope.csv"))
    assert code == 1 and "file: cannot be read" in err


def test_unparseable_phones_are_reported_not_fatal(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows with a phone that does not parse or matches nobody are listed with a reason."""
    text = "phone\nnot-a-phone\n+8613912345678\n" + f"{PEOPLE[0].phone}\n"
    code, out, _ = cli(capsys, "trace", "victims", victims_file(tmp_path, text), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["victims"]["unresolved"] == [
        {"row": 2, "reason": "invalid_phone"},
        {"row": 3, "reason": "unknown_phone"},
    ]
    assert doc["victims"]["resolved"] == 1


def test_unproven_top_is_most_likely_not_proven(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two victims of the release (12 of 60 customers, the only candidate): p = C(12,2)/C(60,2)
    = 66/1770 = 0.0373 is not below alpha 0.01, so nothing is named; with a third victim at the
    same rate, C(12,3)/C(60,3) = 220/34220 = 0.0064 would be: one more victim settles it."""
    text = "customer_id,called_at,knew\n" + "".join(
        f"{c.customer_id},2099-01-01T00:00:00+08:00,name;phone\n" for c in PEOPLE[:2]
    )
    code, out, err = cli(capsys, "trace", "victims", victims_file(tmp_path, text), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["sources"] == [] and doc["candidates_tested"] == 1
    lead = doc["lead"]
    assert (lead["verdict"], lead["kind"], lead["id"]) == (
        "most likely, not proven",
        "release",
        "rel-7",
    )
    assert lead["p_adjusted"] == pytest.approx(66 / 1770, rel=1e-9)
    assert (lead["victims_needed"], lead["more_victims"]) == (3, 1)
    code, out, err = cli(capsys, "trace", "victims", victims_file(tmp_path, text))
    assert code == 0, err
    assert "most likely, not proven: release:rel-7 explains 2 of 2 victims" in out
    assert "to settle it: about 1 more victims" in out
    assert "fingerprint" in out
