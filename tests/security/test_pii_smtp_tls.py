"""The SMTP sender never sends the relay password over a connection without TLS, unless the
operator explicitly allows it; mail without a login still goes out over plain SMTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from shieldwall.contact.errors import ContactError
from shieldwall.contact.warnings.ports import Outgoing
from shieldwall.contact.warnings.senders import Recipients, SmtpSender

PASSWORD = "hunter2-relay-secret"  # a test relay's password


@dataclass
class Relay:
    """A local relay that accepts AUTH on plain connections (as a careless relay would)."""

    port: int
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    delivered: list[list[str]] = field(default_factory=list)

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.delivered.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


@pytest.fixture
def relay() -> Iterator[Relay]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state = Relay(port)
    controller = Controller(
        state,
        hostname="127.0.0.1",
        port=port,
        authenticator=state.authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


class FixedRecipients(Recipients):
    """Gives one address without custody: the sender's transport is what is under test."""

    def __init__(self) -> None:
        pass

    def address(self, message: Outgoing) -> str:
        return "customer@example.com"


MESSAGE = Outgoing("ntf_1", "C1", "email", "en", "Security notice", "Beware of fake refunds.", "t")


def sender(port: int, **options: Any) -> SmtpSender:
    return SmtpSender(
        "127.0.0.1", port, "security@shop.example", FixedRecipients(), timeout=5, **options
    )


def test_login_over_plain_smtp_is_refused_and_the_password_never_leaves(relay: Relay) -> None:
    """A username without STARTTLS/implicit TLS: a clear error, no AUTH sent, no mail sent."""
    plain = sender(relay.port, username="shop", password=PASSWORD)
    with pytest.raises(ContactError) as err:
        plain.send(MESSAGE)
    assert err.value.code == "sender_misconfigured"
    assert "TLS" in str(err.value) and PASSWORD not in str(err.value)
    assert relay.logins == [] and relay.delivered == []


def test_mail_without_a_login_still_goes_over_plain_smtp(relay: Relay) -> None:
    """No credentials, nothing to protect: plain SMTP delivery keeps working."""
    sender(relay.port).send(MESSAGE)
    assert relay.delivered == [["customer@example.com"]] and relay.logins == []


def test_explicitly_allowed_insecure_login_still_works(relay: Relay) -> None:
    """``allow_insecure_auth`` is the operator's explicit opt-in: the login and mail go out."""
    sender(relay.port, username="shop", password=PASSWORD, allow_insecure_auth=True).send(MESSAGE)
    assert relay.logins == [(b"shop", PASSWORD.encode())]
    assert relay.delivered == [["customer@example.com"]]
