"""Health, metrics, request ids and logs through the real app (TestClient), on SQLite with
the real Redis and NATS servers where a test configures them."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.custody.keys import LocalKeyFile
from shieldwall.observe.logs import configure_logging
from shieldwall.sim.people import PeopleFactory
from shieldwall.storage.tables.audit import audit_entries
from shieldwall.wiring import Services, build, initialize
from tests.functional.conftest import customer_row

UUID_ID = "3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b"
PRINCIPALS = {
    "sec-admin": "admin",
    "agent-li": "agent",
    "prom": "monitor",
    "app": "service",
}


class App:
    def __init__(self, services: Services, client: TestClient, keys: dict[str, str]) -> None:
        self.services = services
        self.client = client
        self.keys = keys

    def auth(self, principal: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[principal]}"}

    def scrape(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        resp = self.client.get("/metrics", headers=self.auth("prom"))
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("text/plain; version=")
        out = {}
        for family in text_string_to_metric_families(resp.text):
            for s in family.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out


@contextmanager
def app_for(
    tmp_path: Path, clock: ManualClock, env: dict[str, str] | None = None, **overrides: Any
) -> Iterator[App]:
    settings = load_settings({"SHIELDWALL_HOME": str(tmp_path / "home"), **(env or {})}, overrides)
    initialize(settings, clock)
    services = build(settings, clock)
    keys = {}
    for pid, role in PRINCIPALS.items():
        _, keys[pid] = services.custody.principals.add(pid, role, unit="ops")
    try:
        with TestClient(create_app(services)) as client:
            yield App(services, client, keys)
    finally:
        services.close()


@pytest.fixture
def app(tmp_path: Path, clock: ManualClock) -> Iterator[App]:
    with app_for(tmp_path, clock) as a:
        yield a


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# -- health ----------------------------------------------------------------------------------


def test_livez_and_readyz_answer_without_a_key(app: App, tmp_path: Path) -> None:
    """Both are open; readyz names each check and says nothing of where things are."""
    live = app.client.get("/livez")
    assert live.status_code == 200 and live.json() == {"status": "alive"}
    ready = app.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready"
    assert {name: c["ok"] for name, c in body["checks"].items()} == {
        "database": True,
        "keys": True,
    }
    assert "sqlite" not in ready.text and str(tmp_path) not in ready.text


@pytest.mark.redis
def test_readyz_checks_redis_and_nats_when_configured(tmp_path: Path, clock: ManualClock) -> None:
    """With the Redis state backend and a NATS URL, both real servers are checked too."""
    env = {"SHIELDWALL_STATE_BACKEND": "redis", "SHIELDWALL_NATS_URL": "nats://127.0.0.1:4222"}
    with app_for(tmp_path, clock, env) as a:
        ready = a.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert {n: c["ok"] for n, c in ready.json()["checks"].items()} == {
        "database": True,
        "redis": True,
        "nats": True,
        "keys": True,
    }


def test_readyz_is_503_naming_the_dependency_that_is_down(
    tmp_path: Path, clock: ManualClock
) -> None:
    """NATS configured where nothing listens: 503, ``nats`` unavailable, the others ok, and
    neither the URL nor its password in the body."""
    url = f"nats://svc:s3cret-pw@127.0.0.1:{free_port()}"
    with app_for(tmp_path, clock, {"SHIELDWALL_NATS_URL": url}) as a:
        ready = a.client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert ready.json()["status"] == "not_ready"
    assert checks["nats"]["ok"] is False and checks["nats"]["reason"] == "unavailable"
    assert checks["database"]["ok"] and checks["keys"]["ok"]
    assert "s3cret" not in ready.text and "nats://" not in ready.text


def test_readyz_fails_when_the_key_file_no_longer_unwraps_the_keys(app: App) -> None:
    """A key file replaced under a running server: ``keys`` fails before a read does."""
    key_file = app.services.settings.resolved_key_file
    key_file.unlink()
    LocalKeyFile.create(key_file, clock=app.services.clock)
    ready = app.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["keys"] == {
        "ok": False,
        "ms": ready.json()["checks"]["keys"]["ms"],
        "reason": "keys_unavailable",
    }
    assert ready.json()["checks"]["database"]["ok"] is True


# -- metrics ---------------------------------------------------------------------------------


def test_metrics_need_an_admin_or_monitor_key_unless_public(
    app: App, tmp_path: Path, clock: ManualClock
) -> None:
    """No key 401, an agent 403, monitor and admin 200; ``api.metrics_public`` opens it."""
    assert app.client.get("/metrics").status_code == 401
    denied = app.client.get("/metrics", headers=app.auth("agent-li"))
    assert denied.status_code == 403 and denied.json()["reasons"] == ["role_not_allowed"]
    assert app.client.get("/metrics", headers=app.auth("prom")).status_code == 200
    assert app.client.get("/metrics", headers=app.auth("sec-admin")).status_code == 200
    with app_for(tmp_path / "public", clock, api={"metrics_public": True}) as public:
        assert public.client.get("/metrics").status_code == 200


def test_monitor_principals_read_no_customer_data(app: App) -> None:
    """The monitor role exists for scrapers: every data route refuses it."""
    resp = app.client.get("/v1/customers/C0001?purpose=after_sales", headers=app.auth("prom"))
    assert resp.status_code in (403, 404) and resp.status_code != 200
    assert app.client.get("/v1/alerts", headers=app.auth("prom")).status_code == 403


def test_metrics_count_routes_decisions_alerts_and_the_audit_log(
    app: App, clock: ManualClock
) -> None:
    """Requests by route template (never the id in the path), login and access decisions,
    the break-glass alert, and the audit log's size and checkpoint age."""
    person = PeopleFactory(5).customers(1)[0]
    row = customer_row(person)
    imported = app.client.post(
        "/v1/customers:import", json={"customers": [row]}, headers=app.auth("sec-admin")
    )
    assert imported.status_code == 200, imported.text
    before = app.scrape()
    glass = app.client.post(
        f"/v1/customers/{person.customer_id}/break-glass",
        json={"reason": "court order 2026-77: verify identity of account holder"},
        headers=app.auth("sec-admin"),
    )
    assert glass.status_code == 200
    assessed = app.client.post(
        "/v1/logins/assess",
        json={"account": person.phone, "ip": "203.0.113.9"},
        headers=app.auth("app"),
    )
    assert assessed.status_code == 200
    outcome = assessed.json()["decision"]
    assert app.client.get(f"/nothing/{person.phone}").status_code == 404
    app.services.audit.checkpoint()
    clock.advance(timedelta(seconds=90))
    after = app.scrape()

    def delta(name: str, **labels: str) -> float:
        return get(after, name, **labels) - get(before, name, **labels)

    route = "/v1/customers/{customer_id}/break-glass"
    assert delta("shieldwall_http_requests_total", method="POST", route=route, status="200") == 1
    assert (
        delta("shieldwall_http_requests_total", method="GET", route="unmatched", status="404") == 1
    )
    assert delta("shieldwall_decisions_total", kind="login", outcome=outcome) == 1
    assert delta("shieldwall_decisions_total", kind="access.break_glass", outcome="allow") == 1
    assert delta("shieldwall_alerts_total", detector="break_glass") == 1
    with app.services.engine.connect() as conn:
        entries = conn.execute(select(func.count()).select_from(audit_entries)).scalar_one()
    assert get(after, "shieldwall_audit_log_entries") == entries
    assert get(after, "shieldwall_audit_checkpoint_entries") == entries
    assert get(after, "shieldwall_audit_checkpoint_age_seconds") == 90
    text = app.client.get("/metrics", headers=app.auth("prom")).text
    for value in (person.customer_id, person.phone, person.phone[3:], person.name):
        assert value not in text


# -- request ids -----------------------------------------------------------------------------


def test_request_ids_are_echoed_in_headers_and_problem_documents(app: App) -> None:
    """A safe X-Request-ID comes back as sent, in the header and in problem+json; an unsafe one
    (a phone number) is replaced; without one, each response gets a new id."""
    ok = app.client.get("/livez", headers={"X-Request-ID": UUID_ID})
    assert ok.headers["x-request-id"] == UUID_ID
    problem = app.client.get("/v1/me", headers={"X-Request-ID": UUID_ID})
    assert problem.status_code == 401 and problem.json()["request_id"] == UUID_ID
    invalid = app.client.post(
        "/v1/logins/assess",
        json={"account": ""},
        headers=app.auth("app") | {"X-Request-ID": UUID_ID},
    )
    assert invalid.status_code == 422 and invalid.json()["request_id"] == UUID_ID
    phone = app.client.get("/v1/me", headers={"X-Request-ID": "13812345678"})
    assert phone.headers["x-request-id"] != "13812345678"
    assert phone.json()["request_id"] == phone.headers["x-request-id"]
    first, second = app.client.get("/livez"), app.client.get("/livez")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_a_body_too_large_carries_the_request_id(app: App) -> None:
    """BodyLimit answers before the app; the id is still in its header and body."""
    limit = app.services.settings.api.max_body_bytes
    resp = app.client.post(
        "/v1/logins/assess",
        content=b"x" * (limit + 1),
        headers=app.auth("app") | {"X-Request-ID": UUID_ID, "content-type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.headers["x-request-id"] == UUID_ID and resp.json()["request_id"] == UUID_ID


def test_an_unhandled_error_is_a_problem_document_with_the_request_id(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A bug in a route: 500 problem+json naming the request, not a bare text page."""
    settings = load_settings({"SHIELDWALL_HOME": str(tmp_path / "home")})
    initialize(settings, clock)
    services = build(settings, clock)
    app = create_app(services)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug that quotes 13812345678")

    try:
        with TestClient(app) as client:
            resp = client.get("/boom", headers={"X-Request-ID": UUID_ID})
    finally:
        services.close()
    assert resp.status_code == 500
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["code"] == "internal_error" and body["request_id"] == UUID_ID
    assert "13812345678" not in resp.text


# -- logs ------------------------------------------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    level = logging.getLogger().level
    handler = configure_logging("debug", "json", buffer)
    try:
        yield buffer
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(level)
        structlog.reset_defaults()


def spellings(person: Any) -> list[str]:
    """Each customer value in the spellings a log could hold it in."""
    digits = person.phone.removeprefix("+86")
    return [
        person.name,
        json.dumps(person.name)[1:-1],  # as JSON escapes it
        person.phone,
        digits,
        f"{digits[:3]} {digits[3:7]} {digits[7:]}",
        person.national_id,
        person.email,
        person.address,
        json.dumps(person.address)[1:-1],
    ]


def test_logs_hold_no_customer_value(app: App, log_stream: io.StringIO) -> None:
    """Requests carrying a customer's name, phone and ID number, in bodies, paths, queries and
    headers, on success and on failure: the log has one JSON access line per request (route
    template, status, principal id) and none of the values, in any spelling."""
    person = PeopleFactory(23).customers(1)[0]
    digits = person.phone.removeprefix("+86")
    c = app.client
    admin, service = app.auth("sec-admin"), app.auth("app")
    name_header = person.name.encode()
    responses = [
        c.post("/v1/customers:import", json={"customers": [customer_row(person)]}, headers=admin),
        c.post(
            "/v1/customers:import",
            json={"customers": [customer_row(person) | {"customer_id": "BAD1", "phone": "12"}]},
            headers=admin,
        ),
        c.post(
            "/v1/customers/lookup",
            json={
                "by": "national_id",
                "value": person.national_id,
                "purpose": "investigation",
                "reason": "fraud case 2026-11: confirm the account",
            },
            headers=admin,
        ),
        c.post(
            f"/v1/customers/{person.customer_id}/break-glass",
            json={"reason": f"caller said to be {person.name}, phone {digits}"},
            headers=admin,
        ),
        c.post(
            "/v1/logins/assess",
            json={"account": person.phone, "ip": "198.51.100.7"},
            headers=service,
        ),
        c.post(
            "/v1/logins/assess", json={"account": person.email, "ip": "not-an-ip"}, headers=service
        ),
        c.get(f"/v1/customers/{person.national_id}?purpose={digits}", headers=admin),
        c.get(f"/nowhere/{digits}", headers={"X-Request-ID": digits, "User-Agent": name_header}),
        c.get("/v1/me", headers={"Authorization": f"Bearer {person.national_id}"}),
    ]
    statuses = [r.status_code for r in responses]
    assert statuses[0] == 200 and 200 in statuses[2:4] and 422 in statuses and 404 in statuses
    text = log_stream.getvalue()
    for value in spellings(person):
        assert value not in text, value
    access = [
        line for line in map(json.loads, text.splitlines()) if line["logger"] == "shieldwall.access"
    ]
    assert [a["status"] for a in access] == statuses
    assert [a["request_id"] for a in access] == [r.headers["x-request-id"] for r in responses]
    assert access[3]["route"] == "/v1/customers/{customer_id}/break-glass"
    assert access[3]["principal"] == "sec-admin" and access[4]["principal"] == "app"
    assert access[7]["route"] == "unmatched" and access[7]["principal"] is None
    assert all(a["method"] in ("GET", "POST") and a["duration_ms"] >= 0 for a in access)
