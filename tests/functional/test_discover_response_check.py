"""The response check on shieldwall's own API (``discover.response_check_routes``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import AlertDeliverySettings, load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.discover.errors import RoutesError
from shieldwall.discover.exposure import KIND
from shieldwall.wiring import Services, build, initialize
from tests.functional.test_discover_proxy import Receiver

ID = "11010519491231002X"  # GB 11643-1999's own example
ROUTES = """
routes:
  - method: POST
    path: /v1/discover/scan
    returns: [phone]
"""


@pytest.fixture
def checked(tmp_path: Path) -> Iterator[tuple[TestClient, Services, str]]:
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES, encoding="utf-8")
    settings = load_settings(
        {
            "SHIELDWALL_HOME": str(tmp_path / "home"),
            "SHIELDWALL_DISCOVER_RESPONSE_CHECK_ROUTES": str(routes),
        }
    )
    clock = ManualClock()
    initialize(settings, clock)
    services = build(settings, clock)
    _, key = services.custody.principals.add("analyst-he", "analyst", unit="bi")
    with TestClient(create_app(services)) as client:
        yield client, services, key
    services.close()


def test_undeclared_data_in_a_response_raises_an_alert(
    checked: tuple[TestClient, Services, str],
) -> None:
    """A redacted scan that left an ID number in place (only phones were asked for) carries an
    ID number the route does not declare: the response is unchanged and an alert is raised;
    a response with only declared data raises nothing."""
    client, services, key = checked
    auth = {"Authorization": f"Bearer {key}"}
    quiet = client.post("/v1/discover/scan", json={"text": "x", "redact": True}, headers=auth)
    assert quiet.status_code == 200
    assert services.alerts.list(kind=KIND) == []
    text = f"电话13800138000，身份证{ID}"
    body = {"text": text, "types": ["phone"], "redact": True}
    r = client.post("/v1/discover/scan", json=body, headers=auth)
    assert r.status_code == 200 and r.json()["redacted"] == f"电话[phone]，身份证{ID}"
    (alert,) = services.alerts.list(kind=KIND)
    assert alert.principal_id == "api-route:POST /v1/discover/scan"
    assert alert.details["found_national_id"] == "1"
    assert ID not in json.dumps(alert.to_dict(), ensure_ascii=False)


def test_bad_routes_file_fails_at_start(tmp_path: Path) -> None:
    """A routes file naming an unknown type stops the app from being built, naming the field."""
    routes = tmp_path / "routes.yaml"
    routes.write_text("routes: [{path: /a, returns: [dna]}]", encoding="utf-8")
    settings = load_settings(
        {
            "SHIELDWALL_HOME": str(tmp_path / "home"),
            "SHIELDWALL_DISCOVER_RESPONSE_CHECK_ROUTES": str(routes),
        }
    )
    initialize(settings, ManualClock())
    services = build(settings, ManualClock())
    try:
        with pytest.raises(RoutesError, match="unknown data type") as caught:
            create_app(services)
        assert caught.value.field == "routes[0].returns"
    finally:
        services.close()


def test_alert_of_the_own_api_is_pushed_to_the_webhook(tmp_path: Path) -> None:
    """With a webhook sink configured, the response check's new alert reaches a real HTTP
    receiver (the same delivery path as the watch's alerts), without the value."""
    receiver = Receiver()
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES, encoding="utf-8")
    plain = load_settings(
        {
            "SHIELDWALL_HOME": str(tmp_path / "home"),
            "SHIELDWALL_DISCOVER_RESPONSE_CHECK_ROUTES": str(routes),
        }
    )
    alerts = AlertDeliverySettings.model_validate(
        {"sinks": [{"type": "webhook", "url": receiver.url}], "webhook_secret": "whsec_" + "k" * 26}
    )
    settings = plain.model_copy(update={"trace": plain.trace.model_copy(update={"alerts": alerts})})
    clock = ManualClock()
    initialize(settings, clock)
    services = build(settings, clock)
    try:
        _, key = services.custody.principals.add("analyst-he", "analyst", unit="bi")
        body = {"text": f"身份证{ID}", "types": ["phone"], "redact": True}
        with TestClient(create_app(services)) as client:
            auth = {"Authorization": f"Bearer {key}"}
            r = client.post("/v1/discover/scan", json=body, headers=auth)
            assert r.status_code == 200
            assert receiver.received.wait(120), "the alert never reached the webhook"
    finally:
        services.close()
        receiver.close()
    (sent,) = receiver.bodies
    notice = json.loads(sent)["alert"]
    assert notice["kind"] == KIND and notice["principal_id"] == "api-route:POST /v1/discover/scan"
    assert notice["details"]["found_national_id"] == "1"
    assert ID.encode() not in sent
