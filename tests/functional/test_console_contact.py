"""The console's contact page lists the domains of scam reports as the lookalike scanner judges
them against the store's brands: a lookalike of JD first, with its brand and techniques; a
domain that imitates nothing after it as clean. Through the real app, SQLite home, no mocks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.contact.scam.reports import ReportInput
from shieldwall.wiring import Services, build, initialize
from tests.functional.console_world import sign_in

BRANDS = '[[brands]]\nname = "JD"\ndomains = ["jd.com"]\nwords = ["jingdong", "京东"]\n'
SCAM = "您好，我是京东客服，您的订单异常，请打开 {link} 办理退款，按我说的一步一步操作。"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Services, str]]:
    brands = tmp_path / "brands.toml"
    brands.write_text(BRANDS, encoding="utf-8")
    settings = load_settings(
        {"SHIELDWALL_HOME": str(tmp_path / "home")},
        overrides={"contact": {"domains": {"brands_file": str(brands)}}},
    )
    initialize(settings)
    services = build(settings)
    _, key = services.custody.principals.add("sec-admin", "admin")
    with TestClient(create_app(services)) as client:
        yield client, services, key
    services.close()


def report(services: Services, link: str, n: int) -> None:
    for i in range(n):
        services.scam.submit(
            ReportInput(
                channel="sms",
                received_at=datetime(2026, 11, 2, 9, i, tzinfo=UTC),
                text=SCAM.format(link=link),
                sender="+8617100001234",
            ),
            reporter_kind="agent",
            reporter_id="agent-1",
        )


def test_reported_domains_are_judged_lookalikes_first(
    served: tuple[TestClient, Services, str],
) -> None:
    client, services, key = served
    report(services, "http://example.org/x", 3)
    report(services, "https://jingdong-tuikuan.top/refund", 2)
    sign_in(client, key)
    page = client.get("/console/contact")
    assert page.status_code == 200
    table = page.text.split('id="reported-domains"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(?:<strong>)?(\w+)", table)
    # the lookalike first although it was reported less often
    assert rows == [("jingdong-tuikuan.top", "lookalike"), ("example.org", "clean")]
    first = table.split("</tr>", 2)[1]
    assert "<td>JD</td>" in first and "combosquatting" in first


def test_no_reports_no_domains(served: tuple[TestClient, Services, str]) -> None:
    client, _, key = served
    sign_in(client, key)
    table = client.get("/console/contact").text.split('id="reported-domains"', 1)[1]
    assert "nothing yet" in table.split("</table>", 1)[0]
