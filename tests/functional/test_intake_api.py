"""Batch intake over HTTP: per-event results, idempotency by event id, the 1,000-event bound,
roles, and bad events refused whole with problem+json."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from shieldwall.storage.intake_repo import SqlProcessedEvents
from shieldwall.wiring import Services
from tests.functional.conftest import Store


def attempts(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"event_id": f"att-{i}", "account": f"1380013{i:04d}", "ip": f"1.80.{i % 250}.4"}
        for i in range(start, start + n)
    ]


def reads(store: Store, n: int, who: str = "agent-li") -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"read-{i}",
            "ts": "2026-03-02T08:00:00+00:00",
            "principal_id": who,
            "customer_ids": [store.customers[i % len(store.customers)].customer_id],
            "fields": {"phone": "masked", "address": "clear"},
            "system": "oms",
        }
        for i in range(n)
    ]


def report_count(services: Services) -> int:
    with services.scam.store.read() as tx:
        return tx.count_reports()


def store_reads(services: Services) -> list[dict[str, Any]]:
    records = services.audit.read(-1, 100_000)
    return [r.event.to_dict() for r in records if r.event.channel == "store"]


def test_attempts_batch_decides_each_and_a_resend_changes_nothing(
    store: Store, client: TestClient
) -> None:
    """Each attempt gets the assess answer; resending answers duplicate with the same ids."""
    body = {"events": attempts(5)}
    r = client.post("/v1/logins/attempts:batch", json=body, headers=store.auth("app"))
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["processed"] == 5 and first["duplicates"] == 0
    assert [x["event_id"] for x in first["results"]] == [f"att-{i}" for i in range(5)]
    for x in first["results"]:
        assert x["status"] == "processed"
        assert x["result"]["decision"] in ("allow", "challenge", "deny")
    again = client.post("/v1/logins/attempts:batch", json=body, headers=store.auth("app")).json()
    assert again["duplicates"] == 5 and again["processed"] == 0
    assert [x["result"] for x in again["results"]] == [x["result"] for x in first["results"]]

    # the outcome of one, by the assessment id the decision carried; twice: one effect
    aid = first["results"][0]["result"]["assessment_id"]
    out = {"events": [{"event_id": "out-1", "assessment_id": aid, "success": True}]}
    r1 = client.post("/v1/logins/outcomes:batch", json=out, headers=store.auth("app")).json()
    r2 = client.post("/v1/logins/outcomes:batch", json=out, headers=store.auth("app")).json()
    assert r1["results"][0]["status"] == "processed"
    assert r1["results"][0]["result"]["recorded"] is True
    assert r2["results"][0] == {**r1["results"][0], "status": "duplicate"}
    # an unknown assessment is rejected for that event alone, without its value
    bad = {"events": [{"event_id": "out-2", "assessment_id": "nope", "success": False}]}
    r3 = client.post("/v1/logins/outcomes:batch", json=bad, headers=store.auth("app")).json()
    assert r3["rejected"] == 1
    assert r3["results"][0]["error"]["code"] == "not_found"
    assert r3["results"][0]["error"]["field"] == "assessment_id"


def test_access_batch_audits_each_read_once(store: Store, client: TestClient) -> None:
    """Reads land in the audit log with the reader's role and unit; a resend adds nothing;
    an unknown principal is rejected per event."""
    events = reads(store, 7)
    events.append({**events[0], "event_id": "read-x", "principal_id": "nobody"})
    r = client.post("/v1/access:batch", json={"events": events}, headers=store.auth("app"))
    assert r.status_code == 200, r.text
    assert r.json()["processed"] == 7 and r.json()["rejected"] == 1
    assert r.json()["results"][7]["error"]["code"] == "unknown_principal"
    logged = store_reads(store.services)
    assert len(logged) == 7
    assert {e["actor"] for e in logged} == {"agent-li"}
    assert {(e["role"], e["unit"], e["action"]) for e in logged} == {("agent", "cs-team-1", "read")}
    assert sorted(e["extra"]["event_id"] for e in logged) == sorted(f"read-{i}" for i in range(7))
    client.post("/v1/access:batch", json={"events": events}, headers=store.auth("app"))
    assert len(store_reads(store.services)) == 7
    assert SqlProcessedEvents(store.services.engine).count("access") == 7


def test_scam_reports_batch_stores_each_report_once(store: Store, client: TestClient) -> None:
    """The store app reports for customers; a resend stores no second report."""
    events = [
        {
            "event_id": f"rep-{i}",
            "channel": "sms",
            "received_at": "2026-03-02T08:00:00+00:00",
            "text": "【京东客服】您的订单异常，请点击 http://jd-refund.top 办理退款",
            "customer_id": store.customers[i].customer_id,
        }
        for i in range(3)
    ]
    r = client.post("/v1/scam/reports:batch", json={"events": events}, headers=store.auth("app"))
    assert r.status_code == 200, r.text
    assert r.json()["processed"] == 3
    assert report_count(store.services) == 3
    r = client.post("/v1/scam/reports:batch", json={"events": events}, headers=store.auth("app"))
    assert r.json()["duplicates"] == 3
    assert report_count(store.services) == 3
    # naming another reporter than the caller is refused for that event
    other = [{**events[0], "event_id": "rep-9", "reporter_id": "agent-li"}]
    r = client.post("/v1/scam/reports:batch", json={"events": other}, headers=store.auth("app"))
    assert r.json()["results"][0]["error"]["code"] == "reporter_mismatch"


def test_bounds_roles_and_bad_events(store: Store, client: TestClient) -> None:
    """1,001 events: 422; a bad event refuses the whole batch naming the field, not the value;
    no key: 401; a role the single-event route refuses: 403."""
    app = store.auth("app")
    r = client.post("/v1/logins/attempts:batch", json={"events": attempts(1001)}, headers=app)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "events"
    events = attempts(3)
    events[1]["ip"] = "not-an-ip-13800138000"
    r = client.post("/v1/logins/attempts:batch", json={"events": events}, headers=app)
    assert r.status_code == 422
    assert r.json()["field"] == "events.1.ip"
    assert "13800138000" not in r.text
    assert SqlProcessedEvents(store.services.engine).count("logins.attempts") == 0
    r = client.post("/v1/logins/attempts:batch", json={"events": []}, headers=app)
    assert r.status_code == 422
    r = client.post("/v1/logins/attempts:batch", json={"events": attempts(1)})
    assert r.status_code == 401
    for path, body in (
        ("/v1/logins/attempts:batch", {"events": attempts(1)}),
        ("/v1/access:batch", {"events": reads(store, 1)}),
    ):
        r = client.post(path, json=body, headers=store.auth("agent-li"))
        assert r.status_code == 403
    r = client.post(
        "/v1/scam/reports:batch",
        json={"events": [{"event_id": "r", "channel": "sms", "received_at": "2026-03-02T08:00Z"}]},
        headers=store.auth("analyst-he"),
    )
    assert r.status_code == 403
