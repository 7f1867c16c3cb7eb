"""The webhook sink's request (body, headers, signature) and how it reads each answer."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import ManualClock
from shieldwall.trace.delivery.errors import DeliveryFailed
from shieldwall.trace.delivery.ports import AlertEvent
from shieldwall.trace.delivery.webhook import WebhookSink

SECRET = b"0123456789abcdef-secret"
ALERT = Alert(
    alert_id="alr_7",
    kind="break_glass",
    principal_id="sec-admin",
    severity=Severity.HIGH,
    score=1.0,
    reasons=(Reason("break_glass", "break-glass access"),),
    raised_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    customer_ids=("C-77",),
)


def sink(handler: httpx.MockTransport) -> WebhookSink:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC))
    return WebhookSink(
        "https://hooks.example.com/p/t0ken", SECRET, clock, client=httpx.Client(transport=handler)
    )


def test_request_is_signed_json_with_an_idempotency_key() -> None:
    """Body {"alert": notice, "type": "alert.raised"}; HMAC over "<t>." + body, by hand."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    sink(httpx.MockTransport(handler)).deliver(AlertEvent.raised(ALERT))
    (req,) = seen
    body = req.content
    assert json.loads(body) == {"type": "alert.raised", "alert": ALERT.to_notice()}
    assert req.headers["idempotency-key"] == "alr_7"
    mac = hmac.new(SECRET, b"1772442005." + body, hashlib.sha256).hexdigest()
    assert req.headers["x-shieldwall-signature"] == f"t=1772442005,v1={mac}"
    assert b"C-77" not in body


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (401, False), (404, False), (408, True), (429, True), (500, True), (503, True)],
)
def test_answers_other_than_2xx_fail_retryable_or_not(status: int, retryable: bool) -> None:
    """Timeouts, 408, 425, 429 and 5xx are worth retrying; other refusals are not."""
    s = sink(httpx.MockTransport(lambda _: httpx.Response(status)))
    with pytest.raises(DeliveryFailed) as err:
        s.deliver(AlertEvent.raised(ALERT))
    assert err.value.reason == f"http_{status}" and err.value.retryable is retryable


def test_network_errors_are_retryable_and_name_no_url() -> None:
    """A refused connection or a timeout: retryable, the reason a short code."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused to https://hooks.example.com/p/t0ken")

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out")

    for handler, reason in ((refuse, "network (ConnectError)"), (slow, "timeout")):
        s = sink(httpx.MockTransport(handler))
        with pytest.raises(DeliveryFailed) as err:
            s.deliver(AlertEvent.raised(ALERT))
        assert err.value.reason == reason and err.value.retryable
    assert s.name == "webhook:hooks.example.com" and "t0ken" not in repr(s)
