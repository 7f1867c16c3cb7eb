"""Customers with orders at known stages, a recording sender, and warnings wired to a real
outbox (SQLite and PostgreSQL) with settings a test can tighten."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from shieldwall.config import WarningSettings
from shieldwall.contact.warnings.dispatch import Dispatcher
from shieldwall.contact.warnings.planner import WarningPlanner
from shieldwall.contact.warnings.ports import Outgoing, Sender, SendFailed
from shieldwall.core.clock import ManualClock
from shieldwall.core.model import Customer
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services
from tests.functional.conftest import customer_row

# customer index -> orders as (status, created, shipped, delivered, refunded) in days before now
STAGES: dict[int, list[tuple[str, float, float | None, float | None, float | None]]] = {
    1: [("shipped", 3, 2, None, None)],  # parcel in transit
    2: [("delivered", 6, 5, 3, None)],  # delivered this week
    3: [("refunded", 20, 19, 17, 2)],  # refunded two days ago
    4: [("paid", 0.5, None, None, None)],  # ordered this morning
    5: [("delivered", 200, 199, 195, None)],  # nothing recent
    6: [],  # no orders at all
    7: [("paid", 1, None, None, None)],  # not in the leak
}


@dataclass
class World:
    services: Services
    clock: ManualClock
    people: list[Customer]

    def cid(self, i: int) -> str:
        return self.people[i - 1].customer_id


def _iso(now: datetime, days: float | None) -> str | None:
    return None if days is None else (now - timedelta(days=days)).isoformat()


@pytest.fixture
def world(services: Services, clock: ManualClock) -> World:
    people = PeopleFactory(23).customers(len(STAGES))
    custody = services.custody
    rows = [(n, customer_row(p)) for n, p in enumerate(people, 1)]
    # customer 6 has no e-mail address on file
    rows[5] = (6, rows[5][1] | {"email": None})
    assert custody.importer.customers(rows).committed
    now = clock.now()
    orders = []
    for i, stages in STAGES.items():
        for k, (status, created, shipped, delivered, refunded) in enumerate(stages):
            orders.append(
                {
                    "order_id": f"O{i}{k}",
                    "customer_id": people[i - 1].customer_id,
                    "items": [
                        {"sku": "S1", "title": "耳机", "quantity": 1, "unit_price_cents": 9900}
                    ],
                    "amount_cents": 9900,
                    "status": status,
                    "created_at": _iso(now, created),
                    "paid_at": _iso(now, created),
                    "shipped_at": _iso(now, shipped),
                    "delivered_at": _iso(now, delivered),
                    "refunded_at": _iso(now, refunded),
                }
            )
    assert custody.importer.orders(list(enumerate(orders, 1))).committed
    return World(services, clock, people)


@dataclass
class RecordingSender:
    """A sender that records what it was asked to send and fails as scripted."""

    channel: str = "sms"
    failures: list[SendFailed | Exception] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    on_send: Callable[[Outgoing], None] | None = None

    def send(self, message: Outgoing) -> None:
        if self.on_send is not None:
            self.on_send(message)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def warnings_for(
    world: World, senders: dict[str, Sender] | None = None, **overrides: Any
) -> tuple[WarningPlanner, Dispatcher]:
    settings = WarningSettings(**overrides)
    cl = world.services.contact_ledger
    planner = WarningPlanner(cl.planner.facts, cl.outbox, world.clock, settings)
    dispatcher = Dispatcher(
        cl.outbox,
        senders if senders is not None else {"sms": RecordingSender()},
        cl.messages,
        world.clock,
        settings,
        "示例商城",
    )
    return planner, dispatcher
