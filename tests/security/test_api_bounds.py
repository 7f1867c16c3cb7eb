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
