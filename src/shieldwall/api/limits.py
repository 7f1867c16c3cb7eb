"""A request body size limit enforced while the body streams in (not after it is buffered)."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shieldwall.observe.logs import current_request_id


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuse bodies over ``limit_for(path)`` bytes with 413 problem+json."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _reject(send, limit)
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _reject(send, limit)


async def _reject(send: Send, limit: int) -> None:
    body: dict[str, object] = {
        "type": "urn:shieldwall:problem:payload_too_large",
        "title": "Content Too Large",
        "status": 413,
        "detail": f"request body exceeds {limit} bytes",
        "code": "payload_too_large",
        "field": "body",
        "errors": [{"field": "body", "reason": f"exceeds {limit} bytes"}],
    }
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
