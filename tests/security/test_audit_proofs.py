"""Issue #10 point 4: one hash encoding everywhere, and a standalone proof verifier that needs
neither the database nor a shieldwall home."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(44).customers(4)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with cli_home(tmp_path, monkeypatch, PEOPLE) as h:
        for i in range(5):
            assert main(["principals", "add", f"courier-{i}", "--role", "courier"]) == 0
        yield h


def test_cli_proof_hashes_are_base64_like_the_api_and_the_checkpoint(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit proof` prints hashes in base64, and its root is the checkpoint note's root line."""
    code, out, _ = run_cli(capsys, "audit", "checkpoint")
    assert code == 0
    note_root = out.split("\n")[2]
    code, out, _ = run_cli(capsys, "audit", "proof", "2")
    doc = json.loads(out)
    assert code == 0 and doc["root_hash"] == note_root
    assert len(base64.b64decode(doc["inclusion"]["leaf_hash"], validate=True)) == 32


def test_verify_proof_needs_no_database_and_catches_edits(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """verify-proof checks a proof file against a checkpoint note and the verifier key, with
    SHIELDWALL_HOME pointing nowhere; an edited entry or root fails it (exit 1)."""
    proof, note = tmp_path / "proof.json", tmp_path / "checkpoint.note"
    code, _, _ = run_cli(
        capsys, "audit", "proof", "3", "--since", "2", "--out", str(proof),
        "--checkpoint-out", str(note),
    )  # fmt: skip
    assert code == 0
    vkey = run_cli(capsys, "audit", "pubkey")[1].strip()
    common.services().close()
    common.services.cache_clear()
    common.settings.cache_clear()
    nowhere = tmp_path / "no-home"
    monkeypatch.setenv("SHIELDWALL_HOME", str(nowhere))
    code, out, _ = run_cli(capsys, "audit", "verify-proof", str(note), str(proof), "--key", vkey)
    assert code == 0 and "entry 3 is in the tree" in out and "is a prefix" in out
    assert not nowhere.exists()

    doc = json.loads(proof.read_text())
    doc["inclusion"]["entry"] = doc["inclusion"]["entry"].replace("courier", "agent")
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    code, _, err = run_cli(capsys, "audit", "verify-proof", str(note), str(edited), "--key", vkey)
    assert code == 1 and "does not hash to its leaf hash" in err

    lines = note.read_text().split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    forged = tmp_path / "forged.note"
    forged.write_text("\n".join(lines))
    code, _, err = run_cli(capsys, "audit", "verify-proof", str(forged), str(proof), "--key", vkey)
    assert code == 1 and "invalid signature" in err
