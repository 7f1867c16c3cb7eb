"""``shieldwall simulate``: a store's attack chain end to end against shieldwall, scored.

Builds a deterministic world for ``--seed`` (customers, orders, staff, benign work with a
day-night rhythm, planted attacks), drives a fresh shieldwall under ``--out`` through its API and
CLI, and writes ``OUT/scorecard.json`` and ``OUT/report.html``. See docs/demo.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from shieldwall.cli.common import console, emit_json, err_console
from shieldwall.sim.errors import SimulationError
from shieldwall.sim.next_steps import command_line, next_steps
from shieldwall.sim.notation import notes_for, p_text, score_capped


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def simulate(
    seed: Annotated[int, typer.Option("--seed", help="world seed (same seed, same world)")] = 7,
    customers: Annotated[int, typer.Option("--customers", min=200, help="customers")] = 2000,
    days: Annotated[int, typer.Option("--days", min=3, max=60, help="simulated days")] = 5,
    out: Annotated[
        Path, typer.Option("--out", help="output directory (must be new or empty)")
    ] = Path("sim-out"),
    attacks: Annotated[
        str | None,
        typer.Option(
            "--attacks",
            help="comma-separated, of harvest, outlet, partner, collusion, stuffing, scam,"
            " victims (default: all but collusion)",
        ),
    ] = None,
    respond: Annotated[
        bool,
        typer.Option(
            "--respond",
            help="the security team responds: cases, suspensions, evidence, warnings,"
            " notification and claims paid through the ledger",
        ),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print the scorecard as JSON")] = False,
) -> None:
    """Simulate a store under attack against a fresh shieldwall and score what it caught."""
    from shieldwall.sim.run import shieldwall_program
    from shieldwall.sim.run import simulate as run
    from shieldwall.sim.world import SimConfig

    try:
        extra: dict[str, Any] = {}
        if attacks is not None:
            extra["attacks"] = tuple(a.strip() for a in attacks.split(",") if a.strip())
        config = SimConfig(seed=seed, customers=customers, days=days, respond=respond, **extra)
    except ValueError as exc:
        raise SimulationError(str(exc).split(": ", 1)[-1], field=str(exc).split(":")[0]) from None
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )
    with bar:
        task = bar.add_task("simulating", total=1000)

        def progress(done: float, what: str) -> None:
            bar.update(task, completed=int(done * 1000), description=what)

        outcome = run(config, out, progress)
    if json_out:
        emit_json(outcome.scorecard)
        return
    console.print(summary(outcome.scorecard), markup=False)
    if outcome.home is not None:
        steps = alert_steps(outcome.alerts, outcome.home, shieldwall_program(), outcome.suspended)
        console.print(steps, markup=False)
    console.print(f"report     {outcome.report_path}", markup=False)
    console.print(f"scorecard  {outcome.scorecard_path}", markup=False)
    console.print(f"took       {outcome.seconds:.1f} s", markup=False)


def harm_lines(card: dict[str, Any]) -> list[str]:
    """What was lost, what was saved, and each attack's take split at its detection."""
    from shieldwall.sim.report import local_time, zone_label  # the world (Faker): not for --help

    lost, saved = card["harm"]["lost"], card["harm"]["saved"]
    if saved["records_not_exposed_after_suspension"] is None:
        kept = "suspending: not tried (run with --respond)"
    else:
        kept = (
            f"{saved['records_not_exposed_after_suspension']} records kept by suspending"
            f" ({saved['attempts_stopped_by_suspension']} attempts refused after suspension)"
        )
    lines = [
        f"LOST   {lost['accounts_taken_over']} accounts taken over;"
        f" {lost['customers_deceived']} customers deceived"
        f" ({lost['deceived_though_warned']} had been warned);"
        f" {lost['records_exposed_before_detection']} customer records exposed before detection,"
        f" {lost['records_exposed_after_detection']} after; money lost:"
        f" {'-' if lost['money_lost_fen'] is None else _yuan(lost['money_lost_fen']) + ' yuan'}",
        f"SAVED  {saved['accounts_defended']} accounts defended;"
        f" {saved['attempts_blocked']} attempts blocked;"
        f" {saved['customers_warned_before_scam']} of {saved['customers_reached_by_scam']}"
        f" scam targets warned before the call, {saved['customers_told_not_us']} told"
        f' "not us" when they checked; {kept}',
        f"{'attack':<20} {'what it took':<20} {'before':>6} {'after':>6}  detected"
        f" ({zone_label()})",
    ]
    for a in card["harm"]["attacks"]:
        lines.append(
            f"{a['name']:<20} {a['what']:<20} {a['before']:>6} {a['after']:>6}"
            f"  {local_time(a['detected_at']) if a['detected_at'] else 'NEVER'}"
        )
    return lines


def summary(card: dict[str, Any]) -> str:
    """The scorecard in a few lines a person reads at a terminal: harm first, then detection."""
    w = card["world"]
    al = card["alerts"]
    detected = sum(1 for a in card["attacks"].values() if a["detected"])
    lines = [
        f"world: seed {card['seed']}, {w['customers']} customers, {w['orders']} orders,"
        f" {w['days']} days, {w['agents']} agents, {w['couriers']} couriers",
        *harm_lines(card),
        f"DETECTED {detected} of {len(card['attacks'])} attacks; {al['total']} alerts"
        f" ({al['on_attackers']} on attackers, {al['false']} false)",
        f"{'attack':<9} {'detected':<9} {'after':>8} {'lost':>6} {'rank':>5} {'p-value':>9}  false",
    ]
    shown: list[tuple[float | None, bool]] = []
    for name, a in card["attacks"].items():
        ttd = a.get("time_to_detect_h")
        rank = a.get("attribution_rank")
        p = a.get("p_value")
        capped = score_capped(a.get("score"))
        shown.append((p, capped))
        lines.append(
            f"{name:<9} {'yes' if a['detected'] else 'NO':<9}"
            f" {(f'{ttd:.1f} h' if ttd is not None else '-'):>8}"
            f" {a['records_lost_before_detection']:>6}"
            f" {(str(rank) if rank else '-'):>5}"
            f" {p_text(p, capped):>9}  {a.get('false_alerts', '-')}"
        )
    lines.extend(notes_for(shown))
    scam = card["attacks"].get("scam")
    if scam:
        lines.append(
            f"scam wave: {scam['customers_reached']} customers reached,"
            f" {scam['warned_before_reached']} warned before it reached them,"
            f' {scam["shieldwall_answered_not_us"]} told "not us" when they checked,'
            f" {scam['reported']} reports in {scam['campaigns']} campaign(s),"
            f" {scam['deceived']} deceived"
        )
    stuffing = card["attacks"].get("stuffing")
    if stuffing:
        for kind, k in stuffing["by_kind"].items():
            lines.append(
                f"stuffing {kind}: {k['attempts']} tries, {k['accounts_at_risk']} accounts at risk,"
                f" {k['accounts_saved']} saved, {k['accounts_lost']} lost"
            )
    for name, why in card["not_run"].items():
        lines.append(f"{name:<9} not run: {why}")
    resp = card.get("response", {})
    if resp.get("enabled"):
        after = ", ".join(f"{k} {v}" for k, v in resp["exposed_after_suspension"].items())
        lines.append(
            f"response: {len(resp['suspended'])} suspended, {resp['requests_refused']} of their"
            f" requests refused; exposed after suspension: {after or 'none suspended'}"
        )
        lines.extend(response_lines(resp))
    lines.append(
        f"alerts: {al['total']} ({al['on_attackers']} on attackers, {al['false']} false);"
        f" {card['warnings']['customers_queued']} customers queued for a warning"
    )
    return "\n".join(lines)


def alert_steps(
    alerts: Sequence[dict[str, Any]], home: Path, program: str, suspended: frozenset[str]
) -> str:
    """Each alert by id, and the commands that follow it, as printed."""
    from shieldwall.sim.report import local_time, zone_label

    if not alerts:
        return "no alerts"
    lines = [f"alerts ({zone_label()}), each with its next step:"]
    for a in sorted(alerts, key=lambda a: (a["raised_at"], a["alert_id"])):
        lines.append(
            f"  {a['alert_id']}  {a['kind']} on {a['principal_id']} ({a['severity']}),"
            f" raised {local_time(a['raised_at'])}"
        )
        for step in next_steps(a, a["principal_id"] in suspended):
            lines.append(f"    {step.why}: {command_line(step.argv, home, program)}")
    return "\n".join(lines)


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def response_lines(resp: dict[str, Any]) -> list[str]:
    """First harm to case, to containment, to notification per attack; money lost and paid."""
    if "cases" not in resp:
        return []
    cases = resp["cases"]
    contained = sum(1 for c in cases if c["contained_at"])
    notified = sum(1 for c in cases if c["notified_at"])
    lines = [
        f"cases: {len(cases)} ({contained} contained, {notified} notified); from first harm to:",
        f"  {'attack':<9} {'case':>8} {'contained':>10} {'notified':>9}",
    ]
    for name, t in resp["timing"].items():
        if t["first_harm"] is None:
            lines.append(f"  {name:<9} no harm done")
            continue
        lines.append(
            f"  {name:<9} {_hours(t['to_case_h']):>8}"
            f" {_hours(t['to_contained_h']):>10} {_hours(t['to_notified_h']):>9}"
        )
    m = resp["money"]
    lines.append(
        f"money: {m['deceived']} deceived lost {_yuan(m['lost_fen'])} yuan;"
        f" compensated {_yuan(m['compensated_fen'])} yuan"
        f" ({_yuan(m['advanced_fen'])} advanced); claims {m['claims_paid']} paid,"
        f" {m['claims_open']} open"
    )
    return lines
