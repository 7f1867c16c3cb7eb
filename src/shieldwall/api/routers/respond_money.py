"""Respond money routes: the victims register (``/v1/victims``), compensation claims
(``/v1/claims``) and the ledger (``/v1/ledger``).

Who may do what: admins (the security and risk team) register lists, decide and pay claims and
post recoveries; agents see victims, change their status and log contacts, and submit claims
for customers; the store app (``service``) submits claims; analysts read the ledger and
reports. Amounts are JSON integers of fen (a float or a string is refused). Every operation
that moves money takes an ``Idempotency-Key`` header: the same key and body return the original
posting (``200``, ``replayed: true``), a different body with it is ``409``.

No route takes or returns a phone number, name or ID number except the list upload, whose rows
are matched and dropped: the register keeps customer ids and keyed hashes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from python_multipart import create_form_parser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import Field as FormField
from python_multipart.multipart import File
from starlette.concurrency import run_in_threadpool

from shieldwall.api.bounds import Cursor, Id, PageLimit, Timestamp
from shieldwall.api.deps import require, services
from shieldwall.api.problems import documented
from shieldwall.api.responses import Out, PageOut
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import DEFAULT_LIMIT
from shieldwall.respond.claims import Posted
from shieldwall.respond.compensation import MAX_FEN, RejectReason, reject_reason
from shieldwall.respond.errors import RespondInvalid
from shieldwall.respond.victims import (
    MAX_BYTES,
    ContactChannel,
    ContactOutcome,
    Source,
    VictimRow,
    VictimStatus,
    check_row,
    choice,
    parse_csv,
)
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["respond"])

Svc = Annotated[Services, Depends(services)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Desk = Annotated[Principal, Depends(require(Role.ADMIN, Role.AGENT))]
Claimant = Annotated[Principal, Depends(require(Role.ADMIN, Role.AGENT, Role.SERVICE))]
Reader = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST))]
Fen = Annotated[StrictInt, Field(ge=1, le=MAX_FEN)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="a fresh key per operation (a UUID); retries reuse it",
    ),
]
MAX_ROWS = 10_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VictimIn(Strict):
    customer_id: str | None = Field(None, max_length=256)
    phone: str | None = Field(None, max_length=256)
    national_id: str | None = Field(None, max_length=256)
    name: str | None = Field(None, max_length=256)
    order_id: str | None = Field(None, max_length=256)
    loss_fen: Annotated[StrictInt, Field(ge=0, le=MAX_FEN)] | None = None


class VictimListIn(Strict):
    case_id: Id
    source: Id
    trace_ref: Id | None = None
    strict: StrictBool = True
    rows: list[VictimIn] = Field(min_length=1, max_length=MAX_ROWS)


class StatusIn(Strict):
    status: Id


class ContactIn(Strict):
    channel: Id
    outcome: Id
    at: Timestamp | None = None


class ClaimIn(Strict):
    case_id: Id
    customer_id: Id
    amount_fen: Fen
    evidence_ref: Id | None = None


class ApproveIn(Strict):
    amount_fen: Fen | None = None
    advance: StrictBool = False


class RejectIn(Strict):
    reason: Id


class PayIn(Strict):
    amount_fen: Fen


class CaseAmountIn(Strict):
    case_id: Id
    amount_fen: Fen


class ContactOut(Out):
    """A contact with a victim: when, the channel and the outcome (codes, no notes)."""

    contact_id: str
    at: str
    channel: str
    outcome: str


class VictimOut(Out):
    """A victim: the case, the matched customer (or none), the loss, status and contacts."""

    victim_id: str
    case_id: str
    customer_id: str | None
    matched: bool
    loss_fen: int | None
    status: str
    contacts: list[ContactOut]


class RegisterReportOut(Out):
    """What a victims list did: registered, matched, duplicates, rejected rows."""

    case_id: str
    committed: bool
    rows: int
    registered: int
    matched: int
    unmatched: int


class ClaimOut(Out):
    """A compensation claim in integer fen, with its status."""

    claim_id: str
    case_id: str
    customer_id: str
    amount_claimed_fen: int
    paid_fen: int
    status: str


class CaseReportOut(Out):
    """Money in a case: claimed, approved, paid, advanced, recovered; the open claims."""

    case_id: str
    claimed_fen: int
    approved_fen: int


class PostingOut(Out):
    """A balanced ledger posting: its entries in fen, kind, case and claim."""

    posting_id: str
    idempotency_key: str
    kind: str
    case_id: str | None
    total_fen: int
    entries: list[dict[str, Any]]


class PostedOut(Out):
    """A posting made (or, for a replayed idempotency key, the original one)."""

    replayed: bool
    posting: PostingOut
    claim: ClaimOut | None


class BalancesOut(Out):
    """Each account's balance in fen and their sum (always zero)."""

    balances: dict[str, int]
    trial_balance_fen: int


def _posted(result: Posted, response: Response) -> dict[str, Any]:
    response.status_code = 200 if result.replayed else 201
    return result.to_dict()


# victims --------------------------------------------------------------------------------------


@router.post("/victims:import", status_code=200, response_model=RegisterReportOut)
def import_victims(body: VictimListIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Register a victims list in a case: rows matched to customers through the blind
    indexes, duplicates reported, unmatched rows kept as keyed hashes. With ``strict`` (the
    default) one rejected row means nothing is registered (``committed: false``)."""
    region = svc.settings.custody.default_region
    rows: list[VictimRow] = []
    rejected = []
    for i, v in enumerate(body.rows):
        checked = check_row(
            i + 1, v.model_dump(exclude={"loss_fen"}), region=region, where=f"rows.{i}."
        )
        if isinstance(checked, VictimRow):
            rows.append(replace(checked, loss=v.loss_fen or 0))
        else:
            rejected.append(checked)
    report = svc.money.register.register(
        caller,
        body.case_id,
        rows,
        source=choice(Source, body.source, "source"),
        trace_ref=body.trace_ref,
        rejected=rejected,
        strict=body.strict,
    )
    return report.to_dict()


UPLOAD_FIELDS = frozenset({"case_id", "source", "trace_ref", "encoding", "partial"})
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and the form fields around the file


async def _read_form(request: Request) -> tuple[dict[str, str], bytes]:
    """A ``multipart/form-data`` body read as it streams, the file kept in memory (never
    spooled to disk: a victims list holds phones in clear) and at most ``MAX_BYTES``."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise RespondInvalid("must be multipart/form-data", field="content-type")
    fields: dict[str, str] = {}
    files: list[File] = []

    def on_field(f: FormField) -> None:
        name = (f.field_name or b"").decode("utf-8", "replace")
        if name not in UPLOAD_FIELDS or name in fields:
            raise RespondInvalid("unknown or repeated form field", field=name[:64] or "form")
        fields[name] = (f.value or b"").decode("utf-8", "replace")

    def on_file(f: File) -> None:
        if f.field_name != b"file" or files:
            raise RespondInvalid("one file, in the form field 'file'", field="file")
        files.append(f)

    config = {
        "MAX_MEMORY_FILE_SIZE": MAX_BYTES + UPLOAD_OVERHEAD,
        "MAX_FIELD_SIZE": 1024,
        "MAX_FIELDS": len(UPLOAD_FIELDS) + 1,
    }
    try:
        headers = {"Content-Type": content_type.encode()}
        parser = create_form_parser(headers, on_field, on_file, config)
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise RespondInvalid("is not a valid multipart/form-data body", field="body") from exc
    if not files:
        raise RespondInvalid("the form has no field 'file'", field="file")
    handle = files[0].file_object
    handle.seek(0)
    data = handle.read(MAX_BYTES + 1)
    files[0].close()
    return fields, data


@router.post(
    "/victims:upload",
    status_code=200,
    response_model=RegisterReportOut,
    responses=documented(404, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "case_id", "source"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "case_id": {"type": "string"},
                            "source": {"type": "string"},
                            "trace_ref": {"type": "string"},
                            "encoding": {"type": "string", "enum": ["utf-8", "gb18030"]},
                            "partial": {"type": "string", "enum": ["true", "false"]},
                        },
                    }
                }
            },
        }
    },
)
async def upload_victims(request: Request, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Register a victims list uploaded as a CSV file (``multipart/form-data``: ``file`` and
    the fields ``case_id``, ``source``, optional ``trace_ref``, ``encoding`` (utf-8 or
    gb18030) and ``partial``), the columns of ``shieldwall victims import``. A file that cannot
    be read, or (unless ``partial``) a row that is refused, is a 422 problem naming the line;
    with ``partial=true`` the good rows are registered and the refused ones listed."""
    fields, data = await _read_form(request)
    for name in ("case_id", "source"):
        if not fields.get(name):
            raise RespondInvalid("is required", field=name)
    partial = fields.get("partial", "false").lower()
    if partial not in ("true", "false"):
        raise RespondInvalid("must be true or false", field="partial")
    register = svc.money.register
    parsed = parse_csv(
        data,
        region=register.region,
        max_rows=register.max_rows,
        encoding=fields.get("encoding", "utf-8"),
    )
    if parsed.rejected and partial == "false":
        first = parsed.rejected[0]
        raise RespondInvalid(
            f"line {first.row}: {first.field or 'row'}: {first.reason}"
            f" ({len(parsed.rejected)} rows refused; nothing registered)",
            field="file",
        )
    report = await run_in_threadpool(
        register.register,
        caller,
        fields["case_id"],
        parsed.rows,
        source=choice(Source, fields["source"], "source"),
        trace_ref=fields.get("trace_ref") or None,
        rejected=parsed.rejected,
        strict=partial == "false",
        channel="api",
    )
    return report.to_dict()


@router.get("/victims", response_model=PageOut[VictimOut])
def list_victims(
    svc: Svc,
    _: Desk,
    case_id: Annotated[Id | None, Query()] = None,
    status: Annotated[Id | None, Query()] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """The victims registered, by case and status, newest first, a page at a time."""
    wanted = None if status is None else choice(VictimStatus, status, "status")
    page = svc.money.register.page(case_id, wanted, limit, cursor)
    return {"items": [v.to_dict() for v in page.items], "next_cursor": page.next_cursor}


@router.get("/victims/{victim_id}", response_model=VictimOut)
def get_victim(victim_id: Id, svc: Svc, _: Desk) -> dict[str, Any]:
    """One victim with their contact history."""
    return svc.money.register.get(victim_id).to_dict()


@router.post("/victims/{victim_id}/status", response_model=VictimOut)
def set_victim_status(victim_id: Id, body: StatusIn, svc: Svc, caller: Desk) -> dict[str, Any]:
    """Move a victim to another status (409 when the state machine refuses)."""
    status = choice(VictimStatus, body.status, "status")
    return svc.money.register.set_status(caller, victim_id, status).to_dict()


@router.post("/victims/{victim_id}/contacts", status_code=201, response_model=VictimOut)
def log_contact(victim_id: Id, body: ContactIn, svc: Svc, caller: Desk) -> dict[str, Any]:
    """Record a contact with a victim: when, the channel and the outcome (codes, no notes)."""
    return svc.money.register.log_contact(
        caller,
        victim_id,
        choice(ContactChannel, body.channel, "channel"),
        choice(ContactOutcome, body.outcome, "outcome"),
        at=body.at,
    ).to_dict()


# claims ---------------------------------------------------------------------------------------


@router.post("/claims", status_code=201, response_model=ClaimOut, responses=documented(404, 409))
def submit_claim(body: ClaimIn, svc: Svc, caller: Claimant) -> dict[str, Any]:
    """Submit a claim: customer, case, amount claimed in fen, evidence reference."""
    claim = svc.money.claims.submit(
        caller,
        case_id=body.case_id,
        customer_id=body.customer_id,
        amount=body.amount_fen,
        evidence_ref=body.evidence_ref,
    )
    return claim.to_dict()


@router.get("/claims", response_model=PageOut[ClaimOut])
def list_claims(
    svc: Svc,
    _: Desk,
    case_id: Annotated[Id | None, Query()] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """Claims in a case, or only the open ones, newest first, a page at a time."""
    page = svc.money.claims.page(case_id, open_only=open_only, limit=limit, cursor=cursor)
    return {"items": [c.to_dict() for c in page.items], "next_cursor": page.next_cursor}


@router.get("/claims:report", response_model=CaseReportOut)
def claims_report(svc: Svc, _: Reader, case_id: Annotated[Id, Query()]) -> dict[str, Any]:
    """Money in a case: claimed, approved, paid, advanced, recovered; the open claims."""
    return svc.money.claims.report(case_id).to_dict()


@router.get("/claims/{claim_id}", response_model=ClaimOut)
def get_claim(claim_id: Id, svc: Svc, _: Desk) -> dict[str, Any]:
    """One claim."""
    return svc.money.claims.get(claim_id).to_dict()


@router.post("/claims/{claim_id}/review", response_model=ClaimOut)
def review_claim(claim_id: Id, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Take a submitted claim under review."""
    return svc.money.claims.review(caller, claim_id).to_dict()


@router.post("/claims/{claim_id}/approve", status_code=201, response_model=PostedOut)
def approve_claim(
    claim_id: Id,
    body: ApproveIn,
    svc: Svc,
    caller: Admin,
    key: IdempotencyKey,
    response: Response,
) -> dict[str, Any]:
    """Approve (all or part of what was claimed) and post the liability; ``advance`` posts it
    to a receivable against the case (先行赔付) instead of expense."""
    result = svc.money.claims.approve(
        caller, claim_id, key=key, amount=body.amount_fen, advance=body.advance
    )
    return _posted(result, response)


@router.post("/claims/{claim_id}/reject", response_model=ClaimOut)
def reject_claim(claim_id: Id, body: RejectIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Reject a claim with a reason code."""
    reason: RejectReason = reject_reason(body.reason)
    return svc.money.claims.reject(caller, claim_id, reason).to_dict()


@router.post("/claims/{claim_id}/pay", status_code=201, response_model=PostedOut)
def pay_claim(
    claim_id: Id, body: PayIn, svc: Svc, caller: Admin, key: IdempotencyKey, response: Response
) -> dict[str, Any]:
    """Pay (all or part of) an approved claim; posted to the ledger once per idempotency key."""
    result = svc.money.claims.pay(caller, claim_id, key=key, amount=body.amount_fen)
    return _posted(result, response)


# ledger ---------------------------------------------------------------------------------------


@router.post(
    "/ledger/recoveries", status_code=201, response_model=PostedOut, responses=documented(409)
)
def post_recovery(
    body: CaseAmountIn, svc: Svc, caller: Admin, key: IdempotencyKey, response: Response
) -> dict[str, Any]:
    """The leaker or partner repaid part of what the store advanced in a case."""
    result = svc.money.claims.recover(caller, body.case_id, key=key, amount=body.amount_fen)
    return _posted(result, response)


@router.post(
    "/ledger/write-offs", status_code=201, response_model=PostedOut, responses=documented(409)
)
def post_write_off(
    body: CaseAmountIn, svc: Svc, caller: Admin, key: IdempotencyKey, response: Response
) -> dict[str, Any]:
    """What will not be recovered in a case becomes the store's expense."""
    result = svc.money.claims.write_off(caller, body.case_id, key=key, amount=body.amount_fen)
    return _posted(result, response)


@router.get("/ledger/balances", response_model=BalancesOut)
def ledger_balances(svc: Svc, _: Reader) -> dict[str, Any]:
    """Each account's balance in fen (debits minus credits) and their sum (always zero)."""
    balances = svc.money.claims.balances()
    return {"balances": balances, "trial_balance_fen": sum(balances.values())}


@router.get("/ledger/postings", response_model=PageOut[PostingOut])
def ledger_postings(
    svc: Svc,
    _: Reader,
    case_id: Annotated[Id | None, Query()] = None,
    claim_id: Annotated[Id | None, Query()] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """Ledger postings of a case or a claim, newest first, a page at a time."""
    page = svc.money.claims.postings_page(case_id, claim_id, limit, cursor)
    return {"items": [p.to_dict() for p in page.items], "next_cursor": page.next_cursor}
