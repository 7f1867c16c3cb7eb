"""Contact-ledger routes: official numbers, the ledger of genuine contacts, the app's status
question, one-time codes, message tags, and the warnings queued to customers at risk.

The store app (role ``service``) asks ``/v1/me/contact-status`` on behalf of its logged-in
customer and names them as ``subject``, the way custody's ``account_self`` reads do. The
warnings outbox (``/v1/warnings``) is for ``admin``, like the scam campaigns and victims whose
customers it warns. No route takes or returns a customer's phone number or address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from shieldwall.api.bounds import Cursor, Id, PageLimit
from shieldwall.api.deps import principal, require, services
from shieldwall.api.problems import documented
from shieldwall.api.responses import Out, PageOut
from shieldwall.contact.ledger.errors import InvalidInput
from shieldwall.contact.ledger.ledger import contact_json, record_id
from shieldwall.contact.ledger.messages import display_tag
from shieldwall.contact.ledger.numbers import NumberCheck, OfficialNumber
from shieldwall.contact.warnings.listing import outbox_page
from shieldwall.contact.warnings.model import NotificationStatus
from shieldwall.contact.warnings.planner import make_trigger
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import DEFAULT_LIMIT, Position, page_after
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["contact"])

Svc = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
App = Annotated[Principal, Depends(require(Role.SERVICE))]
Desk = Annotated[Principal, Depends(require(Role.SERVICE, Role.AGENT))]
Handler = Annotated[Principal, Depends(require(Role.SERVICE, Role.AGENT, Role.ADMIN))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumberIn(Strict):
    number: str = Field(max_length=260)
    kind: str = Field(max_length=32)
    label: str | None = Field(None, max_length=200)


class ContactIn(Strict):
    customer_id: Id
    channel: str = Field(max_length=16)
    reason: str = Field(max_length=32)
    via: str | None = Field(None, max_length=260)
    agent_id: Id | None = None
    order_id: Id | None = None
    verification: str | None = Field(None, max_length=32)


class CodeIn(Strict):
    code: str = Field(max_length=32)


class SignIn(Strict):
    customer_id: Id
    text: str = Field(max_length=8000)


class VerifyIn(Strict):
    customer_id: Id
    text: str = Field(max_length=8000)
    tag: str | None = Field(None, max_length=32)


class NumberOut(Out):
    """An official number, range, SMS sender id or e-mail domain."""

    number: str
    form: str
    kind: str
    label: str | None
    range: bool
    created_at: str
    created_by: str


class NumberCheckOut(Out):
    normalized: str
    display: str
    form: str
    official: bool
    matched_by: str | None
    entry: dict[str, Any] | None


class ContactOut(Out):
    """A genuine contact as the store's systems see it (never the code the customer reads)."""

    contact_id: str
    state: str
    customer_id: str
    agent_id: str | None
    agent_name: str | None
    channel: str
    via: str | None
    reason: str
    order_id: str | None
    started_at: str
    live_until: str
    ended_at: str | None
    verification: str
    agent_reads_code: str | None
    customer_code_verified: bool


class CodeCheckOut(Out):
    contact_id: str
    verified: bool
    reason: str | None
    attempts_left: int | None


class StatusOut(Out):
    """Whether the store is contacting the customer now, in words for the app."""

    customer_id: str
    state: str
    reason: str
    checked_at: str
    message: dict[str, str]
    incoming: dict[str, Any] | None
    contacts: list[dict[str, Any]]


class SignedOut(Out):
    tag: str
    text: str
    window_start: str
    valid_until: str


class MessageCheckOut(Out):
    valid: bool
    reason: str | None
    signed_window_start: str | None
    valid_until: str | None


class WarningOut(Out):
    """A warning queued for a customer at risk (``Notification.to_dict``): ids, trigger,
    channel, priority score, delivery state and times; never an address or the text."""

    notification_id: str
    customer_id: str
    trigger: str = Field(description="``leak:<id>`` or ``campaign:<id>``")
    channel: str = Field(description="sms or email")
    status: str = Field(description="pending, sending, sent or dead")
    score: float
    attempts: int
    created_at: str
    next_attempt_at: str
    sent_at: str | None
    last_error: str | None = Field(description="a short code (http_503, no_address), no address")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _number(e: OfficialNumber) -> dict[str, Any]:
    return {
        "number": e.value,
        "form": e.form.value,
        "kind": e.kind.value,
        "label": e.label,
        "range": e.pattern,
        "created_at": e.created_at.isoformat(),
        "created_by": e.created_by,
    }


def _check(c: NumberCheck, region: str) -> dict[str, Any]:
    return {
        "normalized": c.point.value,
        "display": c.point.display(region),
        "form": c.point.form.value,
        "official": c.official,
        "matched_by": c.matched_by,
        "entry": None
        if c.entry is None
        else {"number": c.entry.value, "kind": c.entry.kind.value, "label": c.entry.label},
    }


@router.post("/numbers", status_code=201, response_model=NumberOut, responses=documented(409))
def add_number(body: NumberIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Register an official number, range (trailing X), SMS sender id or e-mail domain."""
    entry = svc.contact_ledger.numbers.add(caller, body.number, body.kind, body.label)
    return _number(entry)


@router.get("/numbers", response_model=PageOut[NumberOut])
def list_numbers(
    svc: Svc, _: Admin, limit: PageLimit = DEFAULT_LIMIT, cursor: Cursor | None = None
) -> dict[str, Any]:
    """Every registered official number, range, sender id and domain, newest first, a page at
    a time."""
    page = page_after(
        "numbers",
        svc.contact_ledger.numbers.list(),
        limit,
        cursor,
        lambda e: Position(e.created_at, e.value),
    )
    return {"items": [_number(e) for e in page.items], "next_cursor": page.next_cursor}


@router.get("/numbers/{number}", response_model=NumberCheckOut)
def check_number(
    svc: Svc, _: Caller, number: Annotated[str, Path(max_length=260)]
) -> dict[str, Any]:
    """Is this number, sender id, domain or address one of the store's? (Not: is this call.)"""
    check = svc.contact_ledger.numbers.check(number)
    return _check(check, svc.settings.custody.default_region)


@router.post("/contacts", status_code=201, response_model=ContactOut, responses=documented(404))
def register_contact(body: ContactIn, svc: Svc, caller: Desk) -> dict[str, Any]:
    """Register a genuine outbound contact starting now (before the agent dials)."""
    done = svc.contact_ledger.ledger.register(
        caller,
        customer_id=body.customer_id,
        channel=body.channel,
        reason=body.reason,
        via=body.via,
        agent_id=body.agent_id,
        order_id=body.order_id,
        verification=body.verification,
    )
    return contact_json(done.contact, svc.clock.now(), done.agent_code)


@router.get("/contacts/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: Id, svc: Svc, caller: Handler) -> dict[str, Any]:
    """A contact (agents see their own; the agent's code while it is live)."""
    contact, code = svc.contact_ledger.ledger.get(caller, contact_id)
    return contact_json(contact, svc.clock.now(), code)


@router.post("/contacts/{contact_id}/end", response_model=ContactOut, responses=documented(409))
def end_contact(contact_id: Id, svc: Svc, caller: Handler) -> dict[str, Any]:
    """End a contact now: it stops counting as live."""
    return contact_json(svc.contact_ledger.ledger.end(caller, contact_id), svc.clock.now())


@router.post(
    "/contacts/{contact_id}/verify", response_model=CodeCheckOut, responses=documented(409)
)
def verify_code(contact_id: Id, body: CodeIn, svc: Svc, caller: Desk) -> dict[str, Any]:
    """Check the code the customer read out from their app."""
    result = svc.contact_ledger.ledger.verify(caller, contact_id, body.code)
    return {
        "contact_id": contact_id,
        "verified": result.verified,
        "reason": result.reason,
        "attempts_left": result.attempts_left,
    }


@router.get("/me/contact-status", response_model=StatusOut)
def contact_status(
    svc: Svc,
    _: App,
    subject: Annotated[Id, Query(description="the logged-in customer")],
    incoming: Annotated[
        str | None,
        Query(max_length=260, description="the number on the customer's screen, or 'hidden'"),
    ] = None,
) -> dict[str, Any]:
    """Is the store contacting this customer now? For the store app, on behalf of ``subject``."""
    return svc.contact_ledger.ledger.status(subject, incoming).as_dict()


@router.post("/messages/sign", response_model=SignedOut)
def sign_message(body: SignIn, svc: Svc, _: App) -> dict[str, Any]:
    """Tag a message the store is about to send to a customer."""
    signed = svc.contact_ledger.messages.sign(record_id(body.customer_id, "customer_id"), body.text)
    return {
        "tag": display_tag(signed.tag),
        "text": signed.text,
        "window_start": signed.window_start.isoformat(),
        "valid_until": signed.valid_until.isoformat(),
    }


@router.post("/messages/verify", response_model=MessageCheckOut)
def verify_message(body: VerifyIn, svc: Svc, _: Caller) -> dict[str, Any]:
    """Did the store send this text to this customer, recently? Any principal may ask."""
    check = svc.contact_ledger.messages.verify(
        record_id(body.customer_id, "customer_id"), body.text, body.tag
    )
    return {
        "valid": check.valid,
        "reason": check.reason,
        "signed_window_start": _iso(check.signed_window_start),
        "valid_until": _iso(check.valid_until),
    }


@router.get("/warnings", response_model=PageOut[WarningOut])
def list_warnings(
    svc: Svc,
    _: Admin,
    leak: Annotated[str | None, Query(max_length=128, description="only this leak's")] = None,
    campaign: Annotated[
        str | None, Query(max_length=128, description="only this campaign's")
    ] = None,
    status: Annotated[
        Literal["pending", "sending", "sent", "dead"] | None, Query(description="only these")
    ] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """The warnings queued to customers at risk (``shieldwall warn plan``), newest queued
    first, a page at a time; at most one of ``leak`` and ``campaign``."""
    if leak is not None and campaign is not None:
        raise InvalidInput("give leak or campaign, not both", field="campaign")
    trigger = None
    if leak is not None:
        trigger = make_trigger("leak", leak)
    elif campaign is not None:
        trigger = make_trigger("campaign", campaign)
    page = outbox_page(
        svc.contact_ledger.outbox,
        trigger=trigger,
        status=None if status is None else NotificationStatus(status),
        limit=limit,
        cursor=cursor,
    )
    return {"items": [w.to_dict() for w in page.items], "next_cursor": page.next_cursor}
