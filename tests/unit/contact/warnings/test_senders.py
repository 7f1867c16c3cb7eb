"""The real senders against local servers: a webhook receiver (http.server) and an SMTP server
(aiosmtpd). Addresses are decrypted at send time, audited, and never kept."""

from __future__ import annotations

import dataclasses
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from shieldwall.config import WarningSettings
from shieldwall.contact.errors import ContactError
from shieldwall.contact.warnings.model import NotificationStatus
from shieldwall.contact.warnings.senders import (
    SIGNATURE_HEADER,
    SmtpSender,
    WebhookSender,
    sign_body,
    verify_signature,
)
from shieldwall.core.errors import ConfigError
from shieldwall.storage.tables.audit import audit_entries
from shieldwall.storage.tables.contact_ledger import contact_outbox
from tests.unit.contact.warnings.conftest import World, warnings_for

# -- a webhook receiver ----------------------------------------------------------------------


@dataclass
class Gateway:
    url: str
    statuses: list[int] = field(default_factory=list)  # answers to give, then 200
    delay: float = 0.0
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            time.sleep(state.delay)
            code = state.statuses.pop(0) if state.statuses else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/notify"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def webhook(world: World, gateway: Gateway, timeout: float = 5.0) -> WebhookSender:
    cl = world.services.contact_ledger
    return WebhookSender(
        gateway.url, cl.webhook_secret(), cl.recipients, world.clock, timeout=timeout
    )


def notify_audits(world: World) -> list[dict[str, Any]]:
    with world.services.engine.connect() as conn:
        bodies = conn.execute(
            select(audit_entries.c.body).where(audit_entries.c.action == "notify")
        ).scalars()
        return [json.loads(b) for b in bodies]


def test_webhook_delivers_signed_json_with_the_decrypted_phone(
    world: World, gateway: Gateway
) -> None:
    """The gateway gets the phone, tagged text and a valid signature; audited, stored nowhere."""
    sender = webhook(world, gateway)
    planner, dispatcher = warnings_for(world, {"sms": sender})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1)]))
    assert dispatcher.run().sent == 1
    ((headers, body),) = gateway.requests
    secret = world.services.contact_ledger.webhook_secret()
    now = world.clock.now().timestamp()
    assert verify_signature(secret, headers[SIGNATURE_HEADER.lower()], body, now)
    assert not verify_signature(secret, headers[SIGNATURE_HEADER.lower()], body + b" ", now)
    assert not verify_signature(secret, headers[SIGNATURE_HEADER.lower()], body, now + 301)
    doc = json.loads(body)
    assert doc["to"] == world.people[0].phone and doc["customer_id"] == world.cid(1)
    assert headers["idempotency-key"] == doc["notification_id"]
    assert world.services.contact_ledger.messages.verify(world.cid(1), doc["text"]).valid
    (entry,) = notify_audits(world)
    assert entry["actor"] == "contact.warnings" and entry["customer_ids"] == [world.cid(1)]
    assert entry["fields"] == {"phone": "clear"} and entry["decision"] == "allow"
    assert entry["extra"]["notification_id"] == doc["notification_id"]
    with world.services.engine.connect() as conn:
        everything = " ".join(
            str(v) for row in conn.execute(select(contact_outbox)) for v in row._mapping.values()
        ) + " ".join(json.dumps(e, ensure_ascii=False) for e in notify_audits(world))
    assert world.people[0].phone not in everything
    assert world.people[0].phone[3:] not in everything


def test_webhook_failures(world: World, gateway: Gateway) -> None:
    """503 is retried, 422 is a dead letter, 401 stops the run as a configuration error."""
    gateway.statuses = [503, 422]
    planner, dispatcher = warnings_for(world, {"sms": webhook(world, gateway)})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1), world.cid(2)]))
    report = dispatcher.run()
    assert (report.retried, report.dead, report.sent) == (1, 1, 0)
    with world.services.contact_ledger.outbox.read() as tx:
        errors = {n.customer_id: n.last_error for n in tx.list()}
    assert errors == {world.cid(1): "http_503", world.cid(2): "http_422"}
    gateway.statuses = [401]
    world.clock.advance(60)
    with pytest.raises(ContactError, match="HTTP 401") as err:
        dispatcher.run()
    assert err.value.code == "sender_misconfigured"
    world.clock.advance(120)
    assert dispatcher.run().sent == 1


def test_webhook_timeouts_and_refused_connections_are_retried(
    world: World, gateway: Gateway
) -> None:
    """A gateway slower than the timeout, or not listening, is a retryable failure."""
    gateway.delay = 0.5
    planner, dispatcher = warnings_for(world, {"sms": webhook(world, gateway, timeout=0.1)})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1)]))
    assert dispatcher.run().retried == 1
    cl = world.services.contact_ledger
    closed = WebhookSender("http://127.0.0.1:9/notify", b"k" * 32, cl.recipients, world.clock)
    _, dispatcher = warnings_for(world, {"sms": closed})
    world.clock.advance(61)
    assert dispatcher.run().retried == 1
    with cl.outbox.read() as tx:
        assert [n.last_error for n in tx.list()] == ["network"]


def test_signature_helpers() -> None:
    """The header format and its checks: bad headers and other secrets fail."""
    header = sign_body(b"s" * 32, b"{}", 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature(b"s" * 32, header, b"{}", 1_700_000_100)
    assert not verify_signature(b"t" * 32, header, b"{}", 1_700_000_100)
    assert not verify_signature(b"s" * 32, "garbage", b"{}", 1_700_000_100)


# -- an SMTP server --------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.rcpt_answers: list[str] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_answers:
            return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), mail))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def smtp_sender(world: World, port: int) -> SmtpSender:
    return SmtpSender(
        "127.0.0.1",
        port,
        "security@shop.example.cn",
        world.services.contact_ledger.recipients,
        timeout=5,
    )


def test_smtp_delivers_a_tagged_email(world: World, smtp: tuple[Mailbox, int]) -> None:
    """The e-mail goes to the decrypted address, UTF-8, with a subject and a verifiable tag."""
    box, port = smtp
    planner, dispatcher = warnings_for(world, {"email": smtp_sender(world, port)})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(2)]), channel="email")
    assert dispatcher.run().sent == 1
    ((rcpts, mail),) = box.messages
    assert rcpts == [world.people[1].email]
    assert mail["Subject"] == "【示例商城】安全提醒：谨防冒充客服诈骗"
    assert mail["From"] == "security@shop.example.cn" and mail["X-Shieldwall-Notification"]
    text = mail.get_content()
    assert "来电核验" in text and "防伪码" in text
    assert world.services.contact_ledger.messages.verify(world.cid(2), text).valid
    (entry,) = notify_audits(world)
    assert entry["fields"] == {"email": "clear"}


def test_smtp_refusals(world: World, smtp: tuple[Mailbox, int]) -> None:
    """451 is retried, 550 dead-lettered, no e-mail on file dead with a denied audit entry."""
    box, port = smtp
    box.rcpt_answers = ["451 4.3.0 try again later", "550 5.1.1 no such user"]
    planner, dispatcher = warnings_for(world, {"email": smtp_sender(world, port)})
    planner.enqueue(
        planner.plan_leak("leak-1", [world.cid(1), world.cid(2), world.cid(6)]), channel="email"
    )
    report = dispatcher.run()
    assert (report.sent, report.retried, report.dead) == (0, 1, 2)
    with world.services.contact_ledger.outbox.read() as tx:
        errors = {n.customer_id: (n.status, n.last_error) for n in tx.list()}
    assert errors == {
        world.cid(1): (NotificationStatus.PENDING, "smtp_451"),
        world.cid(2): (NotificationStatus.DEAD, "smtp_550"),
        world.cid(6): (NotificationStatus.DEAD, "no_address"),
    }
    denied = [e for e in notify_audits(world) if e["decision"] == "deny"]
    assert [(e["customer_ids"], e["reason"], e["fields"]) for e in denied] == [
        ([world.cid(6)], "no_address", {})
    ]
    world.clock.advance(60)
    assert dispatcher.run().sent == 1
    assert box.messages[0][0] == [world.people[0].email]


def test_smtp_server_down_is_retried(world: World) -> None:
    """Nothing listening on the port: a retryable network failure."""
    planner, dispatcher = warnings_for(world, {"email": smtp_sender(world, 9)})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1)]), channel="email")
    assert dispatcher.run().retried == 1


def test_senders_from_settings(world: World, tmp_path: Path) -> None:
    """The settings pick the senders; an unreadable SMTP password file is a configuration error."""
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n")
    base = world.services.settings

    def ledger_with(**warnings: Any) -> Any:
        contact = base.contact.model_copy(update={"warnings": WarningSettings(**warnings)})
        return dataclasses.replace(
            world.services.contact_ledger, settings=base.model_copy(update={"contact": contact})
        )

    assert ledger_with().senders() == {}
    both = ledger_with(
        webhook_url="http://127.0.0.1:9/x", smtp_host="127.0.0.1", smtp_password_file=secret
    ).senders()
    assert isinstance(both["sms"], WebhookSender) and isinstance(both["email"], SmtpSender)
    assert both["email"].password == "s3cret"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError) as err:
        ledger_with(smtp_host="127.0.0.1", smtp_password_file=tmp_path / "missing").senders()
    assert err.value.field == "contact.warnings.smtp_password_file"
