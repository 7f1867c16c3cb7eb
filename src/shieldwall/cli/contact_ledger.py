"""Contact-ledger commands: numbers, contacts, messages, warn."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Column, Table

from shieldwall.audit.errors import ProofError
from shieldwall.cli.common import (
    as_principal,
    collect,
    console,
    emit_json,
    err_console,
    progress_bar,
    read_secret_input,
    services,
)
from shieldwall.contact.ledger.errors import InvalidInput
from shieldwall.contact.ledger.messages import display_tag
from shieldwall.custody.audit_events import OPERATOR

if TYPE_CHECKING:
    from shieldwall.wiring import Services

numbers = typer.Typer(
    help="The store's official numbers, sender ids and e-mail domains.", no_args_is_help=True
)
contacts = typer.Typer(help="The ledger of genuine outbound contacts.", no_args_is_help=True)
messages = typer.Typer(help="Message authenticity tags (防伪码).", no_args_is_help=True)
warn = typer.Typer(
    help="Warn customers at risk after a leak or during a campaign.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
AsOpt = Annotated[str, typer.Option("--as", help="principal id to act as")]


def register(app: typer.Typer) -> None:
    app.add_typer(numbers, name="numbers")
    app.add_typer(contacts, name="contacts")
    app.add_typer(messages, name="messages")
    app.add_typer(warn, name="warn")


def _read_stdin_text(field: str) -> str:
    if sys.stdin.isatty():
        err_console.print("reading the message from stdin; end with Ctrl-D")
    data = sys.stdin.buffer.read(64 * 1024 + 1)
    if len(data) > 64 * 1024:
        raise InvalidInput("longer than 64 KiB", field=field)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("is not UTF-8 text", field=field) from None


# -- numbers ---------------------------------------------------------------------------------


@numbers.command("add")
def numbers_add(
    number: Annotated[str, typer.Argument(help="number, range (010-5632-XXXX), sender id, domain")],
    kind: Annotated[
        str, typer.Option("--kind", help="hotline, outbound, sms_sender, email_domain")
    ],
    label: Annotated[str | None, typer.Option("--label", help="what it is, for people")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Register one of the store's numbers (as the local operator)."""
    entry = services().contact_ledger.numbers.add(OPERATOR, number, kind, label)
    if json_out:
        emit_json({"number": entry.value, "kind": entry.kind.value, "range": entry.pattern})
        return
    console.print(
        f"registered {entry.value} ({entry.kind.value}{', range' if entry.pattern else ''})"
    )


@numbers.command("check")
def numbers_check(
    number: Annotated[str, typer.Argument(help="the number, sender id, domain or address seen")],
    json_out: JsonOpt = False,
) -> None:
    """Say whether a number is one of the store's (exit 0 either way; 1 on bad input)."""
    svc = services()
    check = svc.contact_ledger.numbers.check(number)
    region = svc.settings.custody.default_region
    if json_out:
        emit_json(
            {
                "normalized": check.point.value,
                "form": check.point.form.value,
                "official": check.official,
                "matched_by": check.matched_by,
                "kind": check.entry.kind.value if check.entry else None,
                "label": check.entry.label if check.entry else None,
            }
        )
        return
    shown = check.point.display(region)
    if check.entry is not None:
        label = f", {check.entry.label}" if check.entry.label else ""
        console.print(f"{shown}: official ({check.entry.kind.value}{label}; {check.matched_by})")
    else:
        console.print(f"{shown}: NOT one of the store's numbers")


@numbers.command("list")
def numbers_list(json_out: JsonOpt = False) -> None:
    found = services().contact_ledger.numbers.list()
    if json_out:
        emit_json([{"number": e.value, "kind": e.kind.value, "label": e.label} for e in found])
        return
    table = Table("number", "kind", "label", "added by")
    for e in found:
        table.add_row(e.value, e.kind.value, e.label or "", e.created_by)
    console.print(table)


# -- contacts --------------------------------------------------------------------------------


def _contact_out(data: dict[str, Any], json_out: bool) -> None:
    if json_out:
        emit_json(data)
        return
    code = f"; agent reads out {data['agent_reads_code']}" if data.get("agent_reads_code") else ""
    console.print(
        f"{data['contact_id']}: {data['state']} {data['channel']} from {data['via']} to"
        f" {data['customer_id']} by {data['agent_id']} ({data['reason']}){code}"
    )


@contacts.command("register")
def contacts_register(
    as_: AsOpt,
    customer: Annotated[str, typer.Option("--customer", help="customer id")],
    channel: Annotated[str, typer.Option("--channel", help="call, sms, chat or email")],
    reason: Annotated[str, typer.Option("--reason", help="delivery, refund, return, ...")],
    via: Annotated[
        str | None, typer.Option("--via", help="official number or address used")
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="the agent (when --as a service)")
    ] = None,
    order: Annotated[str | None, typer.Option("--order", help="order id")] = None,
    verification: Annotated[
        str | None, typer.Option("--verification", help="none, agent_reads, customer_reads, both")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Register a genuine contact starting now; prints the code the agent reads out."""
    from shieldwall.contact.ledger.ledger import contact_json

    svc = services()
    done = svc.contact_ledger.ledger.register(
        as_principal(as_),
        customer_id=customer,
        channel=channel,
        reason=reason,
        via=via,
        agent_id=agent,
        order_id=order,
        verification=verification,
        audit_channel="cli",
    )
    _contact_out(contact_json(done.contact, svc.clock.now(), done.agent_code), json_out)


@contacts.command("end")
def contacts_end(
    contact_id: Annotated[str, typer.Argument(help="contact id")],
    as_: AsOpt,
    json_out: JsonOpt = False,
) -> None:
    """The agent hung up."""
    from shieldwall.contact.ledger.ledger import contact_json

    svc = services()
    contact = svc.contact_ledger.ledger.end(as_principal(as_), contact_id)
    _contact_out(contact_json(contact, svc.clock.now()), json_out)


@contacts.command("show")
def contacts_show(
    contact_id: Annotated[str, typer.Argument(help="contact id")],
    as_: AsOpt,
    json_out: JsonOpt = False,
) -> None:
    from shieldwall.contact.ledger.ledger import contact_json

    svc = services()
    contact, code = svc.contact_ledger.ledger.get(as_principal(as_), contact_id)
    _contact_out(contact_json(contact, svc.clock.now(), code), json_out)


@contacts.command("verify")
def contacts_verify(
    contact_id: Annotated[str, typer.Argument(help="contact id")],
    as_: AsOpt,
    json_out: JsonOpt = False,
) -> None:
    """Check the code the customer read out (read from stdin, never from argv); exit 1 if wrong."""
    code = read_secret_input("code")
    result = services().contact_ledger.ledger.verify(as_principal(as_), contact_id, code)
    if json_out:
        emit_json(
            {
                "verified": result.verified,
                "reason": result.reason,
                "attempts_left": result.attempts_left,
            }
        )
    elif result.verified:
        console.print("verified: the person on the line holds the customer's app")
    else:
        console.print(f"NOT verified: {result.reason} ({result.attempts_left} attempts left)")
    if not result.verified:
        raise typer.Exit(1)


@contacts.command("status")
def contacts_status(
    subject: Annotated[str, typer.Option("--subject", help="customer id")],
    incoming: Annotated[
        str | None,
        typer.Option("--incoming", help="the number on the customer's screen, or 'hidden'"),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
    json_out: JsonOpt = False,
) -> None:
    """What the customer's app would show now."""
    status = services().contact_ledger.ledger.status(subject, incoming)
    if json_out:
        emit_json(status.as_dict())
        return
    console.print(f"[bold]{status.state}[/bold] ({status.reason})")
    console.print(status.message_zh if lang == "zh" else status.message_en, markup=False)


# -- messages --------------------------------------------------------------------------------


@messages.command("sign")
def messages_sign(
    customer: Annotated[str, typer.Option("--customer", help="recipient customer id")],
    json_out: JsonOpt = False,
) -> None:
    """Tag a message (text on stdin) for a customer; prints the text to send."""
    from shieldwall.contact.ledger.ledger import record_id

    text = _read_stdin_text("text")
    signed = services().contact_ledger.messages.sign(record_id(customer, "customer"), text)
    if json_out:
        emit_json(
            {
                "tag": display_tag(signed.tag),
                "text": signed.text,
                "valid_until": signed.valid_until.isoformat(),
            }
        )
        return
    console.print(signed.text, markup=False)


@messages.command("verify")
def messages_verify(
    customer: Annotated[str, typer.Option("--customer", help="recipient customer id")],
    tag: Annotated[str | None, typer.Option("--tag", help="the tag, if not in the text")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a message (text on stdin) was sent by the store to this customer; exit 1 if not."""
    from shieldwall.contact.ledger.ledger import record_id

    text = _read_stdin_text("text")
    check = services().contact_ledger.messages.verify(record_id(customer, "customer"), text, tag)
    if json_out:
        emit_json({"valid": check.valid, "reason": check.reason})
    elif check.valid:
        console.print("genuine: sent by the store to this customer")
    else:
        console.print(f"NOT genuine: {check.reason}")
    if not check.valid:
        raise typer.Exit(1)


# -- warnings --------------------------------------------------------------------------------


@warn.command("plan")
def warn_plan(
    leak: Annotated[str | None, typer.Option("--leak", help="leak id (dedupe key)")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="trace result: JSON ids, {customer_ids}, or lines")
    ] = None,
    customers: Annotated[
        str | None, typer.Option("--customers", help="comma-separated customer ids")
    ] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="campaign id")] = None,
    targets: Annotated[
        Path | None,
        typer.Option("--targets", help="campaign targets JSON file (default: its scam reports)"),
    ] = None,
    from_trace: Annotated[
        Path | None,
        typer.Option("--from-trace", help="the JSON of trace victims --json: warn its victims"),
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="incident case id: warn its customers affected")
    ] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="sms or email")] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="zh or en")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show the plan, queue nothing")
    ] = False,
    top: Annotated[int, typer.Option("--top", min=0, help="rows to show")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Choose who to warn first and queue the warnings (idempotent: re-runs add nothing).

    The customers come from a leak (--leak with --file or --customers), a victims trace result
    (--from-trace), an incident case (--case) or a scam campaign (--campaign).
    """
    from shieldwall.contact.warnings.sources import (
        FileCampaignTargets,
        ScamCampaignTargets,
        parse_customer_ids,
        read_customer_ids,
        read_trace_result,
    )

    svc = services()
    planner = svc.contact_ledger.planner
    given = [
        o
        for o, v in (
            ("leak", leak),
            ("campaign", campaign),
            ("from_trace", from_trace),
            ("case", case),
        )
        if v is not None
    ]
    if len(given) != 1:
        raise InvalidInput(
            "give exactly one of --leak, --campaign, --from-trace and --case", field="leak"
        )
    if leak is None and (file is not None or customers is not None):
        raise InvalidInput("--file and --customers go with --leak", field="file")
    if campaign is None and targets is not None:
        raise InvalidInput("--targets goes with --campaign", field="targets")
    if leak is not None:
        if (file is None) == (customers is None):
            raise InvalidInput("a leak needs exactly one of --file and --customers", field="file")
        ids = (
            read_customer_ids(file)
            if file
            else parse_customer_ids((customers or "").replace(",", "\n"), "customers")
        )
        with progress_bar("scoring", len(ids)) as tick:
            plan = planner.plan_leak(leak, ids, progress=tick)
    elif from_trace is not None:
        cause, ids = read_trace_result(from_trace, leak_matches=_leak_matches(svc))
        with progress_bar("scoring", len(ids)) as tick:
            plan = planner.plan_leak(cause, ids, progress=tick)
    elif case is not None:
        ids = _case_customers(case)
        with progress_bar("scoring", len(ids)) as tick:
            plan = planner.plan_leak(f"case:{case}", ids, progress=tick)
    else:
        assert campaign is not None  # noqa: S101 - checked above
        source = (
            FileCampaignTargets(targets, campaign)
            if targets is not None
            else ScamCampaignTargets(svc.scam)
        )
        with progress_bar("scoring", None) as tick:
            plan = planner.plan_campaign(campaign, source, progress=tick)
        if not plan.candidates and not plan.unknown:
            raise InvalidInput(f"campaign {campaign} has reached no customers", field="campaign")
    report = None
    if not dry_run:
        with progress_bar("queueing", len(plan.candidates)) as tick:
            report = planner.enqueue(plan, channel=channel, locale=locale, progress=tick)
    if json_out:
        emit_json(
            {
                "trigger": str(plan.trigger),
                "candidates": [
                    {
                        "customer_id": c.customer_id,
                        "score": c.score,
                        "signals": [s.as_dict() for s in c.signals],
                    }
                    for c in plan.candidates
                ],
                "unknown": list(plan.unknown),
                "queued": report.queued if report else 0,
                "already_planned": report.already_planned if report else 0,
                "warned_recently": report.warned_recently if report else 0,
            }
        )
        return
    table = Table("#", "customer", "score", "why")
    for n, c in enumerate(plan.candidates[:top], 1):
        table.add_row(
            str(n),
            c.customer_id,
            f"{c.score:.0f}",
            "; ".join(f"{s.code} +{s.points:g}: {s.detail}" for s in c.signals),
        )
    if top:
        console.print(table)
    console.print(
        f"{len(plan.candidates)} customers at risk for {plan.trigger};"
        f" {len(plan.unknown)} unknown ids ignored"
    )
    if report is not None:
        console.print(
            f"queued {report.queued}; skipped {report.already_planned} already planned for this"
            f" trigger and {report.warned_recently} warned in the last cooldown period"
        )
    else:
        console.print("dry run: nothing queued")


def _case_customers(case_id: str) -> list[str]:
    """The customers linked to an incident case as affected (an unknown case: not found)."""
    from shieldwall.respond.case_model import LinkKind

    found = services().cases.cases.get(case_id)
    ids = [link.ref for link in found.links if link.kind is LinkKind.CUSTOMER]
    if not ids:
        raise InvalidInput(f"case {case_id} has no customers affected linked", field="case")
    return list(dict.fromkeys(ids))


def _leak_matches(svc: Services) -> Callable[[int], Sequence[str] | None]:
    """The customers a leaked-file trace's audit entry records (None: not such an entry)."""
    # Here, not at the top: the leak-file reader loads openpyxl, numpy and Faker.
    from shieldwall.trace.attribution.file import LEAK_FILE_MATCH

    def matches(seq: int) -> Sequence[str] | None:
        try:
            record = svc.audit.entry(seq)
        except ProofError:  # no entry with that number
            return None
        event = record.event
        return event.customer_ids if event.reason == LEAK_FILE_MATCH else None

    return matches


@warn.command("send")
def warn_send(
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="attempt at most N")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="keep going, waiting out rate limits and backoff")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Send due warnings through the configured senders, within the rate limits."""
    svc = services()
    dispatcher = svc.contact_ledger.dispatcher()
    if not dispatcher.senders:
        raise InvalidInput(
            "no sender configured: set contact.warnings.webhook_url or smtp_host", field="sender"
        )
    with svc.contact_ledger.outbox.read() as tx:
        due = tx.due_pending(svc.clock.now())
    totals = {"sent": 0, "retried": 0, "dead": 0}
    with progress_bar("sending", due) as tick:
        while True:
            report = dispatcher.run(limit=limit, progress=tick)
            totals["sent"] += report.sent
            totals["retried"] += report.retried
            totals["dead"] += report.dead
            if not follow or (report.due_left == 0 and report.next_due is None):
                break
            wait = 5.0
            if report.next_due is not None:
                wait = max(1.0, min(60.0, (report.next_due - svc.clock.now()).total_seconds()))
            if report.rate_limited:
                wait = max(wait, 5.0)
            time.sleep(wait)
    if json_out:
        emit_json(totals | {"rate_limited": report.rate_limited, "due_left": report.due_left})
        return
    limited = "; rate limit reached, run again later" if report.rate_limited else ""
    console.print(
        f"sent {totals['sent']}, will retry {totals['retried']}, dead-lettered {totals['dead']};"
        f" {report.due_left} due now{limited}"
    )


@warn.command("outbox")
def warn_outbox(
    leak: Annotated[str | None, typer.Option("--leak", help="only this leak")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="only this campaign")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, sending, sent, dead")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="continue where a previous listing stopped")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Counts by status, and the notifications themselves, newest queued first (ids, scores,
    errors; no addresses), read a page at a time."""
    from shieldwall.contact.warnings.listing import outbox_page
    from shieldwall.contact.warnings.model import NotificationStatus
    from shieldwall.contact.warnings.planner import make_trigger

    trigger = None
    if leak is not None or campaign is not None:
        trigger = make_trigger("leak" if leak else "campaign", leak or campaign or "")
    wanted = None
    if status is not None:
        try:
            wanted = NotificationStatus(status)
        except ValueError:
            raise InvalidInput("must be pending, sending, sent or dead", field="status") from None
    outbox = services().contact_ledger.outbox
    with outbox.read() as tx:
        counts = tx.counts(trigger)
    rows = collect(
        lambda n, at: outbox_page(outbox, trigger=trigger, status=wanted, limit=n, cursor=at),
        limit,
        cursor,
    )
    if json_out:
        emit_json({"counts": counts, "notifications": [n.to_dict() for n in rows]})
        return
    console.print(", ".join(f"{k} {v}" for k, v in counts.items()))
    table = Table(
        Column("notification", no_wrap=True),  # whole, to copy (as alert ids are)
        "customer",
        "trigger",
        "status",
        "score",
        "attempts",
        "error",
    )
    for n in rows:
        table.add_row(
            n.notification_id,
            n.customer_id,
            str(n.trigger),
            n.status.value,
            f"{n.score:.0f}",
            str(n.attempts),
            n.last_error or "",
        )
    console.print(table)


@warn.command("webhook-secret")
def warn_webhook_secret() -> None:
    """The HMAC secret the notification gateway checks signatures with (hex; keep it secret)."""
    console.print(services().contact_ledger.webhook_secret().hex(), markup=False)
