"""Victims and compensation: ``shieldwall victims ...``, ``shieldwall claims ...``,
``shieldwall ledger ...``.

The CLI acts as the local operator (or ``--as PRINCIPAL`` where a command says so). Amounts
are whole fen (``--amount-fen 12345``) or yuan with at most two decimals
(``--amount-yuan 123.45``), read digit by digit. Money-moving commands take
``--idempotency-key``; without one a fresh key is made and printed, so a retry can reuse it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shieldwall.cli.common import as_principal, console, emit_json, err_console, services
from shieldwall.core.model import Principal
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.respond.compensation import fen, parse_yuan, reject_reason
from shieldwall.respond.errors import RespondInvalid

# The register's model (phonenumbers, python-stdnum) and the claims service load when a command
# runs, not for ``--help``.
if TYPE_CHECKING:
    from shieldwall.respond.claims import Posted

victims = typer.Typer(help="The victims register: lists, statuses, contacts.", no_args_is_help=True)
claims = typer.Typer(help="Compensation claims: submit, review, decide, pay.", no_args_is_help=True)
ledger = typer.Typer(help="The compensation ledger: balances, recoveries.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
CaseOpt = Annotated[str, typer.Option("--case", help="the incident case id")]
AsOpt = Annotated[
    str | None, typer.Option("--as", help="act as this principal (default: the operator)")
]
KeyOpt = Annotated[
    str | None,
    typer.Option("--idempotency-key", help="reuse to retry safely (default: a fresh one)"),
]
FenOpt = Annotated[int | None, typer.Option("--amount-fen", help="amount in fen")]
YuanOpt = Annotated[str | None, typer.Option("--amount-yuan", help="amount in yuan, e.g. 12.50")]


def register(app: typer.Typer) -> None:
    app.add_typer(victims, name="victims")
    app.add_typer(claims, name="claims")
    app.add_typer(ledger, name="ledger")


def _actor(name: str | None) -> Principal:
    return OPERATOR if name is None else as_principal(name)


def _maybe_amount(amount_fen: int | None, amount_yuan: str | None) -> int | None:
    if amount_fen is not None and amount_yuan is not None:
        raise RespondInvalid("give --amount-fen or --amount-yuan, not both", field="amount")
    if amount_fen is not None:
        return fen(amount_fen, "amount_fen")
    if amount_yuan is not None:
        return fen(parse_yuan(amount_yuan, "amount_yuan"), "amount_yuan")
    return None


def _amount(amount_fen: int | None, amount_yuan: str | None) -> int:
    amount = _maybe_amount(amount_fen, amount_yuan)
    if amount is None:
        raise RespondInvalid("is required (--amount-fen or --amount-yuan)", field="amount")
    return amount


def _key(key: str | None) -> str:
    if key is not None:
        return key
    made = str(uuid.uuid4())
    err_console.print(f"idempotency key {made}", markup=False)
    return made


def _show(doc: dict[str, Any], json_out: bool, line: str) -> None:
    if json_out:
        emit_json(doc)
    else:
        console.print(line, markup=False)


def _posted(result: Posted, json_out: bool) -> None:
    p = result.posting
    again = " (replayed: already posted under this key)" if result.replayed else ""
    lines = [f"posting {p.posting_id} {p.kind.value} {p.total} fen{again}"]
    lines += [f"  {e.account:<40} {e.debit:>14} {e.credit:>14}" for e in p.entries]
    if result.claim is not None:
        c = result.claim
        lines.append(f"claim {c.claim_id} {c.status.value}; paid {c.paid} of {c.amount_approved}")
    _show(result.to_dict(), json_out, "\n".join(lines))


# victims --------------------------------------------------------------------------------------


@victims.command("import")
def import_victims(
    path: Annotated[Path, typer.Argument(help="CSV: phone, national_id, order_id, name, ...")],
    case: CaseOpt,
    source: Annotated[str, typer.Option(help="customer, police, lawyer, trace or staff")],
    trace_ref: Annotated[
        str | None, typer.Option("--trace-ref", help="the trace result the list came from")
    ] = None,
    encoding: Annotated[str, typer.Option(help="utf-8 or gb18030")] = "utf-8",
    partial: Annotated[
        bool, typer.Option("--partial", help="register the good rows even if some are rejected")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Register a victims list in a case (nothing of the list is stored in clear).

    Columns (a header with some of): customer_id, phone, national_id, name, order_id,
    loss_fen, loss_yuan. Every row needs one of customer_id, phone, national_id, order_id.
    """
    from shieldwall.respond.victims import Source, choice, parse_csv

    try:
        data = path.read_bytes()
    except OSError:
        raise RespondInvalid("cannot be read", field="file") from None
    svc = services()
    register = svc.money.register
    parsed = parse_csv(data, region=register.region, max_rows=register.max_rows, encoding=encoding)
    report = register.register(
        OPERATOR,
        case,
        parsed.rows,
        source=choice(Source, source, "source"),
        trace_ref=trace_ref,
        rejected=parsed.rejected,
        strict=not partial,
        channel="cli",
    )
    doc = report.to_dict()
    if json_out:
        emit_json(doc)
    else:
        state = "registered" if report.committed else "NOT registered (use --partial)"
        console.print(
            f"case {case}: {doc['rows']} rows; {doc['registered']} victims {state}"
            f" ({doc['matched']} matched, {doc['unmatched']} unmatched);"
            f" {len(report.already_registered)} already registered,"
            f" {len(report.duplicates)} duplicates, {len(report.rejected)} rejected",
            markup=False,
        )
        for d in report.duplicates:
            console.print(f"  row {d.row}: duplicate of row {d.duplicate_of}", markup=False)
        for p in report.rejected:
            where = f"{p.field}: " if p.field else ""
            console.print(f"  row {p.row}: {where}{p.reason}", markup=False)
    if not report.committed:
        raise typer.Exit(1)


@victims.command("list")
def list_victims(
    case: CaseOpt,
    status: Annotated[str | None, typer.Option(help="only victims with this status")] = None,
    json_out: JsonOpt = False,
) -> None:
    from shieldwall.respond.victims import VictimStatus, choice

    wanted = None if status is None else choice(VictimStatus, status, "status")
    found = services().money.register.find(case, wanted)
    if json_out:
        emit_json({"victims": [v.to_dict() for v in found]})
        return
    for v in found:
        who = v.customer_id or "(unmatched)"
        console.print(
            f"{v.victim_id} {who} {v.status.value} loss {v.loss} fen, {len(v.contacts)} contacts",
            markup=False,
        )


@victims.command("status")
def set_status(
    victim_id: Annotated[str, typer.Argument()],
    status: Annotated[str, typer.Argument(help="confirmed, contacted, compensated, closed")],
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    from shieldwall.respond.victims import VictimStatus, choice

    v = services().money.register.set_status(
        _actor(as_), victim_id, choice(VictimStatus, status, "status"), channel="cli"
    )
    _show(v.to_dict(), json_out, f"victim {v.victim_id} is {v.status.value}")


@victims.command("contact")
def log_contact(
    victim_id: Annotated[str, typer.Argument()],
    channel: Annotated[str, typer.Option(help="phone, sms, email, letter, in_person")],
    outcome: Annotated[
        str,
        typer.Option(
            help="reached, no_answer, left_message, callback_requested, declined, wrong_number"
        ),
    ],
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    from shieldwall.respond.victims import ContactChannel, ContactOutcome, choice

    v = services().money.register.log_contact(
        _actor(as_),
        victim_id,
        choice(ContactChannel, channel, "channel"),
        choice(ContactOutcome, outcome, "outcome"),
        channel="cli",
    )
    _show(
        v.to_dict(), json_out, f"victim {v.victim_id}: {len(v.contacts)} contacts, {v.status.value}"
    )


# claims ---------------------------------------------------------------------------------------


@claims.command("submit")
def submit(
    case: CaseOpt,
    customer: Annotated[str, typer.Option("--customer", help="the customer id")],
    amount_fen: FenOpt = None,
    amount_yuan: YuanOpt = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="evidence reference (an evidence id)")
    ] = None,
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    amount = _amount(amount_fen, amount_yuan)
    c = services().money.claims.submit(
        _actor(as_),
        case_id=case,
        customer_id=customer,
        amount=amount,
        evidence_ref=evidence,
        channel="cli",
    )
    _show(c.to_dict(), json_out, f"claim {c.claim_id} submitted: {c.amount_claimed} fen")


@claims.command("review")
def review(claim_id: str, as_: AsOpt = None, json_out: JsonOpt = False) -> None:
    c = services().money.claims.review(_actor(as_), claim_id, channel="cli")
    _show(c.to_dict(), json_out, f"claim {c.claim_id} is {c.status.value}")


@claims.command("approve")
def approve(
    claim_id: str,
    amount_fen: FenOpt = None,
    amount_yuan: YuanOpt = None,
    advance: Annotated[
        bool, typer.Option("--advance", help="先行赔付: pay before liability is settled")
    ] = False,
    key: KeyOpt = None,
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    amount = _maybe_amount(amount_fen, amount_yuan)
    result = services().money.claims.approve(
        _actor(as_), claim_id, key=_key(key), amount=amount, advance=advance, channel="cli"
    )
    _posted(result, json_out)


@claims.command("reject")
def reject(
    claim_id: str,
    reason: Annotated[
        str,
        typer.Option(
            help="insufficient_evidence, not_a_victim, duplicate_claim, outside_scope, withdrawn"
        ),
    ],
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    c = services().money.claims.reject(_actor(as_), claim_id, reject_reason(reason), channel="cli")
    _show(c.to_dict(), json_out, f"claim {c.claim_id} is {c.status.value}")


@claims.command("pay")
def pay(
    claim_id: str,
    amount_fen: FenOpt = None,
    amount_yuan: YuanOpt = None,
    key: KeyOpt = None,
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    amount = _amount(amount_fen, amount_yuan)
    result = services().money.claims.pay(
        _actor(as_), claim_id, key=_key(key), amount=amount, channel="cli"
    )
    _posted(result, json_out)


@claims.command("list")
def list_claims(
    case: CaseOpt,
    open_only: Annotated[bool, typer.Option("--open", help="only open claims")] = False,
    json_out: JsonOpt = False,
) -> None:
    found = services().money.claims.find(case, open_only=open_only)
    if json_out:
        emit_json({"claims": [c.to_dict() for c in found]})
        return
    for c in found:
        console.print(
            f"{c.claim_id} {c.customer_id} {c.status.value} claimed {c.amount_claimed}"
            f" approved {c.amount_approved} paid {c.paid}",
            markup=False,
        )


@claims.command("report")
def report(case: CaseOpt, json_out: JsonOpt = False) -> None:
    """Money in a case: claimed, approved, paid, advanced, recovered; the open claims."""
    r = services().money.claims.report(case)
    if json_out:
        emit_json(r.to_dict())
        return
    counts = ", ".join(f"{n} {s}" for s, n in r.claims.items() if n)
    console.print(f"case {case}: claims {counts or 'none'}", markup=False)
    for label, value in (
        ("claimed", r.claimed),
        ("approved", r.approved),
        ("paid", r.paid),
        ("advanced (先行赔付)", r.advanced),
        ("recovered", r.recovered),
        ("written off", r.written_off),
        ("still recoverable", r.recoverable),
    ):
        console.print(f"  {label:<20} {_yuan(value):>16} yuan", markup=False)
    console.print(f"open claims: {len(r.open_claims)}", markup=False)
    for c in r.open_claims:
        console.print(
            f"  {c.claim_id} {c.customer_id} {c.status.value} {_yuan(c.amount_claimed)} yuan",
            markup=False,
        )


def _yuan(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole:,}.{cents:02d}"


# ledger ---------------------------------------------------------------------------------------


@ledger.command("balances")
def balances(json_out: JsonOpt = False) -> None:
    """Each account's balance (debits minus credits, fen) and the trial balance (zero)."""
    found = services().money.claims.balances()
    doc = {"balances": found, "trial_balance_fen": sum(found.values())}
    if json_out:
        emit_json(doc)
        return
    for account, amount in found.items():
        console.print(f"{account:<50} {amount:>16}", markup=False)
    console.print(f"{'trial balance':<50} {doc['trial_balance_fen']:>16}", markup=False)


@ledger.command("recover")
def recover(
    case: CaseOpt,
    amount_fen: FenOpt = None,
    amount_yuan: YuanOpt = None,
    key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The leaker or partner repaid part of what the store advanced in a case."""
    amount = _amount(amount_fen, amount_yuan)
    result = services().money.claims.recover(
        OPERATOR, case, key=_key(key), amount=amount, channel="cli"
    )
    _posted(result, json_out)


@ledger.command("write-off")
def write_off(
    case: CaseOpt,
    amount_fen: FenOpt = None,
    amount_yuan: YuanOpt = None,
    key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """What will not be recovered in a case becomes the store's expense."""
    amount = _amount(amount_fen, amount_yuan)
    result = services().money.claims.write_off(
        OPERATOR, case, key=_key(key), amount=amount, channel="cli"
    )
    _posted(result, json_out)
