"""Guard login-risk routes: the store's login service asks before checking a password and
reports the outcome after (roles: service, admin).

- ``POST /v1/logins/assess``   ``{account, ip, user_agent?, device_id?, password_sha1?}`` →
  ``{assessment_id, decision, score, probability, reasons, delay_ms, session_view,
  force_password_reset}``
- ``POST /v1/logins/outcome``  ``{assessment_id, success, account_known = true}`` →
  ``{assessment_id, recorded, session_view, force_password_reset}`` (the same fields whether
  the account exists or not); 404 for an unknown, expired or already reported assessment
- ``POST /v1/logins/step-up``  ``{account, ip?}`` → 204: the customer passed a step-up (second
  factor, SMS code, reset); ends the account's failure run, lifting the NIST cap
- ``POST /v1/logins/breach-import`` (admin) a combo list as the ``text/plain`` body, one
  ``login:password`` a line → ``{lines, accounts, tags}``: each account keeps keyed tags of
  its leaked password's tweaks (``breach_tweak``); all lines or none; a bad line is a 422
  naming its number, never its content

Bodies are never logged or echoed; accounts, addresses and password hashes reach the state only
as keyed HMAC tags. All three count against the ``logins`` rate limits (``api.rate_limits``).
On Redis, assessments and outcomes that arrive together go to the engine in batches
(:mod:`shieldwall.api.login_queue`), each request keeping its own answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shieldwall.api.bounds import Flag, IpAddress
from shieldwall.api.deps import require
from shieldwall.api.login_queue import LoginQueue
from shieldwall.api.problems import documented, problem
from shieldwall.api.ratelimit import enforce, host_of, limits_of
from shieldwall.api.responses import CodeReason, Out
from shieldwall.core.model import Principal, Role
from shieldwall.guard.passwords.errors import CorpusCorrupt
from shieldwall.guard.risk.breach import read_combos
from shieldwall.guard.risk.errors import BreachFileError
from shieldwall.guard.risk.model import Assessment, LoginAttempt, LoginOutcome, OutcomeResult
from shieldwall.wiring import Services

router = APIRouter(tags=["guard"])

T = TypeVar("T")
Caller = Annotated[Principal, Depends(require(Role.SERVICE, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
MAX_COMBO_BYTES = 16 * 1024 * 1024  # about 300,000 lines: larger lists go through the CLI


class AssessBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str = Field(min_length=1, max_length=320)
    ip: IpAddress
    user_agent: str | None = Field(None, max_length=1024)
    device_id: str | None = Field(None, max_length=200)
    password_sha1: str | None = Field(None, pattern=r"^[0-9a-fA-F]{40}$")


class OutcomeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessment_id: str = Field(min_length=1, max_length=64)
    success: Flag
    account_known: Flag = True


class StepUpBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str = Field(min_length=1, max_length=320)
    ip: IpAddress | None = None


class AssessmentOut(Out):
    """Allow, challenge or deny, with the score, its reasons and the delay to impose."""

    assessment_id: str
    decision: str
    score: float
    probability: float = Field(
        description="calibrated probability that the attempt is an attack (docs/guard.md)"
    )
    reasons: list[CodeReason]
    delay_ms: int
    session_view: str
    force_password_reset: bool


class BreachImportOut(Out):
    """What the import kept: lines used, accounts, tags (never a login or a password)."""

    lines: int
    accounts: int
    tags: int


class OutcomeOut(Out):
    """How the new session may see its data (the same fields whether the account exists)."""

    assessment_id: str
    recorded: bool
    session_view: str
    force_password_reset: bool


async def _run(request: Request, caller: Principal, fn: Callable[[], T]) -> T:
    """Count the request against the ``logins`` limits, then run ``fn``: here when both live in
    process (tens of microseconds: a thread hop would cost more), else both in one trip to the
    thread pool (a hop waits for a thread and the GIL, as long as a Redis round trip on a busy
    machine). A refused request runs nothing."""
    svc: Services = request.app.state.services

    def limited() -> T:
        enforce(request, "logins", caller)
        return fn()

    if svc.risk.state.blocking or limits_of(request).blocking:
        return await run_in_threadpool(limited)
    return limited()


def _batched(request: Request) -> bool:
    """Whether the state or the limits wait on the network (Redis): then assessments and
    outcomes go through the app's :class:`LoginQueue` s, in batches of what arrives together."""
    svc: Services = request.app.state.services
    return svc.risk.state.blocking or limits_of(request).blocking


@router.post("/v1/logins/assess", response_model=AssessmentOut)
async def assess(body: AssessBody, caller: Caller, request: Request) -> Any:
    """Score a login attempt before the password is checked."""
    svc: Services = request.app.state.services
    attempt = LoginAttempt(
        body.account, body.ip, body.user_agent, body.device_id, body.password_sha1
    )
    try:
        if _batched(request):
            # on Redis, with the requests that queued up behind the batch in flight
            queue: LoginQueue[LoginAttempt, Assessment] = request.app.state.assess_queue
            return (await queue.submit(host_of(request), caller, attempt)).as_dict()
        return (await _run(request, caller, lambda: svc.risk.assess(attempt))).as_dict()
    except CorpusCorrupt as exc:
        return problem(503, exc.code, exc.reason, instance=request.url.path)


@router.post("/v1/logins/outcome", response_model=OutcomeOut, responses=documented(404))
async def outcome(body: OutcomeBody, caller: Caller, request: Request) -> Any:
    """Record whether the password was right; say how the new session may see its data."""
    svc: Services = request.app.state.services
    if _batched(request):
        # on Redis, as assess: with the requests that queued up behind the batch in flight
        queue: LoginQueue[LoginOutcome, OutcomeResult] = request.app.state.outcome_queue
        item = LoginOutcome(body.assessment_id, body.success, body.account_known)
        return (await queue.submit(host_of(request), caller, item)).as_dict()
    result = await _run(
        request,
        caller,
        lambda: svc.risk.outcome(
            body.assessment_id, success=body.success, account_known=body.account_known
        ),
    )
    return result.as_dict()


@router.post("/v1/logins/step-up", status_code=204)
async def step_up(body: StepUpBody, caller: Caller, request: Request) -> Response:
    """The customer passed a step-up: end the account's (and the address's) failure run."""
    svc: Services = request.app.state.services
    await _run(request, caller, lambda: svc.risk.step_up(body.account, body.ip))
    return Response(status_code=204)


@router.post(
    "/v1/logins/breach-import",
    response_model=BreachImportOut,
    responses=documented(413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def breach_import(request: Request, caller: Admin) -> Any:
    """Import a combo list of the store's customers (``login:password`` lines, UTF-8)."""
    svc: Services = request.app.state.services
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_COMBO_BYTES:
            raise BreachFileError(
                f"the combo list exceeds {MAX_COMBO_BYTES} bytes: import it with the CLI",
                field="body",
                code="payload_too_large",
            )
        chunks.append(chunk)
    lines = b"".join(chunks).splitlines()
    del chunks

    def run() -> dict[str, int]:
        enforce(request, "logins", caller)
        combos = read_combos(lines, field="body")
        return svc.import_breach(combos, actor=caller, channel="api").as_dict()

    return await run_in_threadpool(run)
