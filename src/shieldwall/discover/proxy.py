"""A reverse proxy in front of a store's API that flags responses carrying undeclared data.

Every request is forwarded to ``upstream`` unchanged (hop-by-hop headers dropped) with httpx,
and the response comes back unchanged: the proxy observes, it does not block. A response of at
most ``max_body_bytes`` whose content type is JSON or text is analyzed after it is read
(:func:`.exposure.found_types`); personal data of a type its route does not declare raises or
grows the route's alert (:class:`.exposure.ExposureAlerts`). Bodies are never logged or stored.
"""

from __future__ import annotations

from collections import Counter

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.exposure import ExposureAlerts, RouteTable, found_types, undeclared
from shieldwall.discover.model import DataType

HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length",
        "content-encoding",
    }
)  # fmt: skip
CHECKED_TYPES = ("json", "text/")
DEFAULT_MAX_BODY = 4 << 20


class ExposureProxy:
    """The proxy's behaviour; :func:`proxy_app` puts it behind Starlette."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        routes: RouteTable,
        alerts: ExposureAlerts,
        analyzer: Analyzer | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.client = client
        self.routes = routes
        self.alerts = alerts
        self.analyzer = analyzer or Analyzer(min_confidence=0.5)
        self.max_body_bytes = max_body_bytes
        self.checked = 0
        self.flagged = 0

    async def handle(self, request: Request) -> Response:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        upstream = await self.client.request(
            request.method,
            request.url.path,
            params=list(request.query_params.multi_items()),
            headers=headers,
            content=await request.body(),
        )
        body = upstream.content  # httpx has decoded any content-encoding
        content_type = upstream.headers.get("content-type", "")
        if len(body) <= self.max_body_bytes and any(t in content_type for t in CHECKED_TYPES):
            await anyio.to_thread.run_sync(self._check, request, body, content_type, upstream)
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(body, status_code=upstream.status_code, headers=out_headers)

    def _check(
        self, request: Request, body: bytes, content_type: str, upstream: httpx.Response
    ) -> None:
        self.checked += 1
        route, declared = self.routes.declared(request.method, request.url.path)
        text = body.decode(upstream.encoding or "utf-8", errors="replace")
        extra: Counter[DataType] = undeclared(
            found_types(text, content_type, self.analyzer), declared
        )
        if extra:
            self.flagged += 1
            self.alerts.report(route, declared, extra, upstream.status_code)


def proxy_app(proxy: ExposureProxy) -> Starlette:
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", proxy.handle, methods=methods)])
