"""``shieldwall init`` and ``shieldwall serve``."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from shieldwall.cli.common import console, emit_json, settings


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)


def init(
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Create the home directory, key file (or the provider's first key) and database
    (idempotent)."""
    from shieldwall.wiring import initialize

    report = initialize(settings())
    if json_out:
        emit_json(dataclasses.asdict(report))
        return
    made = "created" if report.created_key_file else "kept existing"
    console.print(f"home       {report.home}")
    console.print(f"database   {report.database_url} (migrated)")
    if report.key_provider == "file":
        console.print(
            f"key file   {report.key_file} ({made}; keep it secret, back it up, never commit it)"
        )
    else:
        made = "created its first key" if report.created_key_file else "kept existing keys"
        console.print(f"keys       {report.key_file} ({made})", markup=False)
    console.print(f"field keys version {report.field_key_version}")


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port")] = 8080,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
) -> None:
    """Serve the HTTP API with uvicorn (logs: JSON lines on stderr, see docs/operations.md)."""
    import uvicorn

    from shieldwall.observe.logs import configure_logging

    config = settings()  # fail fast on bad configuration
    where = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    print(
        f"shieldwall serve: listening on {where} (host {host}, port {port}, workers {workers});"
        f" health {where}/livez {where}/readyz; metrics {where}/metrics; OpenAPI"
        f" {where}/v1/openapi.json (API key required; no interactive docs)",
        flush=True,
    )
    configure_logging(config.observe.log_level, config.observe.log_format)
    uvicorn.run(
        "shieldwall.api.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # ours (configure_logging): uvicorn's lines become JSON too
        log_level="warning",
        access_log=False,  # RequestObserver writes the access log, by route template
    )
