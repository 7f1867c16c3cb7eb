"""Health, metrics and the request log: ``/livez``, ``/readyz``, ``/metrics`` and
:class:`RequestObserver`, the outermost middleware.

- ``GET /livez``   200 ``{"status": "alive"}`` while the process serves at all (no auth)
- ``GET /readyz``  200 or 503 ``{"status": "ready"|"not_ready", "checks": {name: {ok, ms,
  reason?}}}`` over the database, Redis and NATS (when configured) and the keys (no auth; no
  connection string, host or exception text in the body)
- ``GET /metrics`` Prometheus text format; admin and monitor principals, or anyone when
  ``api.metrics_public`` (serve it then only on an internal listener)

Every response carries ``X-Request-ID`` (the caller's if it is a safe id, else a new one; see
:mod:`shieldwall.observe.logs`) and every request writes one access log line: method, route
template, status, duration, principal id. Never the path, query, headers or body.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shieldwall.api.deps import principal
from shieldwall.core.model import Role
from shieldwall.custody.errors import AccessDenied
from shieldwall.observe.health import (
    DatabaseCheck,
    KeysCheck,
    NatsCheck,
    ReadinessCheck,
    RedisCheck,
    run_checks,
)
from shieldwall.observe.logs import (
    REQUEST_ID_HEADER,
    EventLog,
    accept_request_id,
    request_id_var,
)
from shieldwall.observe.metrics import (
    AuditLogCollector,
    Exposition,
    PrometheusMetrics,
    process_metrics,
)
from shieldwall.wiring import Services

router = APIRouter(include_in_schema=False)
access_log = EventLog("shieldwall.access")
METRICS_ROLES = frozenset({Role.ADMIN, Role.MONITOR})
UNMATCHED = "unmatched"


@dataclass
class Observability:
    """What the observability routes and middleware share, one per app."""

    metrics: PrometheusMetrics
    exposition: Exposition
    checks: Sequence[ReadinessCheck]
    check_timeout: float
    check_limiter: anyio.CapacityLimiter
    metrics_public: bool


def observability(services: Services, *, worker: bool = False) -> Observability:
    """The checks the settings call for and the metrics of this process. A ``worker``'s
    readiness always includes the NATS server it consumes from (its default address when
    ``nats.url`` is unset); an API process checks NATS only when ``nats.url`` is set."""
    settings = services.settings
    timeout = settings.api.readiness_timeout_seconds
    checks: list[ReadinessCheck] = [DatabaseCheck(services.engine)]
    if settings.state_backend == "redis":
        checks.append(RedisCheck(settings.redis_url, timeout))
    if settings.nats.url or worker:
        checks.append(NatsCheck(settings.nats.address, timeout))
    checks.append(KeysCheck(services.custody.keyring))
    audit = services.audit

    def last_checkpoint() -> tuple[int, Any] | None:
        cp = audit.latest_checkpoint()
        return None if cp is None else (cp.tree_size, cp.ts)

    metrics = process_metrics()
    return Observability(
        metrics=metrics,
        exposition=Exposition(
            metrics,
            [AuditLogCollector(audit.size, last_checkpoint, services.clock.now)],
            settings.observe.metrics_dir,
        ),
        checks=checks,
        check_timeout=timeout,
        # A hung dependency holds a thread until its driver gives up: at most this many.
        check_limiter=anyio.CapacityLimiter(2 * len(checks)),
        metrics_public=settings.api.metrics_public,
    )


def _observability(request: Request) -> Observability:
    return request.app.state.observability  # type: ignore[no-any-return]


@router.get("/livez")
async def livez() -> JSONResponse:
    """The process is up and its event loop answers."""
    return JSONResponse({"status": "alive"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Every dependency answered within its bound (200), or not (503, naming which)."""
    obs = _observability(request)
    results = await run_checks(obs.checks, obs.check_timeout, obs.check_limiter)
    ready = all(r.ok for r in results)
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": {r.name: r.as_dict() for r in results},
    }
    return JSONResponse(
        body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"}
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text exposition (the audit-log gauges read the database, in a thread)."""
    obs = _observability(request)
    if not obs.metrics_public:
        caller = await principal(request)
        if caller.role not in METRICS_ROLES:
            raise AccessDenied("/metrics is for roles: admin, monitor", ["role_not_allowed"])
    body = await run_in_threadpool(obs.exposition.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def process_exited(obs: Observability) -> None:
    obs.exposition.process_exited(os.getpid())


class RequestObserver:
    """Outermost middleware: request id, HTTP metrics, the access log line, and a problem+json
    500 (with the request id, logged once without the exception's text) for an error nothing
    else handled."""

    def __init__(self, app: ASGIApp, metrics: PrometheusMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upstream = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                upstream = value.decode("latin-1")
                break
        rid = accept_request_id(upstream)
        token = request_id_var.set(rid)
        rid_header = (REQUEST_ID_HEADER.encode(), rid.encode())
        start = time.perf_counter()
        status = 500
        started = False

        async def observed_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            access_log.error("unhandled error", exc_info=True)
            if started:
                raise
            status = 500
            await _internal_error(send, rid, rid_header)
        finally:
            seconds = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.request(scope["method"], route, status, seconds)
            state = scope.get("state")
            access_log.log(
                40 if status >= 500 else 20,
                "request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 3),
                principal=state.get("principal_id") if state else None,
            )
            request_id_var.reset(token)


async def _internal_error(send: Send, rid: str, rid_header: tuple[bytes, bytes]) -> None:
    body = json.dumps(
        {
            "type": "urn:shieldwall:problem:internal_error",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "internal error; see the server log",
            "code": "internal_error",
            "request_id": rid,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                rid_header,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
