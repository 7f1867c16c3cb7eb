"""Alerts POSTed as signed JSON to a URL (a SIEM's HTTP collector, a chat bridge, a pager).

The request::

    POST <url>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: <alert id>    (an escalation: <alert id>:escalated:<severity>)
    X-Shieldwall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

    {"type":"alert.raised","alert":{...Alert.to_notice()...}}
    {"type":"alert.escalated","escalated_to":"high","alert":{...}}

A receiver checks it with :func:`~shieldwall.core.signatures.verify_signature` (or the same few
lines in its own language: HMAC-SHA256 over the decimal timestamp, a dot and the raw body,
compared in constant time, the timestamp within five minutes). A retry of the same event keeps
its ``Idempotency-Key`` (also when the outbox re-sends it after a restart) and is signed again
with a fresh timestamp.

2xx is delivered; 408, 425, 429 and 5xx, timeouts and network errors are retried; any other
answer (400, 401, 403, 404, ...) is not: the receiver refuses the request as it is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from shieldwall.core.clock import Clock
from shieldwall.core.signatures import SIGNATURE_HEADER, sign_body
from shieldwall.trace.delivery.errors import DeliveryFailed
from shieldwall.trace.delivery.ports import AlertEvent, notice_body

RETRYABLE_HTTP = frozenset({408, 425, 429})


class WebhookSink:
    def __init__(
        self,
        url: str,
        secret: bytes,
        clock: Clock,
        *,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self._secret = secret
        self.clock = clock
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._name = f"webhook:{urlsplit(url).hostname or '?'}"

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:  # the secret and the URL's path (it may hold a token) stay out
        return f"WebhookSink({self._name})"

    def deliver(self, event: AlertEvent) -> None:
        body = notice_body(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": event.key,
            SIGNATURE_HEADER: sign_body(self._secret, body, int(self.clock.now().timestamp())),
        }
        try:
            resp = self.client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryFailed("timeout", retryable=True) from None
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"network ({type(exc).__name__})", retryable=True) from None
        code = resp.status_code
        if 200 <= code < 300:
            return
        raise DeliveryFailed(f"http_{code}", retryable=code >= 500 or code in RETRYABLE_HTTP)

    def close(self) -> None:
        self.client.close()
