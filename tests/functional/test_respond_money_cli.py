"""Victims and compensation through the real CLI: a police list in GB18030 registered, a claim
submitted by an agent, approved as an advance and paid by the operator, a recovery, and
``shieldwall claims report --case X``; bad input ends in one line on stderr."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.cli.app import main
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(43).customers(5)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with cli_home(tmp_path, monkeypatch, PEOPLE) as h:
        assert main(["principals", "add", "agent-li", "--role", "agent", "--unit", "cs"]) == 0
        yield h


def test_list_claim_advance_payment_recovery_and_report(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole path from a police list to the case report, with amounts worked by hand."""
    rows = ["phone,national_id,name,loss_yuan"]
    rows += [f"{c.phone.removeprefix('+86')},,{c.name},1500.50" for c in PEOPLE[:2]]
    rows.append(f",{PEOPLE[0].national_id},,")  # the first customer again
    path = tmp_path / "police.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("gb18030"))
    code, out, err = run_cli(
        capsys, "victims", "import", str(path), "--case", "case-7", "--source", "police",
        "--encoding", "gb18030", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["registered"], doc["matched"]) == (2, 2)
    assert doc["duplicates"] == [{"row": 4, "duplicate_of": 2}]
    assert PEOPLE[0].name not in out and PEOPLE[0].phone.removeprefix("+86") not in out

    cid = PEOPLE[0].customer_id
    code, out, err = run_cli(
        capsys, "claims", "submit", "--case", "case-7", "--customer", cid,
        "--amount-yuan", "1500.50", "--as", "agent-li", "--json",
    )  # fmt: skip
    assert code == 0, err
    claim = json.loads(out)
    assert claim["amount_claimed_fen"] == 150_050
    claim_id = claim["claim_id"]
    assert run_cli(capsys, "claims", "review", claim_id)[0] == 0
    code, out, err = run_cli(
        capsys, "claims", "approve", claim_id, "--advance", "--idempotency-key", "approve-0001",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["posting"]["kind"] == "advance"
    pay = ("claims", "pay", claim_id, "--amount-fen", "150050", "--idempotency-key", "pay-00001")
    code, out, err = run_cli(capsys, *pay, "--json")
    assert code == 0, err
    code, out, _ = run_cli(capsys, *pay)
    assert code == 0 and "replayed" in out
    code, out, err = run_cli(
        capsys, "ledger", "recover", "--case", "case-7", "--amount-fen", "50000",
        "--idempotency-key", "recover-0001",
    )  # fmt: skip
    assert code == 0, err

    code, out, err = run_cli(capsys, "claims", "report", "--case", "case-7")
    assert code == 0, err
    lines = {" ".join(line.split()) for line in out.splitlines()}
    assert {
        "paid 1,500.50 yuan",
        "advanced (先行赔付) 1,500.50 yuan",
        "recovered 500.00 yuan",
        "still recoverable 1,000.50 yuan",
        "open claims: 0",
    } <= lines
    code, out, _ = run_cli(capsys, "ledger", "balances", "--json")
    bal = json.loads(out)
    assert bal["trial_balance_fen"] == 0
    assert bal["balances"] == {"cash": -100_050, "recoverable:case-7": 100_050}


def test_bad_input_is_one_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A binary file, an unknown source, a float amount in fen, a strict list with a bad ID
    number: one line on stderr, non-zero exit, nothing registered."""
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"phone\n\x00\x01\n")
    code, _, err = run_cli(
        capsys, "victims", "import", str(binary), "--case", "c", "--source", "police"
    )
    assert code == 1 and err.strip().count("\n") == 0 and "binary" in err
    good = tmp_path / "g.csv"
    good.write_text("national_id\n110105194912310021\n", encoding="utf-8")
    code, out, err = run_cli(
        capsys, "victims", "import", str(good), "--case", "c", "--source", "rumour"
    )
    assert code == 1 and "source" in err
    code, out, _ = run_cli(
        capsys, "victims", "import", str(good), "--case", "c", "--source", "police"
    )
    assert code == 1 and "NOT registered" in out and "invalid_national_id" in out
    assert "110105194912310021" not in out
    code, out, _ = run_cli(capsys, "victims", "list", "--case", "c", "--json")
    assert json.loads(out) == {"victims": []}
    code, _, err = run_cli(
        capsys, "claims", "submit", "--case", "c", "--customer", PEOPLE[0].customer_id,
        "--amount-fen", "12.5",
    )  # fmt: skip
    assert code == 2  # a usage error: --amount-fen takes an integer
    code, _, err = run_cli(
        capsys, "claims", "submit", "--case", "c", "--customer", PEOPLE[0].customer_id,
        "--amount-yuan", "12.505",
    )  # fmt: skip
    assert code == 1 and "amount_yuan" in err and err.count("\n") == 1
