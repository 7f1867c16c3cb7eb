"""Guard password routes: the HIBP-compatible range API and the password check.

``GET /v1/pwnedpasswords/range/{prefix}`` answers exactly like api.pwnedpasswords.com (see
:mod:`shieldwall.guard.passwords.rangeapi`), so an HIBP client works once its base URL is
``https://<host>/v1/pwnedpasswords/``. HIBP's range API is anonymous; ours is authenticated like
every route. Besides our ``Authorization: Bearer`` and ``X-API-Key`` headers it accepts the key
in ``hibp-api-key``, the header HIBP's own authenticated API uses and that HIBP client libraries
already let callers set (pyhibp sends it on range requests too). Roles: service, admin, analyst.
Bad prefixes answer 400 with HIBP's message as the problem's ``detail``.

``POST /v1/passwords/check`` judges a candidate password (roles: service, admin). The body is
never logged or echoed; the password is a ``SecretStr`` so it cannot leak through a repr.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shieldwall.api.bounds import Day, Flag
from shieldwall.api.deps import authenticate, principal, require, services
from shieldwall.api.problems import problem
from shieldwall.core.model import Principal, Role
from shieldwall.custody.errors import AccessDenied
from shieldwall.guard.passwords.context import CustomerContext
from shieldwall.guard.passwords.errors import CorpusCorrupt
from shieldwall.guard.passwords.rangeapi import mode_kind, range_body, wants_padding
from shieldwall.wiring import Services

router = APIRouter(tags=["guard"])

RANGE_ROLES = frozenset({Role.SERVICE, Role.ADMIN, Role.ANALYST})
Svc = Annotated[Services, Depends(services)]
Checker = Annotated[Principal, Depends(require(Role.SERVICE, Role.ADMIN))]


async def range_caller(request: Request) -> Principal:
    """The caller of the range API: ``hibp-api-key``, else our usual headers."""
    key = request.headers.get("hibp-api-key")
    caller = await authenticate(request, key) if key else await principal(request)
    if caller.role not in RANGE_ROLES:
        raise AccessDenied(
            "this endpoint is for roles: admin, analyst, service", ["role_not_allowed"]
        )
    return caller


@router.get("/v1/pwnedpasswords/range/{prefix}")
async def pwned_range(
    prefix: str,
    request: Request,
    _: Annotated[Principal, Depends(range_caller)],
    mode: Annotated[str | None, Query(max_length=32)] = None,
    add_padding: Annotated[str | None, Header(alias="Add-Padding", max_length=16)] = None,
) -> Response:
    """``SUFFIX:COUNT`` lines for a 5-hex prefix, byte for byte as HIBP serves them."""
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


class CheckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: SecretStr = Field(max_length=4096)
    mfa: Flag = False
    customer_id: str | None = Field(None, max_length=64)
    context: ContextBody | None = None


@router.post("/v1/passwords/check")
def check_password(body: CheckBody, svc: Svc, caller: Checker, request: Request) -> Any:
    """Accept or reject a candidate password, with reasons in Chinese and English."""
    context = None
    if body.customer_id is not None:
        context = svc.passwords.customers.context_for(body.customer_id, caller, "api")
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
