"""Issue #10 point 4: an import whose process dies after the data commit still gets its audit
entry (staged in the data's transaction, logged at the next start)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.sim.people import PeopleFactory
from shieldwall.storage.audit_repo import SqlAuditStore
from tests.functional.clihome import cli_home

PEOPLE = PeopleFactory(33).customers(20)


class SimulatedCrash(BaseException):
    """The process dying: not an error anything may catch and handle."""


def test_import_killed_after_the_data_commit_is_audited_at_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crash in the audit write after the customers commit; the next start logs the import."""
    with cli_home(tmp_path, monkeypatch) as home:
        path = tmp_path / "c.csv"
        path.write_text(
            "customer_id,name,phone,email,address,national_id\n"
            + "".join(
                f"{c.customer_id},{c.name},{c.phone},{c.email},{c.address},{c.national_id}\n"
                for c in PEOPLE
            ),
            encoding="utf-8",
        )

        def crash(self: SqlAuditStore) -> None:
            raise SimulatedCrash

        assert main(["audit", "pubkey"]) == 0  # the process has started
        with monkeypatch.context() as patch:
            patch.setattr(SqlAuditStore, "write", crash)
            with pytest.raises(SimulatedCrash):
                main(["customers", "import", str(path)])
        common.services.cache_clear()  # the process is gone; a new one starts
        with sqlite3.connect(home / "shieldwall.db") as db:
            assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == len(PEOPLE)
        assert main(["audit", "verify"]) == 0  # starting up logs what the crash left staged
        with sqlite3.connect(home / "shieldwall.db") as db:
            bodies = [json.loads(b) for (b,) in db.execute("SELECT body FROM audit_entries")]
        imports = [b for b in bodies if b["action"] == "import"]
        assert [(b["extra"]["kind"], b["extra"]["rows"]) for b in imports] == [
            ("customers", str(len(PEOPLE)))
        ]
