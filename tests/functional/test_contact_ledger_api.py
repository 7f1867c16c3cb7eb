"""The contact ledger through the real HTTP API: numbers, contacts, the app's status, codes both
ways, message tags, role gates and problem documents naming the field."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shieldwall.contact.warnings.senders import WebhookSender
from shieldwall.core.clock import ManualClock
from shieldwall.storage.tables.audit import audit_entries
from shieldwall.storage.tables.contact_ledger import contact_ledger, contact_outbox
from tests.functional.conftest import Store
from tests.functional.test_custody_api import assert_problem
from tests.functional.test_no_plaintext import database_bytes, secrets_of

NUMBERS = [
    {"number": "950618", "kind": "hotline", "label": "客服热线"},
    {"number": "010-5632-XXXX", "kind": "outbound", "label": "call centre"},
    {"number": "1069 0000 1234", "kind": "sms_sender"},
    {"number": "shop.example.cn", "kind": "email_domain"},
]


@pytest.fixture
def numbers(store: Store, client: TestClient) -> None:
    for body in NUMBERS:
        resp = client.post("/v1/numbers", json=body, headers=store.auth("sec-admin"))
        assert resp.status_code == 201, resp.text
    for agent in ("agent-li", "agent-wu"):  # the ticketing system gives both agents every case
        for c in store.customers:
            body = {"agent_id": agent, "customer_id": c.customer_id}
            resp = client.post("/v1/tickets", json=body, headers=store.auth("app"))
            assert resp.status_code == 201, resp.text


def register(client: TestClient, store: Store, who: str, **body: Any) -> dict[str, Any]:
    resp = client.post("/v1/contacts", json=body, headers=store.auth(who))
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def status(client: TestClient, store: Store, subject: str, **params: str) -> dict[str, Any]:
    resp = client.get(
        "/v1/me/contact-status", params={"subject": subject, **params}, headers=store.auth("app")
    )
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_numbers_registry_and_check(store: Store, client: TestClient, numbers: None) -> None:
    """Admins register; every principal checks; spelling does not matter; nobody else registers."""
    check = client.get("/v1/numbers/+86 10 5632 0042", headers=store.auth("courier-wang")).json()
    assert check["official"] is True and check["matched_by"] == "range"
    assert check["normalized"] == "+861056320042" and check["display"] == "010 5632 0042"
    assert check["entry"] == {"number": "+86105632XXXX", "kind": "outbound", "label": "call centre"}
    other = client.get("/v1/numbers/13812345678", headers=store.auth("partner-sf")).json()
    assert other["official"] is False and other["entry"] is None
    mail = client.get("/v1/numbers/kefu@mail.shop.example.cn", headers=store.auth("app")).json()
    assert mail["official"] is True and mail["form"] == "email"
    listed = client.get("/v1/numbers", headers=store.auth("sec-admin")).json()["items"]
    assert len(listed) == 4
    assert_problem(
        client.post("/v1/numbers", json=NUMBERS[0], headers=store.auth("agent-li")),
        403,
        "access_denied",
    )
    assert_problem(
        client.post("/v1/numbers", json=NUMBERS[0], headers=store.auth("sec-admin")),
        409,
        "conflict",
        "number",
    )
    assert_problem(client.get("/v1/numbers/950618"), 401, "unauthenticated")
    assert_problem(client.get("/v1/numbers", headers=store.auth("agent-li")), 403, "access_denied")


def test_bad_input_is_named(store: Store, client: TestClient, numbers: None) -> None:
    """Malformed numbers, unknown fields, unofficial numbers: 422 naming the field, no echo."""
    admin, agent = store.auth("sec-admin"), store.auth("agent-li")
    cid = store.customers[0].customer_id
    body = assert_problem(
        client.get("/v1/numbers/138-1234-ab!", headers=agent), 422, "invalid_input", "number"
    )
    assert "1234" not in body["detail"]
    assert_problem(
        client.post(
            "/v1/numbers", json={"number": "950618", "kind": "hotline", "extra": 1}, headers=admin
        ),
        422,
        "invalid_input",
        "extra",
    )
    assert_problem(
        client.post(
            "/v1/numbers", json={"number": "com.cn", "kind": "email_domain"}, headers=admin
        ),
        422,
        "invalid_input",
        "number",
    )
    good = {"customer_id": cid, "channel": "call", "via": "950618", "reason": "refund"}
    for change, field in (
        ({"via": "13812345678"}, "via"),
        ({"via": "138-1234"}, "via"),
        ({"channel": "pigeon"}, "channel"),
        ({"order_id": "O0002"}, "order_id"),
        ({"customer_id": "C999999"}, "customer_id"),
        ({"priority": "high"}, "priority"),
    ):
        resp = client.post("/v1/contacts", json=good | change, headers=agent)
        problem = assert_problem(resp, 422, "invalid_input", field)
        assert "13812345678" not in resp.text
        assert problem["instance"] == "/v1/contacts"
    missing = dict(good)
    del missing["reason"]
    assert_problem(
        client.post("/v1/contacts", json=missing, headers=agent), 422, "invalid_input", "reason"
    )
    assert_problem(
        client.get(
            "/v1/me/contact-status",
            params={"subject": cid, "incoming": "13 8!"},
            headers=store.auth("app"),
        ),
        422,
        "invalid_input",
        "incoming",
    )


def test_an_agent_call_seen_from_the_app(
    store: Store, client: TestClient, numbers: None, clock: ManualClock
) -> None:
    """Register; the app sees the call, its code, the number; hang up: recent, then none."""
    cid = store.customers[0].customer_id
    reg = register(
        client,
        store,
        "agent-li",
        customer_id=cid,
        channel="call",
        via="950618",
        reason="refund",
        order_id="O0001",
    )
    assert reg["state"] == "live" and reg["agent_id"] == "agent-li" and reg["via"] == "950618"
    code = reg["agent_reads_code"]
    assert code and len(code) == 6
    doc = status(client, store, cid)
    assert doc["state"] == "calling_now"
    (c,) = doc["contacts"]
    assert (
        c["agent_reads_code"] == code and c["order_id"] == "O0001" and c["from_display"] == "950618"
    )
    assert "O0001" in doc["message"]["zh"] and code in doc["message"]["en"]
    mine = status(client, store, cid, incoming="950618")
    assert mine["state"] == "calling_now" and mine["incoming"]["official"] is True
    fake = status(client, store, cid, incoming="+86 171 0000 1234")
    assert fake["state"] == "not_us" and fake["reason"] == "number_not_official"
    clock.advance(timedelta(minutes=4))
    ended = client.post(
        f"/v1/contacts/{reg['contact_id']}/end", headers=store.auth("agent-li")
    ).json()
    assert ended["state"] == "ended" and ended["agent_reads_code"] is None
    after = status(client, store, cid, incoming="950618")
    assert after["state"] == "not_us" and after["reason"] == "no_live_contact_from_number"
    assert status(client, store, cid)["state"] == "recent"
    clock.advance(timedelta(hours=73))
    assert status(client, store, cid)["state"] == "none"


def test_two_agents_at_once_over_http(store: Store, client: TestClient, numbers: None) -> None:
    """The service registers one agent, the other registers themselves: both are live."""
    cid = store.customers[1].customer_id
    a = register(
        client,
        store,
        "app",
        customer_id=cid,
        agent_id="agent-wu",
        channel="call",
        via="01056320001",
        reason="delivery",
    )
    b = register(
        client, store, "agent-li", customer_id=cid, channel="call", via="950618", reason="refund"
    )
    doc = status(client, store, cid)
    assert doc["state"] == "calling_now"
    assert {c["agent"]["staff_no"] for c in doc["contacts"]} == {"agent-wu", "agent-li"}
    assert {c["agent_reads_code"] for c in doc["contacts"]} == {
        a["agent_reads_code"],
        b["agent_reads_code"],
    }
    on_wu = status(client, store, cid, incoming="010 5632 0001")
    assert on_wu["contacts"][0]["contact_id"] == a["contact_id"]


def test_roles_on_the_ledger(store: Store, client: TestClient, numbers: None) -> None:
    """Agents act only for themselves, other roles cannot register, only the app asks status."""
    cid = store.customers[2].customer_id
    body = {"customer_id": cid, "channel": "call", "via": "950618", "reason": "refund"}
    assert_problem(
        client.post(
            "/v1/contacts", json=body | {"agent_id": "agent-wu"}, headers=store.auth("agent-li")
        ),
        403,
        "access_denied",
    )
    for who in ("courier-wang", "partner-sf", "analyst-he", "sec-admin"):
        assert_problem(
            client.post("/v1/contacts", json=body, headers=store.auth(who)), 403, "access_denied"
        )
    reg = register(client, store, "agent-li", **body)
    assert_problem(
        client.post(f"/v1/contacts/{reg['contact_id']}/end", headers=store.auth("agent-wu")),
        403,
        "access_denied",
    )
    assert_problem(
        client.get(f"/v1/contacts/{reg['contact_id']}", headers=store.auth("agent-wu")),
        403,
        "access_denied",
    )
    assert (
        client.get(f"/v1/contacts/{reg['contact_id']}", headers=store.auth("sec-admin")).status_code
        == 200
    )
    assert_problem(
        client.get("/v1/contacts/ctc_missing", headers=store.auth("app")),
        404,
        "not_found",
        "contact_id",
    )
    for who in ("agent-li", "courier-wang", "sec-admin"):
        resp = client.get("/v1/me/contact-status", params={"subject": cid}, headers=store.auth(who))
        assert_problem(resp, 403, "access_denied")


def test_codes_both_ways_over_http(
    store: Store, client: TestClient, numbers: None, clock: ManualClock
) -> None:
    """The customer's code verifies once; wrong codes run out; codes expire with the call."""
    cid = store.customers[3].customer_id
    reg = register(
        client,
        store,
        "agent-li",
        customer_id=cid,
        channel="call",
        via="950618",
        reason="refund",
        verification="both",
    )
    (shown,) = status(client, store, cid)["contacts"]
    assert shown["agent_reads_code"] == reg["agent_reads_code"]
    customer_code = shown["customer_reads_code"]
    assert customer_code and customer_code != reg["agent_reads_code"]
    assert "customer_reads_code" not in reg  # the desk never gets it from us
    url = f"/v1/contacts/{reg['contact_id']}/verify"
    wrong = f"{(int(customer_code) + 1) % 10**6:06d}"
    first = client.post(url, json={"code": wrong}, headers=store.auth("agent-li")).json()
    assert first == {
        "contact_id": reg["contact_id"],
        "verified": False,
        "reason": "wrong_code",
        "attempts_left": 4,
    }
    assert_problem(
        client.post(url, json={"code": "abc"}, headers=store.auth("agent-li")),
        422,
        "invalid_input",
        "code",
    )
    ok = client.post(url, json={"code": customer_code}, headers=store.auth("agent-li")).json()
    assert ok["verified"] is True and ok["attempts_left"] == 3
    assert client.get(f"/v1/contacts/{reg['contact_id']}", headers=store.auth("app")).json()[
        "customer_code_verified"
    ]
    used = client.post(url, json={"code": customer_code}, headers=store.auth("agent-li")).json()
    assert used["reason"] == "code_used"
    # exhausted and expired, on a second call
    reg2 = register(
        client,
        store,
        "agent-li",
        customer_id=cid,
        channel="call",
        via="950618",
        reason="refund",
        verification="customer_reads",
    )
    url2 = f"/v1/contacts/{reg2['contact_id']}/verify"
    code2 = next(
        c for c in status(client, store, cid)["contacts"] if c["contact_id"] == reg2["contact_id"]
    )["customer_reads_code"]
    wrong2 = f"{(int(code2) + 1) % 10**6:06d}"
    for _ in range(5):
        client.post(url2, json={"code": wrong2}, headers=store.auth("agent-li"))
    spent = client.post(url2, json={"code": code2}, headers=store.auth("agent-li")).json()
    assert (spent["verified"], spent["reason"]) == (False, "attempts_exhausted")
    reg3 = register(
        client,
        store,
        "agent-li",
        customer_id=cid,
        channel="call",
        via="950618",
        reason="refund",
        verification="customer_reads",
    )
    code3 = next(
        c for c in status(client, store, cid)["contacts"] if c["contact_id"] == reg3["contact_id"]
    )["customer_reads_code"]
    clock.advance(timedelta(hours=2))
    late = client.post(
        f"/v1/contacts/{reg3['contact_id']}/verify",
        json={"code": code3},
        headers=store.auth("agent-li"),
    ).json()
    assert (late["verified"], late["reason"]) == (False, "expired")


def test_message_tags_over_http(store: Store, client: TestClient, clock: ManualClock) -> None:
    """The app signs, anyone checks: valid, altered, other recipient, expired."""
    cid, other = store.customers[0].customer_id, store.customers[1].customer_id
    text = "【示例商城】您的订单 O0001 已发货。"
    signed = client.post(
        "/v1/messages/sign", json={"customer_id": cid, "text": text}, headers=store.auth("app")
    ).json()
    assert signed["text"].startswith(text) and len(signed["tag"]) == 9  # ABCD-EFGH

    def verify(who: str, **body: Any) -> dict[str, Any]:
        resp = client.post("/v1/messages/verify", json=body, headers=store.auth(who))
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    assert verify("courier-wang", customer_id=cid, text=signed["text"])["valid"] is True
    assert (
        verify("agent-li", customer_id=cid, text=text, tag=signed["tag"].lower())["valid"] is True
    )
    assert (
        verify("app", customer_id=cid, text=signed["text"].replace("O0001", "O0009"))["reason"]
        == "mismatch"
    )
    assert verify("app", customer_id=other, text=signed["text"])["reason"] == "mismatch"
    assert verify("app", customer_id=cid, text=text)["reason"] == "no_tag"
    clock.advance(timedelta(days=8))
    assert verify("app", customer_id=cid, text=signed["text"])["reason"] == "expired"
    assert_problem(
        client.post(
            "/v1/messages/sign",
            json={"customer_id": cid, "text": text},
            headers=store.auth("agent-li"),
        ),
        403,
        "access_denied",
    )
    assert_problem(
        client.post(
            "/v1/messages/verify",
            json={"customer_id": cid, "text": text, "tag": "xyz"},
            headers=store.auth("app"),
        ),
        422,
        "invalid_input",
        "tag",
    )
    assert_problem(
        client.post(
            "/v1/messages/sign",
            json={"customer_id": "C 1", "text": text},
            headers=store.auth("app"),
        ),
        422,
        "invalid_input",
        "customer_id",
    )


def test_no_plaintext_after_contacts_codes_and_warnings(
    store: Store, client: TestClient, numbers: None, backend: str, tmp_path: Path
) -> None:
    """After contacts, codes and webhook warnings no customer value or code is stored."""
    people = store.customers[:4]
    codes: list[str] = []
    for c in people:
        reg = register(
            client, store, "agent-li", customer_id=c.customer_id, channel="call", via="950618",
            reason="refund", verification="both",
        )  # fmt: skip
        codes.append(reg["agent_reads_code"])
        shown = status(client, store, c.customer_id)["contacts"][0]["customer_reads_code"]
        codes.append(shown)
        client.post(
            f"/v1/contacts/{reg['contact_id']}/verify",
            json={"code": shown},
            headers=store.auth("agent-li"),
        )
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cl = store.services.contact_ledger
        url = f"http://127.0.0.1:{server.server_address[1]}/sms"
        sender = WebhookSender(url, cl.webhook_secret(), cl.recipients, store.services.clock)
        planner = cl.planner
        planner.enqueue(planner.plan_leak("leak-1", [c.customer_id for c in people]))
        assert cl.dispatcher({"sms": sender}).run().sent == 4
    finally:
        server.shutdown()
        server.server_close()
    assert {json.loads(b)["to"] for b in received} == {c.phone for c in people}
    raw = database_bytes(store.services, backend, tmp_path)
    for value in secrets_of(people):
        assert value.encode() not in raw, "a customer value is stored in clear"
    # A 6-digit code could turn up by chance in a megabyte of ciphertext (about 1 in 300), so
    # codes are looked for where text is written: every text column of the contact tables and
    # every audit entry.
    with store.services.engine.connect() as conn:
        written = [
            str(v)
            for table in (contact_ledger, contact_outbox, audit_entries)
            for row in conn.execute(select(table))
            for v in row._mapping.values()
            if not isinstance(v, bytes)
        ]
    for code in codes:
        assert not any(code in v for v in written), code
