"""Scam routes: score a script, report a scam, list campaigns and their victims.

Roles: scoring is open to every authenticated principal; customers' reports come through the
store app (``service``, which must name the customer) and agents report as ``agent``; campaigns
and victims are for ``admin``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from shieldwall.api.bounds import Cursor, Id, PageLimit, Positive, Text, Timestamp
from shieldwall.api.deps import principal, require, services
from shieldwall.api.problems import documented
from shieldwall.api.responses import Out, PageOut
from shieldwall.contact.scam.errors import ReportRejected
from shieldwall.contact.scam.reports import ReportInput
from shieldwall.contact.scam.scoring import OrderFacts
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import DEFAULT_LIMIT, Position, page_after
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


class ScoreOut(Out):
    """A script's score in [0, 1], its label, and every signal with the text it matched."""

    score: float
    label: str
    lang: str
    logit: float
    template: str | None
    signals: list[dict[str, Any]]
    normalized: str


class ReportOut(Out):
    """The campaign a report joined, why, and the indicators extracted from it."""

    report_id: str
    campaign_id: str
    campaign_size: int
    new_campaign: bool
    merged_campaigns: list[str]
    joined_by: list[dict[str, Any]]
    score: dict[str, Any]
    indicators: list[dict[str, Any]]
    rejected: list[dict[str, Any]]
    caller_knew: list[str]
    victims_linked: int
    replaced_chars: int


class CampaignOut(Out):
    campaign_id: str
    first_seen: str
    last_seen: str
    size: int
    max_score: float
    victims: int
    indicators: list[dict[str, Any]]
    sample: str


class VictimOut(Out):
    customer_id: str
    first_contact_at: str
    knew: list[str]
    reports: list[str]


@router.post("/score", response_model=ScoreOut)
def score(body: ScoreIn, svc: Svc, _: Caller) -> dict[str, Any]:
    """Score a script: ``score`` in [0, 1], ``label``, and every signal with its matched text."""
    facts = None
    if body.facts is not None:
        facts = OrderFacts(
            tuple(body.facts.order_ids), tuple(body.facts.items), tuple(body.facts.amounts)
        )
    result = svc.scam.scorer.score(body.text, body.lang, facts)
    return {**result.to_dict(), "normalized": result.normalized}


@router.post("/reports", status_code=201, response_model=ReportOut, responses=documented(404))
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


@router.get("/campaigns", response_model=PageOut[CampaignOut])
def campaigns(
    svc: Svc,
    _: Admin,
    min_size: Positive = 1,
    since: Annotated[Timestamp | None, Query()] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """Live campaigns active since ``since``, newest first (by creation, so that pages stay
    stable while reports arrive), a page at a time."""
    page = svc.scam.campaigns(min_size=min_size, since=since, limit=limit, cursor=cursor)
    return {"items": [c.to_dict() for c in page.items], "next_cursor": page.next_cursor}


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def campaign(campaign_id: Id, svc: Svc, _: Admin) -> dict[str, Any]:
    """One campaign (a merged campaign's id answers with the campaign it joined)."""
    return svc.scam.campaign(campaign_id).to_dict()


@router.get("/campaigns/{campaign_id}/victims", response_model=PageOut[VictimOut])
def victims(
    campaign_id: Id,
    svc: Svc,
    _: Admin,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """Customers the campaign reached: first contact and what the caller knew, latest first
    contact first, a page at a time."""
    page = page_after(
        f"campaign-victims:{campaign_id}",
        svc.scam.victims(campaign_id),
        limit,
        cursor,
        lambda v: Position(v.first_contact_at, v.customer_id),
    )
    return {"items": [v.to_dict() for v in page.items], "next_cursor": page.next_cursor}
