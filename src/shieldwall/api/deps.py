"""Request dependencies: the services, the authenticated principal, role gates."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request

from shieldwall.core.model import Principal, Role
from shieldwall.custody.errors import AccessDenied
from shieldwall.wiring import Services


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def principal(request: Request) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``."""
    header = request.headers.get("authorization", "")
    key = (
        header[7:].strip() if header[:7].lower() == "bearer " else request.headers.get("x-api-key")
    )
    svc: Services = request.app.state.services
    return svc.custody.principals.authenticate(key)


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only principals with one of ``roles``."""
    allowed = frozenset(roles)

    def gate(caller: Principal = Depends(principal)) -> Principal:
        if caller.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise AccessDenied(f"this endpoint is for roles: {names}", ["role_not_allowed"])
        return caller

    return gate
