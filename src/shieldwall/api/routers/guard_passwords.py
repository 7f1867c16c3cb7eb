"""Guard password routes: the HIBP-compatible range API and the password check.

``GET /range/{prefix}`` (and ``GET /v1/pwnedpasswords/range/{prefix}``) answer exactly like
api.pwnedpasswords.com (see :mod:`shieldwall.guard.passwords.rangeapi`), so an HIBP client works
unchanged once its base URL is ``https://<host>/`` (or ``https://<host>/v1/pwnedpasswords/``).
Like HIBP's, the range API answers without a key (``guard.passwords.anonymous_range``, on by
default; such reads are limited per client address). A key, when sent, must be valid: our
``Authorization: Bearer`` and ``X-API-Key`` headers, or ``hibp-api-key``, the header HIBP's own
authenticated API uses. Keyed roles: service, admin, analyst. Bad prefixes answer 400 with
HIBP's message as the problem's ``detail``.

``POST /v1/passwords/check`` judges a candidate password (roles: service, admin). The body is
never logged or echoed; the password is a ``SecretStr`` so it cannot leak through a repr. With
``customer_id`` the check also looks for the customer's name, phone, ID and birthday; that needs
the customer's own session (a service naming them as ``subject``) or a stated ``reason``, is
audited, and is limited per principal and customer (``api.rate_limits``).

Every route here counts against its group's rate limits (429 with ``Retry-After``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shieldwall.api.bounds import Day, Flag
from shieldwall.api.deps import SECURITY, authenticate, presented_key, require, services
from shieldwall.api.problems import documented, problem
from shieldwall.api.ratelimit import enforce, enforce_async, limits_of
from shieldwall.api.responses import Out
from shieldwall.core.model import Principal, Role
from shieldwall.custody.errors import AccessDenied
from shieldwall.custody.policy import REASON_MAX
from shieldwall.guard.passwords.context import CustomerContext
from shieldwall.guard.passwords.errors import CorpusCorrupt
from shieldwall.guard.passwords.rangeapi import mode_kind, range_body, wants_padding
from shieldwall.wiring import Services

router = APIRouter(tags=["guard"])

RANGE_ROLES = frozenset({Role.SERVICE, Role.ADMIN, Role.ANALYST})
Svc = Annotated[Services, Depends(services)]
Checker = Annotated[Principal, Depends(require(Role.SERVICE, Role.ADMIN))]


async def range_caller(request: Request) -> Principal | None:
    """The caller of the range API: ``hibp-api-key``, else our usual headers; ``None`` for a
    request without a key when anonymous range reads are on."""
    key = request.headers.get("hibp-api-key") or presented_key(request)
    svc: Services = request.app.state.services
    if not key and svc.settings.guard.passwords.anonymous_range:
        return None
    caller = await authenticate(request, key)
    if caller.role not in RANGE_ROLES:
        raise AccessDenied(
            "this endpoint is for roles: admin, analyst, service", ["role_not_allowed"]
        )
    return caller


# Anonymous (``{}``) when ``guard.passwords.anonymous_range`` is on, else any of our key headers.
RANGE_SECURITY = [{}, *SECURITY, {"hibpApiKey": []}]
RANGE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "``SUFFIX:COUNT`` lines (CRLF), as api.pwnedpasswords.com serves them",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    **documented(400),
}


@router.get(
    "/range/{prefix}",
    response_class=Response,
    responses=RANGE_DOC,
    openapi_extra={"security": RANGE_SECURITY},
)
@router.get(
    "/v1/pwnedpasswords/range/{prefix}",
    response_class=Response,
    responses=RANGE_DOC,
    openapi_extra={"security": RANGE_SECURITY},
)
async def pwned_range(
    prefix: str,
    request: Request,
    caller: Annotated[Principal | None, Depends(range_caller)],
    mode: Annotated[str | None, Query(max_length=32)] = None,
    add_padding: Annotated[str | None, Header(alias="Add-Padding", max_length=16)] = None,
) -> Response:
    """``SUFFIX:COUNT`` lines for a 5-hex prefix, byte for byte as HIBP serves them."""
    await enforce_async(request, "range", caller)
    svc: Services = request.app.state.services
    try:
        body = range_body(
            svc.passwords.corpora, prefix, kind=mode_kind(mode), pad=wants_padding(add_padding)
        )
    except CorpusCorrupt as exc:
        return problem(503, exc.code, exc.reason, instance=request.url.path)
    return Response(body, media_type="text/plain")


class ContextBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    national_id: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=320)
    birthday: Day | None = None


class VerdictOut(Out):
    """Accepted or not, with every reason in Chinese and English."""

    accepted: bool
    reasons: list[dict[str, str]]
    length: int
    min_length: int
    breach_count: int | None
    guess_score: int | None


class CheckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: SecretStr = Field(max_length=4096)
    mfa: Flag = False
    customer_id: str | None = Field(None, max_length=64)
    subject: str | None = Field(None, max_length=64)  # the logged-in customer a service acts for
    reason: str | None = Field(None, max_length=REASON_MAX)  # why a customer is checked otherwise
    context: ContextBody | None = None


@router.post("/v1/passwords/check", response_model=VerdictOut, responses=documented(404))
def check_password(body: CheckBody, svc: Svc, caller: Checker, request: Request) -> Any:
    """Accept or reject a candidate password, with reasons in Chinese and English."""
    enforce(request, "password_check", caller)
    context = None
    if body.customer_id is not None:
        limits_of(request).hit("password_check.customer", caller.principal_id, body.customer_id)
        context = svc.passwords.customers.context_for(
            body.customer_id,
            caller,
            "api",
            subject=body.subject,
            reason=body.reason,
            need_basis=True,
        )
    if body.context is not None:
        given = body.context.model_dump(exclude_none=True)
        base = context or CustomerContext()
        context = CustomerContext(
            name=given.get("name", base.name),
            phone=given.get("phone", base.phone),
            national_id=given.get("national_id", base.national_id),
            email=given.get("email", base.email),
            birthday=given.get("birthday", base.birthday),
        )
    try:
        verdict = svc.passwords.checker.check(
            body.password.get_secret_value(), mfa=body.mfa, context=context
        )
    except CorpusCorrupt as exc:
        return problem(503, exc.code, exc.reason, instance=request.url.path)
    return verdict.as_dict()
