"""The lookup is no harvesting oracle (issue #10, point 3): it obeys the read's relationship
rules, is rate-limited, audited without the value in clear, and watched."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.wiring import Services
from tests.functional.conftest import Store


def _lookup(client: TestClient, store: Store, who: str, value: str, **more: Any) -> Any:
    body = {"by": "phone", "value": value, "purpose": more.pop("purpose", "after_sales")}
    return client.post("/v1/customers/lookup", json=body | more, headers=store.auth(who))


def _ticket(client: TestClient, store: Store, agent: str, customer_id: str) -> str:
    resp = client.post(
        "/v1/tickets",
        json={"agent_id": agent, "customer_id": customer_id},
        headers=store.auth("app"),
    )
    assert resp.status_code == 201
    return str(resp.json()["ticket_id"])


def test_courier_and_partner_get_403_for_every_lookup_found_or_not(
    store: Store, client: TestClient
) -> None:
    """Couriers and partners are refused alike whether the phone is a customer's or nobody's."""
    known = store.customers[0].phone
    unknown = "+8613800000000"
    for who, purpose in (("courier-wang", "delivery"), ("partner-sf", "partner_fulfilment")):
        bodies = []
        for value in (known, unknown, "12ab"):
            resp = _lookup(client, store, who, value, purpose=purpose)
            assert resp.status_code == 403
            assert resp.headers["content-type"] == "application/problem+json"
            body = resp.json()
            assert body["reasons"] == ["lookup_not_allowed"]
            # Everything but the request's own id and path is the same, found or not.
            bodies.append({k: v for k, v in body.items() if k not in {"instance", "request_id"}})
        assert bodies[0] == bodies[1] == bodies[2]


def test_agent_without_ticket_is_refused(store: Store, client: TestClient) -> None:
    """An agent's lookup with no ticket is 403 ticket_required, found or not."""
    for value in (store.customers[1].phone, "+8613800000000"):
        resp = _lookup(client, store, "agent-li", value)
        assert resp.status_code == 403 and resp.json()["reasons"] == ["ticket_required"]


def test_agent_learns_only_whether_the_value_is_the_tickets_customer(
    store: Store, client: TestClient
) -> None:
    """Within a ticket, another customer's phone answers exactly like nobody's phone: []."""
    mine, other = store.customers[2], store.customers[3]
    ticket = _ticket(client, store, "agent-li", mine.customer_id)
    ok = _lookup(client, store, "agent-li", mine.phone, ticket_id=ticket)
    assert ok.status_code == 200 and ok.json() == {"customer_ids": [mine.customer_id]}
    someone = _lookup(client, store, "agent-li", other.phone, ticket_id=ticket)
    nobody = _lookup(client, store, "agent-li", "+8613800000000", ticket_id=ticket)
    assert someone.status_code == nobody.status_code == 200
    assert someone.json() == nobody.json() == {"customer_ids": []}


def test_agent_cannot_use_another_agents_or_a_closed_ticket(
    store: Store, client: TestClient
) -> None:
    """Another agent's ticket is a mismatch; a closed ticket has expired for lookups."""
    c = store.customers[4]
    theirs = _ticket(client, store, "agent-wu", c.customer_id)
    resp = _lookup(client, store, "agent-li", c.phone, ticket_id=theirs)
    assert resp.status_code == 403 and resp.json()["reasons"] == ["ticket_mismatch"]
    mine = _ticket(client, store, "agent-li", c.customer_id)
    client.post(f"/v1/tickets/{mine}/close", headers=store.auth("agent-li"))
    resp = _lookup(client, store, "agent-li", c.phone, ticket_id=mine)
    assert resp.status_code == 403 and resp.json()["reasons"] == ["ticket_expired"]


def test_admin_investigation_needs_a_reason(store: Store, client: TestClient) -> None:
    """An admin finds any customer, but only investigating with a reason."""
    c = store.customers[5]
    bare = _lookup(client, store, "sec-admin", c.phone, purpose="investigation")
    assert bare.status_code == 403 and bare.json()["reasons"] == ["reason_required"]
    why = "scam report 42 names this number"
    ok = _lookup(client, store, "sec-admin", c.phone, purpose="investigation", reason=why)
    assert ok.json() == {"customer_ids": [c.customer_id]}


def test_lookups_are_rate_limited_with_retry_after(
    store: Store, client: TestClient, clock: ManualClock
) -> None:
    """Past 30 lookups in 60 s the next is 429 problem+json with Retry-After; later it passes."""
    c = store.customers[6]
    ticket = _ticket(client, store, "agent-li", c.customer_id)
    for _ in range(30):
        assert _lookup(client, store, "agent-li", c.phone, ticket_id=ticket).status_code == 200
    refused = _lookup(client, store, "agent-li", c.phone, ticket_id=ticket)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["retry-after"] == "60"  # the clock did not move: a full window
    clock.advance(datetime.timedelta(seconds=60))
    assert _lookup(client, store, "agent-li", c.phone, ticket_id=ticket).status_code == 200


def test_every_lookup_is_audited_with_a_blind_index_only(store: Store, client: TestClient) -> None:
    """Answered and refused lookups are audit entries carrying the keyed index, not the value."""
    c = store.customers[7]
    ticket = _ticket(client, store, "agent-li", c.customer_id)
    before = store.services.audit.size()
    _lookup(client, store, "agent-li", c.phone, ticket_id=ticket)
    _lookup(client, store, "courier-wang", c.phone, purpose="delivery")
    _lookup(client, store, "agent-li", c.phone)
    events = [r.event for r in store.services.audit.read(before - 1, 10)]
    assert [(e.action.value, e.decision.value) for e in events] == [
        ("lookup", "allow"),
        ("lookup", "deny"),
        ("lookup", "deny"),
    ]
    assert events[0].customer_ids == (c.customer_id,)
    digest = store.services.custody.sealer.index.digest("phone", c.phone)
    assert events[0].extra["value_bidx"] == digest.hex()
    text = repr(events)
    assert c.phone not in text and c.phone[3:] not in text


def test_a_burst_of_refused_lookups_raises_an_alert(services: Services) -> None:
    """With the watch on by default, one courier's burst of lookups raises a lookup alert."""
    assert load_settings({}).trace.watch.enabled
    custody = services.custody
    _, key = custody.principals.add("courier-x", "courier", unit="outlet-1")
    with TestClient(create_app(services)) as client:
        for i in range(40):
            resp = client.post(
                "/v1/customers/lookup",
                json={"by": "phone", "value": f"+86138000{i:05d}", "purpose": "delivery"},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert resp.status_code == 403
        assert services.watch.flush(60)  # every entry so far processed by the watch
    alert = services.alerts.open_alert("courier-x", "lookup_refused")
    assert alert is not None and alert.reasons[0].code == "lookup_refused"
