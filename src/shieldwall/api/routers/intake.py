"""Batch intake routes: the events of the NATS intake, up to ``MAX_LIST`` (1,000) per call, for
stores without NATS. Same schemas, same idempotency by ``event_id`` (see intake/service.py):
resending a batch changes nothing and answers each event ``duplicate`` with its first result.

- ``POST /v1/logins/attempts:batch``  ``{events: [{event_id, account, ip, ...}]}`` (service, admin)
- ``POST /v1/logins/outcomes:batch``  ``{events: [{event_id, assessment_id, success, ...}]}``
- ``POST /v1/access:batch``           record reads done in the store's own systems (service,
  admin): audited and watched as reads through custody are
- ``POST /v1/scam/reports:batch``     scam reports (service, agent; the caller is the reporter)

Each answers ``{results: [{event_id, status, result | error}], processed, duplicates,
rejected}`` in the order of ``events``. A batch over the limit, or any event that does not
match its schema, is refused whole with 422 problem+json naming the field (``events.3.ip``):
nothing of it is processed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from shieldwall.api.bounds import MAX_LIST
from shieldwall.api.deps import require, services
from shieldwall.api.ratelimit import enforce
from shieldwall.api.responses import Out
from shieldwall.core.model import Principal, Role
from shieldwall.intake.events import (
    AccessReadEvent,
    Event,
    Kind,
    LoginAttemptEvent,
    LoginOutcomeEvent,
    ScamReportEvent,
)
from shieldwall.intake.service import EventResult
from shieldwall.wiring import Services, build_intake

router = APIRouter(prefix="/v1", tags=["intake"])

Svc = Annotated[Services, Depends(services)]
LoginService = Annotated[Principal, Depends(require(Role.SERVICE, Role.ADMIN))]
Reporter = Annotated[Principal, Depends(require(Role.SERVICE, Role.AGENT))]


class _Batch(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttemptBatch(_Batch):
    events: list[LoginAttemptEvent] = Field(min_length=1, max_length=MAX_LIST)


class OutcomeBatch(_Batch):
    events: list[LoginOutcomeEvent] = Field(min_length=1, max_length=MAX_LIST)


class AccessBatch(_Batch):
    events: list[AccessReadEvent] = Field(min_length=1, max_length=MAX_LIST)


class ReportBatch(_Batch):
    events: list[ScamReportEvent] = Field(min_length=1, max_length=MAX_LIST)


class EventError(Out):
    """Why one event was rejected (nothing of it was processed)."""

    code: str | None
    field: str | None
    reason: str | None


class EventResultOut(Out):
    """One event's result, in the order the events were sent."""

    event_id: str | None
    status: str = Field(
        description="processed, duplicate (the first delivery's result) or rejected"
    )
    result: dict[str, Any] | None = Field(None, description="the decision, when not rejected")
    error: EventError | None = Field(None, description="when rejected")


class BatchOut(Out):
    """Each event's result and the counts by status."""

    results: list[EventResultOut]
    processed: int
    duplicates: int
    rejected: int


def _answer(results: Sequence[EventResult]) -> dict[str, Any]:
    return {
        "results": [r.to_dict() for r in results],
        "processed": sum(r.status == "processed" for r in results),
        "duplicates": sum(r.status == "duplicate" for r in results),
        "rejected": sum(r.status == "rejected" for r in results),
    }


def _run(
    svc: Services, kind: Kind, events: Sequence[Event], caller: Principal | None = None
) -> dict[str, Any]:
    return _answer(build_intake(svc).process(kind, events, caller=caller))


@router.post("/logins/attempts:batch", response_model=BatchOut)
def attempts(body: AttemptBatch, svc: Svc, caller: LoginService, request: Request) -> Any:
    """Assess login attempts; each result is what ``/v1/logins/assess`` answers."""
    enforce(request, "logins", caller)
    return _run(svc, Kind.LOGIN_ATTEMPT, body.events)


@router.post("/logins/outcomes:batch", response_model=BatchOut)
def outcomes(body: OutcomeBatch, svc: Svc, caller: LoginService, request: Request) -> Any:
    """Record login outcomes; each result is what ``/v1/logins/outcome`` answers."""
    enforce(request, "logins", caller)
    return _run(svc, Kind.LOGIN_OUTCOME, body.events)


@router.post("/access:batch", response_model=BatchOut)
def access(body: AccessBatch, svc: Svc, _: LoginService) -> Any:
    """Audit record reads done in the store's own systems (principals shieldwall knows)."""
    return _run(svc, Kind.ACCESS, body.events)


@router.post("/scam/reports:batch", response_model=BatchOut)
def reports(body: ReportBatch, svc: Svc, caller: Reporter) -> Any:
    """Report suspicious calls or messages; each result names the campaign joined."""
    return _run(svc, Kind.SCAM_REPORT, body.events, caller)
