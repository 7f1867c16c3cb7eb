"""Incident case routes: open, list, show, move, assign and link cases; receive, list and read
evidence. Admins do everything; analysts may list and show cases, without the ids of the
customers affected (analysts see customers by pseudonym only). Reading evidence needs a
reason and is audited; a bundle for a third party is exported with the CLI."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shieldwall.api.bounds import Cursor, Flag, Id, PageLimit
from shieldwall.api.deps import require, services
from shieldwall.api.responses import Out, PageOut
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import DEFAULT_LIMIT, Position, page_after
from shieldwall.custody.policy import REASON_MAX
from shieldwall.respond.errors import EvidenceTooLarge
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["respond"])

Svc = Annotated[Services, Depends(services)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Reader = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST))]
EVIDENCE_PATH = "/cases/{case_id}/evidence"
MAX_LINK_IDS = 10_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseIn(Strict):
    source: Id = Field(description="alert, victims_trace, leak_trace, canary_hit, ...")
    source_ref: Id | None = Field(None, description="the source's id (none for manual)")
    owner_id: Id | None = None


class TransitionIn(Strict):
    to: Id


class AssignIn(Strict):
    owner_id: Id


class LinksIn(Strict):
    principal_ids: list[Id] = Field(default_factory=list, max_length=MAX_LINK_IDS)
    release_ids: list[Id] = Field(default_factory=list, max_length=MAX_LINK_IDS)
    customer_ids: list[Id] = Field(default_factory=list, max_length=MAX_LINK_IDS)
    suspend: Flag = Field(False, description="suspend the principals (custody's machinery)")


class ReasonIn(Strict):
    reason: str = Field(max_length=REASON_MAX)


class CaseSourceOut(Out):
    kind: str
    ref: str | None


class CaseOut(Out):
    """An incident case: its state, source, owner, links, timeline and evidence records."""

    case_id: str
    state: str
    source: CaseSourceOut
    owner_id: str | None
    opened_by: str
    opened_at: str
    updated_at: str


class LinksOut(Out):
    """The links added by this call."""

    added: list[dict[str, Any]]


class EvidenceOut(Out):
    """An evidence record: what was received, by whom and when, its hash and receipt entry."""

    evidence_id: str
    case_id: str
    kind: str
    media_type: str
    size: int
    received_by: str
    received_at: str
    receipt_seq: int | None


class OpenedEvidenceOut(Out):
    """An evidence item opened: its record, the audit entry of this access and its bytes."""

    evidence: EvidenceOut
    access_seq: int | None
    content_base64: str


@router.post("/cases", status_code=201, response_model=CaseOut)
def open_case(body: CaseIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Open a case from an alert, a trace result, a canary hit, a scam campaign or by hand."""
    case = svc.cases.cases.open(
        body.source, body.source_ref, owner_id=body.owner_id, actor=caller, channel="api"
    )
    return case.as_dict()


@router.get("/cases", response_model=PageOut[CaseOut])
def list_cases(
    svc: Svc,
    _: Reader,
    state: Annotated[str | None, Query(max_length=16)] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """Cases, newest first, a page at a time."""
    page = svc.cases.cases.page(state, limit, cursor)
    return {"items": [c.as_dict() for c in page.items], "next_cursor": page.next_cursor}


@router.get("/cases/{case_id}", response_model=CaseOut)
def show_case(case_id: Id, svc: Svc, caller: Reader) -> dict[str, Any]:
    """The case with its links, timeline and evidence records, and its notice deadlines."""
    file = svc.cases.cases.get(case_id).as_dict(customer_ids=caller.role is Role.ADMIN)
    deadlines = svc.cases.notices.deadline_clock(case_id)
    return {**file, "notice_deadlines": [d.as_dict() for d in deadlines]}


@router.post("/cases/{case_id}/transition", response_model=CaseOut)
def transition_case(case_id: Id, body: TransitionIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Move the case to another state (409 when the state machine does not allow it)."""
    return svc.cases.cases.transition(case_id, body.to, actor=caller, channel="api").as_dict()


@router.post("/cases/{case_id}/assign", response_model=CaseOut)
def assign_case(case_id: Id, body: AssignIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Give the case an owner: an active admin or analyst."""
    return svc.cases.cases.assign(case_id, body.owner_id, actor=caller, channel="api").as_dict()


@router.post("/cases/{case_id}/links", response_model=LinksOut)
def link_case(case_id: Id, body: LinksIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Link principals (suspending them with ``suspend``), releases revoked and customers
    affected; returns the links added."""
    added = svc.cases.cases.link(
        case_id,
        principals=body.principal_ids,
        releases=body.release_ids,
        customers=body.customer_ids,
        suspend=body.suspend,
        actor=caller,
        channel="api",
    )
    return {"added": [link.as_dict() for link in added]}


@router.post(EVIDENCE_PATH, status_code=201, response_model=EvidenceOut)
async def add_evidence(
    case_id: Id,
    request: Request,
    svc: Svc,
    caller: Admin,
    kind: Annotated[str, Query(max_length=16)],
    name: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    """Receive an evidence item sent as the raw request body; its ``Content-Type`` is kept as
    its media type and ``name`` only for its suffix. Hashed and sealed at receipt."""
    limit = svc.settings.respond.cases.max_evidence_bytes
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise EvidenceTooLarge(f"evidence exceeds {limit} bytes", field="content")
        chunks.append(chunk)
    media = request.headers.get("content-type", "application/octet-stream").split(";")[0]
    record = await run_in_threadpool(
        svc.cases.evidence.add,
        case_id,
        b"".join(chunks),
        kind=kind,
        media_type=media,
        name=name,
        actor=caller,
        channel="api",
    )
    return record.as_dict()


@router.get(EVIDENCE_PATH, response_model=PageOut[EvidenceOut])
def list_evidence(
    case_id: Id,
    svc: Svc,
    _: Admin,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """The case's evidence records (not their contents), newest first, a page at a time."""
    page = page_after(
        f"evidence:{case_id}",
        svc.cases.evidence.items(case_id),
        limit,
        cursor,
        lambda e: Position(e.received_at, e.evidence_id),
    )
    return {"items": [e.as_dict() for e in page.items], "next_cursor": page.next_cursor}


@router.post(EVIDENCE_PATH + "/{evidence_id}/read", response_model=OpenedEvidenceOut)
def read_evidence(
    case_id: Id, evidence_id: Id, body: ReasonIn, svc: Svc, caller: Admin
) -> dict[str, Any]:
    """Open one item (an audited access: the reason's length is recorded, not its text); the
    bytes come back base64-encoded with the audit entry of the access."""
    opened = svc.cases.evidence.read(
        case_id, evidence_id, reason=body.reason, actor=caller, channel="api"
    )
    return {
        "evidence": opened.record.as_dict(),
        "access_seq": opened.access_seq,
        "content_base64": base64.b64encode(opened.content).decode(),
    }
