"""Alert delivery with real receivers: an HTTP server that checks the webhook signature with an
HMAC computed here, UDP and TCP syslog sockets, and the NATS server at 127.0.0.1:4222. Alerts are
raised through the HTTP API (break-glass); a failing sink neither loses the alert nor stops the
others, and nothing that goes out names a customer."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nats
import pytest
from fastapi.testclient import TestClient

from shieldwall.config import AlertDeliverySettings, Settings
from shieldwall.core.clock import ManualClock
from shieldwall.sim.people import PeopleFactory
from shieldwall.trace.delivery.syslog import BOM
from shieldwall.wiring import Services, build, initialize
from tests.functional.conftest import Store

SECRET = "whsec_" + "k" * 26
REASON = {"reason": "court order 2026-77: verify identity of account holder"}
NATS_URL = "nats://127.0.0.1:4222"


def wait_until(cond: Callable[[], bool], bound: float = 60.0) -> None:
    """Poll a condition with a generous bound (deliveries run on background threads)."""
    end = time.monotonic() + bound
    while not cond():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


class Hook:
    """A webhook receiver on 127.0.0.1: answers each request with the next queued status."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = hook.statuses.pop(0) if len(hook.statuses) > 1 else hook.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/t0ken"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(60)
    yield s
    s.close()


@pytest.fixture
def tcp() -> Iterator[socket.socket]:
    s = socket.create_server(("127.0.0.1", 0))
    s.settimeout(60)
    yield s
    s.close()


def with_sinks(settings: Settings, sinks: list[dict[str, Any]]) -> Settings:
    alerts = AlertDeliverySettings.model_validate(
        {
            "sinks": sinks,
            "webhook_secret": SECRET,
            "backoff_seconds": 0.01,
            "max_backoff_seconds": 0.05,
            "max_attempts": 4,
        }
    )
    trace = settings.trace.model_copy(update={"alerts": alerts})
    return settings.model_copy(update={"trace": trace})


def services_with(settings: Settings, clock: ManualClock, sinks: list[dict[str, Any]]) -> Services:
    configured = with_sinks(settings, sinks)
    initialize(configured, clock)
    return build(configured, clock)


def break_glass(store: Store, client: TestClient) -> tuple[str, list[str]]:
    """Break-glass as the admin; the alert's id, and the plaintext that must not go out."""
    c = store.customers[5]
    resp = client.post(
        f"/v1/customers/{c.customer_id}/break-glass", json=REASON, headers=store.auth("sec-admin")
    )
    assert resp.status_code == 200
    alerts = client.get("/v1/alerts", headers=store.auth("sec-admin")).json()["items"]
    assert [a["kind"] for a in alerts] == ["break_glass"]
    return alerts[0]["alert_id"], [c.customer_id, c.name, c.phone, c.email, c.address]


def read_frame(conn: socket.socket) -> bytes:
    """One RFC 6587 octet-counted frame: digits, a space, that many bytes."""
    head = b""
    while not head.endswith(b" "):
        head += conn.recv(1)
    size = int(head)
    data = b""
    while len(data) < size:
        data += conn.recv(size - len(data))
    return data


class TestThroughTheApi:
    @pytest.fixture
    def hook(self) -> Iterator[Hook]:
        h = Hook([503, 503, 200])  # the receiver is down twice: retried with backoff
        yield h
        h.close()

    @pytest.fixture
    def services(
        self,
        settings: Settings,
        clock: ManualClock,
        hook: Hook,
        udp: socket.socket,
        tcp: socket.socket,
    ) -> Iterator[Services]:
        svc = services_with(
            settings,
            clock,
            [
                {"type": "webhook", "url": hook.url},
                {"type": "syslog", "port": udp.getsockname()[1], "hostname": "sw1"},
                {
                    "type": "syslog",
                    "port": tcp.getsockname()[1],
                    "transport": "tcp",
                    "format": "cef",
                    "hostname": "sw1",
                },
            ],
        )
        yield svc
        svc.close()

    def test_every_sink_gets_the_alert_signed_and_without_customer_data(
        self,
        store: Store,
        client: TestClient,
        hook: Hook,
        udp: socket.socket,
        tcp: socket.socket,
        clock: ManualClock,
    ) -> None:
        """Webhook (signature checked by hand, after two 503s), syslog UDP, CEF over TCP."""
        alert_id, plaintext = break_glass(store, client)

        wait_until(lambda: len(hook.requests) == 3)
        assert {h["idempotency-key"] for h, _ in hook.requests} == {alert_id}
        headers, body = hook.requests[-1]
        t, v1 = re.fullmatch(
            r"t=(\d+),v1=([0-9a-f]{64})", headers["x-shieldwall-signature"]
        ).groups()  # type: ignore[union-attr]
        expected = hmac.new(SECRET.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(v1, expected) and int(t) == int(clock.now().timestamp())
        doc = json.loads(body)
        assert doc["type"] == "alert.raised" and doc["alert"]["alert_id"] == alert_id
        assert doc["alert"]["customers"] == 1 and "customer_ids" not in doc["alert"]

        datagram, _ = udp.recvfrom(65535)
        assert datagram.startswith(b"<83>1 ")  # authpriv (10) x 8 + error (3, alert "high")
        assert f'[alert@32473 id="{alert_id}" detector="break_glass" severity="high"'.encode() in (
            datagram
        )
        assert BOM + b"break_glass alert " + alert_id.encode() in datagram

        conn, _ = tcp.accept()
        with conn:
            conn.settimeout(60)
            frame = read_frame(conn)
        assert b" - CEF:0|shieldwall|shieldwall|" in frame
        assert f"externalId={alert_id}".encode() in frame and b"suser=sec-admin" in frame

        for sent in (body, datagram, frame):
            text = sent.decode("utf-8")
            assert not [p for p in plaintext if p in text]

    def test_watch_status_counts_deliveries_per_sink(
        self,
        store: Store,
        client: TestClient,
        udp: socket.socket,
        tcp: socket.socket,
    ) -> None:
        """``GET /v1/watch/status`` counts per sink, named by host (no URL path, no secret)."""
        break_glass(store, client)

        def delivery() -> dict[str, dict[str, int]]:
            resp = client.get("/v1/watch/status", headers=store.auth("sec-admin"))
            assert "t0ken" not in resp.text and SECRET not in resp.text
            return resp.json()["alert_delivery"]  # type: ignore[no-any-return]

        hook = "webhook:127.0.0.1"
        wait_until(lambda: delivery()[hook]["delivered"] == 1)
        assert delivery()[hook]["retried"] == 2
        assert set(delivery()) == {
            hook,
            f"syslog:udp:127.0.0.1:{udp.getsockname()[1]}",
            f"syslog:tcp:127.0.0.1:{tcp.getsockname()[1]}",
        }


class TestAFailingSink:
    @pytest.fixture
    def hook(self) -> Iterator[Hook]:
        h = Hook([500])  # always down
        yield h
        h.close()

    @pytest.fixture
    def services(
        self, settings: Settings, clock: ManualClock, hook: Hook, udp: socket.socket
    ) -> Iterator[Services]:
        svc = services_with(
            settings,
            clock,
            [
                {"type": "webhook", "url": hook.url},
                {"type": "syslog", "port": udp.getsockname()[1]},
            ],
        )
        yield svc
        svc.close()

    def test_keeps_the_alert_and_the_other_sinks(
        self,
        store: Store,
        client: TestClient,
        hook: Hook,
        udp: socket.socket,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """The webhook fails every try: the alert is listed, syslog got it, the log says why."""
        with caplog.at_level(logging.WARNING, logger="shieldwall.trace.delivery"):
            alert_id, plaintext = break_glass(store, client)
            datagram, _ = udp.recvfrom(65535)
            assert alert_id.encode() in datagram
            wait_until(lambda: "not delivered" in caplog.text)
        assert len(hook.requests) == 4  # max_attempts
        assert (
            f"alert {alert_id} not delivered to webhook:127.0.0.1 after 4 attempt(s): http_500"
            in (caplog.text)
        )
        assert "t0ken" not in caplog.text and SECRET not in caplog.text
        assert not [p for p in plaintext if p in caplog.text]
        listed = client.get("/v1/alerts", headers=store.auth("sec-admin")).json()["items"]
        assert [a["alert_id"] for a in listed] == [alert_id]


class TestNats:
    @pytest.fixture
    def subject(self) -> str:
        return f"test{secrets.token_hex(6)}.shieldwall.alerts"

    @pytest.fixture
    def services(self, settings: Settings, clock: ManualClock, subject: str) -> Iterator[Services]:
        svc = services_with(
            settings, clock, [{"type": "nats", "url": NATS_URL, "subject": subject}]
        )
        yield svc
        svc.close()

    def test_the_alert_is_published_on_the_subject(
        self, store: Store, client: TestClient, subject: str
    ) -> None:
        """A subscriber on the real server receives the notice, with Nats-Msg-Id = alert id."""

        async def receive() -> tuple[str, Any]:
            nc = await nats.connect(NATS_URL)
            try:
                sub = await nc.subscribe(subject)
                await nc.flush()
                alert_id, plaintext = await asyncio.to_thread(break_glass, store, client)
                msg = await sub.next_msg(timeout=60)
                text = msg.data.decode()
                assert not [p for p in plaintext if p in text]
                return alert_id, msg
            finally:
                await nc.close()

        alert_id, msg = asyncio.run(receive())
        assert msg.headers == {"Nats-Msg-Id": alert_id}
        doc = json.loads(msg.data)
        assert doc["type"] == "alert.raised" and doc["alert"]["alert_id"] == alert_id
        assert doc["alert"]["kind"] == "break_glass" and doc["alert"]["principal_id"] == "sec-admin"


def test_a_cli_command_pushes_its_alert_before_the_process_exits(
    tmp_path: Path, udp: socket.socket
) -> None:
    """``shieldwall customers break-glass`` in its own process: the datagram arrives, because
    the console script closes its services (draining the queues) on the way out."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "shieldwall.toml").write_text(
        f'[[trace.alerts.sinks]]\ntype = "syslog"\nport = {udp.getsockname()[1]}\n',
        encoding="utf-8",
    )
    people = PeopleFactory(5).customers(2)
    csv = tmp_path / "customers.csv"
    csv.write_text(
        "customer_id,name,phone,email,address,national_id\n"
        + "".join(
            f"{c.customer_id},{c.name},{c.phone},{c.email},{c.address},{c.national_id}\n"
            for c in people
        ),
        encoding="utf-8",
    )
    cli = [str(Path(sys.executable).with_name("shieldwall"))]
    env = {"PATH": "/usr/bin:/bin", "SHIELDWALL_HOME": str(home)}
    for args in (
        ["init"],
        ["customers", "import", str(csv)],
        ["principals", "add", "sec-admin", "--role", "admin", "--unit", "security"],
        [
            "customers",
            "break-glass",
            people[0].customer_id,
            "--as",
            "sec-admin",
            "--reason",
            REASON["reason"],
        ],
    ):
        done = subprocess.run(cli + args, capture_output=True, check=False, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
    datagram, _ = udp.recvfrom(65535)
    assert b"break_glass alert alr_" in datagram and b'principal="sec-admin"' in datagram
    text = datagram.decode()
    c = people[0]
    assert not [p for p in (c.customer_id, c.name, c.phone, c.email, c.address) if p in text]
