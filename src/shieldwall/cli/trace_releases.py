"""Releases and leak attribution: ``shieldwall releases create|list|show|canary`` and
``shieldwall trace file``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from shieldwall.cli.common import EXIT_ERROR, collect, console, emit_json, progress_bar, services
from shieldwall.cli.trace_attribution import trace  # the `trace` group: file joins victims
from shieldwall.trace.releases.errors import ReleaseInvalid

releases = typer.Typer(help="Data releases: ledger, marks, canaries.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def register(app: typer.Typer) -> None:
    app.add_typer(releases, name="releases")


def _read_ids(path: Path | None, option: str) -> list[str]:
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise ReleaseInvalid(f"cannot read {path}", field=option) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


@releases.command("create")
def create(
    to: Annotated[str, typer.Option("--to", help="recipient principal id (partner or analyst)")],
    out: Annotated[Path, typer.Option("--out", help="where to write the export file")],
    fields: Annotated[
        str, typer.Option("--fields", help="comma-separated: name,phone,email,address,national_id")
    ] = "name,phone,address",
    customers: Annotated[
        Path | None, typer.Option("--customers", help="file of customer ids, one per line")
    ] = None,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="a customer id (repeatable)")
    ] = None,
    optional: Annotated[
        Path | None,
        typer.Option("--optional", help="file of optional customer ids (the code picks)"),
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="export | manifest | extract")] = "export",
    file_format: Annotated[str, typer.Option("--format", help="csv | json | xlsx")] = "csv",
    canaries: Annotated[
        int | None, typer.Option("--canaries", min=0, max=10_000, help="default: from settings")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="why (kept in the ledger)")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Grant, mark and record a release, and write its file atomically to ``--out``."""
    from shieldwall.trace.releases.exporter import write_atomic
    from shieldwall.trace.releases.service import ReleaseRequest

    if out.exists() and out.is_dir():
        raise ReleaseInvalid("is a directory", field="out")
    if not out.parent.is_dir():
        raise ReleaseInvalid(f"directory {out.parent} does not exist", field="out")
    ids = _read_ids(customers, "customers") + list(customer or [])
    created = services().releases.create(
        ReleaseRequest(
            recipient_id=to,
            customer_ids=ids,
            optional_ids=_read_ids(optional, "optional"),
            fields=[f.strip() for f in fields.split(",") if f.strip()],
            kind=kind,
            file_format=file_format,
            canaries=canaries,
            note=note,
        )
    )
    write_atomic(out, created.file.content)
    r = created.release
    if json_out:
        emit_json({"release": r.as_dict(), "grants": created.grant_count, "file": str(out)})
        return
    console.print(
        f"{r.release_id} to {r.recipient_id}: {r.record_count} customers"
        f" ({r.optional_included} of {r.optional_pool} optional), {r.canary_count} canaries,"
        f" columns {', '.join(f'{k}:{v}' for k, v in r.columns.items())}",
        markup=False,
    )
    console.print(f"wrote {out} (sha256 {r.file_sha256})", markup=False)


@releases.command("list")
def list_(
    recipient: Annotated[str | None, typer.Option("--to", help="only this recipient")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 100,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="continue where a previous listing stopped")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Releases, newest first (read a page at a time)."""
    releases = services().releases
    found = collect(lambda n, at: releases.page(recipient, n, at), limit, cursor)
    if json_out:
        emit_json({"releases": [r.as_dict() for r in found]})
        return
    table = Table("release", "recipient", "kind", "records", "canaries", "format", "created")
    for r in found:
        table.add_row(
            r.release_id,
            r.recipient_id,
            r.kind,
            str(r.record_count),
            str(r.canary_count),
            r.file_format,
            r.created_at.isoformat(timespec="seconds"),
        )
    console.print(table)


def _print_release(data: dict[str, Any]) -> None:
    for key, value in data.items():
        console.print(f"{key:18} {value}", markup=False)


@releases.command("show")
def show(
    release_id: Annotated[str, typer.Argument(help="the release id")], json_out: JsonOpt = False
) -> None:
    """One release from the ledger."""
    data = services().releases.get(release_id).as_dict()
    if json_out:
        emit_json(data)
    else:
        _print_release(data)


@releases.command("canary")
def canary(
    contact: Annotated[str, typer.Argument(help="a trap phone number or e-mail address")],
    json_out: JsonOpt = False,
) -> None:
    """The release a trap contact was issued in."""
    match = services().releases.canary(contact)
    if json_out:
        emit_json({"kind": match.kind, "release": match.release.as_dict()})
        return
    console.print(f"trap {match.kind} issued in:", markup=False)
    _print_release(match.release.as_dict())


@trace.command("file")
def trace_file(
    leak: Annotated[Path, typer.Argument(help="the leaked file (CSV, JSON, XLSX or text)")],
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv | json | xlsx | text (default: sniffed)")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Who leaked this file: canaries, mark scores and overlap per recipient."""
    svc = services()
    with progress_bar("reading rows", None) as tick:
        report = svc.leak_trace.trace(leak, file_format=file_format, progress=tick)
    if json_out:
        emit_json(report.as_dict())
        return
    console.print(
        f"{report.rows_read} rows ({report.file_format}): {report.rows_matched} matched"
        f" {report.customers_matched} customers, {report.canary_rows} canary rows,"
        f" {report.customers_unreleased} matched customers were never released",
        markup=False,
    )
    erased = ", ".join(report.channels_erased) or "none"
    console.print(
        f"mark channels observed: {report.channels_observed}; erased: {erased}", markup=False
    )
    table = Table("recipient", "accused", "p (innocent)", "positions", "canaries", "held", "excl.")
    for f in report.recipients:
        table.add_row(
            f.recipient_id,
            "YES" if f.accused else "no",
            f"{10.0**f.log10_p:.2g}",
            str(f.positions),
            str(f.canary_hits),
            str(f.rows_held),
            str(f.exclusive_rows),
        )
    console.print(table)
    for f in report.recipients:
        if f.accused:
            console.print(f"{f.recipient_id}:", markup=False)
            for line in f.evidence:
                console.print(f"  {line}", markup=False)
    console.print(
        f"accuse at p <= {report.threshold:g} per recipient ({len(report.recipients)} considered)"
    )
    if not report.recipients:
        raise typer.Exit(EXIT_ERROR)
