"""A small world for the console's tests: principals of every role, 40 customers, a partner
release and an agent who broke the glass on eight customers (custody raises an alert for each),
and helpers that sign in and read a page's CSRF token like a browser would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient

from shieldwall.core.clock import ManualClock
from shieldwall.core.model import Customer
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services
from tests.functional.conftest import customer_row

PEOPLE = PeopleFactory(31).customers(40)
HARVESTED = PEOPLE[20:28]
RELEASED = PEOPLE[:10]
REASON = "customer on the line cannot read the parcel label"
ROLES = [
    ("sec-admin", "admin", "security"),
    ("sec-admin-2", "admin", "security"),
    ("analyst-he", "analyst", "bi"),
    ("agent-li", "agent", "cs-team-1"),
    ("courier-wang", "courier", "outlet-haidian"),
    ("partner-sf", "partner", "sf-express"),
    ("app", "service", "store-app"),
]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    keys: dict[str, str]
    customers: list[Customer]


def populate(services: Services, clock: ManualClock, client: TestClient) -> World:
    custody = services.custody
    keys = {}
    for pid, role, unit in ROLES:
        _, keys[pid] = custody.principals.add(pid, role, unit=unit)
    report = custody.importer.customers([(n, customer_row(c)) for n, c in enumerate(PEOPLE, 1)])
    assert report.committed
    r = client.post(
        "/v1/grants",
        json={
            "partner_id": "partner-sf",
            "customer_ids": [c.customer_id for c in RELEASED],
            "fields": ["name", "phone", "address"],
            "release_id": "rel-2026-03-sf",
        },
        headers=auth(keys["sec-admin"]),
    )
    assert r.status_code == 201, r.text
    for c in HARVESTED:
        clock.advance(timedelta(minutes=5))
        r = client.post(
            f"/v1/customers/{c.customer_id}/break-glass",
            json={"reason": REASON},
            headers=auth(keys["agent-li"]),
        )
        assert r.status_code == 200, r.text
    clock.advance(timedelta(hours=2))
    return World(keys, list(PEOPLE))


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, key: str) -> str:
    """Sign in through the form; returns the session's CSRF token (from the overview)."""
    page = client.get("/console/sign-in")
    assert page.status_code == 200
    r = client.post(
        "/console/sign-in",
        data={"api_key": key, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    overview = client.get("/console/overview")
    assert overview.status_code == 200, overview.text
    return csrf_of(overview.text)


def victims_csv() -> bytes:
    lines = ["customer_id,called_at,knew"]
    lines += [f"{c.customer_id},2026-03-04T10:00:00+08:00,name;address" for c in HARVESTED[:6]]
    return ("\n".join(lines) + "\n").encode()
