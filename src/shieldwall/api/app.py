"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from shieldwall import __version__
from shieldwall.api import docs, observe, problems
from shieldwall.api.bounds import single_valued_query
from shieldwall.api.deps import ROLE_GATES, SECURITY, SECURITY_SCHEMES, principal
from shieldwall.api.exposure_check import ResponseExposureCheck
from shieldwall.api.limits import BodyLimit
from shieldwall.api.login_queue import LoginQueue
from shieldwall.api.ratelimit import TAG_PURPOSE as RATE_LIMIT_PURPOSE
from shieldwall.api.ratelimit import RateLimits
from shieldwall.api.routers import (
    audit,
    contact_domains,
    contact_ledger,
    contact_scam,
    custody,
    discover,
    guard_passwords,
    guard_risk,
    intake,
    respond_cases,
    respond_money,
    respond_notices,
    trace_attribution,
    trace_releases,
    trace_watch,
)
from shieldwall.console import pages as console
from shieldwall.core.errors import ShieldwallError
from shieldwall.core.model import Principal
from shieldwall.discover.exposure import ExposureAlerts, load_routes
from shieldwall.respond.victims import MAX_BYTES as VICTIMS_MAX_BYTES
from shieldwall.storage.rate_limits import rate_limit_windows
from shieldwall.wiring import Services

IMPORT_PATHS = (
    "/v1/customers:import",
    "/v1/orders:import",
    "/v1/releases",
    "/v1/access:batch",
    "/v1/scam/reports:batch",
)
LEAK_PATHS = ("/v1/trace/file",)
VICTIMS_UPLOAD_PATH = "/v1/victims:upload"
# Starlette tries the routes in this order for every request, a few µs each (FastAPI 0.165's
# included routers: about 5 µs a route at load 4-6 on this 2-core machine, 0.21 ms for the 33
# routes that came before the login routes): the routes a store calls per login and per read
# come first. No two routers have paths that overlap, so the order changes nothing else.
ROUTERS = [
    guard_risk.router,
    custody.router,
    guard_passwords.router,
    audit.router,
    contact_domains.router,
    contact_ledger.router,
    contact_scam.router,
    trace_watch.router,
    trace_releases.router,
    trace_attribution.router,
    intake.router,
    respond_cases.router,
    respond_money.router,
    discover.router,
    respond_notices.router,
]

log = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Sync routes run in anyio's thread pool (40 threads by default). Dozens of CPU-bound threads
    # fight over the GIL in 5 ms slices and wreck tail latency; a few threads keep the CPU busy,
    # still give the audit log concurrent appends to commit together, and queue the rest fairly.
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = app.state.services.settings.api.worker_threads
    services: Services = app.state.services
    services.start_watch()  # the insider watch, when trace.watch.enabled
    if services.alert_delivery is not None:  # re-send what the outbox holds, now and periodically
        services.alert_delivery.start_redelivery()
    ticker = asyncio.create_task(_sign_idle_tail(services))
    try:
        yield
    finally:
        ticker.cancel()
        services.watch.stop()
        observe.process_exited(app.state.observability)
        if services.alert_delivery is not None:  # let queued alerts go out before exiting
            services.alert_delivery.close(services.settings.trace.alerts.close_timeout_seconds)


async def _sign_idle_tail(services: Services) -> None:
    """Every quarter of ``audit.checkpoint_seconds``, sign a checkpoint over entries that have
    waited that long for one (an idle log's tail would otherwise stay unsigned until the next
    append)."""
    interval = services.settings.audit.checkpoint_seconds / 4
    while True:
        await asyncio.sleep(interval)
        try:
            await anyio.to_thread.run_sync(services.audit.tick)
        except ShieldwallError as exc:  # the database away for a moment: try again next time
            log.warning("audit checkpoint tick failed: %s", exc)


# Statuses a route's own logic adds to those its shape implies (see document_errors).
RATE_LIMITED = {
    ("POST", "/v1/logins/assess"),
    ("POST", "/v1/logins/outcome"),
    ("POST", "/v1/logins/step-up"),
    ("POST", "/v1/passwords/check"),
    ("POST", "/v1/customers/lookup"),
    ("GET", "/range/{prefix}"),
    ("GET", "/v1/pwnedpasswords/range/{prefix}"),
}
# Custody's policy (not a role gate) decides these: it may refuse any caller.
POLICY_CHECKED = {
    ("POST", "/v1/customers/lookup"),
    ("GET", "/v1/customers/{customer_id}"),
    ("GET", "/v1/orders/{order_id}"),
    ("POST", "/v1/customers/{customer_id}/reveal"),
    ("POST", "/v1/orders/{order_id}/reveal"),
    ("POST", "/v1/customers/{customer_id}/break-glass"),
    ("POST", "/v1/relay/resolve"),
    ("GET", "/v1/audit/entries/{seq}"),
    ("GET", "/v1/audit/proofs/inclusion"),
    ("GET", "/range/{prefix}"),
    ("GET", "/v1/pwnedpasswords/range/{prefix}"),
}
# Capabilities whose own errors answer 400 (``problems.STATUS``); custody's answer 422.
BAD_REQUEST_TAGS = {"audit", "guard", "contact", "contact scam", "trace"}


def document_errors(routes: Iterable[BaseRoute]) -> None:
    """Give every operation the problem+json responses its shape implies, beside those it
    declares itself (``problems.documented``): 401 (every route checks a key) and 503
    (storage); 422 when it takes parameters or a body; 413 when it takes a body; 403 behind a
    role gate or custody's policy; 404 when a path names a resource; 429 when rate limited;
    400 for a body that does not parse and for the capabilities whose errors answer 400."""
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        parts = list(_dependants(route.dependant))
        path_params = any(d.path_params for d in parts)
        statuses = {401, 503}
        keys = {(method, route.path) for method in route.methods or ()}
        if path_params or any(d.query_params or d.header_params for d in parts):
            statuses.add(422)
        if route.body_field is not None:  # 400: a body that is not JSON at all
            statuses.update((400, 413, 422))
        if route.path in LEAK_PATHS:
            statuses.add(413)
        if any(d.call in ROLE_GATES for d in parts) or keys & POLICY_CHECKED:
            statuses.add(403)
        if path_params and route.response_class is not Response:
            statuses.add(404)
        if keys & RATE_LIMITED:
            statuses.add(429)
        if BAD_REQUEST_TAGS & {str(t) for t in route.tags}:
            statuses.add(400)
        for status in sorted(statuses):
            route.responses.setdefault(status, problems.RESPONSES[status])


def _dependants(dependant: Dependant) -> Iterable[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def openapi_document(app: FastAPI, routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI document of ``routes``: every operation requires an API key (``SECURITY``)
    unless it says otherwise (the range API, which anonymous callers may read)."""
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=routes
    )
    doc.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for item in doc["paths"].values():
        for operation in item.values():
            operation.setdefault("security", SECURITY)
    return doc


def create_app(services: Services) -> FastAPI:
    """Build the app around assembled services (the CLI's ``serve`` and the tests call this)."""
    app = FastAPI(
        lifespan=_lifespan,
        title="shieldwall",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description="Protects a store's customers from data leaks and the scams that follow.",
    )
    app.state.services = services
    app.state.rate_limits = RateLimits(
        services.settings.api.rate_limits,
        rate_limit_windows(services.settings),
        services.custody.keyring.secret(RATE_LIMIT_PURPOSE),
    )
    # on Redis, the login routes' concurrent requests go to the engine in batches
    app.state.assess_queue = LoginQueue(services.risk.assess_many, app.state.rate_limits)
    app.state.outcome_queue = LoginQueue(services.risk.outcome_many, app.state.rate_limits)
    app.state.observability = observe.observability(services)
    routes = [route for router in ROUTERS for route in router.routes]
    problems.install(app, routes=routes)
    document_errors(routes)  # before include_router, which wraps the routes
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(single_valued_query)])
    app.include_router(observe.router)  # probes and metrics: a few requests a minute
    documented = list(app.routes)  # the API's routes; the console's pages come after

    @cache  # built when first asked for: seconds of work that most apps (each test's) never need
    def document() -> dict[str, Any]:
        return openapi_document(app, documented)

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi(_: Principal = Depends(principal)) -> dict[str, Any]:
        """The OpenAPI document (authenticated like every other route)."""
        return document()

    console.install(app, services)  # the security team's pages at /console (shieldwall.console)
    api = services.settings.api
    if api.docs_enabled:
        docs.install(app)

    def limit_for(path: str) -> int:
        if path in LEAK_PATHS or path == console.LEAK_UPLOAD_PATH:
            return services.settings.trace.releases.max_upload_bytes
        if path.startswith("/v1/cases/") and path.endswith("/evidence"):
            return services.settings.respond.cases.max_evidence_bytes
        if path.startswith("/console/cases/") and path.endswith("/evidence"):  # with its form
            return services.settings.respond.cases.max_evidence_bytes + 64 * 1024
        if path == VICTIMS_UPLOAD_PATH:  # a victims CSV and its form fields
            return VICTIMS_MAX_BYTES + 64 * 1024
        return api.max_import_body_bytes if path in IMPORT_PATHS else api.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=limit_for)
    check = services.settings.discover
    if check.response_check_routes is not None:  # off by default: see api/exposure_check.py
        app.add_middleware(
            ResponseExposureCheck,
            routes=load_routes(check.response_check_routes),
            alerts=ExposureAlerts(services.raising_alerts, services.clock),
            max_bytes=check.response_check_max_bytes,
        )
    # Outermost (added last): every response, a 413 from BodyLimit too, gets its request id.
    app.add_middleware(observe.RequestObserver, metrics=app.state.observability.metrics)
    return app


def create_probe_app(services: Services) -> FastAPI:
    """``/livez``, ``/readyz`` and ``/metrics`` alone, authenticated and answered as the API's
    are (problem+json, request ids, the access line): what ``shieldwall worker --port`` serves
    beside its consumers, so a host that runs only workers can be probed and scraped."""
    app = FastAPI(
        title="shieldwall worker",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    app.state.observability = observe.observability(services, worker=True)
    problems.install(app, routes=observe.router.routes)
    app.include_router(observe.router)
    app.add_middleware(observe.RequestObserver, metrics=app.state.observability.metrics)
    return app
