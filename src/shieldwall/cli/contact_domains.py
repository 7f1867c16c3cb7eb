"""``shieldwall domains``: scan observed domains/URLs for lookalikes; generate watch lists.

    shieldwall domains scan --brand jd.com [--brand jd.hk ...] [--brands-file brands.toml] [FILE|-]
    shieldwall domains permutations --brand jd.com [--format json|text]

``scan`` writes one JSON object per input line to stdout (``input``, ``verdict``, ``brand``,
``techniques``, ``score``, ``host``, ``registrable_domain``, ``reasons``); a line it cannot judge
gives ``{"input", "error", "line"}`` and the scan goes on. A summary goes to stderr. Exit status:
0 when the input was read to the end (even with bad lines), 2 for bad options or brands files.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import typer

from shieldwall.cli import common
from shieldwall.core.errors import ConfigError

# The scanner's modules (rapidfuzz, the suffix list) load when a command runs, not for --help.
if TYPE_CHECKING:
    from shieldwall.config import DomainSettings
    from shieldwall.contact.domains.brands import BrandBook
    from shieldwall.contact.domains.scanner import LookalikeScanner

app = typer.Typer(
    name="domains",
    help="Lookalike domains: scan observed names against protected brands; watch lists.",
    no_args_is_help=True,
)

_FLUSH_EVERY = 4096


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="domains")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _settings(threshold: float | None, popular: bool) -> DomainSettings:
    from pydantic import ValidationError

    from shieldwall.config import DomainSettings

    try:
        base = common.settings().contact.domains
        changes: dict[str, object] = {"popular_allowlist": popular and base.popular_allowlist}
        if threshold is not None:
            changes["threshold"] = threshold
        return DomainSettings.model_validate({**base.model_dump(), **changes})
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    except ValidationError as exc:
        raise _fail(f"--threshold: {exc.errors()[0]['msg']}") from exc


def _book(brands: list[str], brands_file: Path | None, settings: DomainSettings) -> BrandBook:
    from shieldwall.contact.domains.brands import BrandBook, brands_from_domains, load_brands_file
    from shieldwall.contact.domains.errors import DomainError

    book = BrandBook(())
    try:
        if brands:
            book = book.merged(brands_from_domains(brands))
        path = brands_file or settings.brands_file
        if path is not None:
            book = book.merged(load_brands_file(path))
    except DomainError as exc:
        raise _fail(str(exc)) from exc
    if not book.brands:
        raise _fail("give at least one --brand DOMAIN or a --brands-file")
    return book


@app.command()
def scan(
    source: str = typer.Argument("-", help="file of domains or URLs, one per line; - for stdin"),
    brand: list[str] = typer.Option([], "--brand", help="an official domain (repeatable)"),
    brands_file: Path | None = typer.Option(None, "--brands-file", help="TOML brands file"),
    threshold: float | None = typer.Option(None, help="lookalike at or above this score"),
    popular_allowlist: bool = typer.Option(
        True, help="do not judge registrable domains on the shipped popular-domain list"
    ),
) -> None:
    """Judge each line: official, lookalike (brand, techniques, score) or clean."""
    from shieldwall.contact.domains.scanner import LookalikeScanner

    settings = _settings(threshold, popular_allowlist)
    scanner = LookalikeScanner(_book(brand, brands_file, settings), settings)
    if source == "-":
        _run(scanner, sys.stdin.buffer, settings.max_line_bytes)
        return
    try:
        handle = Path(source).open("rb")  # noqa: SIM115 (closed below, after streaming)
    except OSError as exc:
        raise _fail(f"cannot read {source}: {exc.strerror}") from exc
    with handle:
        _run(scanner, handle, settings.max_line_bytes)


def _run(scanner: LookalikeScanner, stream: BinaryIO, max_line_bytes: int) -> None:
    from shieldwall.contact.domains.stream import read_lines, scan_lines

    out = sys.stdout
    counts: Counter[str] = Counter()
    for n, record in enumerate(scan_lines(scanner, read_lines(stream, max_line_bytes)), 1):
        counts[str(record.get("verdict", "error"))] += 1
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        if n % _FLUSH_EVERY == 0:
            out.flush()
    out.flush()
    summary = ", ".join(f"{counts[k]} {k}" for k in ("lookalike", "official", "clean", "error"))
    typer.echo(f"scanned {sum(counts.values())} lines: {summary}", err=True)


@app.command()
def permutations(
    brand: list[str] = typer.Option(..., "--brand", help="an official domain (repeatable)"),
    output_format: str = typer.Option("json", "--format", help="json (one object a line) or text"),
) -> None:
    """Generate a watch list of permutations of each official domain (no network lookups)."""
    from shieldwall.contact.domains.fuzzers import watch_list
    from shieldwall.contact.domains.psl import RegistrableDomains

    if output_format not in {"json", "text"}:
        raise _fail("--format must be json or text")
    settings = _settings(None, popular=True)
    book = _book(brand, None, settings)
    splitter = RegistrableDomains()
    for entry in book.brands:
        for domain in entry.domains:
            split = splitter.split(tuple(domain.split(".")))
            for p in watch_list(
                domain,
                keywords=settings.keywords,
                tlds=settings.tld_swaps,
                label=split.label,
                suffix=split.suffix,
            ):
                if output_format == "text":
                    typer.echo(p.domain)
                else:
                    record = {
                        "domain": p.domain,
                        "unicode": p.unicode,
                        "technique": p.technique,
                        "brand": entry.name,
                        "of": domain,
                    }
                    typer.echo(json.dumps(record, ensure_ascii=False))
