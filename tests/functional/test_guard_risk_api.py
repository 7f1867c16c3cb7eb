"""Guard login risk over HTTP: the assess/outcome contract, roles, problem+json for bad input."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.guard.risk.errors import UnknownAssessment
from shieldwall.guard.risk.model import LoginAttempt
from shieldwall.wiring import Services, build, initialize
from tests.functional.conftest import Store
from tests.functional.test_guard_passwords_api import corpus  # noqa: F401 - fixture

ATTEMPT = {
    "account": "13800138000",
    "ip": "1.80.3.4",
    "user_agent": "Mozilla/5.0",
    "device_id": "dev-1",
    "password_sha1": hashlib.sha1(b"correct horse", usedforsecurity=False).hexdigest(),
}


def test_assess_then_outcome_contract(store: Store, client: TestClient) -> None:
    """assess answers the documented fields; outcome records once, then 404."""
    r = client.post("/v1/logins/assess", json=ATTEMPT, headers=store.auth("app"))
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"assessment_id", "decision", "score", "reasons", "delay_ms"}
    assert body["decision"] == "allow" and isinstance(body["score"], float)
    # a first login scores 1.5; the default calibration 1/(1+exp(-(2.0293*1.5 - 6.835))) = 0.0221
    assert body["score"] == 1.5 and abs(body["probability"] - 0.0221) < 1e-4
    assert body["reasons"][0].keys() == {"code", "detail"}
    assert body["session_view"] in ("normal", "masked") and body["delay_ms"] == 0
    out = client.post(
        "/v1/logins/outcome",
        json={"assessment_id": body["assessment_id"], "success": True},
        headers=store.auth("app"),
    )
    assert out.status_code == 200
    assert out.json()["recorded"] is True and out.json()["force_password_reset"] is False
    again = client.post(
        "/v1/logins/outcome",
        json={"assessment_id": body["assessment_id"], "success": True},
        headers=store.auth("app"),
    )
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["field"] == "assessment_id"


def test_roles(store: Store, client: TestClient) -> None:
    """No key: 401; an agent or analyst: 403; service and admin: 200."""
    assert client.post("/v1/logins/assess", json=ATTEMPT).status_code == 401
    for who in ("agent-li", "analyst-he"):
        r = client.post("/v1/logins/assess", json=ATTEMPT, headers=store.auth(who))
        assert r.status_code == 403
        r = client.post(
            "/v1/logins/outcome",
            json={"assessment_id": "x", "success": True},
            headers=store.auth(who),
        )
        assert r.status_code == 403
    assert (
        client.post("/v1/logins/assess", json=ATTEMPT, headers=store.auth("sec-admin")).status_code
        == 200
    )


def test_bad_input_is_problem_json_naming_the_field(store: Store, client: TestClient) -> None:
    """Each bad field answers 422 problem+json with that field; nothing is echoed."""
    cases = [
        ({**ATTEMPT, "ip": "300.1.1.1"}, "ip"),
        ({**ATTEMPT, "password_sha1": "abc"}, "password_sha1"),
        ({**ATTEMPT, "account": ""}, "account"),
        ({k: v for k, v in ATTEMPT.items() if k != "ip"}, "ip"),
        ({**ATTEMPT, "extra": 1}, "extra"),
    ]
    for body, field in cases:
        r = client.post("/v1/logins/assess", json=body, headers=store.auth("app"))
        assert r.status_code == 422, body
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == field
        assert "300.1.1.1" not in r.text
    r = client.post("/v1/logins/outcome", json={"assessment_id": "x"}, headers=store.auth("app"))
    assert r.status_code == 422 and r.json()["field"] == "success"


def test_unknown_and_known_accounts_answer_identically_over_http(
    store: Store, client: TestClient
) -> None:
    """Failed logins on a real and an unknown account, from two fresh addresses: same answers."""

    def run(account: str, ip: str, known: bool) -> list[object]:
        seen: list[object] = []
        for _ in range(8):
            a = client.post(
                "/v1/logins/assess",
                json={"account": account, "ip": ip, "user_agent": "bot"},
                headers=store.auth("app"),
            ).json()
            o = client.post(
                "/v1/logins/outcome",
                json={
                    "assessment_id": a["assessment_id"],
                    "success": False,
                    "account_known": known,
                },
                headers=store.auth("app"),
            ).json()
            a.pop("assessment_id")
            o.pop("assessment_id")
            seen.append((a, o))
        return seen

    assert run("real-customer", "51.70.1.1", True) == run("no-such-user", "51.71.1.1", False)


def test_step_up_lifts_the_failure_cap(store: Store, client: TestClient) -> None:
    """After 100 consecutive failures an account is denied; a passed step-up lifts it."""
    auth = store.auth("app")
    for i in range(100):
        store.services.clock.advance(900)  # type: ignore[attr-defined]
        a = client.post(
            "/v1/logins/assess", json={"account": "frank", "ip": f"1.80.{i}.1"}, headers=auth
        ).json()
        client.post(
            "/v1/logins/outcome",
            json={"assessment_id": a["assessment_id"], "success": False},
            headers=auth,
        )
    frank = {"account": "frank", "ip": "1.80.200.1"}
    a = client.post("/v1/logins/assess", json=frank, headers=auth)
    assert a.json()["decision"] == "deny"
    assert "failure_cap" in {r["code"] for r in a.json()["reasons"]}
    r = client.post("/v1/logins/step-up", json={"account": "frank", "ip": "x"}, headers=auth)
    assert r.status_code == 422 and r.json()["field"] == "ip"
    r = client.post("/v1/logins/step-up", json={"account": "frank"}, headers=auth)
    assert r.status_code == 204
    a = client.post("/v1/logins/assess", json=frank, headers=auth)
    assert "failure_cap" not in {r["code"] for r in a.json()["reasons"]}


def test_masked_session_reads_its_own_data_masked(
    store: Store,
    corpus: Services,  # noqa: F811
    client: TestClient,
) -> None:
    """A login from a new device with a breached password gets in masked and must reset the
    password; the store passes custody's risky flag on its account_self reads until step-up."""
    c = store.customers[3]
    auth = store.auth("app")
    attempt = {
        "account": c.phone,
        "ip": "36.100.1.2",
        "user_agent": "Mozilla/5.0",
        "password_sha1": hashlib.sha1(b"zhangwei1990", usedforsecurity=False).hexdigest(),
    }
    a = client.post("/v1/logins/assess", json=attempt, headers=auth).json()
    assert a["decision"] == "allow" and a["force_password_reset"] is True
    assert "breached_password" in {r["code"] for r in a["reasons"]}
    o = client.post(
        "/v1/logins/outcome",
        json={"assessment_id": a["assessment_id"], "success": True},
        headers=auth,
    ).json()
    assert o["session_view"] == "masked" and o["force_password_reset"] is True
    url = f"/v1/customers/{c.customer_id}"
    params = {"purpose": "account_self", "subject": c.customer_id}
    masked = client.get(
        url, params={**params, "risky": o["session_view"] == "masked"}, headers=auth
    ).json()
    assert masked["fields"]["phone"]["view"] == "masked" and c.phone not in str(masked)
    assert (
        client.post("/v1/logins/step-up", json={"account": c.phone}, headers=auth).status_code
        == 204
    )
    clear = client.get(url, params=params, headers=auth).json()
    assert clear["fields"]["phone"]["value"] == c.phone


@contextmanager
def redis_app(tmp_path: Path, per_key: str) -> Iterator[tuple[Services, Any, str]]:
    """An app on Redis state (a tenant and rate-limit keys of its own, ``per_key`` logins
    requests for the key), its services and a service key; the Redis keys dropped after."""
    tenant = f"t{secrets.token_hex(4)}"
    prefix = f"sw-test-{secrets.token_hex(6)}"
    settings = load_settings(
        {"SHIELDWALL_HOME": str(tmp_path), "SHIELDWALL_STATE_BACKEND": "redis"},
        {
            "tenant": tenant,
            "api": {"rate_limits": {"key_prefix": prefix, "logins": {"per_key": per_key}}},
        },
    )
    initialize(settings)
    services = build(settings)
    _, key = services.custody.principals.add("store-login", "service", unit="login")
    try:
        yield services, create_app(services), key
    finally:
        services.close()
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for pattern in (f"shieldwall:{tenant}:*", f"{prefix}:*"):
            for name in client.scan_iter(match=pattern, count=1000):
                client.delete(name)


@pytest.mark.redis
def test_concurrent_assessments_on_redis_each_get_their_answer(tmp_path: Path) -> None:
    """30 assessments sent at once to an app on Redis state, with a limit of 20 an hour for the
    key: 20 are assessed (200 with an assessment), 10 refused (429 problem+json with
    Retry-After), however the queue batched them; each assessment id is its own."""

    async def burst(app: Any, key: str) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sw") as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/v1/logins/assess",
                        json=ATTEMPT | {"account": f"1380013{n:04d}"},
                        headers={"Authorization": f"Bearer {key}"},
                    )
                    for n in range(30)
                )
            )

    with redis_app(tmp_path, "20/hour") as (_, app, key):
        replies = asyncio.run(burst(app, key))
    ok = [r for r in replies if r.status_code == 200]
    refused = [r for r in replies if r.status_code == 429]
    assert len(ok) == 20 and len(refused) == 10
    assert len({r.json()["assessment_id"] for r in ok}) == 20
    assert all(r.json()["decision"] in ("allow", "challenge", "deny") for r in ok)
    for r in refused:
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "rate_limited" and int(r.headers["Retry-After"]) > 0


@pytest.mark.redis
def test_concurrent_outcomes_on_redis_each_get_their_answer(tmp_path: Path) -> None:
    """38 outcome requests sent at once to an app on Redis state (36 pending assessments, one of
    them reported twice, an id never issued), with a limit of 34 an hour for the key: 4 refused
    (429), and of the 34 admitted, one 200 per assessment reported and a 404 for the unknown id
    and for the second report of the same assessment, however the queue batched them. What was
    reported is spent; what was refused is still pending (never reached the engine)."""
    with redis_app(tmp_path, "34/hour") as (services, app, key):
        # assessed on the engine, not over HTTP: the limit counts the outcome requests alone
        ids = [
            services.risk.assess(LoginAttempt(f"1380013{n:04d}", "1.80.3.4")).assessment_id
            for n in range(36)
        ]
        bodies = [{"assessment_id": i, "success": n % 2 == 0} for n, i in enumerate(ids)]
        bodies.insert(10, {"assessment_id": ids[3], "success": True})
        bodies.insert(20, {"assessment_id": "never-issued", "success": False})

        async def burst() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sw") as client:
                return await asyncio.gather(
                    *(
                        client.post(
                            "/v1/logins/outcome",
                            json=body,
                            headers={"Authorization": f"Bearer {key}"},
                        )
                        for body in bodies
                    )
                )

        replies = asyncio.run(burst())
        refused = [b for b, r in zip(bodies, replies, strict=True) if r.status_code == 429]
        reported = {r.json()["assessment_id"] for r in replies if r.status_code == 200}
        spent, still_pending = [], []
        for i in ids:
            try:
                services.risk.outcome(i, success=True)
                still_pending.append(i)
            except UnknownAssessment:
                spent.append(i)
    assert app.state.outcome_queue.batches >= 1  # the route went through the queue
    assert len(replies) == 38 and len(refused) == 4
    for r in replies:
        assert r.status_code in (200, 404, 429)
        if r.status_code == 200:
            assert r.json()["recorded"] is True
        else:
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == ("rate_limited" if r.status_code == 429 else "not_found")
    # one 200 per assessment reported, each request answered for its own assessment
    oks = [(b, r) for b, r in zip(bodies, replies, strict=True) if r.status_code == 200]
    assert len(oks) == len(reported)
    assert all(r.json()["assessment_id"] == b["assessment_id"] for b, r in oks)
    assert set(spent) == reported
    # 404s: the unknown id if admitted, and the second of the two reports of ids[3] if both
    # were admitted
    admitted = [
        b["assessment_id"] for b, r in zip(bodies, replies, strict=True) if r.status_code != 429
    ]
    expected_404 = admitted.count("never-issued") + max(admitted.count(ids[3]) - 1, 0)
    assert sum(1 for r in replies if r.status_code == 404) == expected_404
    # refused requests reached nothing: an assessment none of whose requests was admitted is
    # still pending
    assert set(still_pending) == set(ids) - set(admitted)
    assert len(still_pending) >= 2  # 4 refusals, at most 2 of them for the unknown and a repeat
