"""Every capability's intake through the real API, then a scan of everything at rest (every
table's every column, the SQLite file with its -wal and -shm, every file under the home, a
``pg_dump`` on PostgreSQL) and of the logs for each customer value in its usual spellings."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shieldwall.core.model import Customer
from shieldwall.sim.people import PeopleFactory
from shieldwall.storage.tables import metadata
from shieldwall.wiring import Services
from tests.functional.conftest import Store, customer_row, order_row
from tests.functional.test_no_plaintext import database_bytes
from tests.unit.contact.warnings.conftest import RecordingSender


def spellings(c: Customer) -> dict[str, str]:
    """The customer's values as people write them: E.164 and national phone, ID in both
    cases, e-mail in both cases, the name and address in UTF-8."""
    national_id = c.national_id or ""
    email = c.email or ""
    out = {
        "phone (E.164)": c.phone,
        "phone (national)": c.phone.removeprefix("+86"),
        "phone (digits)": c.phone.lstrip("+"),
        "national id": national_id.upper(),
        "national id (lower)": national_id.lower(),
        "e-mail": email,
        "e-mail (upper)": email.upper(),
        "name": c.name,
        "address": c.address or "",
    }
    return {k: v for k, v in out.items() if v}


def needles(people: list[Customer]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for c in people:
        for label, value in spellings(c).items():
            out.append((f"{c.customer_id} {label}", value.encode()))
            out.append((f"{c.customer_id} {label} (utf-16)", value.encode("utf-16-le")))
        # An unkeyed SHA-256 of a phone is as good as clear (every number can be hashed).
        legacy = hashlib.sha256(f"phone\x1f{c.phone}".encode()).digest()[:16]
        out.append((f"{c.customer_id} phone (unkeyed hash)", legacy))
    return out


def every_cell(services: Services) -> bytes:
    parts: list[bytes] = []
    with services.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row._mapping.values():
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value))
                    elif value is not None:
                        parts.append(str(value).encode())
    return b"\x00".join(parts)


def home_files(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def intake(client: TestClient, store: Store, people: list[Customer]) -> None:
    """Every capability's way in, each carrying the customers' values."""
    app, agent, admin = store.auth("app"), store.auth("agent-li"), store.auth("sec-admin")

    def ok(resp: object, *codes: int) -> None:
        status = resp.status_code  # type: ignore[attr-defined]
        assert status in (codes or (200, 201)), resp.text  # type: ignore[attr-defined]

    hotline = {"number": "950618", "kind": "hotline", "label": "hotline"}
    ok(client.post("/v1/numbers", json=hotline, headers=admin))
    rows = [customer_row(c) for c in people]
    ok(client.post("/v1/customers:import", json={"customers": rows}, headers=app))
    orders = [order_row(900 + n, c) for n, c in enumerate(people)]
    ok(client.post("/v1/orders:import", json={"orders": orders}, headers=app))
    for c in people:
        cid = c.customer_id
        ticket = {"agent_id": "agent-li", "customer_id": cid}
        ok(client.post("/v1/tickets", json=ticket, headers=app))
        ok(
            client.post(
                "/v1/contacts",
                json={"customer_id": cid, "channel": "call", "via": "950618", "reason": "refund"},
                headers=agent,
            )
        )
        text = (
            f"自称客服来电, 说出了我的姓名 {c.name}、手机 {c.phone.removeprefix('+86')} 、"
            f"邮箱 {c.email} 、身份证号 {c.national_id} 和地址 {c.address}, 让我加QQ 31415926 退款"
        )
        # Reported by the customer through the app (no victim_phone: the text quotes it), once
        # from the scammer's number and once with the customer's own number spoofed as sender.
        for sender in ("+8613987654321", c.phone):
            report = {
                "channel": "call",
                "received_at": "2026-03-02T08:00:00+00:00",
                "text": text,
                "sender": sender,
                "customer_id": cid,
            }
            ok(client.post("/v1/scam/reports", json=report, headers=app), 201)
        report = {"channel": "sms", "received_at": "2026-03-02T09:00:00+00:00"}
        report |= {"text": text, "victim_phone": c.phone, "sender": "95555"}
        ok(client.post("/v1/scam/reports", json=report, headers=agent), 201)
        attempt = {
            "account": c.phone.removeprefix("+86"),
            "ip": "1.80.3.4",
            "user_agent": "Mozilla/5.0",
            "device_id": "dev-1",
            "password_sha1": hashlib.sha1(b"pw", usedforsecurity=False).hexdigest(),
        }
        ok(client.post("/v1/logins/assess", json=attempt, headers=app))
    release = {
        "recipient_id": "partner-sf",
        "customer_ids": [c.customer_id for c in people],
        "fields": ["name", "phone", "address"],
        "canaries": 2,
    }
    ok(client.post("/v1/releases", json=release, headers=admin))
    victims = [{"phone": c.phone, "called_at": "2026-03-02T10:00:00+08:00"} for c in people]
    ok(client.post("/v1/trace/victims", json={"victims": victims}, headers=admin))
    case = client.post("/v1/cases", json={"source": "manual"}, headers=admin)
    ok(case, 201)
    case_id = case.json()["case_id"]
    links = {"customer_ids": [c.customer_id for c in people]}
    ok(client.post(f"/v1/cases/{case_id}/links", json=links, headers=admin))
    # Breach notices: a letter to a person rendered (the name decrypted to be masked) and
    # every affected person's notice recorded.
    notice = {"regime": "pipl", "audience": "person", "measures": ["police_report"]}
    notice["kinds"] = ["name", "phone"]
    render = {**notice, "customer_id": people[0].customer_id, "format": "pdf"}
    ok(client.post(f"/v1/cases/{case_id}/notices:render", json=render, headers=admin))
    record = {**notice, "channel": "sms", "all_affected": True}
    ok(client.post(f"/v1/cases/{case_id}/notices", json=record, headers=admin), 201)
    leaked = "\n".join(",".join(customer_row(c)[k] or "" for k in customer_row(c)) for c in people)
    ok(
        client.post(
            f"/v1/cases/{case_id}/evidence",
            params={"kind": "leaked_file", "name": f"{people[0].name}.csv"},
            content=leaked.encode(),
            headers={**admin, "Content-Type": "text/csv"},
        ),
        201,
    )
    # A police list: matched customers by phone and ID number, plus each customer's values
    # again under an order number nobody has (kept unmatched, as keyed hashes), then a claim.
    police = [
        {"phone": c.phone.removeprefix("+86"), "name": c.name, "loss_fen": 100} for c in people
    ]
    police += [{"national_id": c.national_id, "name": c.name} for c in people if c.national_id]
    police += [{"order_id": f"X-{c.customer_id}", "name": c.name} for c in people]
    body = {"case_id": "case-pii", "source": "police", "rows": police}
    ok(client.post("/v1/victims:import", json=body, headers=admin))
    claim = {"case_id": "case-pii", "customer_id": people[0].customer_id, "amount_fen": 100}
    ok(client.post("/v1/claims", json=claim, headers=agent), 201)
    ledger = store.services.contact_ledger
    plan = ledger.planner.plan_leak("leak-pii", [c.customer_id for c in people])
    ledger.planner.enqueue(plan)
    sent = ledger.dispatcher({"sms": RecordingSender()}).run()
    assert sent.sent == len(people)


def test_no_customer_value_anywhere_at_rest_or_in_logs(
    store: Store,
    client: TestClient,
    backend: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After every intake, no customer's phone, ID, e-mail, name or address (in any usual
    spelling) is in any table, database file, file under the home, dump, or log line."""
    caplog.set_level(logging.DEBUG)
    people = PeopleFactory(20261210).customers(3)
    intake(client, store, people)
    services = store.services
    home = services.settings.home
    haystacks = {
        "tables": every_cell(services),
        "database files" if backend == "sqlite" else "pg_dump": database_bytes(
            services, backend, tmp_path
        ),
        "home": home_files(home),
        "logs": "\n".join(r.getMessage() for r in caplog.records).encode(),
    }
    assert b"scam_indicators" in haystacks["database files" if backend == "sqlite" else "pg_dump"]
    found = sorted(
        f"{where}: {label}"
        for where, hay in haystacks.items()
        for label, needle in needles(people)
        if needle in hay
    )
    assert found == []
