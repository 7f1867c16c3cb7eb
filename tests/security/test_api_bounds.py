"""No input reaches a 500: the four inputs issue #10 found, each now a 422 problem+json naming
its field (the client re-raises any server exception, so a 500 fails these tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from shieldwall.api.app import create_app
from shieldwall.guard.risk.errors import InvalidAttempt
from shieldwall.guard.risk.model import LoginAttempt
from shieldwall.wiring import Services

ATTEMPT = {"account": "13800138000", "ip": "1.80.3.4"}
Auth = dict[str, dict[str, str]]


@pytest.fixture
def auth(services: Services) -> Auth:
    """Bearer headers for an admin and the store's login service."""
    headers: Auth = {}
    for pid, role in (("sec-admin", "admin"), ("app", "service")):
        _, key = services.custody.principals.add(pid, role)
        headers[pid] = {"Authorization": f"Bearer {key}"}
    return headers


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=True) as c:
        yield c


def _is_problem_for(r: Response, field: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["field"] == field
    assert body["errors"][0]["field"] == field and body["errors"][0]["reason"]


def test_audit_entry_seq_past_int64_is_422(auth: Auth, client: TestClient) -> None:
    """GET /v1/audit/entries/2**63-1 answers 422 on seq, not an OverflowError."""
    r = client.get("/v1/audit/entries/9223372036854775807", headers=auth["sec-admin"])
    _is_problem_for(r, "seq")


def test_inclusion_proof_seq_past_int64_is_422(auth: Auth, client: TestClient) -> None:
    """GET /v1/audit/proofs/inclusion?seq=2**63 answers 422 on seq."""
    r = client.get(
        "/v1/audit/proofs/inclusion",
        params={"seq": "9223372036854775808"},
        headers=auth["sec-admin"],
    )
    _is_problem_for(r, "seq")


def test_campaigns_min_size_past_int64_is_422(auth: Auth, client: TestClient) -> None:
    """GET /v1/scam/campaigns?min_size=2**63 answers 422 on min_size."""
    r = client.get(
        "/v1/scam/campaigns",
        params={"min_size": str(2**63)},
        headers=auth["sec-admin"],
    )
    _is_problem_for(r, "min_size")


@pytest.mark.parametrize(
    "ip",
    ["1.2.3.4\u0000", "\u00001.2.3.4", "fe80::1%eth0", "fe80::1%1"],
    ids=["nul-after", "nul-before", "zone-name", "zone-number"],
)
def test_login_ip_with_nul_or_zone_id_is_422(auth: Auth, client: TestClient, ip: str) -> None:
    """POST /v1/logins/assess and /step-up refuse an IP with NUL or a zone id: 422 on ip."""
    r = client.post("/v1/logins/assess", json={**ATTEMPT, "ip": ip}, headers=auth["app"])
    _is_problem_for(r, "ip")
    assert "eth0" not in r.text  # nothing submitted is echoed
    r = client.post("/v1/logins/step-up", json={**ATTEMPT, "ip": ip}, headers=auth["app"])
    _is_problem_for(r, "ip")


@pytest.mark.parametrize("ip", ["1.2.3.4\u0000", "fe80::1%eth0"], ids=["nul", "zone-id"])
def test_risk_engine_refuses_nul_and_zone_id_itself(services: Services, ip: str) -> None:
    """The engine (the CLI's way in) answers InvalidAttempt on ip, not a raw ValueError."""
    with pytest.raises(InvalidAttempt) as caught:
        services.risk.assess(LoginAttempt("13800138000", ip))
    assert caught.value.field == "ip"
    with pytest.raises(InvalidAttempt):
        services.risk.step_up("13800138000", ip)


def test_json_booleans_are_strict(auth: Auth, client: TestClient) -> None:
    """all_or_nothing: 0 is refused (422 naming it), not read as false (schemathesis found it)."""
    body = {"customers": [{"customer_id": "C1", "name": "n", "phone": "p"}], "all_or_nothing": 0}
    r = client.post("/v1/customers:import", json=body, headers=auth["sec-admin"])
    _is_problem_for(r, "all_or_nothing")


@pytest.mark.parametrize("since", ["0.5", "1700000000"])
def test_a_number_is_not_a_timestamp(auth: Auth, client: TestClient, since: str) -> None:
    """?since=0.5 is refused, not read as Unix time (schemathesis found it)."""
    r = client.get("/v1/scam/campaigns", params={"since": since}, headers=auth["sec-admin"])
    _is_problem_for(r, "since")


def test_a_timestamp_without_a_utc_form_is_422(auth: Auth, client: TestClient) -> None:
    """received_at 9999-12-31T23:59:59-23:59 (past datetime.max in UTC) is 422, not a 500."""
    body = {"channel": "call", "received_at": "9999-12-31T23:59:59-23:59", "text": "x"}
    r = client.post("/v1/scam/reports", json=body, headers=auth["app"])
    _is_problem_for(r, "received_at")


def test_an_identifier_with_a_control_character_is_422(auth: Auth, client: TestClient) -> None:
    """A NUL in an id in the path is refused by name, before any capability sees it."""
    r = client.get("/v1/tickets/T1%00", headers=auth["sec-admin"])
    _is_problem_for(r, "ticket_id")
    assert r.json()["errors"][0]["reason"] == "must not contain control characters"


def test_405_allows_every_method_of_the_path(auth: Auth, client: TestClient) -> None:
    """OPTIONS /v1/principals lists GET and POST in Allow (two routes share the path)."""
    r = client.options("/v1/principals", headers=auth["sec-admin"])
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "POST"}
    r = client.options("/v1/customers/lookup", headers=auth["sec-admin"])
    assert r.status_code == 405 and r.headers["allow"] == "POST"  # not GET /customers/{id}


def test_the_document_describes_errors_as_problem_json(auth: Auth, client: TestClient) -> None:
    """Every operation documents its 4xx as application/problem+json with field and errors."""
    doc = client.get("/v1/openapi.json", headers=auth["sec-admin"]).json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert "401" in op["responses"], (method, path)
            errors = [s for s in op["responses"] if s.startswith("4")]
            for status in errors:
                content = op["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                schema = content["application/problem+json"]["schema"]
                assert {"field", "errors"} <= set(schema["properties"])


def test_a_query_parameter_given_twice_is_422(auth: Auth, client: TestClient) -> None:
    """``?status=open&status=x`` is refused (no route takes a list in its query), naming it."""
    r = client.get("/v1/alerts?status=open&status=closed", headers=auth["sec-admin"])
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "status"
    once = client.get("/v1/alerts?status=open", headers=auth["sec-admin"])
    assert once.status_code == 200
