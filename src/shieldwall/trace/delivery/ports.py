"""What a receiver of alerts implements. Sinks are called from their own worker thread, one
alert at a time, so a sink needs no locking of its own."""

from __future__ import annotations

from typing import Protocol

from shieldwall.core.alerts import Alert


class AlertSink(Protocol):
    @property
    def name(self) -> str:
        """A label for logs (``webhook:hooks.example.com``): a host, never a path or secret."""
        ...

    def deliver(self, alert: Alert) -> None:
        """Deliver one alert, or raise :class:`~.errors.DeliveryFailed`."""
        ...

    def close(self) -> None:
        """Release connections; called once, after the last delivery."""
        ...
