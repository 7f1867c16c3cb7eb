"""A small store for the functional tests: principals with API keys, customers and orders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.core.model import Customer
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services

ROLES = {
    "sec-admin": ("admin", "security"),
    "agent-li": ("agent", "cs-team-1"),
    "agent-wu": ("agent", "cs-team-2"),
    "courier-wang": ("courier", "outlet-haidian"),
    "courier-zhao": ("courier", "outlet-chaoyang"),
    "partner-sf": ("partner", "sf-express"),
    "analyst-he": ("analyst", "bi"),
    "app": ("service", "store-app"),
}


@dataclass
class Store:
    services: Services
    keys: dict[str, str]
    customers: list[Customer]
    orders: dict[str, str] = field(default_factory=dict)  # order id -> customer id

    def auth(self, principal: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[principal]}"}


def order_row(i: int, customer: Customer, status: str = "paid") -> dict[str, object]:
    return {
        "order_id": f"O{i:04d}",
        "customer_id": customer.customer_id,
        "items": [
            {"sku": f"SKU{i}", "title": "华为 Mate 手机", "quantity": 1, "unit_price_cents": 499900}
        ],
        "amount_cents": 499900,
        "status": status,
        "created_at": "2026-03-01T08:00:00+00:00",
        "paid_at": "2026-03-01T08:01:00+00:00",
        "delivery_address": customer.address,
    }


def customer_row(c: Customer) -> dict[str, object]:
    return {
        "customer_id": c.customer_id,
        "name": c.name,
        "phone": c.phone,
        "email": c.email,
        "address": c.address,
        "national_id": c.national_id,
    }


@pytest.fixture
def store(services: Services) -> Store:
    custody = services.custody
    keys = {}
    for pid, (role, unit) in ROLES.items():
        _, keys[pid] = custody.principals.add(pid, role, unit=unit)
    people = PeopleFactory(11).customers(12)
    report = custody.importer.customers([(n, customer_row(c)) for n, c in enumerate(people, 1)])
    assert report.committed and report.imported == 12
    orders = custody.importer.orders([(n, order_row(n, c)) for n, c in enumerate(people, 1)])
    assert orders.committed
    return Store(
        services, keys, people, {f"O{n:04d}": c.customer_id for n, c in enumerate(people, 1)}
    )


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=True) as c:
        yield c


HOUR = timedelta(hours=1)
