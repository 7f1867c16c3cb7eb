"""Senders: the webhook (the store's notification gateway, usually SMS) and SMTP (e-mail).

Both resolve the customer's address only at send time, through :class:`Recipients`, which
decrypts the one field needed with custody's :class:`~shieldwall.custody.sealing.Sealer` and
appends an audit entry (``notify``) before the address is used. No address is ever logged, put
in an exception, or stored in the outbox: failures are recorded as short codes.

The webhook request is JSON, signed like this (receivers check it with
:func:`~shieldwall.core.signatures.verify_signature`)::

    X-Shieldwall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
    Idempotency-Key: <notification id>

A gateway answering 401, 403, 404 or 405, or an SMTP relay refusing our login or sender
address, means the configuration is wrong rather than the notification: the sender raises
:class:`~shieldwall.contact.errors.ContactError` (``sender_misconfigured``) and the run stops
with the notification back in the queue.

The secret is ``Keyring.secret("contact.webhook")`` (``shieldwall warn webhook-secret`` prints
it once for the gateway's configuration).
"""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import httpx

from shieldwall.contact.errors import ContactError
from shieldwall.contact.warnings.ports import Outgoing, SendFailed
from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.core.signatures import (
    SIGNATURE_HEADER,
    sign_body,
    verify_signature,  # noqa: F401 - receivers import it here
)
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.ports import AuditSink, CustodyStore
from shieldwall.custody.sealing import Sealer

# The trusted component that decrypts addresses to send warnings; named in the audit log.
WARNINGS_SENDER = Principal("contact.warnings", Role.SERVICE, "contact", "warnings sender")
FIELD_FOR_CHANNEL = {"sms": "phone", "email": "email"}
RETRYABLE_HTTP = frozenset({408, 425, 429})
# Answers that mean our configuration is wrong, not this notification: stop the run.
MISCONFIGURED_HTTP = frozenset({401, 403, 404, 405})


class Recipients:
    """Decrypts a customer's phone or e-mail for one notification, audited."""

    def __init__(self, store: CustodyStore, sealer: Sealer, audit: AuditSink, clock: Clock) -> None:
        self.store = store
        self.sealer = sealer
        self.audit = audit
        self.clock = clock

    def address(self, message: Outgoing) -> str:
        field = FIELD_FOR_CHANNEL[message.channel]
        with self.store.read() as tx:
            sealed = tx.get_customer(message.customer_id)
        has = sealed is not None and sealed.ciphertexts.get(field) is not None
        extra = {
            "notification_id": message.notification_id,
            "channel": message.channel,
            "trigger": message.trigger,
        }
        self.audit.append(
            [
                access_event(
                    self.clock.now(),
                    WARNINGS_SENDER,
                    Action.NOTIFY,
                    Decision.ALLOW if has else Decision.DENY,
                    "warning_notification" if has else "no_address",
                    channel="system",
                    purpose="customer_warning",
                    customer_ids=[message.customer_id],
                    fields={field: "clear"} if has else {},
                    extra=extra,
                )
            ]
        )
        if sealed is None or not has:
            raise SendFailed("no_address", retryable=False)
        value = self.sealer.open_customer(sealed, [field])[field]
        if not value:
            raise SendFailed("no_address", retryable=False)
        return value


class WebhookSender:
    """POSTs each warning as signed JSON to the store's notification gateway."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        recipients: Recipients,
        clock: Clock,
        *,
        channel: str = "sms",
        timeout: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self.secret = secret
        self.recipients = recipients
        self.clock = clock
        self.channel = channel
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, message: Outgoing) -> None:
        to = self.recipients.address(message)
        body = json.dumps(
            {
                "notification_id": message.notification_id,
                "customer_id": message.customer_id,
                "channel": message.channel,
                "to": to,
                "locale": message.locale,
                "subject": message.subject,
                "text": message.text,
                "trigger": message.trigger,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign_body(self.secret, body, int(self.clock.now().timestamp())),
            "Idempotency-Key": message.notification_id,
        }
        try:
            resp = self.client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise SendFailed("timeout", retryable=True) from None
        except httpx.HTTPError:
            raise SendFailed("network", retryable=True) from None
        if 200 <= resp.status_code < 300:
            return
        code = resp.status_code
        if code in MISCONFIGURED_HTTP:
            raise ContactError(
                f"the notification gateway answered HTTP {code}: check warnings.webhook_url and"
                " the webhook secret",
                code="sender_misconfigured",
            )
        raise SendFailed(f"http_{code}", retryable=code >= 500 or code in RETRYABLE_HTTP)

    def close(self) -> None:
        self.client.close()


class SmtpSender:
    """Sends each warning as a plain-text UTF-8 e-mail through an SMTP relay."""

    channel = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Recipients,
        *,
        starttls: bool = False,
        implicit_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        allow_insecure_auth: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = recipients
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.username = username
        self.password = password
        self.allow_insecure_auth = allow_insecure_auth
        self.timeout = timeout

    def send(self, message: Outgoing) -> None:
        to = self.recipients.address(message)
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(idstring=message.notification_id)
        mail["X-Shieldwall-Notification"] = message.notification_id
        mail.set_content(message.text, charset="utf-8")
        try:
            with self._connect() as smtp:
                if self.starttls and not self.implicit_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    self._check_tls(smtp)
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused) as exc:
            raise ContactError(
                f"the SMTP relay refused our login or sender (code {exc.smtp_code}): check the"
                " warnings.smtp_* settings",
                code="sender_misconfigured",
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [c for c, _ in exc.recipients.values()] or [550]
            raise SendFailed(f"smtp_{codes[0]}", retryable=400 <= codes[0] < 500) from None
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
            raise SendFailed(f"smtp_{code}", retryable=400 <= code < 500) from None
        except (smtplib.SMTPException, OSError):
            raise SendFailed("network", retryable=True) from None

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _check_tls(self, smtp: smtplib.SMTP) -> None:
        """Refuse to send credentials in clear: ``smtplib`` would send ``AUTH PLAIN`` (the
        password, base64-encoded) over a plain connection without a word."""
        if isinstance(smtp.sock, ssl.SSLSocket) or self.allow_insecure_auth:
            return
        raise ContactError(
            "refusing to send the SMTP login over a connection without TLS: set"
            " warnings.smtp_starttls or warnings.smtp_implicit_tls (or, on a trusted network"
            " only, warnings.smtp_allow_insecure_auth)",
            code="sender_misconfigured",
            field="contact.warnings.smtp_starttls",
        )
