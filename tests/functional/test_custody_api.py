"""Custody through the real HTTP API: authentication, authorization, views, relay, reveal,
break-glass, problem documents, and the audit log's proofs checked on the client side."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from fastapi.testclient import TestClient

from shieldwall.audit.merkle import verify_consistency, verify_inclusion
from shieldwall.core.clock import ManualClock
from tests.functional.conftest import Store, customer_row

PROBLEM = "application/problem+json"


def assert_problem(resp, status: int, code: str, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:shieldwall:problem:{code}" and body["title"] and body["detail"]
    if field is not None:
        assert body["field"] == field
        assert any(e["field"] == field for e in body["errors"])
    return body


def test_every_route_needs_a_key(store: Store, client: TestClient) -> None:
    """No key, a malformed key, a wrong secret and an unknown key id all get the same 401."""
    cid = store.customers[0].customer_id
    good = store.keys["agent-li"]
    wrong_secret = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    unknown_id = "swk_0000000000000000_" + good.split("_", 2)[2]
    bodies = []
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {wrong_secret}"},
        {"X-API-Key": unknown_id},
    ):
        resp = client.get(
            f"/v1/customers/{cid}", params={"purpose": "after_sales"}, headers=headers
        )
        bodies.append(assert_problem(resp, 401, "unauthenticated"))
        assert resp.headers["www-authenticate"].startswith("Bearer")
    assert len({b["detail"] for b in bodies}) == 1
    assert_problem(client.get("/v1/audit/checkpoint"), 401, "unauthenticated")
    assert_problem(client.get("/v1/openapi.json"), 401, "unauthenticated")
    assert client.get("/v1/openapi.json", headers=store.auth("agent-li")).status_code == 200


def test_role_gates(store: Store, client: TestClient) -> None:
    """Agents cannot import, add principals, grant or list alerts."""
    h = store.auth("agent-li")
    row = customer_row(store.customers[0]) | {"customer_id": "NEW1"}
    assert_problem(
        client.post("/v1/customers:import", json={"customers": [row]}, headers=h),
        403,
        "access_denied",
    )
    assert_problem(
        client.post("/v1/principals", json={"principal_id": "x", "role": "admin"}, headers=h),
        403,
        "access_denied",
    )
    assert_problem(client.get("/v1/alerts", headers=h), 403, "access_denied")


def test_import_all_or_nothing_over_http(store: Store, client: TestClient) -> None:
    """One bad row rejects the batch with row, field and reason; nothing is written."""
    h = store.auth("app")
    good = customer_row(store.customers[0]) | {"customer_id": "NEW1"}
    bad = customer_row(store.customers[1]) | {
        "customer_id": "NEW2",
        "national_id": "110105194912310021",
    }
    resp = client.post("/v1/customers:import", json={"customers": [good, bad]}, headers=h)
    assert resp.status_code == 200
    body = resp.json()
    assert body["committed"] is False and body["imported"] == 0
    assert body["errors"] == [
        {
            "row": 2,
            "field": "national_id",
            "code": "invalid_national_id",
            "reason": "check digit does not match (GB 11643)",
        }
    ]
    lookup = client.post(
        "/v1/customers/lookup",
        json={
            "by": "phone",
            "value": good["phone"],
            "purpose": "investigation",
            "reason": "check the import went in",
        },
        headers=store.auth("sec-admin"),
    )
    assert lookup.json()["customer_ids"] == [store.customers[0].customer_id]
    resp = client.post(
        "/v1/customers:import", json={"customers": [good, bad], "all_or_nothing": False}, headers=h
    )
    assert resp.json()["imported"] == 1 and resp.json()["committed"] is True


def test_unknown_fields_and_types_are_named(store: Store, client: TestClient) -> None:
    """Unknown fields, missing fields and bad JSON get 422 naming the field."""
    h = store.auth("app")
    row = customer_row(store.customers[0]) | {"customer_id": "N1", "shoe_size": 42}
    assert_problem(
        client.post("/v1/customers:import", json={"customers": [row]}, headers=h),
        422,
        "invalid_input",
        "customers.0.shoe_size",
    )
    row = customer_row(store.customers[0])
    del row["phone"]
    assert_problem(
        client.post("/v1/customers:import", json={"customers": [row]}, headers=h),
        422,
        "invalid_input",
        "customers.0.phone",
    )
    resp = client.post(
        "/v1/customers:import",
        content=b"{not json",
        headers=h | {"content-type": "application/json"},
    )
    assert_problem(resp, 422, "invalid_input")


def test_oversized_body_is_refused(store: Store, client: TestClient) -> None:
    """A body over the limit gets 413 problem+json before it is parsed."""
    huge = {"by": "phone", "value": "1" * 10, "purpose": "after_sales", "pad": "x" * 2_000_000}
    resp = client.post("/v1/customers/lookup", json=huge, headers=store.auth("agent-li"))
    assert_problem(resp, 413, "payload_too_large", "body")


def test_agent_reads_masked_through_a_ticket_only(store: Store, client: TestClient) -> None:
    """Without a ticket: 403 with the reason; with one: masked fields and an audit entry."""
    c = store.customers[0]
    h = store.auth("agent-li")
    denied = client.get(
        f"/v1/customers/{c.customer_id}", params={"purpose": "after_sales"}, headers=h
    )
    body = assert_problem(denied, 403, "access_denied")
    assert body["reasons"] == ["no_open_ticket"]
    ticket = client.post(
        "/v1/tickets",
        json={"agent_id": "agent-li", "customer_id": c.customer_id},
        headers=store.auth("app"),
    ).json()["ticket_id"]
    view = client.get(
        f"/v1/customers/{c.customer_id}", params={"purpose": "after_sales"}, headers=h
    ).json()
    assert view["ticket_id"] == ticket and view["reasons"] == ["via_ticket"]
    assert view["fields"]["phone"] == {
        "view": "masked",
        "value": f"{c.phone[3:6]}****{c.phone[-4:]}",
    }
    assert view["fields"]["national_id"] == {"view": "hidden", "value": None}
    assert (
        view["fields"]["name"]["value"].startswith(c.name[0])
        and "*" in view["fields"]["name"]["value"]
    )
    entry = client.get(f"/v1/audit/entries/{view['audit_seq']}", headers=h).json()["entry"]
    assert (
        entry["action"] == "read"
        and entry["ticket_id"] == ticket
        and entry["customer_ids"] == [c.customer_id]
    )
    other = client.get(
        f"/v1/customers/{store.customers[1].customer_id}",
        params={"purpose": "after_sales"},
        headers=h,
    )
    assert_problem(other, 403, "access_denied")
    wrong = client.get(
        f"/v1/customers/{c.customer_id}",
        params={"purpose": "after_sales"},
        headers=store.auth("agent-wu"),
    )
    assert assert_problem(wrong, 403, "access_denied")["reasons"] == ["no_open_ticket"]


def test_ticket_expiry_and_closing(store: Store, client: TestClient, clock: ManualClock) -> None:
    """A ticket stops working when it expires or is closed, each with its reason."""
    c = store.customers[2]
    h = store.auth("agent-li")
    t = client.post(
        "/v1/tickets", json={"agent_id": "agent-li", "customer_id": c.customer_id}, headers=h
    )
    assert t.status_code == 201
    ticket = t.json()["ticket_id"]
    params = {"purpose": "after_sales", "ticket_id": ticket}
    assert client.get(f"/v1/customers/{c.customer_id}", params=params, headers=h).status_code == 200
    clock.advance(timedelta(hours=73))
    expired = client.get(f"/v1/customers/{c.customer_id}", params=params, headers=h)
    assert assert_problem(expired, 403, "access_denied")["reasons"] == ["ticket_expired"]
    clock.advance(timedelta(hours=-73))
    assert client.post(f"/v1/tickets/{ticket}/close", headers=h).json()["status"] == "closed"
    closed = client.get(f"/v1/customers/{c.customer_id}", params=params, headers=h)
    assert_problem(closed, 403, "access_denied")
    assert_problem(
        client.post(f"/v1/tickets/{ticket}/close", headers=h), 409, "conflict", "ticket_id"
    )
    foreign = client.post(
        "/v1/tickets", json={"agent_id": "agent-wu", "customer_id": c.customer_id}, headers=h
    )
    assert assert_problem(foreign, 403, "access_denied")["reasons"] == ["not_own_ticket"]
    missing = client.post(
        "/v1/tickets", json={"agent_id": "agent-li", "customer_id": "NOPE"}, headers=h
    )
    assert_problem(missing, 404, "not_found", "customer_id")


def test_courier_relay_lifecycle(store: Store, client: TestClient, clock: ManualClock) -> None:
    """A courier sees a relay number; it connects for that courier only, until delivery + grace."""
    oid = "O0003"
    app = store.auth("app")
    courier = store.auth("courier-wang")
    before = client.get(f"/v1/orders/{oid}", params={"purpose": "delivery"}, headers=courier)
    assert assert_problem(before, 403, "access_denied")["reasons"] == ["not_assigned"]
    assert (
        client.post(f"/v1/orders/{oid}/status", json={"status": "shipped"}, headers=app).status_code
        == 200
    )
    assert (
        client.post(
            "/v1/assignments", json={"courier_id": "courier-wang", "order_id": oid}, headers=app
        ).status_code
        == 201
    )
    waybill = client.get(
        f"/v1/orders/{oid}", params={"purpose": "delivery"}, headers=courier
    ).json()
    relay = waybill["fields"]["phone"]
    customer = next(c for c in store.customers if c.customer_id == store.orders[oid])
    assert (
        relay["view"] == "relay" and relay["value"] != customer.phone and len(relay["value"]) == 11
    )
    assert waybill["fields"]["delivery_address"] == {"view": "clear", "value": customer.address}
    assert waybill["fields"]["items"]["view"] == "hidden"
    again = client.get(f"/v1/orders/{oid}", params={"purpose": "delivery"}, headers=courier).json()
    assert again["fields"]["phone"]["value"] == relay["value"]
    ok = client.post("/v1/relay/resolve", json={"number": relay["value"]}, headers=courier).json()
    assert ok["connect"] and ok["order_id"] == oid and "target_e164" not in ok
    switch = client.post(
        "/v1/relay/resolve",
        json={"number": relay["value"], "courier_id": "courier-wang"},
        headers=app,
    ).json()
    assert switch["target_e164"] == customer.phone
    other = client.post(
        "/v1/relay/resolve", json={"number": relay["value"]}, headers=store.auth("courier-zhao")
    )
    assert assert_problem(other, 403, "access_denied")["reasons"] == ["unknown_number"]
    assert (
        client.post(
            f"/v1/orders/{oid}/status", json={"status": "delivered"}, headers=app
        ).status_code
        == 200
    )
    clock.advance(timedelta(hours=23))
    assert (
        client.post(
            "/v1/relay/resolve", json={"number": relay["value"]}, headers=courier
        ).status_code
        == 200
    )
    assert (
        client.get(f"/v1/orders/{oid}", params={"purpose": "delivery"}, headers=courier).status_code
        == 200
    )
    clock.advance(timedelta(hours=2))
    late = client.post("/v1/relay/resolve", json={"number": relay["value"]}, headers=courier)
    assert assert_problem(late, 403, "access_denied")["reasons"] == ["expired"]
    assert_problem(
        client.get(f"/v1/orders/{oid}", params={"purpose": "delivery"}, headers=courier),
        403,
        "access_denied",
    )
    bad = client.post("/v1/relay/resolve", json={"number": "12"}, headers=courier)
    assert_problem(bad, 422, "invalid_input", "number")


def test_reveal_needs_reason_and_is_audited(store: Store, client: TestClient) -> None:
    """A reveal shows one clear field with a reason; without one it is denied; both are logged."""
    c = store.customers[4]
    h = store.auth("agent-li")
    client.post(
        "/v1/tickets", json={"agent_id": "agent-li", "customer_id": c.customer_id}, headers=h
    )
    url = f"/v1/customers/{c.customer_id}/reveal"
    short = client.post(
        url, json={"field": "phone", "purpose": "after_sales", "reason": "x"}, headers=h
    )
    assert assert_problem(short, 403, "access_denied")["reasons"] == ["reason_required"]
    nid = client.post(
        url,
        json={"field": "national_id", "purpose": "after_sales", "reason": "customer asked"},
        headers=h,
    )
    assert assert_problem(nid, 403, "access_denied")["reasons"] == ["field_not_revealable"]
    ok = client.post(
        url,
        json={"field": "phone", "purpose": "after_sales", "reason": "call back about refund"},
        headers=h,
    ).json()
    assert ok["value"] == c.phone
    entry = client.get(
        f"/v1/audit/entries/{ok['audit_seq']}", headers=store.auth("sec-admin")
    ).json()["entry"]
    assert entry["action"] == "reveal" and entry["fields"] == {"phone": "clear"}
    assert "call back" not in str(
        entry
    )  # the free-text reason may carry PII: only its length is kept


def test_break_glass_raises_an_alert(store: Store, client: TestClient) -> None:
    """Break-glass shows everything in clear and always lands in the alerts list."""
    c = store.customers[5]
    body = {"reason": "court order 2026-77: verify identity of account holder"}
    resp = client.post(
        f"/v1/customers/{c.customer_id}/break-glass", json=body, headers=store.auth("sec-admin")
    )
    assert (
        resp.status_code == 200 and resp.json()["fields"]["national_id"]["value"] == c.national_id
    )
    denied = client.post(
        f"/v1/customers/{c.customer_id}/break-glass", json=body, headers=store.auth("courier-wang")
    )
    assert assert_problem(denied, 403, "access_denied")["reasons"] == ["break_glass_not_allowed"]
    alerts = client.get("/v1/alerts", headers=store.auth("sec-admin")).json()["items"]
    assert [(a["kind"], a["principal_id"], a["customer_ids"]) for a in alerts] == [
        ("break_glass", "sec-admin", [c.customer_id])
    ]


def test_analyst_gets_pseudonyms_and_partner_only_grants(store: Store, client: TestClient) -> None:
    """Analysts see stable pseudonyms; partners read only what a grant lists."""
    c = store.customers[6]
    a = client.get(
        f"/v1/customers/{c.customer_id}",
        params={"purpose": "analytics"},
        headers=store.auth("analyst-he"),
    )
    b = client.get(
        f"/v1/customers/{c.customer_id}",
        params={"purpose": "analytics"},
        headers=store.auth("analyst-he"),
    )
    va, vb = a.json(), b.json()
    assert va["customer_id"].startswith("ps_") and va["customer_id"] == vb["customer_id"]
    assert va["fields"]["phone"]["view"] == "pseudonym" and c.phone not in str(va)
    p = store.auth("partner-sf")
    url = f"/v1/customers/{c.customer_id}"
    assert_problem(
        client.get(url, params={"purpose": "partner_fulfilment"}, headers=p), 403, "access_denied"
    )
    g = client.post(
        "/v1/grants",
        json={
            "partner_id": "partner-sf",
            "customer_ids": [c.customer_id],
            "fields": ["name", "phone"],
            "release_id": "rel_1",
        },
        headers=store.auth("sec-admin"),
    )
    assert g.status_code == 201
    view = client.get(url, params={"purpose": "partner_fulfilment"}, headers=p).json()
    assert view["fields"]["phone"] == {"view": "clear", "value": c.phone}
    assert view["fields"]["address"] == {"view": "hidden", "value": None}


def test_account_self_and_risk(store: Store, client: TestClient) -> None:
    """The store app reads only the logged-in customer, masked while the login risk is high."""
    c = store.customers[7]
    h = store.auth("app")
    url = f"/v1/customers/{c.customer_id}"
    clear = client.get(
        url, params={"purpose": "account_self", "subject": c.customer_id}, headers=h
    ).json()
    assert clear["fields"]["phone"]["value"] == c.phone
    risky = client.get(
        url, params={"purpose": "account_self", "subject": c.customer_id, "risky": True}, headers=h
    ).json()
    assert risky["fields"]["phone"]["view"] == "masked"
    other = client.get(url, params={"purpose": "account_self", "subject": "C999"}, headers=h)
    assert assert_problem(other, 403, "access_denied")["reasons"] == ["not_self"]


def test_lookup_and_bad_values(store: Store, client: TestClient) -> None:
    """Lookup finds by any spelling of the phone and rejects malformed values naming the field."""
    c = store.customers[8]
    h = store.auth("agent-li")
    ticket = client.post(
        "/v1/tickets",
        json={"agent_id": "agent-li", "customer_id": c.customer_id},
        headers=store.auth("app"),
    ).json()["ticket_id"]
    spaced = f"{c.phone[3:6]} {c.phone[6:10]} {c.phone[10:]}"
    found = client.post(
        "/v1/customers/lookup",
        json={"by": "phone", "value": spaced, "purpose": "after_sales", "ticket_id": ticket},
        headers=h,
    )
    assert found.json()["customer_ids"] == [c.customer_id]
    bad = client.post(
        "/v1/customers/lookup",
        json={"by": "phone", "value": "12ab", "purpose": "after_sales", "ticket_id": ticket},
        headers=h,
    )
    body = assert_problem(bad, 422, "invalid_phone", "phone")
    assert "12ab" not in str(body)
    wrong = client.post(
        "/v1/customers/lookup",
        json={"by": "shoe", "value": "1", "purpose": "after_sales"},
        headers=h,
    )
    assert_problem(wrong, 422, "invalid_input", "by")
    analyst = client.post(
        "/v1/customers/lookup",
        json={"by": "phone", "value": spaced, "purpose": "analytics"},
        headers=store.auth("analyst-he"),
    )
    assert_problem(analyst, 403, "access_denied")
    purpose = client.get(f"/v1/customers/{c.customer_id}", params={"purpose": "gossip"}, headers=h)
    assert_problem(purpose, 422, "invalid_input", "purpose")


def test_audit_proofs_verify_client_side(store: Store, client: TestClient) -> None:
    """Inclusion and consistency proofs from the API verify with the RFC 9162 algorithms."""
    admin = store.auth("sec-admin")
    first = client.post("/v1/audit/checkpoint", headers=admin).json()
    c = store.customers[9]
    client.post(
        "/v1/tickets", json={"agent_id": "agent-li", "customer_id": c.customer_id}, headers=admin
    )
    seq = client.get(
        f"/v1/customers/{c.customer_id}",
        params={"purpose": "after_sales"},
        headers=store.auth("agent-li"),
    ).json()["audit_seq"]
    second = client.post("/v1/audit/checkpoint", headers=admin).json()
    d = base64.b64decode
    inc = client.get(
        "/v1/audit/proofs/inclusion",
        params={"seq": seq, "tree_size": second["tree_size"]},
        headers=store.auth("agent-li"),
    ).json()
    assert verify_inclusion(
        d(inc["leaf_hash"]),
        seq,
        inc["tree_size"],
        [d(p) for p in inc["proof"]],
        d(second["root_hash"]),
    )
    con = client.get(
        "/v1/audit/proofs/consistency",
        params={"first": first["tree_size"], "second": second["tree_size"]},
        headers=admin,
    ).json()
    assert verify_consistency(
        first["tree_size"],
        second["tree_size"],
        d(first["root_hash"]),
        d(second["root_hash"]),
        [d(p) for p in con["proof"]],
    )
    others = client.get(
        "/v1/audit/proofs/inclusion", params={"seq": 0}, headers=store.auth("agent-li")
    )
    assert_problem(others, 403, "access_denied")
    beyond = client.get("/v1/audit/proofs/inclusion", params={"seq": 10**6}, headers=admin)
    assert_problem(beyond, 422, "invalid_proof_request", "seq")


def test_suspend_and_reinstate_a_principal(store: Store, client: TestClient) -> None:
    """A suspended agent's key stops at once (401, like any bad key); reinstating restores it;
    both are audited with the alert id; only admins may, never on themselves."""
    agent, admin = store.auth("agent-li"), store.auth("sec-admin")
    assert client.get("/v1/me", headers=agent).status_code == 200  # the key is now cached
    resp = client.post(
        "/v1/principals/agent-li/suspend", json={"alert_id": "alr_123"}, headers=admin
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"principal_id": "agent-li", "role": "agent", "active": False}
    assert_problem(client.get("/v1/me", headers=agent), 401, "unauthenticated")
    listed = client.get("/v1/principals", headers=admin).json()["items"]
    assert next(p for p in listed if p["principal_id"] == "agent-li")["active"] is False
    resp = client.post("/v1/principals/agent-li/reinstate", json={}, headers=admin)
    assert resp.status_code == 200 and resp.json()["active"] is True
    assert client.get("/v1/me", headers=agent).status_code == 200
    with store.services.audit_store.read() as tx:
        bodies = [json.loads(row.body) for row in tx.iter_entries()]
    status = [b for b in bodies if b["action"] == "principal_status"]
    assert [(b["reason"], b["actor"], b["extra"]["alert"]) for b in status] == [
        ("principal_suspended", "sec-admin", "alr_123"),
        ("principal_reinstated", "sec-admin", ""),
    ]
    assert_problem(
        client.post("/v1/principals/agent-wu/suspend", json={}, headers=agent), 403, "access_denied"
    )
    assert_problem(
        client.post("/v1/principals/nobody/suspend", json={}, headers=admin), 404, "not_found"
    )
    assert_problem(
        client.post("/v1/principals/sec-admin/suspend", json={}, headers=admin),
        422,
        "invalid_input",
        "principal_id",
    )
    assert_problem(
        client.post("/v1/principals/agent-wu/suspend", json={"alert_id": "x y"}, headers=admin),
        422,
        "invalid_input",
        "alert_id",
    )


def test_principals_list_names_each_by_its_display_name(store: Store, client: TestClient) -> None:
    """A principal added with a display name is listed with it (how a report names a partner);
    one added without has none."""
    admin = store.auth("sec-admin")
    body = {"principal_id": "partner-kd", "role": "partner", "display_name": "快达物流 Kuaida"}
    assert client.post("/v1/principals", json=body, headers=admin).status_code == 201
    page = client.get("/v1/principals", params={"limit": 500}, headers=admin).json()
    assert page["next_cursor"] is None
    listed = page["items"]
    by_id = {p["principal_id"]: p for p in listed}
    assert by_id["partner-kd"]["display_name"] == "快达物流 Kuaida"
    assert by_id["agent-li"]["display_name"] is None
