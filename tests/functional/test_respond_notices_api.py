"""Breach notices through the real HTTP API: the clock in the case view, a PDF rendered and
read back, notifications recorded (the case moves to notified), roles, and problem+json for
every refusal."""

from __future__ import annotations

import base64
from io import BytesIO

from fastapi.testclient import TestClient
from pypdf import PdfReader

from shieldwall.core.clock import ManualClock
from shieldwall.custody import masking
from tests.functional.conftest import HOUR, Store

PROBLEM = "application/problem+json"
NOTICE = {"measures": ["police_report"], "kinds": ["phone", "name"]}


def _case(client: TestClient, store: Store, n: int = 3) -> tuple[str, list[str]]:
    admin = store.auth("sec-admin")
    case_id = client.post("/v1/cases", json={"source": "manual"}, headers=admin).json()["case_id"]
    customers = [c.customer_id for c in store.customers[:n]]
    resp = client.post(
        f"/v1/cases/{case_id}/links", json={"customer_ids": customers}, headers=admin
    )
    assert resp.status_code == 200, resp.text
    return case_id, customers


def test_notices_through_http(client: TestClient, store: Store, clock: ManualClock) -> None:
    """Clock pending, PDF to a person by masked name, authority notice recorded (contained →
    notified), persons recorded, clock met; analysts see records without customer ids."""
    admin, analyst = store.auth("sec-admin"), store.auth("analyst-he")
    case_id, customers = _case(client, store)
    clock.advance(2 * HOUR)
    resp = client.get(f"/v1/cases/{case_id}/notices/clock", headers=analyst)
    assert resp.status_code == 200, resp.text
    by = {(d["regime"], d["audience"]): d for d in resp.json()["deadlines"]}
    gdpr = by[("gdpr", "authority")]
    assert gdpr["status"] == "pending" and gdpr["elapsed_seconds"] == 2 * 3600
    assert gdpr["remaining_seconds"] == 70 * 3600 and gdpr["legal_deadline"] is True
    assert by[("pipl", "person")]["persons_affected"] == 3
    shown = client.get(f"/v1/cases/{case_id}", headers=admin).json()
    assert {(d["regime"], d["audience"]) for d in shown["notice_deadlines"]} == set(by)

    body = {**NOTICE, "regime": "pipl", "audience": "person", "format": "pdf"}
    resp = client.post(
        f"/v1/cases/{case_id}/notices:render",
        json={**body, "customer_id": customers[0]},
        headers=admin,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["media_type"] == "application/pdf"
    pdf = base64.b64decode(resp.json()["content_base64"])
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).replace("\n", "")
    person = store.customers[0]
    assert f"尊敬的{masking.name(person.name)}：" in text and "第五十七条" in text
    assert person.name not in text

    resp = client.post(f"/v1/cases/{case_id}/transition", json={"to": "contained"}, headers=admin)
    assert resp.status_code == 200
    record = {**NOTICE, "regime": "gdpr", "audience": "authority", "channel": "portal"}
    resp = client.post(
        f"/v1/cases/{case_id}/notices", json={**record, "language": "en"}, headers=admin
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["moved_to_notified"] is True and resp.json()["state"] == "notified"
    resp = client.post(
        f"/v1/cases/{case_id}/notices",
        json={
            **NOTICE,
            "regime": "pipl",
            "audience": "person",
            "channel": "sms",
            "all_affected": True,
        },
        headers=admin,
    )
    assert resp.status_code == 201, resp.text
    assert sorted(r["customer_id"] for r in resp.json()["records"]) == sorted(customers)
    listed = client.get(f"/v1/cases/{case_id}/notices", headers=admin).json()
    assert len(listed["items"]) == 4 and listed["next_cursor"] is None
    clock_now = client.get(f"/v1/cases/{case_id}/notices/clock", headers=admin).json()
    assert {d["status"] for d in clock_now["deadlines"] if d["regime"] == "gdpr"} == {
        "met",
        "pending",
    }
    seen = client.get(f"/v1/cases/{case_id}/notices", headers=analyst).json()
    assert {r["customer_id"] for r in seen["items"]} == {None}
    assert client.get(f"/v1/cases/{case_id}", headers=admin).json()["state"] == "notified"


def test_notice_roles_and_bad_input_are_problems(client: TestClient, store: Store) -> None:
    """Agents get nothing; analysts cannot render or record; unknown codes, a person notice
    without a customer, a customer outside the case, a time in the future, extra fields and
    unknown cases are problems naming the field."""
    admin, analyst = store.auth("sec-admin"), store.auth("analyst-he")
    case_id, customers = _case(client, store, 1)
    path = f"/v1/cases/{case_id}/notices"
    assert client.get(path + "/clock", headers=store.auth("agent-li")).status_code == 403
    assert client.get(path, headers=store.auth("app")).status_code == 403
    base = {**NOTICE, "regime": "pipl", "audience": "authority"}
    assert client.post(path + ":render", json=base, headers=analyst).status_code == 403
    rec = {**base, "channel": "portal"}
    assert client.post(path, json=rec, headers=analyst).status_code == 403

    def problem(url: str, body: dict[str, object], status: int, field: str) -> None:
        resp = client.post(url, json=body, headers=admin)
        assert resp.status_code == status, resp.text
        assert resp.headers["content-type"] == PROBLEM
        assert resp.json()["field"] == field, resp.json()

    problem(path + ":render", {**base, "regime": "ccpa"}, 422, "regime")
    problem(path + ":render", {**base, "language": "fr"}, 422, "language")
    problem(path + ":render", {**base, "format": "docx"}, 422, "format")
    problem(path + ":render", {**base, "cause": "gremlins"}, 422, "cause")
    problem(path + ":render", {**base, "measures": []}, 422, "measures")
    problem(path + ":render", {**base, "kinds": []}, 422, "kinds")
    problem(path + ":render", {**base, "audience": "person"}, 422, "customer_id")
    problem(
        path + ":render",
        {**base, "audience": "person", "customer_id": store.customers[5].customer_id},
        404,
        "customer_ids",
    )
    problem(path, {**rec, "channel": "pigeon"}, 422, "channel")
    problem(path, {**rec, "notified_at": "2099-01-01T00:00:00Z"}, 422, "notified_at")
    problem(path, {**rec, "customer_ids": customers}, 422, "customer_ids")
    resp = client.post(path, json={**rec, "surprise": 1}, headers=admin)
    assert resp.status_code == 422 and resp.headers["content-type"] == PROBLEM
    resp = client.post(path, json={**rec, "notified_at": 1772442000}, headers=admin)
    assert resp.status_code == 422  # a number is not a time
    assert client.get("/v1/cases/case_nope/notices/clock", headers=admin).status_code == 404
    assert client.get(path, headers=admin).json() == {"items": [], "next_cursor": None}


def _record_persons(client: TestClient, store: Store, case_id: str, customers: list[str]) -> None:
    body = {**NOTICE, "regime": "pipl", "audience": "person", "channel": "sms"}
    resp = client.post(
        f"/v1/cases/{case_id}/notices",
        json={**body, "customer_ids": customers},
        headers=store.auth("sec-admin"),
    )
    assert resp.status_code == 201, resp.text


def test_notices_page_newest_first_and_a_new_record_does_not_shift_the_pages(
    client: TestClient, store: Store, clock: ManualClock
) -> None:
    """Three persons notified an hour apart come back in pages of 2 (2, 1), each once, the
    latest recorded first; a person notified after the first page was served lands before it,
    so the second page is what it would have been; a cursor of another case's notices, a
    garbled cursor and a limit out of 1..500 are 422 problems naming the field."""
    admin = store.auth("sec-admin")
    case_id, customers = _case(client, store, 4)
    for customer in customers[:3]:
        clock.advance(HOUR)
        _record_persons(client, store, case_id, [customer])
    path = f"/v1/cases/{case_id}/notices"
    first = client.get(path, params={"limit": 2}, headers=admin).json()
    assert [r["customer_id"] for r in first["items"]] == customers[2:0:-1]
    clock.advance(HOUR)
    _record_persons(client, store, case_id, [customers[3]])
    rest = client.get(path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin)
    assert rest.status_code == 200, rest.text
    assert [r["customer_id"] for r in rest.json()["items"]] == [customers[0]]
    assert rest.json()["next_cursor"] is None
    newest = client.get(path, params={"limit": 1}, headers=admin).json()
    assert [r["customer_id"] for r in newest["items"]] == [customers[3]]

    other_case, other_customers = _case(client, store, 2)
    _record_persons(client, store, other_case, other_customers)
    other = client.get(f"/v1/cases/{other_case}/notices", params={"limit": 1}, headers=admin)
    for params, field in (
        ({"cursor": other.json()["next_cursor"]}, "cursor"),
        ({"cursor": "garbage"}, "cursor"),
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
    ):
        resp = client.get(path, params=params, headers=admin)
        assert resp.status_code == 422 and resp.headers["content-type"] == PROBLEM, resp.text
        assert resp.json()["field"] == field
