"""Scam routes: score a script, report a scam, list campaigns and their victims.

Roles: scoring is open to every authenticated principal; customers' reports come through the
store app (``service``, which must name the customer) and agents report as ``agent``; campaigns
and victims are for ``admin``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from shieldwall.api.bounds import Id, Positive, Text, Timestamp
from shieldwall.api.deps import principal, require, services
from shieldwall.contact.scam.errors import ReportRejected
from shieldwall.contact.scam.reports import ReportInput
from shieldwall.contact.scam.scoring import OrderFacts
from shieldwall.core.model import Principal, Role
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1/scam", tags=["contact scam"])

Svc = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(principal)]
Reporter = Annotated[Principal, Depends(require(Role.SERVICE, Role.AGENT))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

# Field sizes are checked here only loosely (the service enforces the configured caps with
# field-level errors); these bounds keep absurd bodies from reaching it.
_MAX_TEXT = 1_000_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FactsIn(Strict):
    order_ids: list[Text] = Field(default_factory=list, max_length=50)
    items: list[Text] = Field(default_factory=list, max_length=50)
    amounts: list[Text] = Field(default_factory=list, max_length=50)


class ScoreIn(Strict):
    text: str = Field(max_length=_MAX_TEXT)
    lang: Literal["auto", "zh", "en"] = "auto"
    facts: FactsIn | None = None


class ReportIn(Strict):
    channel: str = Field(max_length=16)
    received_at: Timestamp
    text: str = Field("", max_length=_MAX_TEXT)
    sender: str | None = Field(None, max_length=1024)
    links: list[Text] = Field(default_factory=list, max_length=500)
    customer_id: str | None = Field(None, max_length=256)
    victim_phone: str | None = Field(None, max_length=64)
    caller_knew: list[Text] = Field(default_factory=list, max_length=20)


@router.post("/score")
def score(body: ScoreIn, svc: Svc, _: Caller) -> dict[str, Any]:
    """Score a script: ``score`` in [0, 1], ``label``, and every signal with its matched text."""
    facts = None
    if body.facts is not None:
        facts = OrderFacts(
            tuple(body.facts.order_ids), tuple(body.facts.items), tuple(body.facts.amounts)
        )
    result = svc.scam.scorer.score(body.text, body.lang, facts)
    return {**result.to_dict(), "normalized": result.normalized}


@router.post("/reports", status_code=201)
def report(body: ReportIn, svc: Svc, caller: Reporter) -> dict[str, Any]:
    """Report a suspicious call or message; returns the campaign it joined and its indicators."""
    if caller.role is Role.SERVICE and not body.customer_id:
        raise ReportRejected("the store app must name the reporting customer", field="customer_id")
    kind = "customer" if caller.role is Role.SERVICE else "agent"
    outcome = svc.scam.submit(
        ReportInput(
            channel=body.channel,
            received_at=body.received_at,
            text=body.text,
            sender=body.sender,
            links=tuple(body.links),
            customer_id=body.customer_id,
            victim_phone=body.victim_phone,
            caller_knew=tuple(body.caller_knew),
        ),
        reporter_kind=kind,
        reporter_id=caller.principal_id,
    )
    return outcome.to_dict()


@router.get("/campaigns")
def campaigns(
    svc: Svc,
    _: Admin,
    min_size: Positive = 1,
    since: Annotated[Timestamp | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """Campaigns, most recently active first."""
    found = svc.scam.campaigns(min_size=min_size, since=since, limit=limit)
    return {"campaigns": [c.to_dict() for c in found]}


@router.get("/campaigns/{campaign_id}")
def campaign(campaign_id: Id, svc: Svc, _: Admin) -> dict[str, Any]:
    return svc.scam.campaign(campaign_id).to_dict()


@router.get("/campaigns/{campaign_id}/victims")
def victims(campaign_id: Id, svc: Svc, _: Admin) -> dict[str, Any]:
    """Customers the campaign reached: first contact and what the caller knew."""
    return {"victims": [v.to_dict() for v in svc.scam.victims(campaign_id)]}
