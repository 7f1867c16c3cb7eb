"""Scam commands: score a script, report a scam, list campaigns and their victims.

``shieldwall scam score`` needs no database: it reads the text on stdin (invalid UTF-8 is
replaced and counted on stderr; a text over ``max_text_chars`` is refused with one line and exit
1). With ``--lines`` every input line is scored on its own and written as one JSON object; a bad
line gets an error object and the run goes on (exit 1 at the end if any line failed).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer
from rich.table import Table

from shieldwall.cli.common import (
    EXIT_ERROR,
    as_principal,
    collect,
    console,
    emit_json,
    err_console,
    progress_bar,
    services,
    settings,
)
from shieldwall.contact.errors import ContactError
from shieldwall.contact.scam.errors import ReportRejected
from shieldwall.core.model import Role
from shieldwall.custody.errors import AccessDenied

# The scorer and the report pipeline (rapidfuzz, numpy, phonenumbers) load when a command runs.
if TYPE_CHECKING:
    from shieldwall.contact.scam.reports import Campaign, ReportInput, ReportOutcome
    from shieldwall.contact.scam.scoring import OrderFacts, ScriptScore

app = typer.Typer(help="Scam scripts, reports and campaigns.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
_LINE_SLACK = 65_536  # JSON keys and escapes around a text of max_text_chars


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="scam")


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """``(line number, bytes or None when longer than limit, length)``, in constant memory."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            length = len(line)
            while line and not line.endswith(b"\n"):
                line = stream.readline(1 << 20)
                length += len(line)
            yield number, None, length
            continue
        yield number, line.rstrip(b"\r\n"), len(line)


def _read_stdin(limit_chars: int) -> tuple[str, int]:
    from shieldwall.contact.scam.normalize import decode

    limit = limit_chars * 4 + 4  # UTF-8 needs at most four bytes a character
    raw = sys.stdin.buffer.read(limit + 1)
    if len(raw) > limit:
        raise ReportRejected(
            f"is over {limit} bytes (the limit is {limit_chars} characters)",
            field="stdin",
            code="text_too_long",
        )
    decoded = decode(raw)
    if decoded.replaced:
        err_console.print(
            f"warning: {decoded.replaced} invalid UTF-8 byte sequence(s) replaced by U+FFFD",
            markup=False,
        )
    return decoded.text, decoded.replaced


def _facts(
    order_ids: list[str] | None, items: list[str] | None, amounts: list[str] | None
) -> OrderFacts:
    from shieldwall.contact.scam.scoring import OrderFacts

    return OrderFacts(tuple(order_ids or ()), tuple(items or ()), tuple(amounts or ()))


def _print_score(result: ScriptScore) -> None:
    console.print(
        f"score {result.score:.3f}  {result.label}  (lang {result.lang}, logit {result.logit:+.2f})"
        + (f"  matches store template {result.template}" if result.template else ""),
        markup=False,
    )
    if not result.signals:
        console.print("no signals", markup=False)
        return
    table = Table("signal", "weight", "matched text", "span")
    for s in result.signals:
        table.add_row(s.signal, f"{s.weight:+.2f}", s.matched_text, f"{s.span[0]}-{s.span[1]}")
    console.print(table)


@app.command("score")
def score(
    lang: Annotated[str, typer.Option("--lang", help="auto, zh or en")] = "auto",
    lines: Annotated[
        bool, typer.Option("--lines", help="score each stdin line on its own (JSON lines out)")
    ] = False,
    order_id: Annotated[
        list[str] | None, typer.Option("--order-id", help="the customer's real order id")
    ] = None,
    item: Annotated[
        list[str] | None, typer.Option("--item", help="an item title of the real order")
    ] = None,
    amount: Annotated[
        list[str] | None, typer.Option("--amount", help="an amount of the real order")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Score a scam script read on stdin: score in [0,1], label and the signals that fired."""
    from shieldwall.contact.scam.normalize import decode
    from shieldwall.wiring import scam_scorer

    scorer = scam_scorer(settings())
    facts = _facts(order_id, item, amount)
    if not lines:
        text, replaced = _read_stdin(scorer.max_chars)
        result = scorer.score(text, lang, facts)
        if json_out:
            emit_json({**result.to_dict(), "replaced_bytes": replaced})
        else:
            _print_score(result)
        return
    limit = scorer.max_chars * 4 + 4
    failed = 0
    for number, raw, length in bounded_lines(sys.stdin.buffer, limit):
        if raw is None:
            failed += 1
            emit_json(
                {
                    "line": number,
                    "error": {
                        "code": "text_too_long",
                        "reason": f"line is {length} bytes, over the limit of {limit}",
                    },
                }
            )
            continue
        decoded = decode(raw)
        try:
            result = scorer.score(decoded.text, lang, facts)
        except ContactError as exc:
            failed += 1
            emit_json({"line": number, "error": {"code": exc.code, "reason": str(exc)}})
            continue
        emit_json({"line": number, **result.to_dict(), "replaced_bytes": decoded.replaced})
    if failed:
        raise typer.Exit(EXIT_ERROR)


def _reporter(principal_id: str) -> tuple[str, str]:
    who = as_principal(principal_id)
    if who.role is Role.SERVICE:
        return "customer", who.principal_id
    if who.role in (Role.AGENT, Role.ADMIN):
        return "agent", who.principal_id
    raise AccessDenied(
        "scam reports come from the store app (service) or agents", ["role_not_allowed"]
    )


def _when(value: str, field: str = "received_at") -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ReportRejected("must be an ISO 8601 time with a zone", field=field) from None
    if when.tzinfo is None:
        raise ReportRejected("must include a time zone", field=field)
    return when


def report_input(doc: Any, *, replaced: int = 0) -> ReportInput:
    """A :class:`ReportInput` from a JSON object (one line of ``scam report --jsonl``)."""
    from shieldwall.contact.scam.reports import ReportInput

    if not isinstance(doc, dict):
        raise ReportRejected("must be a JSON object", field="line")
    allowed = {
        "channel",
        "received_at",
        "text",
        "sender",
        "links",
        "customer_id",
        "victim_phone",
        "caller_knew",
    }
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise ReportRejected("unknown field", field=unknown[0])
    for name in ("channel", "received_at"):
        if not isinstance(doc.get(name), str):
            raise ReportRejected("is required (a string)", field=name)
    for name in ("text", "sender", "customer_id", "victim_phone"):
        if doc.get(name) is not None and not isinstance(doc[name], str):
            raise ReportRejected("must be a string", field=name)
    for name in ("links", "caller_knew"):
        value = doc.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ReportRejected("must be a list of strings", field=name)
    return ReportInput(
        channel=doc["channel"],
        received_at=_when(doc["received_at"]),
        text=doc.get("text") or "",
        sender=doc.get("sender"),
        links=tuple(doc.get("links") or ()),
        customer_id=doc.get("customer_id"),
        victim_phone=doc.get("victim_phone"),
        caller_knew=tuple(doc.get("caller_knew") or ()),
        replaced_chars=replaced,
    )


def _print_outcome(outcome: ReportOutcome) -> None:
    state = "new campaign" if outcome.new_campaign else f"campaign of {outcome.campaign_size}"
    console.print(
        f"report {outcome.report_id} -> {outcome.campaign_id} ({state}); "
        f"script score {outcome.score.score:.3f} {outcome.score.label}",
        markup=False,
    )
    if outcome.merged:
        console.print(f"merged campaigns: {', '.join(outcome.merged)}", markup=False)
    for ind in outcome.indicators:
        strength = "strong" if ind.strong else "weak"
        detail = f" ({ind.detail})" if ind.detail else ""
        console.print(f"  {ind.kind:16} {ind.value}{detail}  [{strength}]", markup=False)
    for rej in outcome.rejected:
        err_console.print(
            f"  rejected {rej.kind.value} at {rej.span[0]}: {rej.reason}", markup=False
        )


@app.command("report")
def report(
    as_: Annotated[str, typer.Option("--as", help="principal id: the store app or an agent")],
    channel: Annotated[
        str | None, typer.Option("--channel", help="call, sms, chat, email or app")
    ] = None,
    received_at: Annotated[
        str | None, typer.Option("--received-at", help="when the scam arrived (ISO 8601)")
    ] = None,
    sender: Annotated[
        str | None, typer.Option("--sender", help="caller id or sender id of the scam")
    ] = None,
    link: Annotated[list[str] | None, typer.Option("--link", help="a link it sent")] = None,
    customer_id: Annotated[str | None, typer.Option("--customer-id")] = None,
    victim_phone: Annotated[
        str | None, typer.Option("--victim-phone", help="the number the scam reached")
    ] = None,
    knew: Annotated[
        list[str] | None, typer.Option("--knew", help="what the caller knew: name, order_number...")
    ] = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help="submit every line of this JSONL file")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Report a suspicious call or message (text or transcript on stdin), or a JSONL batch."""
    from shieldwall.contact.scam.reports import ReportInput

    kind, reporter_id = _reporter(as_)
    svc = services().scam
    if jsonl is not None:
        _report_batch(jsonl, kind, reporter_id, json_out)
        return
    if channel is None or received_at is None:
        raise ReportRejected("--channel and --received-at are required", field="channel")
    text, replaced = _read_stdin(svc.settings.max_text_chars) if not sys.stdin.isatty() else ("", 0)
    outcome = svc.submit(
        ReportInput(
            channel=channel,
            received_at=_when(received_at),
            text=text,
            sender=sender,
            links=tuple(link or ()),
            customer_id=customer_id,
            victim_phone=victim_phone,
            caller_knew=tuple(knew or ()),
            replaced_chars=replaced,
        ),
        reporter_kind=kind,
        reporter_id=reporter_id,
    )
    if json_out:
        emit_json(outcome.to_dict())
    else:
        _print_outcome(outcome)


def _report_batch(path: Path, kind: str, reporter_id: str, json_out: bool) -> None:
    from shieldwall.contact.scam.normalize import decode

    svc = services().scam
    if not path.is_file():
        raise ReportRejected(f"{path} is not a readable file", field="jsonl")
    limit = svc.settings.max_text_chars * 4 + _LINE_SLACK
    with path.open("rb") as handle:
        total = sum(1 for _ in handle)
    accepted = failed = 0
    with path.open("rb") as handle, progress_bar("reporting", total) as tick:
        for number, raw, length in bounded_lines(handle, limit):
            tick()
            try:
                if raw is None:
                    raise ReportRejected(f"line is {length} bytes, over {limit}", field="line")
                if not raw.strip():
                    continue
                decoded = decode(raw)
                try:
                    doc = json.loads(decoded.text)
                except json.JSONDecodeError:
                    raise ReportRejected("is not valid JSON", field="line") from None
                outcome = svc.submit(
                    report_input(doc, replaced=decoded.replaced),
                    reporter_kind=kind,
                    reporter_id=reporter_id,
                )
            except ContactError as exc:
                failed += 1
                if json_out:
                    emit_json(
                        {
                            "line": number,
                            "error": {"code": exc.code, "field": exc.field, "reason": exc.reason},
                        }
                    )
                else:
                    err_console.print(f"line {number}: {exc}", markup=False)
                continue
            accepted += 1
            if json_out:
                emit_json({"line": number, **outcome.to_dict()})
    if not json_out:
        console.print(f"accepted {accepted} reports; rejected {failed}", markup=False)
    if failed:
        raise typer.Exit(EXIT_ERROR)


def _print_campaign(c: Campaign) -> None:
    console.print(
        f"{c.campaign_id}  size {c.size}  victims {c.victims}  max score {c.max_score:.2f}  "
        f"{c.first_seen:%Y-%m-%d %H:%M} .. {c.last_seen:%Y-%m-%d %H:%M}",
        markup=False,
    )
    strong = [f"{i.kind}:{i.value} x{i.reports}" for i in c.indicators if i.strong][:6]
    if strong:
        console.print("  indicators: " + ", ".join(strong), markup=False)
    console.print(f"  sample: {c.sample[:160]}", markup=False)


@app.command("campaigns")
def campaigns(
    min_size: Annotated[int, typer.Option("--min-size", help="only campaigns this big")] = 1,
    since: Annotated[
        str | None, typer.Option("--since", help="last seen at or after (ISO)")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 50,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="continue where a previous listing stopped")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Live campaigns, newest first (read a page at a time)."""
    scam = services().scam
    after = _when(since, "since") if since else None
    found = collect(
        lambda n, at: scam.campaigns(min_size=min_size, since=after, limit=n, cursor=at),
        limit,
        cursor,
    )
    if json_out:
        emit_json([c.to_dict() for c in found])
        return
    if not found:
        console.print("no campaigns", markup=False)
    for c in found:
        _print_campaign(c)


@app.command("victims")
def victims(
    campaign_id: Annotated[str, typer.Argument(help="a campaign id")],
    json_out: JsonOpt = False,
) -> None:
    """Customers a campaign reached, by first contact, with what the caller knew."""
    found = services().scam.victims(campaign_id)
    if json_out:
        emit_json([v.to_dict() for v in found])
        return
    if not found:
        console.print("no linked customers", markup=False)
    for v in found:
        console.print(
            f"{v.customer_id}  first contact {v.first_contact_at:%Y-%m-%d %H:%M}  "
            f"knew: {', '.join(v.knew) or '-'}",
            markup=False,
        )
