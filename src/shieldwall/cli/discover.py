"""``shieldwall discover``: find personal data where it should not be.

- ``scan PATH...``  text, log, CSV/TSV, XLSX and JSON-lines files (directories: every file in
  them), streamed with a progress bar on stderr; prints where each finding is, its type, its
  confidence, the reason and the MASKED value (``--json``: one JSON object a line, then a
  summary line); ``--redact OUT`` writes redacted copies (OUT is a file for one input file, else
  a directory mirroring the inputs), each atomically.
- ``proxy --upstream URL --routes routes.yaml``  a reverse proxy in front of a store's API that
  raises an alert when a response carries personal data its route does not declare.

Unreadable input (missing file, wrong encoding, corrupt XLSX or JSON) prints one line on stderr
and exits 1; nothing half-written is left behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shieldwall.cli.common import console, emit_json, err_console

app = typer.Typer(help="Find personal data in files and API responses.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="discover")


def _inputs(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(file, its path relative to the input it came from) for every file named or inside a
    named directory, in a stable order."""
    from shieldwall.discover.errors import UnreadableInput

    out: list[tuple[Path, Path]] = []
    for path in paths:
        if path.is_dir():
            out += [(f, f.relative_to(path)) for f in sorted(path.rglob("*")) if f.is_file()]
        elif path.is_file():
            out.append((path, Path(path.name)))
        else:
            raise UnreadableInput(f"{path}: no such file or directory")
    return out


@app.command()
def scan(
    paths: Annotated[list[Path], typer.Argument(help="files or directories to scan")],
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines: hits, then a summary")
    ] = False,
    redact: Annotated[
        Path | None, typer.Option("--redact", help="write redacted copies here (file or directory)")
    ] = None,
    encoding: Annotated[str, typer.Option(help="text encoding of the inputs")] = "utf-8",
    min_confidence: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="report findings at least this sure")
    ] = 0.0,
) -> None:
    """Scan files for personal data; values are shown masked only."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from shieldwall.discover.analyzer import Analyzer
    from shieldwall.discover.files import FileScanner
    from shieldwall.discover.report import Summary

    files = _inputs(paths)
    if redact is not None:
        resolved = {f.resolve() for f, _ in files}
        if redact.resolve() in resolved:
            raise typer.BadParameter("must not be one of the inputs", param_hint="--redact")
    single = len(files) == 1 and not paths[0].is_dir() and not (redact and redact.is_dir())
    summary = Summary()
    bar = Progress(
        TextColumn("[bold]scanning"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
    )
    with bar:
        task = bar.add_task("scan", total=sum(f.stat().st_size for f, _ in files))
        scanner = FileScanner(
            Analyzer(min_confidence=min_confidence),
            encoding=encoding,
            on_bytes=lambda n: bar.advance(task, n),
        )
        for path, relative in files:
            target = None
            if redact is not None:
                target = redact if single else redact / relative
            summary.files += 1
            summary.bytes += path.stat().st_size
            for hit in scanner.scan(path, target):
                summary.add(hit)
                if as_json:
                    emit_json(hit.to_dict())
                else:
                    console.print(
                        f"{hit.path}: {hit.place()}  {hit.type.value}  {hit.confidence:.2f}  "
                        f"{hit.masked}  ({hit.reason})",
                        markup=False,
                    )
    if as_json:
        emit_json({"summary": summary.to_dict()})
        return
    total = sum(sum(c.values()) for c in summary.counts.values())
    per_type: dict[str, int] = {}
    for counts in summary.counts.values():
        for kind, n in counts.items():
            per_type[kind] = per_type.get(kind, 0) + n
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(per_type.items())) or "nothing"
    console.print(f"{summary.files} file(s), {summary.bytes} bytes: {total} finding(s): {kinds}")


@app.command()
def proxy(
    upstream: Annotated[str, typer.Option(help="base URL of the store's API (http or https)")],
    routes: Annotated[Path, typer.Option(help="YAML: the personal data each route may return")],
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8088,
    max_body_bytes: Annotated[
        int, typer.Option(min=1, help="responses larger than this pass unchecked")
    ] = 4 << 20,
) -> None:
    """Run a reverse proxy that raises an alert when a response carries undeclared data."""
    import httpx
    import uvicorn

    from shieldwall.cli.common import services
    from shieldwall.discover.errors import UnreadableInput
    from shieldwall.discover.exposure import ExposureAlerts, RouteTable
    from shieldwall.discover.proxy import ExposureProxy, proxy_app

    if not upstream.startswith(("http://", "https://")):
        raise typer.BadParameter("must be an http:// or https:// URL", param_hint="--upstream")
    try:
        text = routes.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise UnreadableInput(f"{routes}: cannot read the routes file") from None
    table = RouteTable.from_yaml(text)
    svc = services()
    client = httpx.AsyncClient(base_url=upstream, timeout=30.0)
    checker = ExposureProxy(
        client, table, ExposureAlerts(svc.raising_alerts, svc.clock), max_body_bytes=max_body_bytes
    )
    err_console.print(f"proxying {host}:{port} -> {upstream} ({len(table.routes)} routes)")
    # entry() closes the services on exit: queued alerts get close_timeout_seconds to go out
    uvicorn.run(proxy_app(checker), host=host, port=port, log_level="warning")
