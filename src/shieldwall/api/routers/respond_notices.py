"""Breach notice routes: the deadline clock, a notice rendered (HTML or PDF), notifications
recorded and listed. Admins do everything; analysts read the clock and the records, without
the ids of the persons notified (they see customers by pseudonym only). A letter to a person
shows the masked name; rendering one is an audited access to the name."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from shieldwall.api.bounds import Cursor, Flag, Id, PageLimit, Timestamp
from shieldwall.api.deps import require, services
from shieldwall.api.responses import Out, PageOut
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import DEFAULT_LIMIT
from shieldwall.respond.notices.content import NoticeParams, check_params
from shieldwall.respond.notices.model import Audience, Channel, Format, Language, Regime, parse
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["respond"])

Svc = Annotated[Services, Depends(services)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Reader = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST))]
NOTICES = "/cases/{case_id}/notices"
MAX_CODES = 32
MAX_PERSONS = 10_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoticeIn(Strict):
    regime: Id = Field(description="pipl | gdpr")
    audience: Id = Field(description="authority | person")
    language: Id = Field("zh-CN", description="zh-CN | en")
    cause: Id | None = Field(None, description="a cause code (default: from the case's source)")
    measures: list[Id] = Field(
        default_factory=list, max_length=MAX_CODES, description="remedial measure codes"
    )
    kinds: list[Id] = Field(
        default_factory=list,
        max_length=MAX_CODES,
        description="kinds of personal information to add to those the case shows",
    )
    delay_reason: Id | None = Field(None, description="GDPR art. 33(1): why later than 72 h")


class RenderIn(NoticeIn):
    format: Id = Field("html", description="html | pdf")
    customer_id: Id | None = Field(None, description="the person (a notice to a person)")


class RecordIn(NoticeIn):
    channel: Id = Field(description="portal | email | post | sms | phone | in_person")
    customer_ids: list[Id] = Field(default_factory=list, max_length=MAX_PERSONS)
    all_affected: Flag = Field(False, description="every customer linked to the case")
    notified_at: Timestamp | None = Field(None, description="when it went out (default: now)")
    reference: Id | None = Field(None, description="the authority's reference for the report")


class DeadlineOut(Out):
    regime: str
    audience: str
    basis: str
    legal_deadline: bool
    discovered_at: str
    due_at: str
    notified_at: str | None
    elapsed_seconds: int
    remaining_seconds: int
    status: str


class ClockOut(Out):
    """The deadline clock from discovery, per law and audience."""

    case_id: str
    deadlines: list[DeadlineOut]


class RenderedOut(Out):
    """A notice rendered: the media type, the SHA-256 of its HTML form, its bytes (base64)."""

    media_type: str
    html_sha256: str
    content_base64: str


class NoticeRecordOut(Out):
    notice_id: str
    regime: str
    audience: str
    language: str
    channel: str
    customer_id: str | None
    notified_at: str
    recorded_by: str
    content_sha256: str


class RecordedOut(Out):
    """The records added, persons already notified, and the case's state afterwards."""

    records: list[NoticeRecordOut]
    already_notified: list[str]
    state: str
    moved_to_notified: bool
    note: str


def _kind(body: NoticeIn) -> tuple[Regime, Audience, Language]:
    return (
        parse(Regime, body.regime, "regime"),
        parse(Audience, body.audience, "audience"),
        parse(Language, body.language, "language"),
    )


def _params(body: NoticeIn) -> NoticeParams:
    return check_params(body.cause, body.measures, body.kinds, body.delay_reason)


@router.get(NOTICES + "/clock", response_model=ClockOut)
def notice_clock(case_id: Id, svc: Svc, _: Reader) -> dict[str, Any]:
    """Time since discovery, and what is due when: GDPR art. 33 (72 hours), art. 34 and PIPL
    art. 57 (immediately: the store's target)."""
    deadlines = svc.cases.notices.deadline_clock(case_id)
    return {"case_id": case_id, "deadlines": [d.as_dict() for d in deadlines]}


@router.post(NOTICES + ":render", response_model=RenderedOut)
def render_notice(case_id: Id, body: RenderIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """One notice (to the authority, or to one affected person by masked name) as HTML or
    PDF; nothing is recorded."""
    regime, audience, language = _kind(body)
    fmt = parse(Format, body.format, "format")
    rendered = svc.cases.notices.render(
        case_id,
        regime,
        audience,
        language,
        _params(body),
        fmt=fmt,
        customer_id=body.customer_id,
        actor=caller,
        channel="api",
    )
    return {
        "media_type": rendered.media_type,
        "html_sha256": rendered.html_sha256,
        "content_base64": base64.b64encode(rendered.content).decode(),
    }


@router.post(NOTICES, status_code=201, response_model=RecordedOut)
def record_notice(case_id: Id, body: RecordIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Record that a notice went out: to the authority (a contained case moves to
    ``notified``) or to persons (each once per case and law)."""
    regime, audience, language = _kind(body)
    recorded = svc.cases.notices.record(
        case_id,
        regime,
        audience,
        parse(Channel, body.channel, "channel"),
        language,
        _params(body),
        customer_ids=body.customer_ids,
        all_affected=body.all_affected,
        notified_at=body.notified_at,
        reference=body.reference,
        actor=caller,
        via="api",
    )
    return recorded.as_dict()


@router.get(NOTICES, response_model=PageOut[NoticeRecordOut])
def list_notices(
    case_id: Id,
    svc: Svc,
    caller: Reader,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """Who was notified, when, how and by whom, newest recorded first, a page at a time (the
    deadline clock is ``/clock``)."""
    page = svc.cases.notices.page(case_id, limit, cursor)
    records = [r.as_dict() for r in page.items]
    if caller.role is not Role.ADMIN:
        for r in records:
            r["customer_id"] = None
    return {"items": records, "next_cursor": page.next_cursor}
