"""Helpers for respond's tests: audit entries by reason, principals and customers."""

from __future__ import annotations

from typing import Any

import pytest

from shieldwall.core.model import Principal, Role
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services
from tests.functional.conftest import customer_row

ADMIN = Principal("sec-admin", Role.ADMIN, "security")


def entries(svc: Services, reason: str | None = None) -> list[Any]:
    """Every audit entry (optionally only those with ``reason``), oldest first."""
    return [r for r in svc.audit.read(-1, 100_000) if reason is None or r.event.reason == reason]


@pytest.fixture
def people(services: Services) -> list[str]:
    """Three customers imported; their ids."""
    found = PeopleFactory(7).customers(3)
    report = services.custody.importer.customers(
        [(n, customer_row(c)) for n, c in enumerate(found, 1)]
    )
    assert report.committed
    services.custody.principals.add("sec-admin", "admin", unit="security")
    services.custody.principals.add("analyst-he", "analyst", unit="bi")
    services.custody.principals.add("agent-li", "agent", unit="cs")
    return [c.customer_id for c in found]
