"""The scam-contact login signal through the real HTTP API: with
``guard.risk.scam_contact_points`` set, a stranger's login on the phone account of a customer
whom a reported scam reached within the window carries ``scam_contact`` and scores higher; the
same login on a customer no scam reached does not; after the window it is gone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.contact.scam.reports import ReportInput
from shieldwall.core.clock import ManualClock
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services, build, initialize
from tests.functional.conftest import customer_row
from tests.functional.test_guard_risk_personal_api import ACCOUNT, assess, codes

OTHER = PeopleFactory(11).customers(12)[1].phone.removeprefix("+86")


@pytest.fixture
def on(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[TestClient, Services, str]]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "shieldwall.toml").write_text(
        "[guard.risk]\nscam_contact_points = 2.0\nscam_contact_window_hours = 72\n"
    )
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings, clock)
    svc = build(settings, clock)
    people = PeopleFactory(11).customers(12)
    report = svc.custody.importer.customers([(n, customer_row(c)) for n, c in enumerate(people, 1)])
    assert report.committed
    _, key = svc.custody.principals.add("app", "service", unit="store-app")
    with TestClient(create_app(svc)) as client:
        yield client, svc, key
    svc.close()


def test_a_login_soon_after_a_scam_contact_is_riskier(
    on: tuple[TestClient, Services, str], clock: ManualClock
) -> None:
    client, svc, key = on
    svc.scam.submit(
        ReportInput(
            channel="call",
            received_at=clock.now(),
            text="您好我是京东客服，您的订单异常，需要给您退款",
            sender="+8617100001234",
            victim_phone="+86" + ACCOUNT,
        ),
        reporter_kind="agent",
        reporter_id="agent-1",
    )
    clock.advance(timedelta(hours=2))
    stranger = {"ip": "36.101.7.9", "user_agent": "Mozilla/5.0 (Windows)"}
    hit = assess(client, key, account=ACCOUNT, **stranger)
    miss = assess(client, key, account=OTHER, **stranger)
    assert "scam_contact" in codes(hit) and "scam_contact" not in codes(miss)
    assert float(hit["score"]) > float(miss["score"])  # type: ignore[arg-type]
    clock.advance(timedelta(hours=71))  # 73 h after the contact: outside the window
    late = assess(client, key, account=ACCOUNT, ip="36.101.8.9")
    assert "scam_contact" not in codes(late)
