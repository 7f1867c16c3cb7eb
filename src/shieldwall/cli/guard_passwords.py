"""``shieldwall passwords``: the breached-password corpus and the password check.

- ``import SOURCE...``  build the corpus from HIBP downloader output or password lists
- ``merge SOURCE...``   fold a newer download (or another list) into the corpus
- ``check``             judge a password read from stdin (never from the command line)
- ``stats``             size, bytes per hash, and (``--verify``) every shard's checksum
- ``range PREFIX``      print what ``GET /range/{prefix}`` would answer

An interrupted ``import`` or ``merge`` continues where it stopped when run again with the same
sources; ``--restart`` abandons it instead. ``check`` exits 0 when the password is accepted and
5 when it is rejected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from shieldwall.cli.common import (
    console,
    emit_json,
    err_console,
    read_secret_input,
    services,
    settings,
)
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.guard.passwords.context import CustomerContext
from shieldwall.guard.passwords.errors import ImportFailed
from shieldwall.guard.passwords.formats import MergeMode, SourceFormat, default_mode

# The corpus, its importer (NumPy), the hashes (PyCryptodome) and the checker (zxcvbn) load when
# a command runs, not for ``--help``.
if TYPE_CHECKING:
    from shieldwall.guard.passwords.hashing import HashKind
    from shieldwall.guard.passwords.importer import ImportReport
    from shieldwall.guard.passwords.policy import PasswordVerdict

EXIT_REJECTED = 5

app = typer.Typer(help="Breached-password corpus and password checks.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
NtlmOpt = Annotated[bool, typer.Option("--ntlm", help="NTLM hashes instead of SHA-1")]
FormatOpt = Annotated[
    SourceFormat,
    typer.Option(
        "--format",
        help="hibp (HASH:COUNT lines, a file or a directory of XXXXX.txt), plain (one password"
        " a line), plain-counts (password:count)",
    ),
]
SourcesArg = Annotated[list[Path], typer.Argument(help="files or HIBP range directories")]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="stop at the first malformed line instead of skipping")
]
RestartOpt = Annotated[
    bool, typer.Option("--restart", help="abandon an unfinished import before starting")
]


def _kind(ntlm: bool) -> HashKind:
    from shieldwall.guard.passwords.hashing import HashKind

    return HashKind.NTLM if ntlm else HashKind.SHA1


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="passwords")


class RichProgress:
    """The importer's :class:`Progress` as Rich bars on stderr, one per phase."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def phase(self, name: str, total: int) -> None:
        label = "reading sources" if name == "read" else "building shards"
        self.task = self.bar.add_task(label, total=total)

    def advance(self, amount: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, amount)


def _run_import(
    sources: list[Path],
    fmt: SourceFormat,
    ntlm: bool,
    mode: MergeMode,
    *,
    strict: bool,
    restart: bool,
    require_empty: bool,
    json_out: bool,
) -> None:
    from shieldwall.guard.passwords.importer import CorpusImporter

    s = settings()
    kind = _kind(ntlm)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
    )
    with bar:
        importer = CorpusImporter(
            s.resolved_password_dir,
            kind,
            progress=RichProgress(bar),
            fsync=s.guard.passwords.import_fsync,
            strict=strict,
        )
        if restart:
            importer.discard_pending()
        elif importer.pending() is not None:
            err_console.print("continuing the unfinished import of these sources", markup=False)
        report = importer.run([(p, fmt) for p in sources], mode, require_empty=require_empty)
    _print_report(report, json_out)


def _print_report(report: ImportReport, json_out: bool) -> None:
    if json_out:
        emit_json(report.as_dict())
        return
    rate = report.lines / report.seconds if report.seconds else 0.0
    console.print(
        f"{report.kind} corpus: {report.hashes_before:,} -> {report.hashes_after:,} hashes"
        f" ({report.mode} counts{', resumed' if report.resumed else ''})"
    )
    console.print(
        f"read {report.lines:,} lines in {report.seconds:.1f}s ({rate:,.0f} lines/s);"
        f" {report.shards_written} shards written"
    )
    if report.malformed:
        err_console.print(f"skipped {report.malformed:,} malformed lines:", markup=False)
        for e in report.errors:
            err_console.print(f"  {e}", markup=False)
        if report.malformed > len(report.errors):
            err_console.print(f"  ... and {report.malformed - len(report.errors):,} more")


@app.command("import")
def import_(
    sources: SourcesArg,
    fmt: FormatOpt = SourceFormat.HIBP,
    ntlm: NtlmOpt = False,
    strict: StrictOpt = False,
    restart: RestartOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Build an empty corpus from SOURCES (HIBP downloads or password lists)."""
    _run_import(
        sources,
        fmt,
        ntlm,
        default_mode(fmt),
        strict=strict,
        restart=restart,
        require_empty=True,
        json_out=json_out,
    )


@app.command("merge")
def merge(
    sources: SourcesArg,
    fmt: FormatOpt = SourceFormat.HIBP,
    ntlm: NtlmOpt = False,
    mode: Annotated[
        MergeMode | None,
        typer.Option(
            "--mode",
            help="replace: new counts replace ours (default for hibp, whose counts are totals);"
            " add: counts add up (default for password lists)",
        ),
    ] = None,
    strict: StrictOpt = False,
    restart: RestartOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Merge SOURCES into the corpus: new hashes added, counts updated."""
    _run_import(
        sources,
        fmt,
        ntlm,
        mode or default_mode(fmt),
        strict=strict,
        restart=restart,
        require_empty=False,
        json_out=json_out,
    )


def _context_file(path: Path) -> CustomerContext:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"{path} is not a readable JSON file", field="context") from exc
    allowed = {"name", "phone", "national_id", "email"}
    if not isinstance(data, dict) or not set(data) <= allowed:
        raise ImportFailed(
            f"{path}: expected a JSON object with keys among {', '.join(sorted(allowed))}",
            field="context",
        )
    values = {k: str(v) for k, v in data.items() if v is not None}
    return CustomerContext(
        name=values.get("name"),
        phone=values.get("phone"),
        national_id=values.get("national_id"),
        email=values.get("email"),
    )


def _print_verdict(verdict: PasswordVerdict, lang: str) -> None:
    if verdict.accepted:
        console.print(
            {"zh": "可以使用这个密码。", "en": "Password accepted."}.get(
                lang, "可以使用这个密码。 Password accepted."
            )
        )
        return
    for r in verdict.reasons:
        text = {"zh": r.zh, "en": r.en}.get(lang, f"{r.zh} {r.en}")
        console.print(f"[{r.code}] {text}", markup=False)


@app.command("check")
def check(
    customer: Annotated[
        str | None,
        typer.Option("--customer", help="customer id: their name, phone, ID number from custody"),
    ] = None,
    context: Annotated[
        Path | None,
        typer.Option(
            "--context", help="JSON file with name, phone, national_id, email (not argv: PII)"
        ),
    ] = None,
    mfa: Annotated[bool, typer.Option("--mfa", help="a second factor is required too")] = False,
    lang: Annotated[str, typer.Option("--lang", help="zh, en or both")] = "both",
    json_out: JsonOpt = False,
) -> None:
    """Judge a password read from stdin (or prompted for, unechoed)."""
    ctx = _context_file(context) if context is not None else None
    if customer is not None:
        svc = services()
        from_custody = svc.passwords.customers.context_for(customer, OPERATOR, "cli")
        ctx = from_custody if ctx is None else _overlay(from_custody, ctx)
        checker = svc.passwords.checker
    else:
        from shieldwall.wiring import build_passwords

        checker = build_passwords(settings())[1]
    password = read_secret_input("password")
    verdict = checker.check(password, mfa=mfa, context=ctx)
    if json_out:
        emit_json(verdict.as_dict())
    else:
        _print_verdict(verdict, lang)
    if not verdict.accepted:
        raise typer.Exit(EXIT_REJECTED)


def _overlay(base: CustomerContext, given: CustomerContext) -> CustomerContext:
    return CustomerContext(
        name=given.name or base.name,
        phone=given.phone or base.phone,
        national_id=given.national_id or base.national_id,
        email=given.email or base.email,
        birthday=given.birthday or base.birthday,
    )


@app.command("stats")
def stats(
    ntlm: NtlmOpt = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="read every shard and check its checksum")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Hashes, shards, bytes on disk and bytes per hash of a corpus."""
    from shieldwall.guard.passwords.corpus import BreachedCorpus
    from shieldwall.guard.passwords.importer import CorpusImporter

    kind = _kind(ntlm)
    corpus = BreachedCorpus(settings().resolved_password_dir, kind)
    st = corpus.stats()
    pending = CorpusImporter(settings().resolved_password_dir, kind).pending()
    problems = corpus.verify_all() if verify else []
    data = st.as_dict() | {"unfinished_import": pending is not None}
    if verify:
        data["problems"] = problems
    if json_out:
        emit_json(data)
    else:
        console.print(
            f"{kind} corpus: {st.hashes:,} hashes in {st.shards} shards,"
            f" {st.bytes_on_disk:,} bytes ({st.bytes_per_hash:.2f} bytes/hash)"
        )
        if pending is not None:
            console.print("an import is unfinished: re-run it to continue, or --restart it")
        for p in problems:
            err_console.print(f"corrupt: {p}", markup=False)
        if verify and not problems:
            console.print("every shard verified")
    if problems:
        raise typer.Exit(1)


@app.command("range")
def range_(
    prefix: Annotated[str, typer.Argument(help="5 hex digits")],
    ntlm: NtlmOpt = False,
    pad: Annotated[bool, typer.Option("--pad", help="add padding as Add-Padding: true")] = False,
) -> None:
    """Print the range API body for PREFIX (CRLF between lines)."""
    from shieldwall.guard.passwords.rangeapi import range_body
    from shieldwall.wiring import build_passwords

    corpora = build_passwords(settings())[0]
    kind = _kind(ntlm)
    body = range_body(corpora, prefix, kind=kind, pad=pad)
    typer.echo(body, nl=bool(body))
