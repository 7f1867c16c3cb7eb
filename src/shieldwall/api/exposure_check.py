"""The discover response check on shieldwall's own API (``discover.response_check_routes``).

An ASGI middleware: it holds each JSON response of at most ``max_bytes``, analyzes it
(:func:`shieldwall.discover.exposure.found_types`) against the personal data its route declares,
raises or grows the route's ``api_overexposure`` alert when it carries more, then sends the
response unchanged. Other responses (not JSON, larger, streamed past the bound) pass as they
come. Off unless the setting names a routes file.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.exposure import ExposureAlerts, RouteTable, found_types, undeclared


class ResponseExposureCheck:
    def __init__(
        self, app: ASGIApp, *, routes: RouteTable, alerts: ExposureAlerts, max_bytes: int
    ) -> None:
        self.app = app
        self.routes = routes
        self.alerts = alerts
        self.max_bytes = max_bytes
        self.analyzer = Analyzer(min_confidence=0.5)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        state: MutableMapping[str, Any] = {"checking": False, "size": 0, "status": 0}

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                content_type = headers.get(b"content-type", b"").decode("latin-1")
                state["checking"] = "json" in content_type
                state["status"] = message["status"]
            if not state["checking"]:
                await _flush(held, send)
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body":
                state["size"] += len(message.get("body", b""))
                if state["size"] > self.max_bytes:
                    state["checking"] = False
                    await _flush(held, send)
                elif not message.get("more_body", False):
                    body = b"".join(m.get("body", b"") for m in held[1:])
                    await anyio.to_thread.run_sync(self._check, scope, body, state["status"])
                    await _flush(held, send)

        await self.app(scope, receive, hold)

    def _check(self, scope: Scope, body: bytes, status: int) -> None:
        route, declared = self.routes.declared(scope["method"], scope["path"])
        text = body.decode("utf-8", errors="replace")
        extra = undeclared(found_types(text, "application/json", self.analyzer), declared)
        if extra:
            self.alerts.report(route, declared, extra, status)


async def _flush(held: list[Message], send: Send) -> None:
    for message in held:
        await send(message)
    held.clear()
