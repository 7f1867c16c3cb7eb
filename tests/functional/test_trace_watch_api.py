"""The insider watch through the real HTTP API: custody's own events, the in-process watch
(listener + worker thread), alerts with evidence whose proofs the client checks, role gates,
problem documents, and no personal data in any alert."""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.audit.merkle import verify_inclusion
from shieldwall.config import Settings
from shieldwall.core.clock import ManualClock
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services, build, initialize
from tests.functional.conftest import customer_row

PEOPLE = PeopleFactory(21).customers(60)
AGENTS = [f"agent-{i}" for i in range(6)]
PROBLEM = "application/problem+json"


@pytest.fixture
def watched(settings: Settings, clock: ManualClock) -> Iterator[Services]:
    """Services with ``trace.watch.enabled``; the API's lifespan starts the watch."""
    on = settings.model_copy(
        update={
            "trace": settings.trace.model_copy(
                update={"watch": settings.trace.watch.model_copy(update={"enabled": True})}
            )
        }
    )
    initialize(on, clock)
    svc = build(on, clock)
    yield svc
    svc.close()


@pytest.fixture
def keys(watched: Services) -> dict[str, str]:
    custody = watched.custody
    out = {}
    for pid, role, unit in [
        ("sec-admin", "admin", "security"),
        ("app", "service", "crm"),
        *[(a, "agent", "cs-team-1") for a in AGENTS],
    ]:
        _, out[pid] = custody.principals.add(pid, role, unit=unit)
    report = custody.importer.customers([(n, customer_row(c)) for n, c in enumerate(PEOPLE, 1)])
    assert report.committed
    return out


def auth(keys: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[who]}"}


def test_harvesting_through_the_api_raises_an_alert_with_proofs(
    watched: Services, keys: dict[str, str], clock: ManualClock
) -> None:
    """Harvesting through the API raises one alert whose entries the client proves; no PII."""
    rng = random.Random(4)
    with TestClient(create_app(watched)) as client:
        for agent in AGENTS:  # day 0: tickets from the ticketing system, read and closed
            for c in rng.sample(PEOPLE, 4):
                t = client.post(
                    "/v1/tickets",
                    json={"agent_id": agent, "customer_id": c.customer_id},
                    headers=auth(keys, "app"),
                ).json()
                r = client.get(
                    f"/v1/customers/{c.customer_id}",
                    params={"purpose": "after_sales", "ticket_id": t["ticket_id"]},
                    headers=auth(keys, agent),
                )
                assert r.status_code == 200
                client.post(f"/v1/tickets/{t['ticket_id']}/close", headers=auth(keys, agent))
                clock.advance(timedelta(minutes=7))
        clock.advance(timedelta(days=1))
        taken = rng.sample(PEOPLE, 10)
        for c in taken:  # day 1: agent-0 makes its own reasons
            t = client.post(
                "/v1/tickets",
                json={"agent_id": "agent-0", "customer_id": c.customer_id},
                headers=auth(keys, "agent-0"),
            ).json()
            client.get(
                f"/v1/customers/{c.customer_id}",
                params={"purpose": "after_sales", "ticket_id": t["ticket_id"]},
                headers=auth(keys, "agent-0"),
            )
            clock.advance(timedelta(minutes=3))
        assert watched.watch.drain(20)
        for _ in range(200):  # the worker finishes the batch it took last
            if watched.watch.watch.last_seq >= watched.audit.size() - 1:
                break
            time.sleep(0.02)
        listed = client.get(
            "/v1/alerts", params={"kind": "harvesting"}, headers=auth(keys, "sec-admin")
        ).json()["items"]
        assert [a["principal_id"] for a in listed] == ["agent-0"]
        alert_id = listed[0]["alert_id"]
        detail = client.get(
            f"/v1/alerts/{alert_id}", params={"entries": 50}, headers=auth(keys, "sec-admin")
        )
        assert detail.status_code == 200
        body = detail.json()
        assert set(body["customer_ids"]) <= {c.customer_id for c in taken}
        assert len(body["customer_ids"]) >= 5
        assert body["first_at"] <= body["last_at"]
        ev = body["evidence"]
        assert ev["verified"] and ev["entries"]
        root = base64.b64decode(ev["root_hash"])
        for e in ev["entries"]:
            assert e["entry"]["actor"] == "agent-0" and e["verified"]
            proof = [base64.b64decode(p) for p in e["proof"]]
            leaf = base64.b64decode(e["leaf_hash"])
            assert verify_inclusion(leaf, e["seq"], ev["tree_size"], proof, root)
        text = detail.text + client.get("/v1/alerts", headers=auth(keys, "sec-admin")).text
        for c in PEOPLE:  # ids only: no name, phone, e-mail, address or ID number
            for value in (c.name, c.phone, c.email, c.address, c.national_id):
                assert value and value not in text

        status = client.get("/v1/watch/status", headers=auth(keys, "sec-admin")).json()
        assert status["enabled"] and status["errors"] == 0

        closed = client.post(f"/v1/alerts/{alert_id}/close", headers=auth(keys, "sec-admin"))
        assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_alert_routes_are_for_admins_and_speak_problem_json(
    watched: Services, keys: dict[str, str]
) -> None:
    """Agents get 403, an unknown alert 404, a bad parameter 422, all problem+json."""
    with TestClient(create_app(watched)) as client:
        r = client.get("/v1/alerts/alr_x", headers=auth(keys, "agent-1"))
        assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
        r = client.get("/v1/alerts/alr_nope", headers=auth(keys, "sec-admin"))
        assert r.status_code == 404 and r.json()["field"] == "alert_id"
        r = client.get(
            "/v1/alerts/alr_nope", params={"entries": -1}, headers=auth(keys, "sec-admin")
        )
        assert r.status_code == 422 and r.json()["field"] == "entries"
        r = client.post("/v1/alerts/alr_nope/close", headers=auth(keys, "sec-admin"))
        assert r.status_code == 404
        assert client.get("/v1/watch/status").status_code == 401
