"""Issue #10 point 4: no committed mutation without its audit entry. Each mutation stages its
entry in the data's own transaction; a process that dies after the data commit and before the
log append has its entry logged at the next start, and ``audit verify`` passes."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from shieldwall.audit.log import MerkleAuditLog
from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody import policy as custody_policy
from shieldwall.custody.audit_events import access_event
from shieldwall.sim.people import PeopleFactory
from shieldwall.storage.audit_repo import SqlAuditStore
from shieldwall.storage.custody_repo import SqlCustodyStore
from shieldwall.trace.releases.service import ReleaseRequest
from shieldwall.wiring import Services
from tests.functional.clihome import cli_home
from tests.functional.conftest import order_row

PEOPLE = PeopleFactory(41).customers(3)
CUSTOMER = PEOPLE[0].customer_id


class SimulatedCrash(BaseException):
    """The process dying: not an error anything may catch and handle."""


def _seed(tmp_path: Path, svc: Services) -> None:
    """Orders for the customers, and an agent (with a ticket), a courier and a partner."""
    orders = tmp_path / "o.jsonl"
    orders.write_text(
        "\n".join(json.dumps(order_row(i, c)) for i, c in enumerate(PEOPLE, 1)) + "\n",
        encoding="utf-8",
    )
    assert main(["orders", "import", str(orders)]) == 0
    principals = svc.custody.principals
    for pid, role in (("agent-li", "agent"), ("courier-wang", "courier"), ("partner-x", "partner")):
        principals.add(pid, role)
    principals.add("agent-off", "agent")
    principals.set_active("agent-off", False)
    svc.custody.relations.open_ticket("agent-li", CUSTOMER)
    svc.cases.cases.open("manual")


def _case_id(svc: Services) -> str:
    (case,) = svc.cases.cases.recent()
    return case.case_id


def _close_ticket(svc: Services) -> None:
    with svc.engine.connect() as conn:
        (ticket_id,) = conn.exec_driver_sql(
            "SELECT ticket_id FROM tickets WHERE status = 'open'"
        ).one()
    svc.custody.relations.close_ticket(ticket_id)


def _register_contact(svc: Services) -> None:
    agent = svc.custody.principals.get("agent-li")
    svc.contact_ledger.ledger.register(
        agent, customer_id=CUSTOMER, channel="chat", reason="delivery"
    )


# (mutation, the reason its audit entry carries)
MUTATIONS: dict[str, tuple[Callable[[Services], object], str]] = {
    "principal_add": (
        lambda s: s.custody.principals.add("agent-new", "agent"),
        "principal_key_issued",
    ),
    "key_rotation": (
        lambda s: s.custody.principals.rotate_key("agent-li"),
        "principal_key_issued",
    ),
    "suspend": (
        lambda s: s.custody.principals.set_active("agent-li", False),
        "principal_suspended",
    ),
    "reinstate": (
        lambda s: s.custody.principals.set_active("agent-off", True),
        "principal_reinstated",
    ),
    "ticket_open": (
        lambda s: s.custody.relations.open_ticket("agent-li", PEOPLE[1].customer_id),
        "ticket_opened",
    ),
    "ticket_close": (_close_ticket, "ticket_closed"),
    "courier_assign": (
        lambda s: s.custody.relations.assign_courier("courier-wang", "O0001"),
        "courier_assigned",
    ),
    "order_status": (
        lambda s: s.custody.relations.set_order_status("O0002", "shipped"),
        "status_shipped",
    ),
    "grant": (
        lambda s: s.custody.relations.grant("partner-x", [CUSTOMER], ["name"]),
        "release_grant",
    ),
    "release": (
        lambda s: s.releases.create(ReleaseRequest("partner-x", [CUSTOMER], ["name", "phone"])),
        "release_export",
    ),
    "contact_register": (_register_contact, "contact_registered"),
    "case_open": (lambda s: s.cases.cases.open("manual"), "case_opened"),
    "case_transition": (
        lambda s: s.cases.cases.transition(_case_id(s), "investigating"),
        "case_transition",
    ),
    "case_link": (
        lambda s: s.cases.cases.link(_case_id(s), customers=[CUSTOMER]),
        "case_linked",
    ),
    "evidence_add": (
        lambda s: s.cases.evidence.add(_case_id(s), b"leaked rows", kind="leaked_file"),
        "evidence_received",
    ),
}


def _count(home: Path, reason: str) -> int:
    with sqlite3.connect(home / "shieldwall.db") as db:
        bodies = [json.loads(b) for (b,) in db.execute("SELECT body FROM audit_entries")]
    return sum(1 for b in bodies if b["reason"] == reason)


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
def test_mutation_killed_after_its_data_commit_is_audited_at_restart(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crash in the audit write right after the mutation commits; the restart logs its entry."""
    mutate, reason = MUTATIONS[kind]
    with cli_home(tmp_path, monkeypatch, PEOPLE) as home:
        svc = common.services()
        _seed(tmp_path, svc)
        before = _count(home, reason)

        def crash(self: SqlAuditStore) -> None:
            raise SimulatedCrash

        with monkeypatch.context() as patch:
            patch.setattr(SqlAuditStore, "write", crash)
            with pytest.raises(SimulatedCrash):
                mutate(svc)
        svc.close()  # the process is gone; a new one starts on the same home
        common.services.cache_clear()
        assert _count(home, reason) == before  # nothing logged before the restart
        assert main(["audit", "verify"]) == 0  # starting up logs what the crash left staged
        assert _count(home, reason) == before + 1
        with sqlite3.connect(home / "shieldwall.db") as db:
            assert db.execute("SELECT count(*) FROM audit_outbox").fetchone()[0] == 0


def test_mutation_entry_is_logged_before_the_call_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a crash, the mutation's own entry is in the log when the call returns."""
    with cli_home(tmp_path, monkeypatch, PEOPLE) as home:
        svc = common.services()
        _seed(tmp_path, svc)
        before = _count(home, "courier_assigned")
        svc.custody.relations.assign_courier("courier-wang", "O0003")
        assert _count(home, "courier_assigned") == before + 1
        with sqlite3.connect(home / "shieldwall.db") as db:
            assert db.execute("SELECT count(*) FROM audit_outbox").fetchone()[0] == 0


def test_concurrent_callers_each_get_their_own_entry(services: Services) -> None:
    """Threads staging and logging at once each get the sequence number of their own event."""
    log: MerkleAuditLog = services.audit
    custody = SqlCustodyStore(services.engine)
    actor = Principal("agent-t", Role.AGENT)
    threads = 8
    barrier = threading.Barrier(threads)
    got: dict[str, int | None] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        marker = f"t{n}"
        event = access_event(
            services.clock.now(),
            actor,
            Action.TICKET_OPEN,
            Decision.ALLOW,
            "ticket_opened",
            channel="cli",
            extra={"marker": marker},
        )
        try:
            barrier.wait()
            with custody.write() as tx:
                staged = tx.stage_audit([event])
            (got[marker],) = log.log_staged(staged)
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    assert len(got) == threads
    for marker, seq in got.items():
        assert seq is not None
        assert log.entry(seq).event.extra["marker"] == marker
    assert len({*got.values()}) == threads


def test_policy_change_killed_after_its_commit_is_audited_at_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start with a new policy that dies after recording it still logs ``policy_loaded``."""
    with cli_home(tmp_path, monkeypatch) as home:
        common.services().close()
        before = _count(home, "policy_loaded")
        shipped = Path(custody_policy.__file__).with_name("default_policy.yaml")
        changed = tmp_path / "policy.yaml"
        changed.write_text(shipped.read_text(encoding="utf-8") + "\n# changed\n", "utf-8")
        monkeypatch.setenv("SHIELDWALL_POLICY_FILE", str(changed))
        common.settings.cache_clear()
        common.services.cache_clear()

        def crash(self: SqlAuditStore) -> None:
            raise SimulatedCrash

        with monkeypatch.context() as patch:
            patch.setattr(SqlAuditStore, "write", crash)
            with pytest.raises(SimulatedCrash):
                common.services()
        common.services.cache_clear()
        with sqlite3.connect(home / "shieldwall.db") as db:
            assert db.execute("SELECT count(*) FROM policy_versions").fetchone()[0] == 2
        assert main(["audit", "verify"]) == 0
        assert _count(home, "policy_loaded") == before + 1
