"""API rate limits (issue #10, point 7): per key, per address, per route group; 429 problem+json
with Retry-After; a customer's password check needs their session or a reason."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.api.ratelimit import RateLimited, RateLimits
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.core.errors import StorageError
from shieldwall.core.model import Principal, Role
from shieldwall.sim.people import PeopleFactory
from shieldwall.storage.rate_limits import rate_limit_storage, rate_limit_windows
from shieldwall.wiring import Services, build, initialize
from tests.functional.conftest import customer_row

PRINCIPALS = {"app": "service", "app2": "service", "sec": "admin", "analyst": "analyst"}
HOUR = 3600


@contextmanager
def api(
    tmp_path: Path, clock: ManualClock, limits: dict[str, Any], host: str = "203.0.113.7"
) -> Iterator[tuple[Services, TestClient, dict[str, str]]]:
    """A fresh home with ``api.rate_limits`` set to ``limits``, its principals' keys, and a
    client calling from ``host``."""
    overrides = {"api": {"rate_limits": limits}} if limits else {}
    settings = load_settings({"SHIELDWALL_HOME": str(tmp_path / "home")}, overrides)
    initialize(settings, clock)
    services = build(settings, clock)
    keys = {}
    for pid, role in PRINCIPALS.items():
        _, keys[pid] = services.custody.principals.add(pid, role, unit="u")
    try:
        with TestClient(create_app(services), client=(host, 50000)) as client:
            yield services, client, keys
    finally:
        services.close()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_429(r: Any, window: int) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 429 and body["code"] == "rate_limited"
    assert body["type"] == "urn:shieldwall:problem:rate_limited" and body["title"]
    retry = r.headers["Retry-After"]
    assert retry.isdigit() and 60 < int(retry) <= window  # seconds to the window's end


def test_range_per_key_limit_answers_429_with_retry_after(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The 4th range read of a key within an hour limited to 3 gets 429 + Retry-After; another
    key is counted apart."""
    with api(tmp_path, clock, {"range": {"per_key": "3/hour", "per_ip": ""}}) as (_, c, keys):
        for _ in range(3):
            assert c.get("/range/5BAA6", headers=auth(keys["app"])).status_code == 200
        assert_429(c.get("/range/5BAA6", headers=auth(keys["app"])), HOUR)
        assert_429(c.get("/v1/pwnedpasswords/range/5BAA6", headers=auth(keys["app"])), HOUR)
        assert c.get("/range/5BAA6", headers=auth(keys["analyst"])).status_code == 200


def test_anonymous_range_is_limited_per_address(tmp_path: Path, clock: ManualClock) -> None:
    """Anonymous range reads count per client address: the 3rd from one address is refused."""
    with api(tmp_path, clock, {"range_anonymous_per_ip": "2/hour"}) as (services, c, _):
        assert c.get("/range/5BAA6").status_code == 200
        assert c.get("/range/00000").status_code == 200
        assert_429(c.get("/range/5BAA6"), HOUR)
        with TestClient(create_app(services), client=("198.51.100.9", 1)) as other:
            assert other.get("/range/5BAA6").status_code == 200


def test_default_limits_stop_an_anonymous_flood(tmp_path: Path, clock: ManualClock) -> None:
    """With the shipped defaults (120 a minute), the 121st anonymous read from one address in a
    burst is refused: limits exist without any configuration."""
    with api(tmp_path, clock, {}) as (_, c, _keys):
        statuses = [c.get(f"/range/{i:05X}").status_code for i in range(121)]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429


def test_assessments_are_limited_per_key(tmp_path: Path, clock: ManualClock) -> None:
    """The logins group (assess, outcome, step-up) has a per-key limit."""
    with api(tmp_path, clock, {"logins": {"per_key": "2/hour"}}) as (_, c, keys):
        for i in range(2):
            body = {"account": "victim@example.com", "ip": f"100.64.0.{i}"}
            r = c.post("/v1/logins/assess", headers=auth(keys["app"]), json=body)
            assert r.status_code == 200
        body = {"account": "victim@example.com", "ip": "100.64.1.1"}
        assert_429(c.post("/v1/logins/assess", headers=auth(keys["app"]), json=body), HOUR)
        assert_429(
            c.post("/v1/logins/step-up", headers=auth(keys["app"]), json={"account": "x"}), HOUR
        )
        r = c.post("/v1/logins/assess", headers=auth(keys["app2"]), json=body)
        assert r.status_code == 200


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_refused_request_counts_against_no_limit(
    tmp_path: Path, clock: ManualClock, backend: str
) -> None:
    """Per key 1 an hour, per address 2: the second request of ``app`` is refused by its key's
    limit and is not counted against the address either, so ``app2`` from the same address
    still gets its one request; the next, from a third key, meets the address's limit."""
    prefix = f"sw-test-{secrets.token_hex(6)}"
    limits = {"key_prefix": prefix, "logins": {"per_key": "1/hour", "per_ip": "2/hour"}}
    overrides = {"state_backend": backend}
    settings = load_settings(
        {"SHIELDWALL_HOME": str(tmp_path)}, {"api": {"rate_limits": limits}} | overrides
    )
    limiter = RateLimits(settings.api.rate_limits, rate_limit_windows(settings), b"k" * 32)

    def caller(pid: str) -> Principal:
        return Principal(pid, Role.SERVICE, "u")

    try:
        limiter.check("logins", "192.0.2.1", caller("app"))
        with pytest.raises(RateLimited, match="at most 1 per hour"):
            limiter.check("logins", "192.0.2.1", caller("app"))
        limiter.check("logins", "192.0.2.1", caller("app2"))
        with pytest.raises(RateLimited, match="at most 2 per hour"):
            limiter.check("logins", "192.0.2.1", caller("sec"))
    finally:
        if backend == "redis":
            rate_limit_storage(settings).reset()


def test_password_checks_are_limited_per_address(tmp_path: Path, clock: ManualClock) -> None:
    """Password checks count per client address across keys."""
    with api(tmp_path, clock, {"password_check": {"per_ip": "2/hour"}}) as (_, c, keys):
        body = {"password": "correct horse battery staple"}
        assert c.post("/v1/passwords/check", headers=auth(keys["app"]), json=body).is_success
        assert c.post("/v1/passwords/check", headers=auth(keys["app2"]), json=body).is_success
        assert_429(c.post("/v1/passwords/check", headers=auth(keys["sec"]), json=body), HOUR)


@contextmanager
def customer_api(
    tmp_path: Path, clock: ManualClock, limits: dict[str, Any]
) -> Iterator[tuple[Services, TestClient, dict[str, str], str]]:
    with api(tmp_path, clock, limits) as (services, c, keys):
        person = PeopleFactory(5).customers(1)[0]
        report = services.custody.importer.customers([(1, customer_row(person))])
        assert report.committed
        yield services, c, keys, person.customer_id


def test_admin_without_reason_cannot_check_against_a_customer(
    tmp_path: Path, clock: ManualClock
) -> None:
    """An admin naming a customer with no reason gets 403 problem+json naming ``reason``; the
    refusal is audited."""
    with customer_api(tmp_path, clock, {}) as (services, c, keys, cid):
        _admin_without_reason(services, c, keys, cid)


def _admin_without_reason(
    services: Services, c: TestClient, keys: dict[str, str], cid: str
) -> None:
    before = services.audit.size()
    body = {"password": "a long enough password 19990317", "customer_id": cid}
    r = c.post("/v1/passwords/check", headers=auth(keys["sec"]), json=body)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["field"] == "reason" and problem["errors"][0]["field"] == "reason"
    assert problem["reasons"] == ["reason_required"]
    assert services.audit.size() == before + 1
    # a service acting for another customer's session is refused the same way
    r = c.post(
        "/v1/passwords/check", headers=auth(keys["app"]), json={**body, "subject": "C-other"}
    )
    assert r.status_code == 403 and r.json()["field"] == "reason"


def test_customer_check_with_a_reason_or_own_session_is_audited_and_tightly_limited(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A stated reason (or the customer's own session) admits the check, audited with the
    reason's length only; the 4th check of one principal against one customer in an hour limited
    to 3 gets 429."""
    with customer_api(tmp_path, clock, {"password_check_customer": "3/hour"}) as setup:
        _reason_or_own_session(*setup)


def _reason_or_own_session(
    services: Services, c: TestClient, keys: dict[str, str], cid: str
) -> None:
    reason = "ticket SEC-4411: customer asked why their password was refused"
    body = {"password": "a long enough password 1", "customer_id": cid, "reason": reason}
    before = services.audit.size()
    assert c.post("/v1/passwords/check", headers=auth(keys["sec"]), json=body).status_code == 200
    entries = [services.audit.entry(before)]  # seq counts from 0: the one just appended
    text = repr(entries)
    assert reason not in text and str(len(reason)) in text and "investigation" in text
    own = {"password": "a long enough password 2", "customer_id": cid, "subject": cid}
    assert c.post("/v1/passwords/check", headers=auth(keys["app"]), json=own).status_code == 200
    for _ in range(2):
        assert (
            c.post("/v1/passwords/check", headers=auth(keys["sec"]), json=body).status_code == 200
        )
    assert_429(c.post("/v1/passwords/check", headers=auth(keys["sec"]), json=body), HOUR)


def test_ipv6_clients_count_by_their_64() -> None:
    """Addresses of one IPv6 /64 share a count; IPv4 (also mapped into IPv6) counts alone."""
    from shieldwall.api.ratelimit import client_address

    assert client_address("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert client_address("::ffff:192.0.2.10") == "192.0.2.10"
    assert client_address("192.0.2.10") == "192.0.2.10"


@pytest.mark.redis
def test_workers_share_a_count_in_redis(tmp_path: Path) -> None:
    """Two workers' limiters on Redis count together: 2 hits on one and 1 on the other spend a
    limit of 3 per hour, under a key prefix of this test's own."""

    prefix = f"sw-test-{secrets.token_hex(6)}"
    settings = load_settings(
        {"SHIELDWALL_HOME": str(tmp_path), "SHIELDWALL_STATE_BACKEND": "redis"},
        {"api": {"rate_limits": {"key_prefix": prefix, "range": {"per_ip": "3/hour"}}}},
    )
    key = secrets.token_bytes(32)
    a = RateLimits(settings.api.rate_limits, rate_limit_windows(settings), key)
    b = RateLimits(settings.api.rate_limits, rate_limit_windows(settings), key)
    assert a.blocking and b.blocking
    try:
        a.check("range", "192.0.2.1", None)
        a.check("range", "192.0.2.1", None)
        b.check("range", "192.0.2.1", None)
        with pytest.raises(RateLimited, match="too many requests") as exc:
            b.check("range", "192.0.2.1", None)
        assert 60 < exc.value.retry_after <= HOUR
        b.check("range", "192.0.2.2", None)  # another address
    finally:
        rate_limit_storage(settings).reset()  # the library's reset: the same keys


def test_redis_down_is_a_storage_error(tmp_path: Path) -> None:
    """An unreachable Redis fails closed with StorageError (503), not a raw backend error."""

    settings = load_settings(
        {
            "SHIELDWALL_HOME": str(tmp_path),
            "SHIELDWALL_STATE_BACKEND": "redis",
            "SHIELDWALL_REDIS_URL": "redis://127.0.0.1:1/0",
        }
    )
    limiter = RateLimits(
        settings.api.rate_limits, rate_limit_windows(settings), secrets.token_bytes(32)
    )
    with pytest.raises(StorageError, match="rate-limit storage is unavailable"):
        limiter.check("range", "192.0.2.1", None)
