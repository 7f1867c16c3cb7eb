"""Alert delivery errors: one class, :class:`DeliveryFailed`, under :class:`TraceError`.

Its ``reason`` is a short code (``timeout``, ``network``, ``http_503``) fit for a log line: no
URL (a webhook URL may hold a token), no payload, no address of a person.
"""

from __future__ import annotations

from shieldwall.trace.errors import TraceError


class DeliveryFailed(TraceError):
    """One attempt to deliver an alert to one sink failed; ``retryable`` says if trying again
    may help (a timeout, a 503) or not (a 400: the receiver refuses this request as it is)."""

    code = "alert_delivery_failed"

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable
