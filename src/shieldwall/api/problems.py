"""RFC 9457 problem details: the one place where shieldwall errors become HTTP responses.

Every error response is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail``, and our extensions ``code`` (machine-readable), ``field`` and ``errors`` (a list of
``{field, reason}``), for denials ``reasons``, and ``request_id`` (the ``X-Request-ID`` of the
response, to find the request's log lines). No response echoes a submitted value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from shieldwall.api.ratelimit import RateLimited as RequestRateLimited
from shieldwall.audit.errors import AuditError, ProofError
from shieldwall.contact.errors import ContactError
from shieldwall.core.errors import ConfigError, ShieldwallError, StorageError
from shieldwall.custody.errors import (
    AccessDenied,
    AuthenticationFailed,
    Conflict,
    InvalidCiphertext,
    KeyFileError,
    KeyProviderError,
    NotFound,
    PolicyError,
    RateLimited,
    ValidationError,
)
from shieldwall.guard.errors import GuardError
from shieldwall.observe.logs import current_request_id
from shieldwall.respond.errors import (
    BundleError,
    CaseInvalid,
    CaseNotFound,
    EvidenceCorrupt,
    EvidenceDenied,
    EvidenceTooLarge,
    InvalidTransition,
    RespondConflict,
    RespondError,
    RespondInvalid,
    RespondNotFound,
)
from shieldwall.trace.errors import TraceError

PROBLEM_JSON = "application/problem+json"

# Most specific class first wins: the lookup walks the exception's MRO.
STATUS: dict[type[BaseException], int] = {
    RequestRateLimited: 429,
    ValidationError: 422,
    NotFound: 404,
    Conflict: 409,
    AuthenticationFailed: 401,
    AccessDenied: 403,
    RateLimited: 429,
    InvalidCiphertext: 500,
    KeyFileError: 503,
    KeyProviderError: 503,
    PolicyError: 503,
    StorageError: 503,
    ConfigError: 500,
    ProofError: 422,
    AuditError: 400,
    GuardError: 400,
    ContactError: 400,
    TraceError: 400,
    CaseInvalid: 422,
    CaseNotFound: 404,
    InvalidTransition: 409,
    EvidenceTooLarge: 413,
    EvidenceCorrupt: 500,
    EvidenceDenied: 403,
    BundleError: 400,
    RespondInvalid: 422,
    RespondNotFound: 404,
    RespondConflict: 409,
    RespondError: 400,
    ShieldwallError: 400,
}
# Codes that mean "bad input" whatever their class (capabilities' own validation errors).
CODE_STATUS = {
    "invalid_input": 422,
    "not_found": 404,
    "conflict": 409,
    "access_denied": 403,
    "unauthenticated": 401,
    "payload_too_large": 413,
    "text_too_long": 422,
}


# The problem document as OpenAPI describes it: what every error response of every operation is.
_STRING = {"type": "string"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": _STRING,
        "title": _STRING,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": _STRING,
        "code": _STRING,
        "field": _STRING,
        "instance": _STRING,
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": _STRING, "reason": _STRING},
            },
        },
        "reasons": {"type": "array", "items": _STRING},
        "request_id": _STRING,
    },
}
_DOCUMENTED = {
    400: "The request is malformed for this capability",
    401: "No API key, or an unknown or suspended one",
    403: "The caller's role or the policy refuses",
    404: "No such resource",
    409: "Conflicts with the current state",
    413: "The body is too large",
    429: "Too many requests from this key or address; retry after ``Retry-After`` seconds",
    422: "A field is invalid: ``field`` and ``errors`` name it and say why",
    503: "Storage or a key file is unavailable; retry after ``Retry-After`` seconds",
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
    for status, text in _DOCUMENTED.items()
}
"""Every error response an operation may document, by status."""


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses for ``statuses``, for a route's ``responses=``: the statuses its own
    logic adds to those :func:`shieldwall.api.app.document_errors` derives from its shape."""
    return {status: RESPONSES[status] for status in statuses}


def status_for(exc: ShieldwallError) -> int:
    if exc.code in CODE_STATUS and type(exc) not in STATUS:
        return CODE_STATUS[exc.code]
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    errors: Sequence[dict[str, str]] = (),
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:shieldwall:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = list(errors)
    elif field is not None:
        body["errors"] = [{"field": field, "reason": detail}]
    if instance:
        body["instance"] = instance
    if extra:
        body.update(extra)
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


_PYDANTIC_REASONS = {
    "extra_forbidden": "unknown field",
    "missing": "is required",
    "json_invalid": "is not valid JSON",
}


def install(app: FastAPI, routes: Iterable[BaseRoute] = ()) -> None:
    """Register the exception handlers that turn every error into a problem document;
    ``routes`` are those a 405's ``Allow`` lists methods from."""
    routes = tuple(routes)

    @app.exception_handler(ShieldwallError)
    async def _domain(request: Request, exc: ShieldwallError) -> JSONResponse:
        status = status_for(exc)
        extra: dict[str, Any] = {}
        headers: dict[str, str] = {}
        if isinstance(exc, AccessDenied | EvidenceDenied):
            extra["reasons"] = list(exc.reasons)
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="shieldwall"'
        if status == 503:
            headers["Retry-After"] = "1"
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
            extra["retry_after"] = round(exc.retry_after, 3)
        if isinstance(exc, RequestRateLimited):
            headers["Retry-After"] = str(max(1, exc.retry_after))
        detail = exc.reason if status != 500 else "internal error; see the server log"
        return problem(
            status,
            exc.code,
            detail,
            field=exc.field,
            instance=request.url.path,
            extra=extra,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _location(e.get("loc", ())),
                "reason": _PYDANTIC_REASONS.get(e.get("type", ""), e.get("msg", "invalid")),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "body", "reason": "invalid"}
        return problem(
            422,
            "invalid_input",
            f"{first['field']}: {first['reason']}",
            field=first["field"],
            errors=errors,
            instance=request.url.path,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            given = {m.strip() for m in headers.get("Allow", "").split(",") if m.strip()}
            headers["Allow"] = ", ".join(sorted(given | allowed_methods(request.scope, routes)))
        return problem(
            exc.status_code, code, str(exc.detail), instance=request.url.path, headers=headers
        )


def allowed_methods(scope: Scope, routes: Iterable[BaseRoute]) -> set[str]:
    """Every method one of ``routes`` serves at the request's path. Starlette's 405 names only
    the first route that matched the path, and ``GET`` and ``POST /v1/principals`` are two.
    As in OpenAPI, the most literal paths win: ``/v1/customers/lookup`` is its own resource
    (``POST``), though ``GET /v1/customers/{customer_id}`` would also match it."""
    by_params: dict[int, set[str]] = {}
    for route in routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                by_params.setdefault(len(route.param_convertors), set()).update(route.methods)
    return by_params[min(by_params)] if by_params else set()
