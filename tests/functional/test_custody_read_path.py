"""The masked read's path on real storage (SQLite and PostgreSQL): the one query that reads a
customer and the agent's open tickets together, and how many statements a read issues."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from shieldwall.core.clock import ManualClock
from shieldwall.core.model import Principal, Ticket
from shieldwall.custody.errors import AccessDenied
from shieldwall.sim.people import PeopleFactory
from shieldwall.storage.audit_repo import SqlAuditTx
from shieldwall.wiring import Services
from tests.functional.conftest import customer_row


@pytest.fixture
def people(services: Services) -> list[str]:
    """Three imported customers; their ids."""
    customers = PeopleFactory(5).customers(3)
    rows = [(n, customer_row(c)) for n, c in enumerate(customers, 1)]
    assert services.custody.importer.customers(rows).committed
    return [c.customer_id for c in customers]


@pytest.fixture
def agent(services: Services) -> Principal:
    services.custody.principals.add("desk", "service")
    _, key = services.custody.principals.add("agent-li", "agent", unit="cs-1")
    services.custody.principals.add("agent-wu", "agent", unit="cs-2")
    return services.custody.principals.authenticate(key)


def ticket(tid: str, agent: str, customer: str, clock: ManualClock, **kw: Any) -> Ticket:
    values: dict[str, Any] = {
        "order_id": None,
        "status": "open",
        "opened_at": clock.now(),
        "expires_at": clock.now() + timedelta(hours=1),
    } | kw
    return Ticket(tid, agent, customer, **values)


def test_customer_and_open_tickets_equals_the_two_queries_it_replaces(
    services: Services, people: list[str], agent: Principal, clock: ManualClock
) -> None:
    """The joined query returns the customer and exactly the agent's open tickets for them,
    latest expiry first, as get_customer and open_tickets do: not closed ones, not another
    agent's, not another customer's; an unknown customer is (None, [])."""
    a, b, c = people
    tickets = [
        ticket("T1", "agent-li", a, clock, expires_at=clock.now() + timedelta(hours=2)),
        ticket("T2", "agent-li", a, clock, expires_at=clock.now() + timedelta(hours=5)),
        ticket("T3", "agent-li", a, clock, status="closed", closed_at=clock.now()),
        ticket("T4", "agent-wu", a, clock),
        ticket("T5", "agent-li", b, clock),
        ticket("T6", "agent-li", a, clock, expires_at=clock.now() - timedelta(hours=1)),
    ]
    with services.custody.vault.store.write() as tx:
        for t in tickets:
            tx.insert_ticket(t)
    with services.custody.vault.store.read() as tx:
        for customer in (a, b, c, "NOSUCH"):
            for pid in ("agent-li", "agent-wu", "nobody"):
                joined = tx.customer_and_open_tickets(customer, pid)
                assert joined == (tx.get_customer(customer), tx.open_tickets(pid, customer))
        sealed, found = tx.customer_and_open_tickets(a, "agent-li")
    # worked out by hand from the rows above: open, agent-li's, customer a; expired T6 is still
    # "open" (the vault tells expired from live), latest expiry first
    assert sealed is not None and sealed.customer_id == a
    assert [t.ticket_id for t in found] == ["T2", "T1", "T6"]
    assert found[0] == tickets[1]


@contextmanager
def statements(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every SQL statement sent while inside: through SQLAlchemy, and on the driver's cursor
    (where the audit log's append runs its own)."""
    sent: list[str] = []
    engine = services.custody.vault.store.engine  # type: ignore[attr-defined]
    assert services.audit_store.engine is engine

    def seen(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        sent.append(" ".join(statement.split()))

    class Counting:
        def __init__(self, cursor: Any) -> None:
            self.cursor = cursor

        def execute(self, statement: str, *args: Any) -> Any:
            sent.append(" ".join(statement.split()))
            return self.cursor.execute(statement, *args)

        def executemany(self, statement: str, *args: Any) -> Any:
            sent.append(" ".join(statement.split()))
            return self.cursor.executemany(statement, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.cursor, name)

    real_cursor = SqlAuditTx._cursor
    monkeypatch.setattr(SqlAuditTx, "_cursor", lambda tx: Counting(real_cursor(tx)))
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_a_masked_read_through_a_ticket_reads_custody_once(
    services: Services,
    people: list[str],
    agent: Principal,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An agent's read without a ticket id reads the customer and its tickets in one SELECT,
    then appends its audit entry: on PostgreSQL four statements in all (the read, the head
    lock, the append, the flush), counted so that a slower path cannot creep back unseen."""
    desk = services.custody.principals.get("desk")
    for customer in people:
        services.custody.relations.open_ticket("agent-li", customer, actor=desk, channel="api")
    vault = services.custody.vault
    vault.read_customer(agent, people[0], "after_sales")  # warm: caches, pool, audit cover
    with statements(services, monkeypatch) as sent:
        view = vault.read_customer(agent, people[1], "after_sales")
    assert view.ticket_id is not None and view.reasons == ("via_ticket",)
    custody = [s for s in sent if "FROM customers" in s or "FROM tickets" in s]
    assert len(custody) == 1 and "JOIN tickets" in custody[0], sent
    if backend == "postgres":
        assert len(sent) == 4, sent
    assert sum("audit_head" in s for s in sent) >= 2, sent  # locked, then moved on


def test_a_closed_ticket_stops_the_joined_read(
    services: Services, people: list[str], agent: Principal
) -> None:
    """Reading the tickets with the customer changes nothing about when a ticket stops
    working: the read after the close is refused with the reason."""
    desk = services.custody.principals.get("desk")
    vault = services.custody.vault
    opened = services.custody.relations.open_ticket(
        "agent-li", people[0], actor=desk, channel="api"
    )
    assert vault.read_customer(agent, people[0], "after_sales").ticket_id == opened.ticket_id
    services.custody.relations.close_ticket(opened.ticket_id, actor=desk, channel="api")
    with pytest.raises(AccessDenied) as denied:
        vault.read_customer(agent, people[0], "after_sales")
    assert list(denied.value.reasons) == ["no_open_ticket"]
