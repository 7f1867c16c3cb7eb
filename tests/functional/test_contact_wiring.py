"""Scam reports wired to the rest of shieldwall: the lookalike scanner judges links, the official
number book recognises the store's numbers, and custody's blind index links the victim."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import Settings
from shieldwall.core.clock import ManualClock
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services, build, initialize

BRANDS = """
[[brands]]
name = "JD"
domains = ["jd.com"]
words = ["jd", "jingdong"]
"""


@pytest.fixture
def wired(settings: Settings, clock: ManualClock, tmp_path: Path) -> Iterator[Services]:
    brands = tmp_path / "brands.toml"
    brands.write_text(BRANDS)
    domains = settings.contact.domains.model_copy(update={"brands_file": brands})
    tuned = settings.model_copy(
        update={"contact": settings.contact.model_copy(update={"domains": domains})}
    )
    initialize(tuned, clock)
    svc = build(tuned, clock)
    yield svc
    svc.close()


def test_report_is_judged_and_linked(wired: Services) -> None:
    """A refund SMS with a lookalike link is flagged; the victim is found by phone; a report
    from the store's own sender number does not join a scam campaign by that number."""
    c = PeopleFactory(21).customers(1)[0]
    report = wired.custody.importer.customers(
        [(1, {"customer_id": c.customer_id, "name": c.name, "phone": c.phone})]
    )
    assert report.committed
    _, admin = wired.custody.principals.add("sec", "admin")
    _, agent = wired.custody.principals.add("agent-li", "agent")
    client = TestClient(create_app(wired))
    h = {"Authorization": f"Bearer {admin}"}
    assert (
        client.post(
            "/v1/numbers", json={"number": "95618", "kind": "sms_sender"}, headers=h
        ).status_code
        == 201
    )
    body = {
        "channel": "sms",
        "received_at": "2026-03-02T07:00:00+00:00",
        "text": "【京东】您的订单商品质量问题，可申请三倍赔偿，"
        "点击 http://jd-kefu-refund.com 办理退款",
        "sender": "+8617012345678",
        "victim_phone": c.phone,
    }
    out = client.post("/v1/scam/reports", json=body, headers={"Authorization": f"Bearer {agent}"})
    assert out.status_code == 201, out.text
    result = out.json()
    verdicts = {i["value"]: i.get("verdict") for i in result["indicators"] if i["kind"] == "domain"}
    assert verdicts.get("jd-kefu-refund.com") == "lookalike"
    victims = client.get(f"/v1/scam/campaigns/{result['campaign_id']}/victims", headers=h).json()
    assert [v["customer_id"] for v in victims["items"]] == [c.customer_id]
    genuine = dict(
        body, sender="95618", text="您的订单已发货", received_at="2026-03-02T08:00:00+00:00"
    )
    second = client.post(
        "/v1/scam/reports", json=genuine, headers={"Authorization": f"Bearer {agent}"}
    ).json()
    senders = [i for i in second["indicators"] if i["value"] == "95618"]
    assert all(not i["strong"] for i in senders)


def test_scorer_asks_the_same_judges(wired: Services) -> None:
    """The service's scorer ignores the store's own links and hotline, counts a lookalike link
    and any other number to call."""
    _, admin = wired.custody.principals.add("sec", "admin")
    client = TestClient(create_app(wired))
    h = {"Authorization": f"Bearer {admin}"}
    added = client.post("/v1/numbers", json={"number": "4006065500", "kind": "hotline"}, headers=h)
    assert added.status_code == 201, added.text

    def families(text: str) -> set[str]:
        out = client.post("/v1/scam/score", json={"text": text}, headers=h)
        assert out.status_code == 200, out.text
        return {s["signal"] for s in out.json()["signals"]}

    own = families("您的订单已发货，详情见 https://jd.com/o/1 ，有疑问请致电 400-606-5500")
    assert not own & {"link", "lookalike_link", "callback_request"}
    fake = families("点击 http://jd-kefu-refund.com 办理，或致电 400-606-1234")
    assert {"link", "lookalike_link", "callback_request"} <= fake
