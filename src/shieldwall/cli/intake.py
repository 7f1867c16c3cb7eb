"""``shieldwall worker``: the event intake from NATS JetStream (see docs/operations.md)."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from shieldwall.cli.common import EXIT_USAGE, emit_json, err_console, services, settings
from shieldwall.core.alerts import Alert

if TYPE_CHECKING:
    from shieldwall.wiring import Services


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
    host: Annotated[str, typer.Option(help="address of the probes and metrics listener")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="serve /livez, /readyz and /metrics on this port (default: none)"
        ),
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
    listener = None
    if port is not None:
        try:  # bound here, so a port in use is a usage error before anything starts
            listener = socket.create_server((host, port), family=_family(host))
        except OSError as exc:
            why = os.strerror(exc.errno) if exc.errno else str(exc)
            err_console.print(f"error: --port: cannot listen on {host}:{port}: {why}", markup=False)
            raise typer.Exit(EXIT_USAGE) from None
    configure_logging(cfg.observe.log_level, cfg.observe.log_format)
    svc = services()
    probes = None if listener is None else _Probes(svc, listener)
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
        if probes is not None:
            probes.stop()
        if wp is not None:
            wp.runner.stop()
        svc.close()
        if cfg.observe.metrics_dir is not None:  # its queue lag must not outlive it in a scrape
            process_exited(os.getpid(), cfg.observe.metrics_dir)
    emit_json(dataclasses.asdict(stats))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class _Probes:
    """The worker's probes and metrics (:func:`~shieldwall.api.app.create_probe_app`) served by
    uvicorn in a thread of their own, on a socket already bound; says where it listens."""

    def __init__(self, svc: Services, listener: socket.socket) -> None:
        import uvicorn

        from shieldwall.api.app import create_probe_app

        host, port = listener.getsockname()[:2]
        where = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        print(
            f"shieldwall worker: probes on {where}/livez {where}/readyz; metrics"
            f" {where}/metrics (API key of an admin or monitor unless api.metrics_public)",
            flush=True,
        )
        config = uvicorn.Config(
            create_probe_app(svc), log_config=None, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        # not the main thread: uvicorn leaves SIGTERM and SIGINT to the worker's own handlers
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [listener]}, name="probes", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
