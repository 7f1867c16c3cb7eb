"""Incident cases and evidence: ``shieldwall cases open|show|list|transition|assign|link|
evidence add|evidence list|export|verify-bundle``.

Commands act as the local operator (an admin) unless ``--as`` names a principal.
``verify-bundle`` needs no database, no home and no key but the log's public key.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shieldwall.cli.common import EXIT_ERROR, as_principal, console, emit_json, err_console
from shieldwall.cli.common import services as _services
from shieldwall.core.model import Principal
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.respond.errors import BundleError, CaseInvalid, EvidenceTooLarge

cases = typer.Typer(help="Incident cases, evidence and bundles.", no_args_is_help=True)
evidence = typer.Typer(help="Evidence: sealed, hashed, every access audited.", no_args_is_help=True)
cases.add_typer(evidence, name="evidence")

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
AsOpt = Annotated[
    str | None, typer.Option("--as", help="principal id to act as (default: the operator)")
]
CaseArg = Annotated[str, typer.Argument(help="case id")]


def register(app: typer.Typer) -> None:
    app.add_typer(cases, name="cases")


def _actor(as_: str | None) -> Principal:
    return OPERATOR if as_ is None else as_principal(as_)


@cases.command("open")
def open_case(
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="alert | victims_trace | leak_trace | canary_hit | scam_campaign | manual",
        ),
    ] = "manual",
    ref: Annotated[
        str | None,
        typer.Option("--ref", help="the source's id (a trace result: its audit entry number)"),
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="owner principal id")] = None,
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Open a case from an alert, a trace result, a scam campaign, or by hand."""
    case = _services().cases.cases.open(
        source, ref, owner_id=owner, actor=_actor(as_), channel="cli"
    )
    if json_out:
        emit_json(case.as_dict())
    else:
        console.print(case.case_id, markup=False)


@cases.command("show")
def show(case_id: CaseArg, json_out: JsonOpt = False) -> None:
    """A case with its links, timeline and evidence (ids only, never personal data)."""
    svc = _services()
    file = svc.cases.cases.get(case_id)
    if json_out:
        deadlines = svc.cases.notices.deadline_clock(case_id)
        emit_json({**file.as_dict(), "notice_deadlines": [d.as_dict() for d in deadlines]})
        return
    c = file.case
    ref = f" {c.source_ref}" if c.source_ref else ""
    console.print(f"{c.case_id}  {c.state.value}  from {c.source_kind.value}{ref}", markup=False)
    console.print(f"owner {c.owner_id or '-'}; opened by {c.opened_by} at {c.opened_at}")
    for link in file.links:
        console.print(f"link  {link.kind.value} {link.ref}", markup=False)
    for t in file.timeline:
        detail = " ".join(f"{k}={v}" for k, v in sorted(t.detail.items()) if v)
        console.print(f"{t.n:>4}  {t.at:%Y-%m-%d %H:%M:%S}  {t.actor}  {t.action}  {detail}")
    for e in file.evidence:
        console.print(f"evidence  {e.evidence_id}  {e.kind.value}  {e.size} B  sha256 {e.sha256}")
    for d in svc.cases.notices.deadline_clock(c.case_id):
        console.print(f"notice  {d.line()}", markup=False)


@cases.command("list")
def list_cases(
    state: Annotated[str | None, typer.Option("--state", help="only cases in this state")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    json_out: JsonOpt = False,
) -> None:
    """Cases, newest first."""
    found = _services().cases.cases.recent(state, limit)
    if json_out:
        emit_json([c.as_dict() for c in found])
        return
    table = Table("case", "state", "source", "ref", "owner", "opened")
    for c in found:
        table.add_row(
            c.case_id,
            c.state.value,
            c.source_kind.value,
            c.source_ref or "",
            c.owner_id or "",
            c.opened_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@cases.command("transition")
def transition(
    case_id: CaseArg,
    to: Annotated[str, typer.Argument(help="open | investigating | contained | notified | closed")],
    as_: AsOpt = None,
) -> None:
    """Move a case to another state (the state table decides which moves are allowed)."""
    case = _services().cases.cases.transition(case_id, to, actor=_actor(as_), channel="cli")
    console.print(f"{case.case_id} {case.state.value}", markup=False)


@cases.command("assign")
def assign(
    case_id: CaseArg,
    owner: Annotated[str, typer.Argument(help="an admin or analyst principal id")],
    as_: AsOpt = None,
) -> None:
    """Make a principal the case's owner."""
    case = _services().cases.cases.assign(case_id, owner, actor=_actor(as_), channel="cli")
    console.print(f"{case.case_id} owned by {case.owner_id}", markup=False)


@cases.command("link")
def link(
    case_id: CaseArg,
    principal: Annotated[
        list[str] | None, typer.Option("--principal", help="a suspended principal (repeatable)")
    ] = None,
    release: Annotated[
        list[str] | None, typer.Option("--release", help="a release revoked (repeatable)")
    ] = None,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="a customer affected (repeatable)")
    ] = None,
    customers: Annotated[
        Path | None, typer.Option("--customers", help="file of customer ids, one per line")
    ] = None,
    suspend: Annotated[
        bool, typer.Option("--suspend", help="suspend the --principal ones now")
    ] = False,
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Link principals suspended, releases revoked and customers affected to a case."""
    ids = list(customer or [])
    if customers is not None:
        try:
            text = customers.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raise CaseInvalid(f"cannot read {customers}", field="customers") from None
        ids += [line.strip() for line in text.splitlines() if line.strip()]
    added = _services().cases.cases.link(
        case_id,
        principals=principal or [],
        releases=release or [],
        customers=ids,
        suspend=suspend,
        actor=_actor(as_),
        channel="cli",
    )
    if json_out:
        emit_json([a.as_dict() for a in added])
    else:
        console.print(f"{len(added)} links added", markup=False)


@evidence.command("add")
def evidence_add(
    case_id: CaseArg,
    file: Annotated[Path, typer.Argument(help="the evidence file")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind", help="leaked_file | victims_list | audit_export | screenshot | other"
        ),
    ],
    media_type: Annotated[
        str | None, typer.Option("--media-type", help="default: guessed from the file name")
    ] = None,
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Receive an evidence file: hashed, sealed, its receipt audited."""
    svc = _services()
    limit = svc.settings.respond.cases.max_evidence_bytes
    try:
        if file.stat().st_size > limit:
            raise EvidenceTooLarge(f"evidence exceeds {limit} bytes", field="file")
        content = file.read_bytes()
    except OSError as exc:
        raise CaseInvalid(f"cannot read {file}: {exc.strerror}", field="file") from None
    media = media_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    record = svc.cases.evidence.add(
        case_id,
        content,
        kind=kind,
        media_type=media,
        name=file.name,
        actor=_actor(as_),
        channel="cli",
    )
    if json_out:
        emit_json(record.as_dict())
    else:
        console.print(
            f"{record.evidence_id} sha256 {record.sha256}; receipt audit entry"
            f" {record.receipt_seq}",
            markup=False,
        )


@evidence.command("list")
def evidence_list(case_id: CaseArg, json_out: JsonOpt = False) -> None:
    """A case's evidence (records only; nothing is opened)."""
    items = _services().cases.evidence.items(case_id)
    if json_out:
        emit_json([e.as_dict() for e in items])
        return
    table = Table("evidence", "kind", "media type", "bytes", "sha256", "received", "receipt")
    for e in items:
        table.add_row(
            e.evidence_id,
            e.kind.value,
            e.media_type,
            str(e.size),
            e.sha256,
            e.received_at.strftime("%Y-%m-%d %H:%M"),
            str(e.receipt_seq if e.receipt_seq is not None else ""),
        )
    console.print(table)


@cases.command("export")
def export(
    case_id: CaseArg,
    out: Annotated[Path, typer.Option("--out", help="the bundle directory (must not exist)")],
    reason: Annotated[str, typer.Option("--reason", help="why (8-500 characters; audited)")],
    as_: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write a bundle a third party verifies offline: the evidence (decrypted: an audited
    access by an admin with a reason), a manifest, audit entries with proofs, the checkpoint
    and the public key."""
    summary = _services().cases.bundles.export(
        case_id, out, reason=reason, actor=_actor(as_), channel="cli"
    )
    if json_out:
        emit_json(
            {
                "path": str(summary.path),
                "case_id": summary.case_id,
                "items": summary.items,
                "entries": summary.entries,
                "tree_size": summary.tree_size,
            }
        )
    else:
        console.print(
            f"bundle {summary.path}: {summary.items} evidence items, {summary.entries} audit"
            f" entries proven against the checkpoint of size {summary.tree_size}",
            markup=False,
        )


@cases.command("verify-bundle")
def verify(
    bundle: Annotated[Path, typer.Argument(help="the bundle directory")],
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="the log's verifier key (or a file holding it) to compare with the bundle's",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a bundle with no database: files, hashes at receipt, proofs, the checkpoint."""
    from shieldwall.respond.bundle import verify_bundle

    vkey = key
    if key is not None and Path(key).is_file():
        try:
            vkey = Path(key).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise BundleError(f"cannot read {key}", field="key") from None
    check = verify_bundle(bundle, vkey)
    if json_out:
        emit_json(
            {
                "ok": check.ok,
                "case_id": check.case_id,
                "key": check.key,
                "passed": list(check.passed),
                "failed": list(check.failed),
            }
        )
    else:
        for line in check.passed:
            console.print(f"ok      {line}", markup=False)
        for line in check.failed:
            err_console.print(f"FAILED  {line}", markup=False)
        if check.ok and key is None:
            console.print(
                f"note: trusted the bundle's own key {check.key}; compare it with the store's"
                " published key (or pass --key)",
                markup=False,
            )
    if not check.ok:
        raise typer.Exit(EXIT_ERROR)
