"""Warnings from results through the real CLI: ``warn plan --from-trace`` takes the JSON that
``trace victims --json`` or ``trace file --json`` printed, ``--case`` a case's customers
affected, ``--campaign`` the scam reports; each cause warns a customer once; bad input ends in
one line on stderr; and the warnings sender's audited reads never make it a victims-trace
suspect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.contact.warnings.ports import Outgoing
from shieldwall.contact.warnings.senders import WARNINGS_SENDER
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(41).customers(60)
cli = run_cli


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite home with 60 customers, a partner and a release of twelve of them."""
    with cli_home(tmp_path, monkeypatch, PEOPLE) as h:
        assert main(["principals", "add", "partner-sf", "--role", "partner", "--unit", "sf"]) == 0
        common.services().custody.relations.grant(
            "partner-sf",
            [c.customer_id for c in PEOPLE[:12]],
            ["name", "phone"],
            release_id="rel-7",
        )
        yield h


def victims_csv(tmp_path: Path, knew: str = "name;phone") -> str:
    lines = ["phone,customer_id,called_at,knew"]
    lines += [f"{c.phone},,2099-01-01T00:00:00+08:00,{knew}" for c in PEOPLE[:7]]
    lines.append(f",{PEOPLE[40].customer_id},,phone")
    path = tmp_path / "victims.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def trace_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, knew: str = "name;phone"
) -> dict[str, object]:
    code, out, err = cli(capsys, "trace", "victims", victims_csv(tmp_path, knew), "--json")
    assert code == 0, err
    doc: dict[str, object] = json.loads(out)
    return doc


def test_from_trace_warns_the_victims_once(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real trace result queues its 8 victims (7 explained, 1 unexplained); a re-run adds
    none."""
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(trace_json(capsys, tmp_path)), encoding="utf-8")
    code, out, err = cli(capsys, "warn", "plan", "--from-trace", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    want = {c.customer_id for c in PEOPLE[:7]} | {PEOPLE[40].customer_id}
    assert {c["customer_id"] for c in doc["candidates"]} == want
    assert doc["queued"] == 8 and doc["trigger"].startswith("leak:trace-")
    code, out, err = cli(capsys, "warn", "plan", "--from-trace", str(path), "--json")
    again = json.loads(out)
    assert code == 0 and again["queued"] == 0 and again["already_planned"] == 8
    assert again["trigger"] == doc["trigger"]


@pytest.mark.parametrize(
    "text",
    ['["C000001"]', '{"customer_ids": ["C000001"]}', "{not json", '{"victims": {}, "sources": 3}'],
)
def test_from_trace_refuses_other_shapes(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """A file that is not a victims trace result: one line naming from_trace, exit 1."""
    path = tmp_path / "other.json"
    path.write_text(text, encoding="utf-8")
    code, _, err = cli(capsys, "warn", "plan", "--from-trace", str(path))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "from_trace" in err


def test_from_a_leaked_file_trace_warns_the_customers_in_the_file(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``trace file --json`` names no customer; its audit entry records the customers matched
    in the file, and those (the five whose phones the file holds) are queued under
    ``leak-<entry>``, once. An entry that is not a leaked-file match is refused."""
    leak = tmp_path / "leak.csv"
    in_file = PEOPLE[30:35]
    rows = ["name,phone"] + [f"x,{c.phone}" for c in in_file] + ["y,13912345678"]
    leak.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "trace", "file", str(leak), "--json")
    assert code == 0, err
    report = json.loads(out)
    path = tmp_path / "leak-trace.json"
    path.write_text(out, encoding="utf-8")
    code, out, err = cli(capsys, "warn", "plan", "--from-trace", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert sorted(c["customer_id"] for c in doc["candidates"]) == sorted(
        c.customer_id for c in in_file
    )
    assert doc["queued"] == 5 and doc["trigger"] == f"leak:leak-{report['audit_seq']}"
    code, out, _ = cli(capsys, "warn", "plan", "--from-trace", str(path), "--json")
    assert code == 0 and json.loads(out)["queued"] == 0
    path.write_text(json.dumps({**report, "audit_seq": 0}), encoding="utf-8")  # not a match
    code, _, err = cli(capsys, "warn", "plan", "--from-trace", str(path))
    assert code == 1 and "not a leaked-file match" in err and len(err.strip().splitlines()) == 1


def test_case_warns_its_customers_affected(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case's linked customers are queued under the case's cause, once."""
    code, case_id, err = cli(capsys, "cases", "open")
    assert code == 0, err
    case_id = case_id.strip()
    linked = [c.customer_id for c in PEOPLE[20:23]]
    args = [a for cid in linked for a in ("--customer", cid)]
    code, _, err = cli(capsys, "cases", "link", case_id, *args)
    assert code == 0, err
    code, out, err = cli(capsys, "warn", "plan", "--case", case_id, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert sorted(c["customer_id"] for c in doc["candidates"]) == sorted(linked)
    assert doc["queued"] == 3 and doc["trigger"] == f"leak:case:{case_id}"
    code, out, _ = cli(capsys, "warn", "plan", "--case", case_id, "--json")
    assert code == 0 and json.loads(out)["queued"] == 0


def test_case_unknown_or_empty(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown case is not found (exit 4); a case with no customers is an error (exit 1)."""
    code, _, err = cli(capsys, "warn", "plan", "--case", "case-nope")
    assert code == 4 and len(err.strip().splitlines()) == 1
    code, case_id, _ = cli(capsys, "cases", "open")
    code, _, err = cli(capsys, "warn", "plan", "--case", case_id.strip())
    assert code == 1 and "no customers affected" in err


def test_campaign_unknown_and_exclusive_options(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown scam campaign is not found; two sources at once are refused."""
    code, _, err = cli(capsys, "warn", "plan", "--campaign", "camp-nope")
    assert code == 4 and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "warn", "plan", "--case", "c1", "--campaign", "c2")
    assert code == 1 and "exactly one" in err


def test_warnings_sender_is_not_a_suspect(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the warnings sender decrypts every victim's phone (audited), the trace still names
    the release and never the sender."""
    recipients = common.services().contact_ledger.recipients
    for n, c in enumerate(PEOPLE[:7]):
        recipients.address(
            Outgoing(f"ntf-{n}", c.customer_id, "sms", "zh", None, "warning", "leak:x")
        )
    doc = trace_json(capsys, tmp_path, knew="phone")  # all the sender saw: the phone
    named = {(r["kind"], r["id"]) for r in doc["ranking"]}  # type: ignore[attr-defined]
    named |= {(s["kind"], s["id"]) for s in doc["sources"]}  # type: ignore[attr-defined]
    assert ("principal", WARNINGS_SENDER.principal_id) not in named
    assert ("release", "rel-7") in named
    # Listed apart: the sender was shown the seven victims' phones for its declared purpose.
    services = doc["services"]
    assert [(s["id"], s["purposes"], s["explained"]) for s in services] == [  # type: ignore[attr-defined]
        (WARNINGS_SENDER.principal_id, ["customer_warning"], 7)
    ]
    code, out, err = cli(capsys, "trace", "victims", victims_csv(tmp_path, "phone"))
    assert code == 0, err
    assert "service principals with access, not ranked:" in out
    assert f"principal:{WARNINGS_SENDER.principal_id} (customer_warning) was shown 7" in out
