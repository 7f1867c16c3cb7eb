"""Who leaked: ``shieldwall trace victims VICTIMS.csv``.

The ``trace`` group is created here so attribution commands (``victims``, and ``file`` from the
releases side) hang off one name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from shieldwall.cli.common import console, emit_json, progress_bar, services
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.trace.attribution.errors import InvalidVictims

trace = typer.Typer(
    help="Who leaked: attribution from victims or leaked files.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def register(app: typer.Typer) -> None:
    app.add_typer(trace, name="trace")


@trace.command("victims")
def victims(
    path: Annotated[Path, typer.Argument(help="CSV: phone or customer_id, called_at, knew")],
    examples: Annotated[
        int | None,
        typer.Option("--examples", min=0, max=50, help="victims per source proven from the log"),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Rank principals and releases by how well their accesses explain these scam victims.

    Names the sources (greedy, Holm-corrected hypergeometric tests) with their audit entries
    and inclusion proofs.

    The CSV has a header with some of: phone, customer_id, called_at (ISO 8601 with an offset),
    knew (items separated by ';': name, phone, email, address, national_id, items, amount,
    order_number).
    """
    from shieldwall.trace.attribution.victims.input import parse_csv  # NumPy: not for --help

    try:
        data = path.read_bytes()
    except OSError:
        raise InvalidVictims("cannot be read", field="file") from None
    svc = services()
    rows = parse_csv(data, max_rows=svc.settings.trace.victims.max_victims)
    tracer = svc.victims
    with progress_bar("indexing the audit log", tracer.exposure.pending()) as tick:
        report = tracer.trace(
            rows, examples=examples, progress=tick, requested_by=OPERATOR, channel="cli"
        )
    doc = report.to_dict()
    if json_out:
        emit_json(doc)
        return
    _print(doc)


def _print(doc: dict[str, Any]) -> None:
    v = doc["victims"]
    console.print(
        f"{v['resolved']} of {v['rows']} victims resolved; {doc['candidates_tested']} candidates"
        f" tested against {doc['population']} customers ({doc['correction']},"
        f" alpha {doc['alpha']})",
        markup=False,
    )
    for u in v["unresolved"]:
        console.print(f"  row {u['row']}: {u['reason']}", markup=False)
    table = Table("rank", "candidate", "explained", "exposed", "expected", "p", "p adj.")
    for r in doc["ranking"]:
        table.add_row(
            str(r["rank"]),
            f"{r['kind']}:{r['id']}",
            str(r["explained"]),
            str(r["exposed"]),
            f"{r['expected']:.3g}",
            f"{r['p_value']:.3g}",
            f"{r['p_adjusted']:.3g}",
        )
    console.print(table)
    if not doc["sources"]:
        console.print("no candidate explains the victims significantly", markup=False)
    lead = doc.get("lead")
    if lead is not None:
        console.print(
            f"most likely, not proven: {lead['kind']}:{lead['id']} explains {lead['explained']}"
            f" of {doc['victims']['resolved']} victims (expected {lead['expected']:.3g} by chance;"
            f" p_adj {lead['p_adjusted']:.3g} is not below alpha {doc['alpha']})",
            markup=False,
        )
        for line in lead["settle"]:
            console.print(f"  to settle it: {line}", markup=False)
    for s in doc["sources"]:
        ev = s["evidence"]
        proven = "no evidence requested"
        if ev is not None:
            state = "verified" if ev["verified"] else "FAILED verification"
            proven = f"{len(ev['entries'])} audit entries {state} in tree {ev['tree_size']}"
        console.print(
            f"source {s['round']}: {s['kind']}:{s['id']} explains {s['explained']} victims"
            f" (p_adj {s['p_adjusted']:.3g}); {proven}",
            markup=False,
        )
        for ex in s["examples"]:
            seqs = ", ".join(map(str, ex["audit_seqs"]))
            console.print(f"  {ex['customer_id']}: audit entries {seqs}", markup=False)
    if doc["services"]:
        console.print("service principals with access, not ranked:", markup=False)
        for sv in doc["services"]:
            console.print(
                f"  {sv['kind']}:{sv['id']} ({', '.join(sv['purposes'])}) was shown"
                f" {sv['explained']} of the victims before their calls",
                markup=False,
            )
    if doc["unexplained"]:
        console.print(f"unexplained: {len(doc['unexplained'])} victims", markup=False)
