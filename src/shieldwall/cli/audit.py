"""Audit commands: verify, checkpoint, show, proof, public key; alerts."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shieldwall.audit.errors import AuditError
from shieldwall.audit.log import checkpoint_from_json, checkpoint_to_json, verify
from shieldwall.audit.merkle import verify_inclusion
from shieldwall.audit.ports import Checkpoint
from shieldwall.cli.common import (
    EXIT_ERROR,
    console,
    emit_json,
    err_console,
    progress_bar,
    services,
)

audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
alerts = typer.Typer(help="Alerts (break-glass, insider watch).", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def register(app: typer.Typer) -> None:
    app.add_typer(audit, name="audit")
    app.add_typer(alerts, name="alerts")


@audit.command("verify")
def audit_verify(
    trusted: Annotated[
        list[Path] | None,
        typer.Option("--trusted", help="checkpoint file(s) kept outside the database"),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check every entry, hash and signed checkpoint; exit 1 naming the first bad entry."""
    svc = services()
    kept = [_load_checkpoint(p) for p in trusted or []]
    with progress_bar("verifying", svc.audit.size()) as tick:
        report = verify(svc.audit_store, svc.audit.signer.public_key, trusted=kept, progress=tick)
    if json_out:
        emit_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "checkpoints": report.checkpoints,
                "findings": [{"seq": f.seq, "problem": f.problem} for f in report.findings],
            }
        )
    elif report.ok:
        console.print(
            f"audit log OK: {report.entries} entries,"
            f" {report.checkpoints} signed checkpoints verified"
        )
    else:
        first = report.findings[0]
        err_console.print(f"audit log FAILED at entry {first.seq}: {first.problem}", markup=False)
        for f in report.findings[1:]:
            err_console.print(f"  also: {f}", markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_ERROR)


def _load_checkpoint(path: Path) -> Checkpoint:
    try:
        return checkpoint_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise AuditError(f"cannot read checkpoint {path}: {exc}", field="trusted") from None


@audit.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        Path | None, typer.Option("--out", help="also write it to this file (atomically)")
    ] = None,
) -> None:
    """Sign a checkpoint of the log as it is now; print it (keep a copy outside the database)."""
    doc = checkpoint_to_json(services().audit.checkpoint())
    text = json.dumps(doc, indent=2)
    if out is not None:
        fd, tmp = tempfile.mkstemp(dir=out.parent if out.parent.exists() else None, prefix=".cp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(out)
    console.print(text, markup=False)


@audit.command("show")
def audit_show(
    seq: Annotated[int, typer.Argument(min=0, help="entry number")], json_out: JsonOpt = False
) -> None:
    """Show one entry (identifiers and field names only; never personal data)."""
    record = services().audit.entry(seq)
    if json_out:
        emit_json({"seq": record.seq, "entry": record.event.to_dict()})
        return
    for key, value in record.event.to_dict().items():
        console.print(f"{key:13} {value}", markup=False)


@audit.command("proof")
def audit_proof(
    seq: Annotated[int, typer.Argument(min=0, help="entry number")],
    tree_size: Annotated[int | None, typer.Option(help="tree size (default: now)")] = None,
) -> None:
    """Print and check the inclusion proof of an entry."""
    log = services().audit
    size, proof, leaf = log.inclusion_proof(seq, tree_size)
    root = log.root(size)
    ok = verify_inclusion(leaf, seq, size, proof, root)
    emit_json(
        {
            "seq": seq,
            "tree_size": size,
            "root_hash": root.hex(),
            "leaf_hash": leaf.hex(),
            "proof": [p.hex() for p in proof],
            "verified": ok,
        }
    )


@audit.command("pubkey")
def audit_pubkey() -> None:
    """The Ed25519 public key that checks checkpoint signatures."""
    signer = services().audit.signer
    console.print(f"Ed25519 key {signer.key_id}: {signer.public_bytes.hex()}")


@alerts.command("list")
def alerts_list(
    principal: Annotated[
        str | None, typer.Option("--principal", help="only this principal")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="only this kind")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    json_out: JsonOpt = False,
) -> None:
    """Alerts, newest first."""
    found = services().alerts.list(principal_id=principal, kind=kind, limit=limit)
    if json_out:
        emit_json(
            [
                {
                    "alert_id": a.alert_id,
                    "kind": a.kind,
                    "principal_id": a.principal_id,
                    "severity": a.severity.value,
                    "score": a.score,
                    "status": a.status,
                    "raised_at": a.raised_at.isoformat(),
                    "reasons": [r.code for r in a.reasons],
                    "customer_ids": list(a.customer_ids),
                    "audit_seqs": list(a.audit_seqs),
                }
                for a in found
            ]
        )
        return
    table = Table(
        "raised", "kind", "principal", "severity", "score", "status", "reasons", "customers"
    )
    for a in found:
        table.add_row(
            a.raised_at.strftime("%Y-%m-%d %H:%M"),
            a.kind,
            a.principal_id,
            a.severity.value,
            f"{a.score:.2f}",
            a.status,
            "; ".join(r.detail for r in a.reasons),
            str(len(a.customer_ids)),
        )
    console.print(table)
