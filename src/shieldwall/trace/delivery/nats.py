"""Alerts published on a NATS subject (``shieldwall.alerts`` by default).

The message is the webhook's JSON document (:func:`~.ports.notice_body`) with the header
``Nats-Msg-Id: <event key>`` (the alert id; an escalation's ``<alert id>:escalated:<severity>``):
a JetStream stream that captures the subject stores each event once, however often a retry or
the outbox publishes it. A delivery counts once the server answered the flush that
follows the publish (it has the message; core NATS keeps it only for current subscribers).

nats-py is asyncio; this sink keeps its own event loop and connection, used only from the sink's
worker thread. A broken connection is dropped and opened again on the next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError

from shieldwall.trace.delivery.errors import DeliveryFailed
from shieldwall.trace.delivery.ports import AlertEvent, notice_body


async def _quiet(*_: object) -> None:
    """Connection callbacks: failures surface as :class:`DeliveryFailed`, not as log noise."""


class NatsSink:
    def __init__(self, url: str, subject: str = "shieldwall.alerts", *, timeout: float = 5.0):
        self.url = url
        self.subject = subject
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: Client | None = None
        host = url.split("://", 1)[-1].rsplit("@", 1)[-1]  # no user:password in a log line
        self._name = f"nats:{host}/{subject}"

    @property
    def name(self) -> str:
        return self._name

    def deliver(self, event: AlertEvent) -> None:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(
                asyncio.wait_for(self._publish(event), timeout=self.timeout)
            )
        except TimeoutError:
            self._drop()
            raise DeliveryFailed("timeout", retryable=True) from None
        except (NatsError, OSError) as exc:
            self._drop()
            raise DeliveryFailed(f"nats ({type(exc).__name__})", retryable=True) from None

    async def _publish(self, event: AlertEvent) -> None:
        if self._conn is None or not self._conn.is_connected:
            self._conn = await nats.connect(
                self.url,
                allow_reconnect=False,
                connect_timeout=max(1, round(self.timeout)),
                error_cb=_quiet,
                disconnected_cb=_quiet,
                closed_cb=_quiet,
                name="shieldwall-alerts",
            )
        await self._conn.publish(
            self.subject, notice_body(event), headers={"Nats-Msg-Id": event.key}
        )
        await self._conn.flush(timeout=max(1, round(self.timeout)))

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._loop is not None and not conn.is_closed:
            # It is broken already; the next attempt connects anew.
            with contextlib.suppress(NatsError, OSError, TimeoutError):
                self._loop.run_until_complete(asyncio.wait_for(conn.close(), self.timeout))

    def close(self) -> None:
        self._drop()
        if self._loop is not None:
            self._loop.close()
            self._loop = None
