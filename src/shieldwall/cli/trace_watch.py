"""Insider watch: ``shieldwall watch run|status`` and ``shieldwall alerts show|close``."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import typer
from rich.table import Table

from shieldwall.cli.audit import alert_id_column
from shieldwall.cli.audit import alerts as alerts_app
from shieldwall.cli.common import (
    EXIT_ERROR,
    console,
    emit_json,
    err_console,
    progress_bar,
    services,
)
from shieldwall.custody.errors import NotFound

watch = typer.Typer(help="Insider watch over the audit log.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def register(app: typer.Typer) -> None:
    app.add_typer(watch, name="watch")
    alerts_app.command("show")(alerts_show)
    alerts_app.command("close")(alerts_close)


@watch.command("run")
def watch_run(
    once: Annotated[bool, typer.Option("--once", help="catch up and stop")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Catch up on the audit log from the saved cursor (with a progress bar), then follow it.

    Run this *or* ``trace.watch.enabled`` in the API, not both with the in-process state; with
    ``SHIELDWALL_STATE_BACKEND=redis`` a lease lets only one of them process at a time.
    """
    svc = services()
    runner = svc.watch
    book = runner.watch.book
    if not runner.prepare():
        err_console.print("another worker holds the insider-watch lease; nothing to do")
        raise typer.Exit(EXIT_ERROR)
    with progress_bar("catching up", runner.pending()) as tick:
        done = runner.catch_up(tick)
    raised = book.raised if book else 0
    if not once:
        console.print(f"caught up ({done} entries, {raised} alerts); following, Ctrl-C to stop")
        stop = threading.Event()
        try:
            runner.follow(stop)
        except KeyboardInterrupt:
            stop.set()
        finally:
            runner.stop()
    else:
        runner.stop()
    touched = sorted(book.open_alerts() if book else [], key=lambda a: a.raised_at)
    summary = {
        "processed": done,
        "cursor": runner.watch.last_seq,
        "alerts_raised": book.raised if book else 0,
        "alerts_updated": book.updated if book else 0,
        "alert_ids": [a.alert_id for a in touched],
    }
    if json_out:
        emit_json(summary)
        return
    console.print(
        f"processed {summary['processed']} entries up to {summary['cursor']};"
        f" {summary['alerts_raised']} alerts raised, {summary['alerts_updated']} updated"
    )
    if touched:
        table = Table(
            alert_id_column(touched), "kind", "principal", "severity", "score", "customers"
        )
        for a in touched:
            table.add_row(
                a.alert_id,
                a.kind,
                a.principal_id,
                a.severity.value,
                f"{a.score:.2f}",
                a.details.get("customers_total", str(len(a.customer_ids))),
            )
        console.print(table)


@watch.command("status")
def watch_status(json_out: JsonOpt = False) -> None:
    """How far the watch has read the log, and where its state lives."""
    svc = services()
    runner = svc.watch
    cursor = runner.cursors.load(runner.name)
    size = svc.audit.size()
    data = {
        "enabled_in_api": svc.settings.trace.watch.enabled,
        "state_backend": svc.settings.state_backend,
        "cursor": cursor,
        "log_size": size,
        "behind": max(0, size - 1 - cursor),
        "detectors": list(svc.settings.trace.watch.detectors),
    }
    if json_out:
        emit_json(data)
        return
    for key, value in data.items():
        console.print(f"{key:15} {value}", markup=False)


def alerts_show(
    alert_id: Annotated[str, typer.Argument(help="the alert id")],
    entries: Annotated[
        int, typer.Option("--entries", min=0, max=500, help="audit entries to prove")
    ] = 20,
    json_out: JsonOpt = False,
) -> None:
    """One alert with its evidence: audit entries and their inclusion proofs, verified."""
    from shieldwall.trace.watch.evidence import evidence_json, prove_alert

    svc = services()
    alert = svc.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    evidence = prove_alert(svc.audit, alert, limit=entries)
    if json_out:
        doc: dict[str, Any] = {**alert.to_dict(), "evidence": evidence_json(evidence)}
        emit_json(doc)
    else:
        console.print(
            f"{alert.alert_id}  {alert.kind}  {alert.principal_id}  {alert.severity.value}"
            f"  score {alert.score:.1f}  {alert.status}",
            markup=False,
        )
        first = alert.first_at.isoformat() if alert.first_at else "-"
        last = alert.last_at.isoformat() if alert.last_at else "-"
        console.print(f"accesses from {first} to {last}", markup=False)
        for r in alert.reasons:
            console.print(f"  [{r.code}] {r.detail}", markup=False)
        total = alert.details.get("customers_total", str(len(alert.customer_ids)))
        console.print(f"customers: {total} (ids: {', '.join(alert.customer_ids[:10])}…)")
        table = Table("seq", "time", "action", "decision", "reason", "customers", "proof")
        for e in evidence.entries:
            if e.event is None:
                table.add_row(str(e.seq), "-", "-", "-", e.problem or "", "-", "FAILED")
                continue
            table.add_row(
                str(e.seq),
                e.event.ts.isoformat(timespec="seconds"),
                e.event.action.value,
                e.event.decision.value,
                e.event.reason,
                ",".join(e.event.customer_ids[:3]),
                "verified" if e.verified else "FAILED",
            )
        console.print(table)
        state = "all verified" if evidence.verified else "SOME FAILED"
        console.print(
            f"{len(evidence.entries)} entries proved against tree size {evidence.tree_size}"
            f" ({state}); {evidence.omitted} more not shown"
        )
    if not evidence.verified:
        raise typer.Exit(EXIT_ERROR)


def alerts_close(alert_id: Annotated[str, typer.Argument(help="the alert id")]) -> None:
    """Close an alert (the watch opens a new one if the pattern goes on)."""
    if not services().alerts.set_status(alert_id, "closed"):
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    console.print(f"closed {alert_id}")
