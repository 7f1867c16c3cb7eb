"""The API contract (issue #11): the OpenAPI document describes every operation completely, list
routes page by keyset cursors, and ``/docs`` serves Swagger UI from local assets.

The document test walks every operation, so a new route without a description, a typed 2xx
response, its problem+json errors or the security requirement fails here.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.core.clock import ManualClock
from shieldwall.wiring import Services
from tests.functional.conftest import HOUR, Store

PROBLEM = "application/problem+json"
RANGE = {"/range/{prefix}", "/v1/pwnedpasswords/range/{prefix}"}
LISTS = {
    "/v1/alerts",
    "/v1/releases",
    "/v1/scam/campaigns",
    "/v1/principals",
    "/v1/numbers",
    "/v1/cases",
    "/v1/victims",
    "/v1/claims",
    "/v1/ledger/postings",
}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, item in doc["paths"].items() for m, op in item.items()]


def test_every_operation_is_documented_completely(store: Store, client: TestClient) -> None:
    """Description, security, typed 2xx and problem+json errors on every operation."""
    doc = client.get("/v1/openapi.json", headers=store.auth("sec-admin")).json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "``Authorization: Bearer <API key>``",
    }
    assert schemes["apiKeyHeader"]["in"] == "header"
    assert schemes["apiKeyHeader"]["name"] == "X-API-Key"
    operations = _operations(doc)
    assert len(operations) >= 55
    for method, path, op in operations:
        where = f"{method} {path}"
        assert op.get("description", "").strip(), where
        if path in RANGE:
            assert {} in op["security"] and {"bearerKey": []} in op["security"], where
        else:
            assert op["security"] == [{"bearerKey": []}, {"apiKeyHeader": []}], where
        ok = [s for s in op["responses"] if s.startswith("2")]
        assert len(ok) == 1, where
        success = op["responses"][ok[0]]
        if ok[0] == "204":
            assert "content" not in success, where
        elif path in RANGE:
            assert list(success["content"]) == ["text/plain"], where
        else:
            assert list(success["content"]) == ["application/json"], where
            schema = success["content"]["application/json"]["schema"]
            assert "$ref" in schema, where  # a named model, not a free-form object
        errors = {s: r for s, r in op["responses"].items() if not s.startswith("2")}
        assert "401" in errors and "503" in errors, where
        for status, response in errors.items():
            assert list(response["content"]) == [PROBLEM], (where, status)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in errors, where
        if "requestBody" in op:
            assert "413" in errors, where
        if "{" in path and path not in RANGE:
            assert "404" in errors, where
        if path in LISTS and method == "GET":
            names = {p["name"]: p for p in op["parameters"]}
            assert names["limit"]["schema"]["maximum"] == 500, where
            assert names["limit"]["schema"]["default"] == 50, where
            assert "cursor" in names, where
    for method, path in (("POST", "/v1/logins/assess"), ("POST", "/v1/customers/lookup")):
        assert "429" in doc["paths"][path][method.lower()]["responses"]
    for path in ("/v1/principals", "/v1/numbers"):
        assert "409" in doc["paths"][path]["post"]["responses"]
    assert "403" in doc["paths"]["/v1/alerts"]["get"]["responses"]  # admins only
    assert "403" not in doc["paths"]["/v1/me"]["get"]["responses"]


def _break_glass(client: TestClient, store: Store, n: int) -> None:
    customer = store.customers[n % len(store.customers)].customer_id
    resp = client.post(
        f"/v1/customers/{customer}/break-glass",
        json={"reason": "court order 2026-77: verify identity of account holder"},
        headers=store.auth("sec-admin"),
    )
    assert resp.status_code == 200, resp.text


def _pages(client: TestClient, store: Store, limit: int, between: Any = None) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(100):  # a bound, not a deadline
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        resp = client.get("/v1/alerts", params=params, headers=store.auth("sec-admin"))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        seen += [a["alert_id"] for a in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        if between is not None:
            between()
    raise AssertionError("the pages did not end")


def test_paging_yields_each_alert_once_in_order_despite_inserts(
    store: Store, client: TestClient, clock: ManualClock, services: Services
) -> None:
    """Pages of 4 over 11+ alerts (several raised at the same instant) give each once, newest
    first; alerts raised between pages land before the first page, never in a later one.

    The insider watch is stopped: it raises alerts from its own thread, dated by the events it
    read, which would make which page they land on depend on the thread's timing."""
    services.watch.stop()
    for n in range(11):
        if n % 3 == 0:
            clock.advance(HOUR)  # groups of three share raised_at: the id breaks the tie
        _break_glass(client, store, n)
    everything = client.get(
        "/v1/alerts", params={"limit": 500}, headers=store.auth("sec-admin")
    ).json()
    assert everything["next_cursor"] is None
    expected = [a["alert_id"] for a in everything["items"]]
    by_time = sorted(everything["items"], key=lambda a: (a["raised_at"], a["alert_id"]))
    assert expected == [a["alert_id"] for a in reversed(by_time)]
    assert len(expected) >= 11  # the insider watch may add its own on top of break-glass's

    assert _pages(client, store, 4) == expected

    extra = iter(range(11, 20))

    def insert() -> None:
        clock.advance(HOUR)
        _break_glass(client, store, next(extra))

    walk = _pages(client, store, 4, between=insert)  # two alerts raised between pages
    assert walk == expected  # newer alerts do not shift later pages: none twice, none skipped
    after = _pages(client, store, 5)
    assert len(after) == len(set(after)) >= len(expected) + 2
    assert after[-len(expected) :] == expected


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",  # not base64url
        "bm90IGpzb24",  # base64 of "not json"
        base64.urlsafe_b64encode(
            json.dumps(["releases", "2026-03-02T09:00:00+00:00", "R1"]).encode()
        )
        .decode()
        .rstrip("="),  # another list's cursor
        base64.urlsafe_b64encode(json.dumps(["alerts", "2026-03-02T09:00:00", "A1"]).encode())
        .decode()
        .rstrip("="),  # a time without an offset
        "A" * 513,
    ],
)
def test_a_bad_cursor_is_a_422_naming_the_field(
    store: Store, client: TestClient, cursor: str
) -> None:
    """A cursor this list did not issue is refused with 422 problem+json, field ``cursor``."""
    resp = client.get("/v1/alerts", params={"cursor": cursor}, headers=store.auth("sec-admin"))
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["field"] == "cursor"


@pytest.mark.parametrize("path", sorted(LISTS))
@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
def test_limit_is_bounded(store: Store, client: TestClient, path: str, limit: str) -> None:
    """``limit`` outside 1..500 is a 422 naming ``limit``."""
    resp = client.get(path, params={"limit": limit}, headers=store.auth("sec-admin"))
    assert resp.status_code == 422 and resp.json()["field"] == "limit", resp.text


def test_releases_and_campaigns_page_too(store: Store, client: TestClient) -> None:
    """The other list routes answer the same page shape (empty lists: one last page)."""
    for path in ("/v1/releases", "/v1/scam/campaigns"):
        resp = client.get(path, params={"limit": 1}, headers=store.auth("sec-admin"))
        assert resp.json() == {"items": [], "next_cursor": None}


def test_docs_are_off_by_default(client: TestClient) -> None:
    """Without ``api.docs_enabled`` there is no /docs."""
    assert client.get("/docs").status_code == 404


def test_docs_serve_swagger_ui_from_local_assets(services: Services) -> None:
    """With ``api.docs_enabled`` the page and Swagger UI's script come from this server."""
    settings = services.settings.model_copy(
        update={"api": services.settings.api.model_copy(update={"docs_enabled": True})}
    )
    services.settings = settings
    with TestClient(create_app(services)) as client:
        page = client.get("/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "http" not in page.text  # nothing from another host
        bundle = client.get("/docs/assets/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and "SwaggerUIBundle" in bundle.text
        script = client.get("/docs/docs.js")
        assert script.status_code == 200 and "/v1/openapi.json" in script.text
