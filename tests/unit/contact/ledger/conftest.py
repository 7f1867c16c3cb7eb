"""A small store for the ledger's tests: agents, an app, customers with orders, official numbers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shieldwall.core.model import Customer, Principal
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services
from tests.functional.conftest import customer_row, order_row

NUMBERS = (
    ("950618", "hotline", "customer service hotline"),
    ("010-5632-XXXX", "outbound", "call centre, Beijing"),
    ("1069 0000 1234", "sms_sender", "notifications"),
    ("shop.example.cn", "email_domain", None),
)


@dataclass
class Env:
    services: Services
    customers: list[Customer]
    li: Principal
    wu: Principal
    app: Principal
    courier: Principal

    @property
    def ledger(self):  # type: ignore[no-untyped-def]
        return self.services.contact_ledger.ledger


@pytest.fixture
def env(services: Services) -> Env:
    c = services.custody
    li, _ = c.principals.add("agent-li", "agent", unit="cs-1", display_name="李明")
    wu, _ = c.principals.add("agent-wu", "agent", unit="cs-2", display_name="Wu Fang")
    app, _ = c.principals.add("app", "service", unit="store-app")
    courier, _ = c.principals.add("courier-wang", "courier", unit="outlet-1")
    people = PeopleFactory(7).customers(4)
    assert c.importer.customers([(n, customer_row(p)) for n, p in enumerate(people, 1)]).committed
    assert c.importer.orders([(n, order_row(n, p)) for n, p in enumerate(people, 1)]).committed
    for number, kind, label in NUMBERS:
        services.contact_ledger.numbers.add(OPERATOR, number, kind, label)
    for agent in (li, wu):  # both agents are working every customer's case
        for p in people:
            c.relations.open_ticket(agent.principal_id, p.customer_id)
    return Env(services, people, li, wu, app, courier)
