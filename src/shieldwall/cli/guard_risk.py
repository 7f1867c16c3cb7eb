"""``shieldwall logins``: the login risk engine offline.

- ``replay EVENTS.jsonl``   run a login log through the engine in time order; one JSON decision
  per line on stdout (``line, decision, score, reasons``), a summary on stderr
- ``breach-import FILE``    a combo list of the store's customers (``login:password`` lines)
  from a breach: each account keeps keyed tags of its leaked password's tweaks for the
  ``breach_tweak`` signal; all lines or none. Needs ``state_backend = "redis"`` (the in-process
  state lives in the API server: use ``POST /v1/logins/breach-import`` there)
- ``asn-import FILE``       check an IP-range to ASN table (``start_ip,end_ip,asn,name`` CSV) and
  install it under ``$SHIELDWALL_HOME/risk/asn.csv``, where the engine picks it up

The replay runs on fresh in-process state with a throw-away tag key (it never touches the
service's live counters) and the configured breach corpus, if one was imported.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from shieldwall.cli.common import emit_json, err_console, progress_bar, services, settings
from shieldwall.core.clock import ManualClock
from shieldwall.core.errors import ShieldwallError
from shieldwall.guard.risk.errors import AsnTableError, BreachImportUnavailable

app = typer.Typer(
    help="Login risk: replay login logs, import IP-range tables and breach combo lists.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="logins")


@app.command("replay")
def replay_cmd(
    events_file: Annotated[Path, typer.Argument(help="JSON lines of login events")],
    no_corpus: Annotated[
        bool, typer.Option("--no-corpus", help="do not look passwords up in the breach corpus")
    ] = False,
) -> None:
    """Replay EVENTS.jsonl through the engine; decisions on stdout, a summary on stderr."""
    # The engine, its state and the composition root load when the command runs, not for --help.
    from shieldwall.guard.risk.replay import ReplaySummary, read_events, replay
    from shieldwall.storage.risk_state_memory import MemoryRiskState
    from shieldwall.wiring import build_passwords, risk_engine

    s = settings()
    try:
        with events_file.open("rb") as fh:
            events, bad = read_events(fh)
    except OSError as exc:
        raise ShieldwallError(
            f"cannot read {events_file.name}: {type(exc).__name__}", field="EVENTS"
        ) from None
    for b in bad:
        err_console.print(f"skipped {b}", markup=False)
    corpora = None
    if not no_corpus:
        corpora, _ = build_passwords(s)
        if not corpora.sha1.has_data:
            corpora = None
    clock = ManualClock()
    engine = risk_engine(
        s,
        clock,
        secrets.token_bytes(32),
        corpora,
        state=MemoryRiskState.from_settings(s.guard.risk),
    )
    summary = ReplaySummary(bad_lines=len(bad))
    out = sys.stdout
    with progress_bar("replaying", len(events)) as advance:
        for event, a in replay(engine, clock, events):
            out.write(
                json.dumps(
                    {
                        "line": event.line,
                        "decision": a.decision.value,
                        "score": a.score,
                        "reasons": [r.as_dict() for r in a.reasons],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            summary.events += 1
            summary.decisions[a.decision.value] += 1
            summary.reasons.update(r.code for r in a.reasons)
            advance(1)
    if corpora is not None:
        corpora.close()
    err_console.print(json.dumps(summary.as_dict(), ensure_ascii=False), markup=False)


@app.command("breach-import")
def breach_import(
    combo_file: Annotated[Path, typer.Argument(help="login:password lines (UTF-8)")],
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Import a breach's combo list for the breach_tweak signal (never printing a password)."""
    if settings().state_backend != "redis":
        raise BreachImportUnavailable(
            "the risk state is in the API server's process (state_backend = 'memory'): import"
            " through POST /v1/logins/breach-import, or use state_backend = 'redis'",
            field="state_backend",
        )
    from shieldwall.custody.audit_events import OPERATOR
    from shieldwall.guard.risk.breach import read_combos

    try:
        with combo_file.open("rb") as fh:
            combos = read_combos(fh)
    except OSError as exc:
        raise ShieldwallError(
            f"cannot read {combo_file.name}: {type(exc).__name__}", field="FILE"
        ) from None
    result = services().import_breach(combos, actor=OPERATOR, channel="cli").as_dict()
    if json_out:
        emit_json(result)
    else:
        err_console.print(
            f"imported {result['lines']} lines: {result['tags']} tags on"
            f" {result['accounts']} accounts",
            markup=False,
        )


@app.command("asn-import")
def asn_import(
    table_file: Annotated[Path, typer.Argument(help="CSV: start_ip,end_ip,asn,name")],
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Check an IP-range to ASN table and install it for the engine (atomically)."""
    from shieldwall.guard.risk.network import AsnTable
    from shieldwall.wiring import asn_table_path

    table = AsnTable.load(table_file)
    if not len(table):
        raise AsnTableError(f"{table_file.name}: no ranges", field="FILE")
    target = asn_table_path(settings())
    target.parent.mkdir(parents=True, exist_ok=True)
    data = table_file.read_bytes()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".asn-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    result = {"ranges": len(table), "asns": len(table.names), "path": str(target)}
    if json_out:
        emit_json(result)
    else:
        err_console.print(
            f"installed {result['ranges']} ranges of {result['asns']} ASes at {target}",
            markup=False,
        )
