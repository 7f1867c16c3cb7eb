"""The breach-tweak signal through the real HTTP API: an admin imports a combo list as the
request body; a stranger then trying a tweak of a customer's leaked password is challenged
with ``breach_tweak``; bad lines are a 422 naming their numbers, never their content."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.wiring import Services, build, initialize

ACCOUNT = "18878837457"
IMPORT = "/v1/logins/breach-import"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
def on(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[TestClient, dict[str, str], Services]]:
    """A SQLite store with ``breach_tweaks`` on; an admin key and the store app's key."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "shieldwall.toml").write_text("[guard.risk]\nbreach_tweaks = true\n")
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings, clock)
    svc: Services = build(settings, clock)
    _, admin = svc.custody.principals.add("sec-admin", "admin", unit="security")
    _, app = svc.custody.principals.add("app", "service", unit="store-app")
    with TestClient(create_app(svc)) as client:
        yield client, {"admin": admin, "app": app}, svc
    svc.close()


def _post(client: TestClient, key: str, path: str, **kw: object) -> object:
    return client.post(path, headers={"Authorization": f"Bearer {key}"}, **kw)  # type: ignore[arg-type]


def test_import_then_a_stranger_trying_a_tweak_is_challenged(
    on: tuple[TestClient, dict[str, str], Services], clock: ManualClock
) -> None:
    """Only an admin imports; the answer counts lines, accounts and tags; after three logins
    from home, a stranger's "Dandan2019!" (the leak "dandan2018!" with the year moved on and
    capitalised) is challenged with breach_tweak; an unrelated password is not flagged."""
    client, keys, _ = on
    body = f"# monitoring feed 2026-03\n{ACCOUNT}:dandan2018!\nother@example.com:abcd\n"
    refused = _post(client, keys["app"], IMPORT, content=body.encode())
    assert refused.status_code == 403  # type: ignore[attr-defined]
    r = _post(client, keys["admin"], IMPORT, content=body.encode())
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    got = r.json()  # type: ignore[attr-defined]
    assert got["lines"] == 2 and got["accounts"] == 2 and got["tags"] > 53
    assert "dandan" not in r.text  # type: ignore[attr-defined]
    home = {"account": ACCOUNT, "ip": "1.80.3.4", "user_agent": "StoreApp/5.12.1"}
    for _ in range(3):
        a = _post(
            client,
            keys["app"],
            "/v1/logins/assess",
            json={**home, "device_id": "dev-wdd", "password_sha1": sha1("pw-own-2f9c")},
        ).json()  # type: ignore[attr-defined]
        out = _post(
            client,
            keys["app"],
            "/v1/logins/outcome",
            json={"assessment_id": a["assessment_id"], "success": True},
        )
        assert out.status_code == 200  # type: ignore[attr-defined]
        clock.advance(86_400)
    stranger = {"account": ACCOUNT, "ip": "36.101.7.9", "user_agent": "Mozilla/5.0 (Windows)"}
    guess = _post(
        client,
        keys["app"],
        "/v1/logins/assess",
        json={**stranger, "password_sha1": sha1("Dandan2019!")},
    ).json()  # type: ignore[attr-defined]
    assert guess["decision"] == "challenge"
    assert "breach_tweak" in {x["code"] for x in guess["reasons"]}
    other = _post(
        client,
        keys["app"],
        "/v1/logins/assess",
        json={**stranger, "password_sha1": sha1("pw-unrelated-77")},
    ).json()  # type: ignore[attr-defined]
    assert "breach_tweak" not in {x["code"] for x in other["reasons"]}


def test_bad_lines_are_a_422_naming_lines_not_values(
    on: tuple[TestClient, dict[str, str], Services],
) -> None:
    """A list with bad lines is refused whole: problem+json on field ``body`` naming each bad
    line's number and reason, and no password; nothing is imported (a later good line of the
    same list does not count)."""
    client, keys, _ = on
    body = b"13800000001:okay1\nNoColonSecret42\n:EmptyLoginSecret43\n"
    r = _post(client, keys["admin"], IMPORT, content=body)
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    doc = r.json()  # type: ignore[attr-defined]
    assert doc["field"] == "body" and doc["code"] == "invalid_input"
    assert "line 2: no ':'" in doc["detail"] and "line 3: empty login" in doc["detail"]
    assert "Secret" not in r.text  # type: ignore[attr-defined]
    probe = _post(
        client,
        keys["app"],
        "/v1/logins/assess",
        json={"account": "13800000001", "ip": "36.101.7.9", "password_sha1": sha1("okay1")},
    ).json()  # type: ignore[attr-defined]
    assert "breach_tweak" not in {x["code"] for x in probe["reasons"]}


def test_an_import_is_audited_without_its_content(
    on: tuple[TestClient, dict[str, str], Services],
) -> None:
    """Each accepted import lands in the audit log as the admin's ``import`` with reason
    ``breach_import`` and the number of lines, before anything is stored; the entry holds no
    login and no password. A refused list (bad lines) is not imported and not logged."""
    client, keys, svc = on
    before = svc.audit.size()
    bad = _post(client, keys["admin"], IMPORT, content=b"NoColonSecret42\n")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert svc.audit.size() == before
    body = f"{ACCOUNT}:dandan2018!\n13800000001:Hunter77\n13800000002:Hunter78\n"
    r = _post(client, keys["admin"], IMPORT, content=body.encode())
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    with svc.audit_store.read() as tx:
        entries = tx.entries(before, svc.audit.size())
    (entry,) = [e for e in entries if e.action == "import"]
    assert entry.actor == "sec-admin"
    text = entry.body.decode()
    assert '"breach_import"' in text and '"lines":"3"' in text.replace(" ", "")
    for secret in (ACCOUNT, "dandan", "Hunter7", "13800000001"):
        assert secret not in text
