"""Issue #10 point 4: forgeries of the audit log by someone who can write the database but holds
neither the signing key nor the published checkpoints. Each one passed ``audit verify`` before."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.audit.merkle import Frontier, leaf_hash
from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import cli_home, run_cli

PEOPLE = PeopleFactory(21).customers(6)
REASON = "customer fainted on the phone, need the address"
EVERY = 4  # checkpoint_every in the home's config: small, so a short log has checkpoints


def restart() -> None:
    """A new CLI process: services built afresh (nothing cached from before the tampering)."""
    if common.services.cache_info().currsize:
        common.services().close()
    common.services.cache_clear()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A SQLite home (checkpoint every 4 entries) whose log has 11 entries, 4 by agent-li."""
    h = tmp_path / "home"
    h.mkdir()
    (h / "shieldwall.toml").write_text(f"[audit]\ncheckpoint_every = {EVERY}\n")
    with cli_home(tmp_path, monkeypatch, PEOPLE) as h:
        assert main(["principals", "add", "agent-li", "--role", "agent", "--unit", "cs-1"]) == 0
        for i in range(4):
            assert main(["principals", "add", f"courier-{i}", "--role", "courier"]) == 0
            code = main(
                [
                    *("customers", "break-glass", PEOPLE[i].customer_id),
                    *("--as", "agent-li", "--reason", REASON),
                ]
            )
            assert code == 0
        yield h


def sql(home: Path, script: str) -> None:
    with sqlite3.connect(home / "shieldwall.db") as db:
        db.executescript(script)


def entries(home: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(home / "shieldwall.db") as db:
        return db.execute("SELECT seq, actor, body FROM audit_entries ORDER BY seq").fetchall()


def rebuild(home: Path, keep: int | None = None, drop_actor: str | None = None) -> None:
    """What a forger with database access does: rewrite the log from chosen entries (renumbered,
    rehashed, every tree node and the head recomputed) and delete every checkpoint."""
    rows = entries(home)
    if keep is not None:
        rows = rows[:keep]
    if drop_actor is not None:
        rows = [r for r in rows if r[1] != drop_actor]
    frontier = Frontier()
    with sqlite3.connect(home / "shieldwall.db") as db:
        old = {r[0]: r for r in db.execute("SELECT seq, ts, actor, action FROM audit_entries")}
        db.executescript(
            "DELETE FROM audit_entries; DELETE FROM audit_nodes; DELETE FROM audit_checkpoints;"
        )
        for new_seq, (seq, _, body) in enumerate(rows):
            doc = json.loads(body)
            doc["seq"] = new_seq
            text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            lh = leaf_hash(text.encode())
            for level, idx, h in frontier.append(lh):
                db.execute("INSERT INTO audit_nodes VALUES (?, ?, ?)", (level, idx, h))
            _, ts, actor, action = old[seq]
            db.execute(
                "INSERT INTO audit_entries (seq, ts, actor, action, body, leaf_hash)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (new_seq, ts, actor, action, text, lh),
            )
        db.execute(
            "UPDATE audit_head SET tree_size = ?, frontier = ?",
            (frontier.size, b"".join(frontier.edge)),
        )


def verify(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    restart()
    code, out, err = run_cli(capsys, "audit", "verify", *extra)
    return code, out + err


def test_the_untampered_log_verifies(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fixture's log passes verify against its witness file (so failures below are real)."""
    code, out = verify(capsys)
    assert code == 0 and "audit log OK" in out


def test_rebuilding_the_log_without_one_agents_entries_fails(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rebuilt without agent-li's entries and with no checkpoint at all: verify fails."""
    assert any(actor == "agent-li" for _, actor, _ in entries(home))
    rebuild(home, drop_actor="agent-li")
    code, out = verify(capsys)
    assert code == 1 and "FAILED" in out


def test_rebuilt_log_fails_on_the_checkpoint_policy_alone(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even without the witness file, a rebuilt log lacks the checkpoints the policy demands."""
    rebuild(home, drop_actor="agent-li")
    code, out = verify(capsys, "--no-witness")
    assert code == 1 and f"one is due every {EVERY} entries" in out


def test_a_missing_required_checkpoint_fails(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deleting the checkpoint the policy demands at size 4 fails verify."""
    with sqlite3.connect(home / "shieldwall.db") as db:
        db.execute("DELETE FROM audit_checkpoints WHERE tree_size = ?", (EVERY,))
    code, out = verify(capsys, "--no-witness")
    assert code == 1 and f"no checkpoint at size {EVERY}" in out


def test_a_tail_edit_after_the_last_stored_checkpoint_fails(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Editing and rehashing entries after the last checkpoint left in the database (the later
    ones deleted) fails against the witness. (Entries after the last *published* checkpoint
    are at most ``checkpoint_every`` entries or ``checkpoint_seconds``: see test_audit_policy.)"""
    rows = entries(home)
    size = len(rows)
    witnessed = size // EVERY * EVERY
    seq, _, body = [r for r in rows if r[1] == "agent-li" and EVERY <= r[0] < witnessed][-1]
    with sqlite3.connect(home / "shieldwall.db") as db:
        db.execute(
            "UPDATE audit_entries SET body = ? WHERE seq = ?",
            (body.replace("break_glass", "read"), seq),
        )
        db.execute("UPDATE audit_entries SET action = 'read' WHERE seq = ?", (seq,))
    rebuild(home)  # every checkpoint deleted; all hashes consistent again
    assert len(entries(home)) == size
    code, out = verify(capsys)
    assert code == 1 and "do not match the signed checkpoint" in out


def test_a_cut_tail_fails(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Cutting the last entries (and their checkpoints, nodes and head): verify fails."""
    rebuild(home, keep=EVERY + 1)
    code, out = verify(capsys)
    assert code == 1 and "covers entries that are gone" in out


def test_a_restored_old_backup_fails(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup taken earlier and restored after more entries were witnessed: verify fails."""
    restart()
    backup = tmp_path / "backup.db"
    with sqlite3.connect(home / "shieldwall.db") as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    for i in range(4, 6):
        assert run_cli(capsys, "principals", "add", f"courier-{i}", "--role", "courier")[0] == 0
    assert run_cli(capsys, "audit", "checkpoint")[0] == 0
    restart()
    with sqlite3.connect(backup) as src, sqlite3.connect(home / "shieldwall.db") as dst:
        src.backup(dst)
    code, out = verify(capsys)
    assert code == 1 and "covers entries that are gone" in out


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "courier-0"), ("ts", "2020-01-01 00:00:00.000000"), ("action", "read")],
)
def test_a_rewritten_column_beside_the_body_fails(
    home: Path, capsys: pytest.CaptureFixture[str], column: str, value: str
) -> None:
    """Rewriting an entry's actor, ts or action column (not its hashed body) fails verify."""
    seq = next(s for s, actor, _ in entries(home) if actor == "agent-li")
    with sqlite3.connect(home / "shieldwall.db") as db:
        # the column name comes from the parametrize list above, never from input
        db.execute(f"UPDATE audit_entries SET {column} = ? WHERE seq = ?", (value, seq))  # noqa: S608
    code, out = verify(capsys)
    assert code == 1 and f"its {column} column disagrees with the hashed entry" in out
