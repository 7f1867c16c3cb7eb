"""The personal-password signal through the real HTTP API: with ``guard.risk.personal_passwords``
on, a stranger trying a password built from the customer's name and birth date (from the ID
number in the vault) is challenged; the check reads custody through the blind index and a
``derived`` view, audited, and no personal data reaches the audit log or the answer."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services, build, initialize
from tests.functional.conftest import Store, customer_row

# PeopleFactory(11)'s first customer is 武丹丹, +86 188 7883 7457, ID 511902200202010979 (born
# 2002-02-01): "wudandan20020201" is her pinyin name and birth date, worked out by hand.
PERSONAL = "wudandan20020201"
ACCOUNT = "18878837457"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
def on(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[TestClient, Services, str]]:
    """A SQLite store with the setting on, its customers, and the store app's key."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "shieldwall.toml").write_text("[guard.risk]\npersonal_passwords = true\n")
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings, clock)
    svc = build(settings, clock)
    people = PeopleFactory(11).customers(12)
    assert people[0].phone == "+86" + ACCOUNT and people[0].national_id == "511902200202010979"
    report = svc.custody.importer.customers([(n, customer_row(c)) for n, c in enumerate(people, 1)])
    assert report.committed
    _, key = svc.custody.principals.add("app", "service", unit="store-app")
    with TestClient(create_app(svc)) as client:
        yield client, svc, key
    svc.close()


def assess(client: TestClient, key: str, **body: object) -> dict[str, object]:
    r = client.post("/v1/logins/assess", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    doc: dict[str, object] = r.json()
    return doc


def codes(doc: dict[str, object]) -> set[str]:
    return {r["code"] for r in doc["reasons"]}  # type: ignore[attr-defined, index]


def test_stranger_trying_her_name_and_birthday_is_challenged(
    on: tuple[TestClient, Services, str], clock: ManualClock
) -> None:
    """Three logins from home, then a stranger: her pinyin name + birth date is challenged with
    ``personal_password``; a random password from the same place is not flagged."""
    client, svc, key = on
    home = {"account": ACCOUNT, "ip": "1.80.3.4", "user_agent": "StoreApp/5.12.1"}
    for _ in range(3):
        a = assess(client, key, **home, device_id="dev-wdd", password_sha1=sha1("pw-own-2f9c"))
        r = client.post(
            "/v1/logins/outcome",
            json={"assessment_id": a["assessment_id"], "success": True},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200
        clock.advance(86_400)
    stranger = {"account": ACCOUNT, "ip": "36.101.7.9", "user_agent": "Mozilla/5.0 (Windows)"}
    guess = assess(client, key, **stranger, password_sha1=sha1(PERSONAL))
    assert guess["decision"] == "challenge"
    assert "personal_password" in codes(guess)
    other = assess(client, key, **stranger, password_sha1=sha1("pw-8f3a9c1b2d4e"))
    assert "personal_password" not in codes(other)
    with svc.audit_store.read() as tx:
        bodies = [row.body.decode() for row in tx.iter_entries()]
    mine = [b for b in bodies if '"guard.risk"' in b]
    assert any('"login_risk"' in b and '"lookup"' in b for b in mine)
    assert any('"derived"' in b and '"password_check_context"' in b for b in mine)
    for b in bodies:
        assert "武丹丹" not in b and ACCOUNT not in b and "511902200202010979" not in b


def test_off_by_default(store: Store, client: TestClient) -> None:
    """Without the setting the engine never asks: the same guess carries no such reason."""
    c = store.customers[0]
    body = {
        "account": c.phone.removeprefix("+86"),
        "ip": "36.101.7.9",
        "user_agent": "Mozilla/5.0 (Windows)",
        "password_sha1": sha1(PERSONAL),
    }
    r = client.post("/v1/logins/assess", json=body, headers=store.auth("app"))
    assert r.status_code == 200
    assert "personal_password" not in {x["code"] for x in r.json()["reasons"]}
    with store.services.audit_store.read() as tx:
        assert not any('"guard.risk"' in row.body.decode() for row in tx.iter_entries())
