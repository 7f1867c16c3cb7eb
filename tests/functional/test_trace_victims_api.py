"""Victim attribution through the real HTTP API: a partner release and a break-glass harvester
found from their victims with proven audit entries, bad input as problem documents, admins
only, and no phone echoed back."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.audit.merkle import verify_inclusion
from shieldwall.core.clock import ManualClock
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services
from tests.functional.conftest import customer_row

PEOPLE = PeopleFactory(31).customers(60)
PROBLEM = "application/problem+json"
REASON = "customer on the line cannot read the parcel label"


@pytest.fixture
def world(services: Services, clock: ManualClock) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """60 customers; a release of ten to a partner; an agent who breaks the glass on eight."""
    custody = services.custody
    keys = {}
    for pid, role, unit in [
        ("sec-admin", "admin", "security"),
        ("agent-li", "agent", "cs-team-1"),
        ("partner-sf", "partner", "sf-express"),
    ]:
        _, keys[pid] = custody.principals.add(pid, role, unit=unit)
    report = custody.importer.customers([(n, customer_row(c)) for n, c in enumerate(PEOPLE, 1)])
    assert report.committed
    with TestClient(create_app(services)) as client:
        r = client.post(
            "/v1/grants",
            json={
                "partner_id": "partner-sf",
                "customer_ids": [c.customer_id for c in PEOPLE[:10]],
                "fields": ["name", "phone", "address"],
                "release_id": "rel-2026-03-sf",
            },
            headers=auth(keys["sec-admin"]),
        )
        assert r.status_code == 201, r.text
        for c in PEOPLE[20:28]:
            clock.advance(timedelta(minutes=5))
            r = client.post(
                f"/v1/customers/{c.customer_id}/break-glass",
                json={"reason": REASON},
                headers=auth(keys["agent-li"]),
            )
            assert r.status_code == 200, r.text
        clock.advance(timedelta(days=1))
        yield client, keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def victims_body() -> list[dict[str, object]]:
    called = "2026-03-04T10:00:00+08:00"
    rows: list[dict[str, object]] = [
        {"phone": c.phone, "called_at": called, "knew": ["name", "phone"]} for c in PEOPLE[:6]
    ]
    rows += [
        {"customer_id": c.customer_id, "called_at": called, "knew": ["name", "address"]}
        for c in PEOPLE[20:25]
    ]
    rows.append({"customer_id": PEOPLE[50].customer_id, "knew": ["phone"]})  # another source
    rows.append({"customer_id": "C-NOT-A-CUSTOMER"})
    rows.append({"phone": "12"})
    return rows


def test_two_sources_are_named_with_proven_evidence(
    world: tuple[TestClient, dict[str, str]], services: Services
) -> None:
    """The release and the break-glass agent are both named, each with verified proofs; the
    phone lookups are audited with customer ids only."""
    client, keys = world
    r = client.post(
        "/v1/trace/victims",
        json={"victims": victims_body(), "examples": 2},
        headers=auth(keys["sec-admin"]),
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["victims"]["resolved"] == 12
    assert doc["victims"]["unresolved"] == [
        {"row": 13, "reason": "unknown_customer"},
        {"row": 14, "reason": "invalid_phone"},
    ]
    assert doc["correction"] == "holm"
    named = [(s["kind"], s["id"], s["explained"]) for s in doc["sources"]]
    assert named == [("release", "rel-2026-03-sf", 6), ("principal", "agent-li", 5)]
    assert doc["unexplained"] == [PEOPLE[50].customer_id]
    assert doc["ranking"][0]["id"] == "rel-2026-03-sf"
    for s in doc["sources"]:
        assert s["p_adjusted"] < doc["alpha"]
        ev = s["evidence"]
        assert ev["verified"] and ev["entries"]
        root = base64.b64decode(ev["root_hash"])
        for e in ev["entries"]:
            proof = [base64.b64decode(p) for p in e["proof"]]
            leaf = base64.b64decode(e["leaf_hash"])
            assert verify_inclusion(leaf, e["seq"], ev["tree_size"], proof, root)
        assert len(s["examples"]) == 2
        wanted = {q for ex in s["examples"] for q in ex["audit_seqs"]}
        assert wanted == {e["seq"] for e in ev["entries"]}
    assert all(c.phone not in r.text for c in PEOPLE)
    with services.audit_store.read() as tx:
        bodies = [row.body.decode() for row in tx.iter_entries()]
    lookups = [b for b in bodies if '"victim_trace"' in b]
    assert len(lookups) == 6  # the six valid phones; the invalid one is not looked up
    assert all('"system:trace-victims"' in b for b in lookups)
    assert not any(c.phone in b or c.phone.lstrip("+") in b for b in bodies for c in PEOPLE)
    query = json.loads(bodies[-1])  # the query itself: who asked, whom, what it named
    assert (query["actor"], query["reason"], query["action"]) == (
        "system:trace-victims",
        "victim_trace_query",
        "lookup",
    )
    assert query["extra"]["requested_by"] == "sec-admin"
    assert query["extra"]["sources"] == "release:rel-2026-03-sf,principal:agent-li"
    assert len(query["customer_ids"]) == 12


def test_calls_before_the_accesses_are_not_explained(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    """Victims called before the release and the break-glass are explained by nobody."""
    client, keys = world
    early = "2026-03-01T10:00:00+08:00"
    body = [
        {"customer_id": c.customer_id, "called_at": early, "knew": ["name"]}
        for c in PEOPLE[:6] + PEOPLE[20:25]
    ]
    r = client.post("/v1/trace/victims", json={"victims": body}, headers=auth(keys["sec-admin"]))
    assert r.status_code == 200, r.text
    assert r.json()["sources"] == [] and r.json()["ranking"] == []


def test_new_accesses_are_seen_by_the_next_query(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    """The index follows the log: accesses made after a query explain the next one."""
    client, keys = world
    body = {"victims": [{"customer_id": c.customer_id, "knew": ["name"]} for c in PEOPLE[30:36]]}
    first = client.post("/v1/trace/victims", json=body, headers=auth(keys["sec-admin"])).json()
    assert first["sources"] == []
    for c in PEOPLE[30:36]:
        r = client.post(
            f"/v1/customers/{c.customer_id}/break-glass",
            json={"reason": REASON},
            headers=auth(keys["agent-li"]),
        )
        assert r.status_code == 200
    second = client.post("/v1/trace/victims", json=body, headers=auth(keys["sec-admin"])).json()
    assert [(s["id"], s["explained"]) for s in second["sources"]] == [("agent-li", 6)]
    assert second["index"]["entries"] > first["index"]["entries"]


@pytest.fixture
def bare(services: Services) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An admin and an agent, no customers: enough for gates and bad input."""
    keys = {}
    for pid, role in [("sec-admin", "admin"), ("agent-li", "agent")]:
        _, keys[pid] = services.custody.principals.add(pid, role, unit="u")
    with TestClient(create_app(services)) as client:
        yield client, keys


def test_only_admins_may_trace(bare: tuple[TestClient, dict[str, str]]) -> None:
    """An agent is refused with a 403 problem; no key is a 401."""
    client, keys = bare
    body = {"victims": [{"customer_id": "C000001"}]}
    r = client.post("/v1/trace/victims", json=body, headers=auth(keys["agent-li"]))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert client.post("/v1/trace/victims", json=body).status_code == 401


BAD_BODIES: list[tuple[dict[str, object], str | None]] = [
    ({"victims": []}, "victims"),
    ({"victims": [{"customer_id": "C1", "knew": ["shoe size"]}]}, "victims.0.knew"),
    ({"victims": [{"customer_id": "C1", "called_at": "yesterday"}]}, "victims.0.called_at"),
    ({"victims": [{"customer_id": "C1", "called_at": "2026-03-04T10:00:00"}]}, None),
    ({"victims": [{"customer_id": "C1", "colour": "red"}]}, "victims.0.colour"),
]


def test_bad_bodies_are_problem_documents(bare: tuple[TestClient, dict[str, str]]) -> None:
    """Unknown fields, unknown knowledge, bad and offset-less times: 422 naming the field."""
    client, keys = bare
    for body, field in BAD_BODIES:
        r = client.post("/v1/trace/victims", json=body, headers=auth(keys["sec-admin"]))
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == PROBLEM
        doc = r.json()
        fields = {e["field"] for e in doc.get("errors", [])} | {doc.get("field")}
        if field is not None:
            assert field in fields, (field, fields)
        else:
            assert any(f and f.endswith("called_at") for f in fields)
        assert "shoe size" not in r.text


def test_too_many_victims_is_a_problem(bare: tuple[TestClient, dict[str, str]]) -> None:
    """More victims than trace.victims.max_victims: 422 on the victims field, nothing resolved."""
    client, keys = bare
    body = {"victims": [{"customer_id": f"C{i}"} for i in range(10_001)]}
    r = client.post("/v1/trace/victims", json=body, headers=auth(keys["sec-admin"]))
    assert r.status_code == 422 and r.json()["field"] == "victims"


def test_binary_junk_body_is_a_problem(bare: tuple[TestClient, dict[str, str]]) -> None:
    """A body that is not JSON is a 422 problem, not a crash."""
    client, keys = bare
    r = client.post(
        "/v1/trace/victims",
        content=b"\x00\xff\xfe junk",
        headers={**auth(keys["sec-admin"]), "content-type": "application/json"},
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
