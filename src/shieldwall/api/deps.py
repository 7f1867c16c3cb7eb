"""Request dependencies: the services, the authenticated principal, role gates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from shieldwall.core.model import Principal, Role
from shieldwall.custody.errors import AccessDenied
from shieldwall.wiring import Services

# How OpenAPI names the two ways to present a key (``securitySchemes``), and the requirement
# every authenticated operation carries: either header will do.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearerKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "``Authorization: Bearer <API key>``",
    },
    "apiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "``X-API-Key: <API key>``",
    },
    "hibpApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "hibp-api-key",
        "description": "the header HIBP's clients send (the range API only)",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"bearerKey": []}, {"apiKeyHeader": []}]
ROLE_GATES: set[Callable[..., object]] = set()
"""The dependencies :func:`require` made (a route depending on one can answer 403)."""


async def services(request: Request) -> Services:
    """The assembled services. ``async`` though it awaits nothing: FastAPI runs a plain ``def``
    dependency in the thread pool, a thread hand-off per request for one attribute read."""
    return request.app.state.services  # type: ignore[no-any-return]


def presented_key(request: Request) -> str | None:
    """The key in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``, if any."""
    header = request.headers.get("authorization", "")
    return (
        header[7:].strip() if header[:7].lower() == "bearer " else request.headers.get("x-api-key")
    )


async def principal(request: Request) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``."""
    return await authenticate(request, presented_key(request))


async def authenticate(request: Request, key: str | None) -> Principal:
    """The principal owning ``key``. A cached key costs no thread hop; a cache miss reads the
    database in the thread pool."""
    principals = request.app.state.services.custody.principals
    cached: Principal | None = principals.authenticate_cached(key)
    found: Principal = (
        cached if cached is not None else await run_in_threadpool(principals.authenticate, key)
    )
    request.state.principal_id = found.principal_id  # for the access log line
    return found


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only principals with one of ``roles``."""
    allowed = frozenset(roles)

    async def gate(caller: Principal = Depends(principal)) -> Principal:
        if caller.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise AccessDenied(f"this endpoint is for roles: {names}", ["role_not_allowed"])
        return caller

    ROLE_GATES.add(gate)
    return gate
