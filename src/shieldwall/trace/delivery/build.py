"""The sinks and the dispatcher the settings describe (``trace.alerts``); no dispatcher when no
sink is configured."""

from __future__ import annotations

import socket

from shieldwall.config import (
    AlertDeliverySettings,
    NatsSinkSettings,
    SyslogSinkSettings,
    WebhookSinkSettings,
)
from shieldwall.core.clock import Clock
from shieldwall.trace.delivery.dispatch import AlertDispatcher, Backoff, Redelivery
from shieldwall.trace.delivery.nats import NatsSink
from shieldwall.trace.delivery.ports import AlertSink, DeliveryOutbox
from shieldwall.trace.delivery.syslog import SyslogFormat, SyslogSink
from shieldwall.trace.delivery.webhook import WebhookSink


def build_dispatcher(
    settings: AlertDeliverySettings,
    clock: Clock,
    outbox: DeliveryOutbox | None = None,
    sinks: list[AlertSink] | None = None,
) -> AlertDispatcher | None:
    """The dispatcher over ``sinks`` (default: :func:`build_sinks`), marking deliveries in
    ``outbox`` and re-sending what it holds, when given."""
    sinks = build_sinks(settings, clock) if sinks is None else sinks
    if not sinks:
        return None
    return AlertDispatcher(
        sinks,
        queue_size=settings.queue_size,
        backoff=Backoff(
            settings.max_attempts, settings.backoff_seconds, settings.max_backoff_seconds
        ),
        outbox=outbox,
        clock=clock,
        redelivery=Redelivery(
            settings.redeliver_after_seconds,
            settings.redeliver_interval_seconds,
            keep_delivered_seconds=settings.keep_delivered_days * 86_400.0,
        ),
    )


def build_sinks(settings: AlertDeliverySettings, clock: Clock) -> list[AlertSink]:
    sinks: list[AlertSink] = []
    for s in settings.sinks:
        if isinstance(s, WebhookSinkSettings):
            sinks.append(
                WebhookSink(s.url, settings.webhook_key(s), clock, timeout=s.timeout_seconds)
            )
        elif isinstance(s, SyslogSinkSettings):
            fmt = SyslogFormat(
                s.format, s.facility, s.hostname or socket.gethostname(), s.app_name, s.sd_id
            )
            sinks.append(
                SyslogSink(
                    s.host,
                    s.port,
                    transport=s.transport,
                    formatter=fmt,
                    max_udp_bytes=s.max_udp_bytes,
                    timeout=s.timeout_seconds,
                )
            )
        elif isinstance(s, NatsSinkSettings):
            sinks.append(NatsSink(s.url, s.subject, timeout=s.timeout_seconds))
    return sinks
