"""``shieldwall worker``: the event intake from NATS JetStream (see docs/operations.md)."""

from __future__ import annotations

import dataclasses
import os
from typing import Annotated

import typer

from shieldwall.cli.common import EXIT_USAGE, emit_json, err_console, services, settings
from shieldwall.core.alerts import Alert


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    partitions: Annotated[
        int | None,
        typer.Option(min=1, max=1024, help="watch partitions (default nats.watch_partitions)"),
    ] = None,
    partition: Annotated[int, typer.Option(min=0, help="the watch partition this worker runs")] = 0,
    watch: Annotated[
        bool, typer.Option("--watch/--no-watch", help="run the insider-watch partition too")
    ] = False,
    relay: Annotated[
        bool | None,
        typer.Option(
            "--relay/--no-relay",
            help="relay the audit log to the watch partitions (default: with --watch, partition 0)",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(help="consume only these subjects (logins.attempts, access, ...); repeatable"),
    ] = None,
) -> None:
    """Consume the inbound subjects until SIGTERM; finish the batch in hand and exit 0.

    Configured like the API (``SHIELDWALL_*`` and the TOML file; ``SHIELDWALL_NATS_URL``,
    ``SHIELDWALL_NATS_STREAM``, ``SHIELDWALL_NATS_PREFIX``). Prints its counts as JSON on exit.
    """
    from shieldwall.intake.events import Kind
    from shieldwall.intake.worker import IntakeWorker, Relay, WatchPartition, run_worker
    from shieldwall.observe.logs import configure_logging
    from shieldwall.observe.metrics import process_exited
    from shieldwall.storage.trace_watch_repo import SqlCursorStore
    from shieldwall.wiring import build_intake, partition_watch

    cfg = settings()
    n = partitions or cfg.nats.watch_partitions
    if partition >= n:
        err_console.print(f"error: --partition must be below --partitions ({n})", markup=False)
        raise typer.Exit(EXIT_USAGE)
    kinds = list(Kind)
    if only:
        known = {k.value: k for k in Kind}
        unknown = [s for s in only if s not in known]
        if unknown:
            err_console.print(
                f"error: --only: unknown subject {unknown[0]!r} (one of {', '.join(known)})",
                markup=False,
            )
            raise typer.Exit(EXIT_USAGE)
        kinds = [known[s] for s in only]
    configure_logging(cfg.observe.log_level, cfg.observe.log_format)
    svc = services()
    wp: WatchPartition | None = None
    if watch:
        raised: list[Alert] = []
        wp = WatchPartition(partition_watch(svc, partition, n, raised.append), partition, n, raised)
    feed = None
    if relay or (relay is None and watch and partition == 0):
        feed = Relay(svc.audit, SqlCursorStore(svc.engine, svc.clock), n)
    runner = IntakeWorker(
        build_intake(svc), cfg.nats, kinds=kinds, watch=wp, relay=feed, telemetry=svc.telemetry
    )
    try:
        stats = run_worker(runner)
    finally:
        if wp is not None:
            wp.runner.stop()
        svc.close()
        if cfg.observe.metrics_dir is not None:  # its queue lag must not outlive it in a scrape
            process_exited(os.getpid(), cfg.observe.metrics_dir)
    emit_json(dataclasses.asdict(stats))
