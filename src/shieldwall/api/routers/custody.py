"""Custody routes: import, lookup, reads, reveals, break-glass, tickets, couriers, relay, keys.

Personal data never travels in a URL (URLs end up in access logs): lookups and reveals are POSTs
with a JSON body; reads name only ids in the path and query.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from shieldwall.api.bounds import MAX_LIST, Cursor, Flag, Id, Int, PageLimit, Text, Timestamp
from shieldwall.api.deps import principal, require, services
from shieldwall.api.problems import documented
from shieldwall.api.responses import Out, PageOut
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import DEFAULT_LIMIT, NO_TIME, Position, page_after
from shieldwall.custody.errors import AccessDenied, ValidationError
from shieldwall.custody.importer import ImportReport, RowError
from shieldwall.custody.vault import RecordView
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["custody"])

Svc = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Writer = Annotated[Principal, Depends(require(Role.ADMIN, Role.SERVICE))]
Dispatcher = Annotated[Principal, Depends(require(Role.ADMIN, Role.SERVICE, Role.AGENT))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Import rows take ``Text`` where ``Id`` would fit: the importer reports a bad value as a row
# error (and imports the other rows unless all_or_nothing), which a 422 for the request would not.
class CustomerIn(Strict):
    customer_id: Text
    name: Text
    phone: Text
    email: Text | None = None
    address: Text | None = None
    national_id: Text | None = None


class CustomerImport(Strict):
    customers: list[CustomerIn] = Field(min_length=1, max_length=100_000)
    all_or_nothing: Flag = True


class ItemIn(Strict):
    sku: Text
    title: Text
    quantity: Int
    unit_price_cents: Int


class OrderIn(Strict):
    order_id: Text
    customer_id: Text
    items: list[ItemIn] = Field(max_length=MAX_LIST)
    amount_cents: Int
    status: Text
    created_at: Timestamp
    delivery_address: Text | None = None
    paid_at: Timestamp | None = None
    shipped_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    refunded_at: Timestamp | None = None


class OrderImport(Strict):
    orders: list[OrderIn] = Field(min_length=1, max_length=100_000)
    all_or_nothing: Flag = True


class Lookup(Strict):
    by: Literal["phone", "email", "national_id"]
    value: str = Field(max_length=320)
    purpose: Id
    ticket_id: Id | None = Field(None, description="agents: an open ticket")
    subject: Id | None = Field(None, description="service: the customer")
    reason: str | None = Field(None, max_length=500, description="admins investigating")


class Reveal(Strict):
    field: Id
    purpose: Id
    reason: str = Field(max_length=500)
    ticket_id: Id | None = None
    subject: Id | None = None


class BreakGlass(Strict):
    reason: str = Field(max_length=500)


class TicketIn(Strict):
    agent_id: Id
    customer_id: Id
    order_id: Id | None = None


class AssignmentIn(Strict):
    courier_id: Id
    order_id: Id


class StatusIn(Strict):
    status: Id


class GrantIn(Strict):
    partner_id: Id
    customer_ids: list[Id] = Field(min_length=1, max_length=100_000)
    fields: list[Id] = Field(min_length=1, max_length=MAX_LIST)
    release_id: Id | None = None
    expires_at: Timestamp | None = None


class RelayIn(Strict):
    number: str = Field(max_length=32)
    courier_id: Id | None = None


class PrincipalIn(Strict):
    principal_id: Id
    role: Id
    unit: Text | None = None
    display_name: Text | None = None


class RowProblem(Out):
    row: int
    field: str | None
    code: str
    reason: str


class ImportOut(Out):
    """What an import did: rows imported and rejected (with row, field and reason), warnings."""

    total: int
    imported: int
    rejected: int
    committed: bool
    errors: list[RowProblem]
    warned: int
    warnings: list[RowProblem]


class LookupOut(Out):
    customer_ids: list[str]


class FieldOut(Out):
    view: str = Field(description="clear, masked, hidden, ...")
    value: Any = Field(description="the value as this view shows it; null when hidden")


class RecordOut(Out):
    """A customer or order as the caller may see it, each field in its view, with the audit
    entry that logged the read (and, for break-glass or risky reads, what else happened)."""

    customer_id: str | None = None
    order_id: str | None = None
    ticket_id: str | None = None
    fields: dict[str, FieldOut]
    reasons: list[str]
    audit_seq: int


class RevealedOut(Out):
    field: str
    view: str
    value: str | None
    audit_seq: int


class TicketOut(Out):
    ticket_id: str
    agent_id: str
    customer_id: str
    order_id: str | None
    status: str
    opened_at: str
    expires_at: str
    closed_at: str | None


class AssignmentOut(Out):
    assignment_id: str
    courier_id: str
    order_id: str


class OrderStatusOut(Out):
    order_id: str
    status: str


class GrantedOut(Out):
    granted: int


class RelayOut(Out):
    """Where the call connects; ``target_e164`` only for the telephony switch."""

    connect: bool
    relay_number: str
    courier_id: str
    order_id: str
    customer_id: str
    target: str
    expires_at: str | None
    target_e164: str | None = None


class NewPrincipalOut(Out):
    """The new principal and its API key (shown once)."""

    principal_id: str
    role: str
    unit: str | None
    api_key: str


class PrincipalStatusOut(Out):
    principal_id: str
    role: str
    active: bool


class PrincipalOut(Out):
    principal_id: str
    role: str
    unit: str | None
    active: bool
    display_name: str | None = None


class MeOut(Out):
    principal_id: str
    role: str
    unit: str | None


def _report(report: ImportReport) -> dict[str, Any]:
    def err(e: RowError) -> dict[str, Any]:
        return {"row": e.line, "field": e.field, "code": e.code, "reason": e.reason}

    return {
        "total": report.total,
        "imported": report.imported,
        "rejected": report.rejected,
        "committed": report.committed,
        "errors": [err(e) for e in report.errors],
        "warned": report.warned,
        "warnings": [err(e) for e in report.warnings],
    }


def _numbered(rows: list[Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(n, r.model_dump(mode="json", exclude_none=True)) for n, r in enumerate(rows, start=1)]


@router.post("/customers:import", status_code=200, response_model=ImportOut)
def import_customers(body: CustomerImport, svc: Svc, caller: Writer) -> dict[str, Any]:
    """Import customers; with ``all_or_nothing`` one rejected row means nothing is written."""
    report = svc.custody.importer.customers(
        _numbered(body.customers), all_or_nothing=body.all_or_nothing, actor=caller, channel="api"
    )
    return _report(report)


@router.post("/orders:import", status_code=200, response_model=ImportOut)
def import_orders(body: OrderImport, svc: Svc, caller: Writer) -> dict[str, Any]:
    """Import orders; with ``all_or_nothing`` one rejected row means nothing is written."""
    report = svc.custody.importer.orders(
        _numbered(body.orders), all_or_nothing=body.all_or_nothing, actor=caller, channel="api"
    )
    return _report(report)


@router.post("/customers/lookup", response_model=LookupOut, responses=documented(404))
def lookup(body: Lookup, svc: Svc, caller: Caller) -> dict[str, Any]:
    """Find customers by phone, e-mail or ID number through the blind index (no decryption),
    within the caller's relationship (see ``Vault.lookup``); 403 for couriers and partners,
    429 with Retry-After past the per-principal lookup limit."""
    ids = svc.custody.vault.lookup(
        caller,
        body.purpose,
        body.by,
        body.value,
        ticket_id=body.ticket_id,
        subject=body.subject,
        reason=body.reason,
        channel="api",
    )
    return {"customer_ids": ids}


@router.get("/customers/{customer_id}", response_model=RecordOut)
def read_customer(
    customer_id: Id,
    svc: Svc,
    caller: Caller,
    purpose: Annotated[Id, Query()],
    ticket_id: Annotated[Id | None, Query()] = None,
    subject: Annotated[Id | None, Query()] = None,
    risky: Annotated[bool, Query()] = False,
    reason: Annotated[str | None, Header(alias="X-Access-Reason", max_length=500)] = None,
) -> JSONResponse:
    """A customer as the caller may see it; the read is in the audit log before this returns."""
    view = svc.custody.vault.read_customer(
        caller,
        customer_id,
        purpose,
        ticket_id=ticket_id,
        subject=subject,
        reason=reason,
        risky=risky,
        channel="api",
    )
    return JSONResponse(view.as_dict())


@router.get("/orders/{order_id}", response_model=RecordOut)
def read_order(
    order_id: Id,
    svc: Svc,
    caller: Caller,
    purpose: Annotated[Id, Query()],
    ticket_id: Annotated[Id | None, Query()] = None,
    subject: Annotated[Id | None, Query()] = None,
    risky: Annotated[bool, Query()] = False,
    reason: Annotated[str | None, Header(alias="X-Access-Reason", max_length=500)] = None,
) -> JSONResponse:
    """An order as the caller may see it; the read is in the audit log before this returns."""
    view: RecordView = svc.custody.vault.read_order(
        caller,
        order_id,
        purpose,
        ticket_id=ticket_id,
        subject=subject,
        reason=reason,
        risky=risky,
        channel="api",
    )
    return JSONResponse(view.as_dict())


def _reveal(
    svc: Services,
    caller: Principal,
    body: Reveal,
    customer_id: str | None = None,
    order_id: str | None = None,
) -> dict[str, Any]:
    shown = svc.custody.vault.reveal(
        caller,
        body.purpose,
        body.field,
        reason=body.reason,
        customer_id=customer_id,
        order_id=order_id,
        ticket_id=body.ticket_id,
        subject=body.subject,
        channel="api",
    )
    return {
        "field": shown.field,
        "view": "clear",
        "value": shown.value,
        "audit_seq": shown.audit_seq,
    }


@router.post("/customers/{customer_id}/reveal", response_model=RevealedOut)
def reveal_customer_field(
    customer_id: Id, body: Reveal, svc: Svc, caller: Caller
) -> dict[str, Any]:
    """One field of a customer in clear, for a stated reason; audited."""
    return _reveal(svc, caller, body, customer_id=customer_id)


@router.post("/orders/{order_id}/reveal", response_model=RevealedOut)
def reveal_order_field(order_id: Id, body: Reveal, svc: Svc, caller: Caller) -> dict[str, Any]:
    """One field of an order in clear, for a stated reason; audited."""
    return _reveal(svc, caller, body, order_id=order_id)


@router.post(
    "/customers/{customer_id}/break-glass",
    response_model=RecordOut,
    response_model_exclude_unset=True,
)
def break_glass(customer_id: Id, body: BreakGlass, svc: Svc, caller: Caller) -> dict[str, Any]:
    """Emergency access in clear; always raises an alert."""
    return svc.custody.vault.break_glass(
        caller, customer_id, reason=body.reason, channel="api"
    ).as_dict()


@router.post("/tickets", status_code=201, response_model=TicketOut, responses=documented(404))
def open_ticket(body: TicketIn, svc: Svc, caller: Dispatcher) -> dict[str, Any]:
    """Open a ticket: the relationship that lets an agent read a customer, until it expires."""
    t = svc.custody.relations.open_ticket(
        body.agent_id, body.customer_id, body.order_id, actor=caller, channel="api"
    )
    return _ticket(t)


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: Id, svc: Svc, caller: Dispatcher) -> dict[str, Any]:
    """A ticket (agents see only their own)."""
    t = svc.custody.relations.get_ticket(ticket_id)
    if caller.role is Role.AGENT and t.agent_id != caller.principal_id:
        raise AccessDenied("agents may see only their own tickets", ["not_own_ticket"])
    return _ticket(t)


@router.post("/tickets/{ticket_id}/close", response_model=TicketOut, responses=documented(409))
def close_ticket(ticket_id: Id, svc: Svc, caller: Dispatcher) -> dict[str, Any]:
    """Close a ticket: the agent's relationship with the customer ends."""
    return _ticket(svc.custody.relations.close_ticket(ticket_id, actor=caller, channel="api"))


def _ticket(t: Any) -> dict[str, Any]:
    return {
        "ticket_id": t.ticket_id,
        "agent_id": t.agent_id,
        "customer_id": t.customer_id,
        "order_id": t.order_id,
        "status": t.status,
        "opened_at": t.opened_at.isoformat(),
        "expires_at": t.expires_at.isoformat(),
        "closed_at": t.closed_at.isoformat() if t.closed_at else None,
    }


@router.post(
    "/assignments", status_code=201, response_model=AssignmentOut, responses=documented(404, 409)
)
def assign(body: AssignmentIn, svc: Svc, caller: Writer) -> dict[str, Any]:
    """Assign a courier to an order (and a relay number to call its customer)."""
    a = svc.custody.relations.assign_courier(
        body.courier_id, body.order_id, actor=caller, channel="api"
    )
    return {"assignment_id": a.assignment_id, "courier_id": a.courier_id, "order_id": a.order_id}


@router.post("/orders/{order_id}/status", response_model=OrderStatusOut, responses=documented(409))
def set_status(order_id: Id, body: StatusIn, svc: Svc, caller: Writer) -> dict[str, Any]:
    """Move an order to a new status (delivery ends the courier's relationship after a grace)."""
    new = svc.custody.relations.set_order_status(order_id, body.status, actor=caller, channel="api")
    return {"order_id": order_id, "status": new.value}


@router.post("/grants", status_code=201, response_model=GrantedOut, responses=documented(404, 409))
def grant(body: GrantIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Grant a partner fields of these customers, until ``expires_at``."""
    grants = svc.custody.relations.grant(
        body.partner_id,
        body.customer_ids,
        body.fields,
        release_id=body.release_id,
        expires_at=body.expires_at,
        actor=caller,
        channel="api",
    )
    return {"granted": len(grants)}


@router.post(
    "/relay/resolve",
    response_model=RelayOut,
    responses=documented(404),
    response_model_exclude_unset=True,
)
def resolve_relay(body: RelayIn, svc: Svc, caller: Caller) -> dict[str, Any]:
    """Where a courier's call to a relay number connects. Couriers ask for themselves and never
    see the phone; the telephony switch (role ``service``) names the courier and gets the target."""
    if caller.role is Role.SERVICE:
        if not body.courier_id:
            raise ValidationError("the switch must name the calling courier", field="courier_id")
        courier = svc.custody.principals.get(body.courier_id)
    else:
        courier = caller
    res = svc.custody.relay.resolve(body.number, courier, channel="api")
    out: dict[str, Any] = {
        "connect": True,
        "relay_number": res.relay_number,
        "courier_id": res.courier_id,
        "order_id": res.order_id,
        "customer_id": res.customer_id,
        "target": res.target_masked,
        "expires_at": res.expires_at.isoformat() if res.expires_at else None,
    }
    if caller.role is Role.SERVICE:
        out["target_e164"] = res.target_e164
    return out


@router.post(
    "/principals", status_code=201, response_model=NewPrincipalOut, responses=documented(409)
)
def add_principal(body: PrincipalIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Add a principal; its API key is in the answer and nowhere else."""
    p, key = svc.custody.principals.add(
        body.principal_id,
        body.role,
        unit=body.unit,
        display_name=body.display_name,
        actor=caller,
        channel="api",
    )
    return {"principal_id": p.principal_id, "role": p.role.value, "unit": p.unit, "api_key": key}


class PrincipalStatusIn(Strict):
    alert_id: Id | None = Field(None, description="the alert behind the decision (an id)")


def _status(p: Principal) -> dict[str, Any]:
    return {"principal_id": p.principal_id, "role": p.role.value, "active": p.active}


@router.post("/principals/{principal_id}/suspend", response_model=PrincipalStatusOut)
def suspend_principal(
    principal_id: Id, body: PrincipalStatusIn, svc: Svc, caller: Admin
) -> dict[str, Any]:
    """Suspend a principal: its key stops working and custody refuses its reads."""
    return _status(
        svc.custody.principals.set_active(
            principal_id, False, alert_id=body.alert_id, actor=caller, channel="api"
        )
    )


@router.post("/principals/{principal_id}/reinstate", response_model=PrincipalStatusOut)
def reinstate_principal(
    principal_id: Id, body: PrincipalStatusIn, svc: Svc, caller: Admin
) -> dict[str, Any]:
    """Reinstate a suspended principal."""
    return _status(
        svc.custody.principals.set_active(
            principal_id, True, alert_id=body.alert_id, actor=caller, channel="api"
        )
    )


@router.get("/principals", response_model=PageOut[PrincipalOut])
def list_principals(
    svc: Svc, _: Admin, limit: PageLimit = DEFAULT_LIMIT, cursor: Cursor | None = None
) -> dict[str, Any]:
    """Every principal (never their keys), by id descending, a page at a time."""
    page = page_after(
        "principals",
        svc.custody.principals.list(),
        limit,
        cursor,
        lambda p: Position(NO_TIME, p.principal_id),
    )
    return {
        "items": [
            {
                "principal_id": p.principal_id,
                "role": p.role.value,
                "unit": p.unit,
                "active": p.active,
                "display_name": p.display_name,
            }
            for p in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@router.get("/me", response_model=MeOut)
def me(caller: Caller) -> dict[str, Any]:
    """The caller's own principal."""
    return {"principal_id": caller.principal_id, "role": caller.role.value, "unit": caller.unit}
