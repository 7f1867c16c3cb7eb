"""Cases and evidence through the real HTTP API: roles, problem+json for every refusal, an
evidence item's round trip, and the audit entries the API's changes leave."""

from __future__ import annotations

import base64
import hashlib

from fastapi.testclient import TestClient

from tests.functional.conftest import Store

PROBLEM = "application/problem+json"


def test_case_lifecycle_through_http(client: TestClient, store: Store) -> None:
    """Open, move, refuse an invalid move (409), assign, link, add and read evidence."""
    admin, analyst = store.auth("sec-admin"), store.auth("analyst-he")
    resp = client.post("/v1/cases", json={"source": "manual"}, headers=admin)
    assert resp.status_code == 201, resp.text
    case_id = resp.json()["case_id"]
    assert resp.json()["state"] == "open"
    resp = client.post(f"/v1/cases/{case_id}/transition", json={"to": "notified"}, headers=admin)
    assert resp.status_code == 409
    assert resp.headers["content-type"] == PROBLEM
    assert resp.json()["code"] == "invalid_transition" and resp.json()["field"] == "state"
    resp = client.post(
        f"/v1/cases/{case_id}/transition", json={"to": "investigating"}, headers=admin
    )
    assert resp.status_code == 200 and resp.json()["state"] == "investigating"
    resp = client.post(f"/v1/cases/{case_id}/assign", json={"owner_id": "sec-admin"}, headers=admin)
    assert resp.json()["owner_id"] == "sec-admin"
    customers = [c.customer_id for c in store.customers[:3]]
    resp = client.post(
        f"/v1/cases/{case_id}/links",
        json={"customer_ids": customers, "principal_ids": ["agent-wu"], "suspend": True},
        headers=admin,
    )
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["added"]) == 4
    assert client.get("/v1/me", headers=store.auth("agent-wu")).status_code == 401
    content = b"%PDF-1.4 screenshot of a scam page"
    resp = client.post(
        f"/v1/cases/{case_id}/evidence",
        params={"kind": "screenshot", "name": "page.pdf"},
        content=content,
        headers={**admin, "Content-Type": "application/pdf"},
    )
    assert resp.status_code == 201, resp.text
    item = resp.json()
    assert item["sha256"] == hashlib.sha256(content).hexdigest()
    assert item["media_type"] == "application/pdf" and item["file_name"].endswith(".pdf")
    eid = item["evidence_id"]
    resp = client.post(
        f"/v1/cases/{case_id}/evidence/{eid}/read", json={"reason": "x"}, headers=admin
    )
    assert resp.status_code == 403 and resp.json()["reasons"] == ["reason_required"]
    resp = client.post(
        f"/v1/cases/{case_id}/evidence/{eid}/read",
        json={"reason": "court order 2026-17"},
        headers=admin,
    )
    assert resp.status_code == 200
    assert base64.b64decode(resp.json()["content_base64"]) == content
    seq = resp.json()["access_seq"]
    entry = client.get(f"/v1/audit/entries/{seq}", headers=admin)
    assert entry.status_code == 200 and "evidence_read" in entry.text
    assert "court order" not in entry.text and '"reason_length": "19"' in entry.text.replace(
        '":"', '": "'
    )
    full = client.get(f"/v1/cases/{case_id}", headers=admin).json()
    assert [t["action"] for t in full["timeline"]] == [
        "opened",
        "transition",
        "assigned",
        "linked",
        "evidence_received",
        "evidence_read",
    ]
    assert {link["ref"] for link in full["links"]} >= set(customers)
    seen = client.get(f"/v1/cases/{case_id}", headers=analyst).json()
    assert seen["customers_affected"] == 3
    assert not any(link["kind"] == "customer_affected" for link in seen["links"])
    listed = client.get("/v1/cases", params={"state": "investigating"}, headers=analyst)
    assert [c["case_id"] for c in listed.json()["items"]] == [case_id]


def test_roles_and_bad_input_are_problems(client: TestClient, store: Store) -> None:
    """Agents are refused (403); analysts cannot change cases or read evidence; bad input
    names its field (422); unknown cases are 404s; a too-large item is a 413."""
    admin = store.auth("sec-admin")
    for who in ("agent-li", "app"):
        assert client.get("/v1/cases", headers=store.auth(who)).status_code == 403
    analyst = store.auth("analyst-he")
    assert client.post("/v1/cases", json={"source": "manual"}, headers=analyst).status_code == 403
    resp = client.post("/v1/cases", json={"source": "rumour"}, headers=admin)
    assert resp.status_code == 422 and resp.json()["field"] == "source"
    resp = client.post("/v1/cases", json={"source": "alert", "source_ref": "alr_x"}, headers=admin)
    assert resp.status_code == 404 and resp.headers["content-type"] == PROBLEM
    assert client.get("/v1/cases/case_nope", headers=admin).status_code == 404
    case_id = client.post("/v1/cases", json={"source": "manual"}, headers=admin).json()["case_id"]
    resp = client.post(
        f"/v1/cases/{case_id}/links", json={"customer_ids": ["C-nobody"]}, headers=admin
    )
    assert resp.status_code == 404 and resp.json()["field"] == "customer_ids"
    resp = client.post(f"/v1/cases/{case_id}/links", json={"extra": 1}, headers=admin)
    assert resp.status_code == 422
    limit = store.services.settings.respond.cases.max_evidence_bytes
    resp = client.post(
        f"/v1/cases/{case_id}/evidence",
        params={"kind": "other"},
        content=b"x" * (limit + 1),
        headers=admin,
    )
    assert resp.status_code == 413 and resp.headers["content-type"] == PROBLEM
    resp = client.post(
        f"/v1/cases/{case_id}/evidence", params={"kind": "bogus"}, content=b"x", headers=admin
    )
    assert resp.status_code == 422 and resp.json()["field"] == "kind"
    assert client.get(f"/v1/cases/{case_id}/evidence", headers=admin).json()["items"] == []
    assert client.get(f"/v1/cases/{case_id}/evidence", headers=analyst).status_code == 403
    assert client.get("/v1/cases").status_code == 401
