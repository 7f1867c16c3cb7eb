"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from shieldwall import __version__
from shieldwall.api import observe, problems
from shieldwall.api.deps import principal
from shieldwall.api.limits import BodyLimit
from shieldwall.api.ratelimit import TAG_PURPOSE as RATE_LIMIT_PURPOSE
from shieldwall.api.ratelimit import RateLimits
from shieldwall.api.routers import (
    audit,
    contact_domains,
    contact_ledger,
    contact_scam,
    custody,
    guard_passwords,
    guard_risk,
    respond_money,
    trace_attribution,
    trace_releases,
    trace_watch,
)
from shieldwall.core.errors import ShieldwallError
from shieldwall.core.model import Principal
from shieldwall.storage.rate_limits import rate_limit_storage
from shieldwall.wiring import Services

IMPORT_PATHS = ("/v1/customers:import", "/v1/orders:import", "/v1/releases")
LEAK_PATHS = ("/v1/trace/file",)
ROUTERS = [
    custody.router,
    audit.router,
    guard_passwords.router,
    guard_risk.router,
    contact_domains.router,
    contact_ledger.router,
    contact_scam.router,
    trace_watch.router,
    trace_releases.router,
    trace_attribution.router,
    respond_money.router,
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
    ticker = asyncio.create_task(_sign_idle_tail(services))
    try:
        yield
    finally:
        ticker.cancel()
        services.watch.stop()
        observe.process_exited(app.state.observability)


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
        rate_limit_storage(services.settings),
        services.custody.keyring.secret(RATE_LIMIT_PURPOSE),
    )
    app.state.observability = observe.observability(services)
    problems.install(app, routes=[route for router in ROUTERS for route in router.routes])
    app.include_router(observe.router)
    for router in ROUTERS:
        app.include_router(router, responses=problems.RESPONSES)

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi(_: Principal = Depends(principal)) -> dict[str, Any]:
        """The OpenAPI document (authenticated like every other route)."""
        return get_openapi(title=app.title, version=app.version, routes=app.routes)

    api = services.settings.api

    def limit_for(path: str) -> int:
        if path in LEAK_PATHS:
            return services.settings.trace.releases.max_upload_bytes
        return api.max_import_body_bytes if path in IMPORT_PATHS else api.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=limit_for)
    # Outermost (added last): every response, a 413 from BodyLimit too, gets its request id.
    app.add_middleware(observe.RequestObserver, metrics=app.state.observability.metrics)
    return app
