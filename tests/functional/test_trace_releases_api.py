"""Releases and leak attribution through the real HTTP API: create (grant + audit + file),
list/show, canary lookup, trace a leaked copy, roles, bad input and the upload limit."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from shieldwall.core.events import Action
from tests.functional.conftest import Store


def create(client: TestClient, store: Store, **over: Any) -> dict[str, Any]:
    body = {
        "recipient_id": "partner-sf",
        "customer_ids": [c.customer_id for c in store.customers[:8]],
        "optional_ids": [c.customer_id for c in store.customers[8:]],
        "fields": ["name", "phone", "address"],
        "canaries": 2,
    } | over
    r = client.post("/v1/releases", json=body, headers=store.auth("sec-admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_release_grants_audits_and_returns_marked_file(client: TestClient, store: Store) -> None:
    """A release grants the partner, logs GRANT and EXPORT, and returns a CSV with canaries."""
    doc = create(client, store)
    rel = doc["release"]
    assert rel["columns"] == {"name": "clear", "phone": "clear", "address": "clear"}
    assert rel["records"] == 8 + rel["optional_included"] and rel["canaries"] == 2
    content = base64.b64decode(doc["file"]["content_base64"]).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == rel["rows"] == rel["records"] + 2
    assert set(rows[0]) == {"name", "phone", "address"}
    phones = {r["phone"] for r in rows}
    assert {c.phone for c in store.customers[:8]} <= phones
    events = [r.event for r in store.services.audit.read(-1, 10_000)]
    grant = next(e for e in events if e.action is Action.GRANT)
    assert grant.extra["release"] == rel["release_id"]
    assert set(grant.customer_ids) >= {c.customer_id for c in store.customers[:8]}
    export = next(e for e in events if e.action is Action.EXPORT)
    assert (
        export.extra["release"] == rel["release_id"] and len(export.customer_ids) == rel["records"]
    )
    # the partner may now read a granted customer through the vault
    r = client.get(
        f"/v1/customers/{store.customers[0].customer_id}",
        params={"purpose": "partner_fulfilment"},
        headers=store.auth("partner-sf"),
    )
    assert r.status_code == 200, r.text


def test_list_show_and_canary_lookup(client: TestClient, store: Store) -> None:
    """A trap phone from the file resolves to its release; a real customer's phone does not."""
    doc = create(client, store)
    rid = doc["release"]["release_id"]
    auth = store.auth("sec-admin")
    listed = client.get("/v1/releases", headers=auth).json()["items"]
    assert [r["release_id"] for r in listed] == [rid]
    assert client.get(f"/v1/releases/{rid}", headers=auth).json()["release_id"] == rid
    content = base64.b64decode(doc["file"]["content_base64"]).decode()
    real = {c.phone for c in store.customers}
    traps = [r["phone"] for r in csv.DictReader(io.StringIO(content)) if r["phone"] not in real]
    assert len(traps) == 2
    r = client.get("/v1/releases/canary", params={"contact": traps[0]}, headers=auth)
    assert r.status_code == 200 and r.json()["release"]["release_id"] == rid
    r = client.get(
        "/v1/releases/canary", params={"contact": store.customers[0].phone}, headers=auth
    )
    assert r.status_code == 404 and r.json()["field"] == "contact"
    r = client.get("/v1/releases/canary", params={"contact": "not a contact"}, headers=auth)
    assert r.status_code == 422 and r.json()["field"] == "contact"


def test_trace_file_accuses_the_source(client: TestClient, store: Store) -> None:
    """Uploading a partner's copy accuses that partner (canaries, marks) and not another."""
    store.services.custody.principals.add("partner-yt", "partner", unit="yt-express")
    leaked = create(client, store)
    create(client, store, recipient_id="partner-yt", canaries=1)
    body = base64.b64decode(leaked["file"]["content_base64"])
    r = client.post(
        "/v1/trace/file",
        content=body,
        headers={**store.auth("sec-admin"), "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["accused"] == ["partner-sf"]
    top = doc["recipients"][0]
    assert top["canary_hits"] == 2 and top["tardos"]["positions"] > 0
    other = next(x for x in doc["recipients"] if x["recipient_id"] == "partner-yt")
    assert not other["accused"] and other["canary_hits"] == 0


def test_roles_and_bad_input(client: TestClient, store: Store) -> None:
    """Only admins; unknown recipient, non-partner recipient, bad field, empty or junk upload."""
    ids = [store.customers[0].customer_id]
    body = {"recipient_id": "partner-sf", "customer_ids": ids, "fields": ["name"]}
    r = client.post("/v1/releases", json=body, headers=store.auth("agent-li"))
    assert r.status_code == 403
    r = client.post("/v1/trace/file", content=b"x", headers=store.auth("partner-sf"))
    assert r.status_code == 403
    admin = store.auth("sec-admin")
    cases = [
        ({**body, "recipient_id": "nobody"}, 404, "recipient_id"),
        ({**body, "recipient_id": "agent-li"}, 422, "recipient_id"),
        ({**body, "fields": ["salary"]}, 422, "fields"),
        ({**body, "fields": ["national_id"]}, 422, "fields"),  # the partner rule hides it
        ({**body, "customer_ids": ["C-none"]}, 404, "customer_ids"),
        ({**body, "customer_ids": []}, 422, "customer_ids"),
    ]
    for payload, status, field in cases:
        r = client.post("/v1/releases", json=payload, headers=admin)
        assert r.status_code == status, (payload, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == field
    for content, reason in [(b"", "empty"), (b"\x00\x01\x02junk" * 100, "binary")]:
        r = client.post("/v1/trace/file", content=content, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == "file"
        assert reason in r.json()["detail"]
    r = client.post("/v1/trace/file", content=b"a,b\nfoo,bar\n", headers=admin)
    assert r.status_code == 422 and "no row has a phone" in r.json()["detail"]
    assert client.get("/v1/releases/rel_missing", headers=admin).status_code == 404


def test_upload_limit(client: TestClient, store: Store) -> None:
    """A leaked file over trace.releases.max_upload_bytes is refused with 413 while streaming."""
    svc = store.services
    trace = svc.settings.trace
    releases = trace.releases.model_copy(update={"max_upload_bytes": 4096})
    svc.settings = svc.settings.model_copy(
        update={"trace": trace.model_copy(update={"releases": releases})}
    )
    limit = 4096
    r = client.post(
        "/v1/trace/file",
        content=b"a" * (limit + 1),
        headers=store.auth("sec-admin"),
    )
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    chunks = (b"a" * 1024 for _ in range(8))  # no content-length: refused while streaming
    r = client.post("/v1/trace/file", content=chunks, headers=store.auth("sec-admin"))
    assert r.status_code == 413


def test_trace_xlsx_and_json_uploads(client: TestClient, store: Store) -> None:
    """An XLSX release and a JSON release uploaded back are read and attributed."""
    for fmt in ("xlsx", "json"):
        doc = create(client, store, format=fmt, canaries=1)
        body = base64.b64decode(doc["file"]["content_base64"])
        r = client.post(
            "/v1/trace/file",
            params={"format": fmt},
            content=body,
            headers=store.auth("sec-admin"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["format"] == fmt and r.json()["accused"] == ["partner-sf"]
    r = client.post(
        "/v1/trace/file",
        params={"format": "pdf"},
        content=b"x",
        headers=store.auth("sec-admin"),
    )
    assert r.status_code == 422 and r.json()["field"] == "format"
