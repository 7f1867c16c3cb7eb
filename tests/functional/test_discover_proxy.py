"""The exposure proxy in front of a real local HTTP server; alerts land in the real store."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.config import AlertDeliverySettings, Settings
from shieldwall.core.clock import ManualClock
from shieldwall.discover.exposure import KIND, ExposureAlerts, RouteTable
from shieldwall.discover.proxy import ExposureProxy, proxy_app
from shieldwall.wiring import Services, build, initialize

ID = "11010519491231002X"  # GB 11643-1999's own example
ROUTES = """
routes:
  - method: GET
    path: /orders/{order_id}
    returns: [name, phone]
  - method: GET
    path: /products/{sku}
"""
BODIES = {
    "/orders/O1": {"order_id": "O1", "name": "王芳", "phone": "13800138000"},
    "/orders/O2": {"order_id": "O2", "name": "王芳", "phone": "13800138000", "id_card": ID},
    "/products/S1": {"sku": "S1", "title": "华为手机", "seller_phone": "13912345678"},
}


class Upstream(BaseHTTPRequestHandler):
    """A store API that answers fixed JSON, and echoes a POST body back."""

    def do_GET(self) -> None:
        body = json.dumps(BODIES.get(self.path, {}), ensure_ascii=False).encode()
        self.send_response(200 if self.path in BODIES else 404)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Seen-Query", self.path)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Silent: request lines are not wanted in test output."""


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)  # bound before the thread starts
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxied(upstream: str, services: Services) -> Iterator[tuple[TestClient, ExposureProxy]]:
    client = httpx.AsyncClient(base_url=upstream)
    proxy = ExposureProxy(
        client, RouteTable.from_yaml(ROUTES), ExposureAlerts(services.alerts, services.clock)
    )
    with TestClient(proxy_app(proxy)) as c:
        yield c, proxy


def alerts(services: Services) -> list[dict[str, object]]:
    return [a.to_dict() for a in services.alerts.list(kind=KIND, limit=50)]


def test_declared_data_passes_quietly(
    proxied: tuple[TestClient, ExposureProxy], services: Services
) -> None:
    """A response with only the declared name and phone: passed through, no alert."""
    client, proxy = proxied
    r = client.get("/orders/O1")
    assert r.status_code == 200 and r.json() == BODIES["/orders/O1"]
    assert proxy.checked == 1 and proxy.flagged == 0
    assert alerts(services) == []


def test_undeclared_data_raises_then_grows_one_alert(
    proxied: tuple[TestClient, ExposureProxy], services: Services
) -> None:
    """An ID number the order route does not declare: the response passes unchanged, one
    alert for the route grows over two responses, and it holds no value."""
    client, _ = proxied
    for _ in range(2):
        r = client.get("/orders/O2")
        assert r.json() == BODIES["/orders/O2"]
    client.get("/products/S1")  # a product route declaring nothing, carrying a phone
    found = {a["principal_id"]: a for a in alerts(services)}
    order = found["api-route:GET /orders/{order_id}"]
    assert order["severity"] == "high"
    assert order["details"]["responses"] == "2"  # type: ignore[index]
    assert order["details"]["found_national_id"] == "2"  # type: ignore[index]
    assert [r["code"] for r in order["reasons"]] == ["undeclared_national_id"]  # type: ignore[index, union-attr]
    product = found["api-route:GET /products/{sku}"]
    assert product["details"]["found_phone"] == "1"  # type: ignore[index]
    dumped = json.dumps(alerts(services), ensure_ascii=False)
    assert ID not in dumped and "13800138000" not in dumped and "13912345678" not in dumped


def test_method_query_and_body_are_forwarded(proxied: tuple[TestClient, ExposureProxy]) -> None:
    """POST with a query string and a body reaches the upstream as sent; status and headers
    come back; a text response carrying a phone on an undeclared route is flagged."""
    client, proxy = proxied
    r = client.post("/echo?a=1&a=2", content="电话 13800138000".encode())
    assert r.status_code == 201 and r.text == "电话 13800138000"
    assert r.headers["x-seen-query"] == "/echo?a=1&a=2"
    assert proxy.flagged == 1


def test_cli_refuses_a_bad_routes_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A routes file naming an unknown type: one line naming the field, exit 1, no server."""
    monkeypatch.setenv("SHIELDWALL_HOME", str(tmp_path / "home"))
    common.settings.cache_clear()
    common.services.cache_clear()
    routes = tmp_path / "routes.yaml"
    routes.write_text("routes: [{path: /a, returns: [dna]}]\n", encoding="utf-8")
    code = main(["discover", "proxy", "--upstream", "http://127.0.0.1:9", "--routes", str(routes)])
    err = capsys.readouterr().err
    assert code == 1 and "routes[0].returns" in err and len(err.strip().splitlines()) == 1
    code = main(["discover", "proxy", "--upstream", "ftp://x", "--routes", str(routes)])
    assert code == 2


class Receiver:
    """A webhook receiver on 127.0.0.1 that records each POST and sets an event."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.received = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()
                receiver.received.set()

            def log_message(self, *args: object) -> None:
                """Silent."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/discover"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_overexposure_alert_is_pushed_to_the_webhook(
    upstream: str, receiver: Receiver, settings: Settings, clock: ManualClock
) -> None:
    """With a webhook sink configured, the route's new alert reaches a real HTTP receiver, as
    the watch's alerts do; what goes out names the kind and counts, never the value. Growing
    the open alert does not push it again (the receiver reads its state by id)."""
    alerts = AlertDeliverySettings.model_validate(
        {"sinks": [{"type": "webhook", "url": receiver.url}], "webhook_secret": "whsec_" + "k" * 26}
    )
    configured = settings.model_copy(
        update={"trace": settings.trace.model_copy(update={"alerts": alerts})}
    )
    initialize(configured, clock)
    svc = build(configured, clock)
    try:
        proxy = ExposureProxy(
            httpx.AsyncClient(base_url=upstream),
            RouteTable.from_yaml(ROUTES),
            ExposureAlerts(svc.raising_alerts, svc.clock),
        )
        with TestClient(proxy_app(proxy)) as client:
            assert client.get("/orders/O2").json() == BODIES["/orders/O2"]
            assert receiver.received.wait(120), "the alert never reached the webhook"
            client.get("/orders/O2")  # grows the open alert
    finally:
        svc.close()  # lets anything still queued go out before counting
    (body,) = receiver.bodies
    document = json.loads(body)
    assert document["type"] == "alert.raised"
    notice = document["alert"]
    (stored,) = svc.alerts.list(kind=KIND)
    assert notice["alert_id"] == stored.alert_id and notice["kind"] == KIND
    assert notice["principal_id"] == "api-route:GET /orders/{order_id}"
    assert notice["severity"] == "high" and notice["details"]["found_national_id"] == "1"
    assert stored.details["responses"] == "2"
    assert ID.encode() not in body and b"13800138000" not in body
