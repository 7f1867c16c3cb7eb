"""Breach notices: ``shieldwall cases notices clock|render|record|list``.

Commands act as the local operator (an admin) unless ``--as`` names a principal. ``render``
writes one notice (HTML or PDF) to a file, atomically; a letter to a person names them by
masked name only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shieldwall.cli.common import as_principal, collect, console, emit_json
from shieldwall.cli.common import services as _services
from shieldwall.cli.respond_cases import AsOpt, CaseArg, JsonOpt, cases
from shieldwall.core.files import write_atomic
from shieldwall.core.model import Principal
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.respond.errors import CaseInvalid
from shieldwall.respond.notices.content import NoticeParams, check_params
from shieldwall.respond.notices.model import Audience, Channel, Format, Language, Regime, parse

notices = typer.Typer(
    help="Breach notices (PIPL art. 57, GDPR art. 33/34): clock, render, record, list.",
    no_args_is_help=True,
)

# The options render and record share (a notice's kind and the codes it is drafted with), and
# those each has alone, declared once here so the two commands read as their differences.
RegimeOpt = Annotated[str, typer.Option("--regime", help="pipl | gdpr")]
AudienceOpt = Annotated[str, typer.Option("--audience", help="authority | person")]
LangOpt = Annotated[str, typer.Option("--lang", help="zh-CN | en")]
CauseOpt = Annotated[
    str | None, typer.Option("--cause", help="cause code (default: from the case's source)")
]
MeasureOpt = Annotated[
    list[str] | None, typer.Option("--measure", help="a remedial measure code (repeatable)")
]
KindOpt = Annotated[
    list[str] | None,
    typer.Option("--kind", help="a kind of personal information to add (repeatable)"),
]
DelayOpt = Annotated[
    str | None, typer.Option("--delay-reason", help="GDPR: why later than 72 hours (a code)")
]
OutOpt = Annotated[Path, typer.Option("--out", help="the file to write (must not exist)")]
FormatOpt = Annotated[str, typer.Option("--format", help="html | pdf")]
PersonOpt = Annotated[
    str | None, typer.Option("--customer", help="the person (a notice to a person)")
]
PersonsOpt = Annotated[
    list[str] | None, typer.Option("--customer", help="a person notified (repeatable)")
]
ChannelOpt = Annotated[
    str, typer.Option("--channel", help="portal | email | post | sms | phone | in_person")
]
AllAffectedOpt = Annotated[
    bool, typer.Option("--all-affected", help="every customer linked to the case")
]
AtOpt = Annotated[
    str | None, typer.Option("--at", help="when it went out, ISO 8601 with offset (default: now)")
]
ReferenceOpt = Annotated[str | None, typer.Option("--reference", help="the authority's reference")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=100_000, help="at most this many")]
CursorOpt = Annotated[
    str | None, typer.Option("--cursor", help="continue where a previous listing stopped")
]


def register(app: typer.Typer) -> None:
    """Hang ``notices`` under ``cases`` (``app`` is the root; the same shape as every group)."""
    del app
    cases.add_typer(notices, name="notices")


def _actor(as_: str | None) -> Principal:
    return OPERATOR if as_ is None else as_principal(as_)


def _params(
    cause: str | None, measure: list[str] | None, kind: list[str] | None, delay: str | None
) -> NoticeParams:
    return check_params(cause, measure or [], kind or [], delay)


@notices.command("clock")
def clock(case_id: CaseArg, json_out: JsonOpt = False) -> None:
    """Time since discovery and what is due when, per law and audience."""
    deadlines = _services().cases.notices.deadline_clock(case_id)
    if json_out:
        emit_json([d.as_dict() for d in deadlines])
        return
    for d in deadlines:
        console.print(d.line(), markup=False)


@notices.command("render")
def render(
    case_id: CaseArg,
    out: OutOpt,
    regime: RegimeOpt,
    audience: AudienceOpt,
    lang: LangOpt = "zh-CN",
    fmt: FormatOpt = "html",
    customer: PersonOpt = None,
    cause: CauseOpt = None,
    measure: MeasureOpt = None,
    kind: KindOpt = None,
    delay_reason: DelayOpt = None,
    as_: AsOpt = None,
) -> None:
    """Write one notice to a file (nothing is recorded)."""
    params = _params(cause, measure, kind, delay_reason)
    if out.exists():
        raise CaseInvalid(f"{out} exists; choose a new file", field="out")
    rendered = _services().cases.notices.render(
        case_id,
        parse(Regime, regime, "regime"),
        parse(Audience, audience, "audience"),
        parse(Language, lang, "lang"),
        params,
        fmt=parse(Format, fmt, "format"),
        customer_id=customer,
        actor=_actor(as_),
        channel="cli",
    )
    _write_new(out, rendered.content)
    console.print(f"{out}: {len(rendered.content)} bytes, html sha256 {rendered.html_sha256}")


def _write_new(path: Path, content: bytes) -> None:
    """Write ``content`` to the new file ``path`` whole or not at all; an existing file is
    never replaced."""
    try:
        write_atomic(path, content, exclusive=True)
    except FileExistsError:
        raise CaseInvalid(f"{path} exists; choose a new file", field="out") from None
    except OSError as exc:
        raise CaseInvalid(f"cannot write {path}: {exc.strerror}", field="out") from None


@notices.command("record")
def record(
    case_id: CaseArg,
    regime: RegimeOpt,
    audience: AudienceOpt,
    channel: ChannelOpt,
    lang: LangOpt = "zh-CN",
    customer: PersonsOpt = None,
    all_affected: AllAffectedOpt = False,
    at: AtOpt = None,
    reference: ReferenceOpt = None,
    cause: CauseOpt = None,
    measure: MeasureOpt = None,
    kind: KindOpt = None,
    delay_reason: DelayOpt = None,
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record that a notice went out (to the authority: a contained case moves to notified)."""
    params = _params(cause, measure, kind, delay_reason)
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise CaseInvalid("not an ISO 8601 date-time", field="at") from None
        if when.tzinfo is None:
            raise CaseInvalid("give a time zone (e.g. Z or +08:00)", field="at")
    recorded = _services().cases.notices.record(
        case_id,
        parse(Regime, regime, "regime"),
        parse(Audience, audience, "audience"),
        parse(Channel, channel, "channel"),
        parse(Language, lang, "lang"),
        params,
        customer_ids=customer or [],
        all_affected=all_affected,
        notified_at=when,
        reference=reference,
        actor=_actor(as_),
        via="cli",
    )
    if json_out:
        emit_json(recorded.as_dict())
        return
    console.print(
        f"{len(recorded.records)} notices recorded; {len(recorded.skipped)} already notified;"
        f" case {recorded.state.value}",
        markup=False,
    )
    if recorded.note:
        console.print(recorded.note, markup=False)


@notices.command("list")
def list_notices(
    case_id: CaseArg,
    limit: LimitOpt = 10_000,
    cursor: CursorOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Who was notified, when, how and by whom, newest recorded first (read 500 at a time;
    by default a whole case, one record per person notified; when more remain than
    ``--limit``, stderr says how to continue)."""
    notices_ = _services().cases.notices
    found = collect(lambda n, at: notices_.page(case_id, n, at), limit, cursor)
    if json_out:
        emit_json([r.as_dict() for r in found])
        return
    table = Table("notice", "law", "to", "customer", "channel", "lang", "notified", "by")
    for r in found:
        table.add_row(
            r.notice_id,
            r.regime.value,
            r.audience.value,
            r.customer_id or "",
            r.channel.value,
            r.language.value,
            r.notified_at.strftime("%Y-%m-%d %H:%M"),
            r.recorded_by,
        )
    console.print(table)
