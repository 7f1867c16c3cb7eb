"""Audit commands: verify, checkpoint, show, proof, public key; alerts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from shieldwall.audit.errors import AuditError, ProofError
from shieldwall.cli.common import (
    EXIT_ERROR,
    collect,
    console,
    emit_json,
    err_console,
    progress_bar,
    services,
)
from shieldwall.core.alerts import Alert
from shieldwall.core.files import write_atomic

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
        typer.Option("--trusted", help="more checkpoint notes kept outside the database"),
    ] = None,
    witness: Annotated[
        bool,
        typer.Option(
            "--witness/--no-witness", help="check against the witness file (default: yes)"
        ),
    ] = True,
    json_out: JsonOpt = False,
) -> None:
    """Check every entry, column, hash and checkpoint, against the witnessed checkpoints;
    exit 1 naming the first bad entry."""
    from shieldwall.audit.log import Finding, verify
    from shieldwall.audit.witness import witnessed_checkpoints
    from shieldwall.wiring import witness_file

    svc = services()
    verifier = svc.audit.signer.verifier
    kept = [verifier.open(_read_text(p, "trusted")) for p in trusted or []]
    extra: list[Finding] = []
    if witness:
        file = witness_file(svc.settings)
        witnessed, problems = witnessed_checkpoints(file.notes(), verifier)
        extra += [Finding(None, p) for p in problems]
        kept += witnessed
        if not witnessed and svc.audit.latest_checkpoint() is not None:
            extra.append(
                Finding(None, f"no checkpoint in the witness file {file.path}, but the log has")
            )
    with progress_bar("verifying", svc.audit.size()) as tick:
        report = verify(
            svc.audit_store, verifier, policy=svc.audit.policy, trusted=kept, progress=tick
        )
    findings = [*extra, *report.findings]
    witnessed_size = max((c.tree_size for c in kept), default=None)
    if json_out:
        emit_json(
            {
                "ok": not findings,
                "entries": report.entries,
                "checkpoints": report.checkpoints,
                "witnessed_size": witnessed_size,
                "findings": [{"seq": f.seq, "problem": f.problem} for f in findings],
            }
        )
    elif not findings:
        against = f"; witnessed up to size {witnessed_size}" if witnessed_size else ""
        console.print(
            f"audit log OK: {report.entries} entries,"
            f" {report.checkpoints} signed checkpoints verified{against}"
        )
    else:
        first = findings[0]
        where = f" at entry {first.seq}" if first.seq is not None else ""
        err_console.print(f"audit log FAILED{where}: {first.problem}", markup=False)
        for f in findings[1:]:
            err_console.print(f"  also: {f}", markup=False)
    if findings:
        raise typer.Exit(EXIT_ERROR)


def _read_text(path: Path, option: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"cannot read {path}: {exc}", field=option) from None


def _write_atomic(path: Path, text: str) -> None:
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise AuditError(f"cannot write {path}: {exc.strerror}", field="out") from None


@audit.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        Path | None, typer.Option("--out", help="also write the note to this file (atomically)")
    ] = None,
) -> None:
    """Sign a checkpoint of the log as it is now (published to the witness); print its note."""
    cp = services().audit.checkpoint()
    assert cp.note is not None  # noqa: S101 - checkpoints signed now are notes
    if out is not None:
        _write_atomic(out, cp.note)
    sys.stdout.write(cp.note)


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
    since: Annotated[
        int | None, typer.Option("--since", min=1, help="add a consistency proof from this size")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the proof file here")] = None,
    checkpoint_out: Annotated[
        Path | None, typer.Option("--checkpoint-out", help="write the checkpoint note here")
    ] = None,
) -> None:
    """Prove entry SEQ (and optionally the log since an older size) against a signed checkpoint,
    as a proof file that ``audit verify-proof`` checks with no database."""
    from shieldwall.audit import proofs

    log = services().audit
    cp = log.latest_checkpoint()
    if cp is None or cp.tree_size <= seq or cp.note is None:
        cp = log.checkpoint()
    size, path, leaf = log.inclusion_proof(seq, cp.tree_size)
    old_root: bytes | None = None
    consistency: list[bytes] = []
    if since is not None:
        _, consistency = log.consistency_proof(since, size)
        old_root = log.root(since)
    body = log.entry(seq).event.canonical_bytes(seq)
    doc = proofs.build(
        cp,
        seq=seq,
        leaf_hash=leaf,
        entry=body,
        path=path,
        old_size=since,
        old_root=old_root,
        consistency=consistency,
    )
    assert cp.note is not None  # noqa: S101 - ensured above
    check = proofs.check_proof(cp.note, doc, log.signer.verifier)
    doc["verified"] = check.ok
    if out is not None:
        _write_atomic(out, json.dumps(doc, indent=2) + "\n")
    if checkpoint_out is not None:
        _write_atomic(checkpoint_out, cp.note)
    emit_json(doc)


@audit.command("verify-proof")
def audit_verify_proof(
    checkpoint: Annotated[Path, typer.Argument(help="the checkpoint (a signed note)")],
    proof: Annotated[Path, typer.Argument(help="the proof file (JSON)")],
    key: Annotated[
        str,
        typer.Option("--key", help="the log's verifier key (name+id+key) or a file holding it"),
    ],
    old_checkpoint: Annotated[
        Path | None, typer.Option("--old-checkpoint", help="the older checkpoint, if any")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a proof file against a checkpoint and the verifier key; no database needed."""
    from shieldwall.audit import proofs
    from shieldwall.audit.checkpoint import CheckpointVerifier

    key_path = Path(key)
    vkey = _read_text(key_path, "key") if key_path.is_file() else key
    verifier = CheckpointVerifier.parse(vkey)
    try:
        doc = json.loads(_read_text(proof, "proof"))
    except ValueError as exc:
        raise ProofError(f"the proof file is not JSON: {exc}", field="proof") from None
    old = _read_text(old_checkpoint, "old_checkpoint") if old_checkpoint else None
    check = proofs.check_proof(_read_text(checkpoint, "checkpoint"), doc, verifier, old_note=old)
    if json_out:
        emit_json({"ok": check.ok, "passed": check.passed, "failed": check.failed})
    else:
        for line in check.passed:
            console.print(f"ok      {line}", markup=False)
        for line in check.failed:
            err_console.print(f"FAILED  {line}", markup=False)
    if not check.ok:
        raise typer.Exit(EXIT_ERROR)


@audit.command("pubkey")
def audit_pubkey() -> None:
    """The log's verifier key (C2SP signed-note form: name+key ID+base64 Ed25519 key)."""
    console.print(services().audit.signer.verifier.key, markup=False)


def alert_id_column(shown: list[Alert]) -> Column:
    """The alert id, whole on one line however narrow the terminal (``alerts close`` takes it)."""
    return Column("alert", no_wrap=True, min_width=max((len(a.alert_id) for a in shown), default=5))


@alerts.command("list")
def alerts_list(
    principal: Annotated[
        str | None, typer.Option("--principal", help="only this principal")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="only this kind")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="at most this many")] = 50,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="continue where a previous listing stopped")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Alerts, newest first (read a page at a time)."""
    store = services().alerts
    found = collect(
        lambda n, at: store.page(principal_id=principal, kind=kind, limit=n, cursor=at),
        limit,
        cursor,
    )
    if json_out:
        emit_json([a.to_dict() for a in found])
        return
    table = Table(
        alert_id_column(found),
        "raised",
        "kind",
        "principal",
        "severity",
        "score",
        "status",
        "reasons",
        "customers",
    )
    for a in found:
        table.add_row(
            a.alert_id,
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
