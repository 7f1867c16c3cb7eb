"""One simulation end to end: build the world, play it against shieldwall, score, write.

:func:`simulate` writes ``OUT/scorecard.json`` (every number from planted ground truth against
what shieldwall returned through its API and CLI) and ``OUT/report.html`` (see :mod:`.report`);
shieldwall's own state (SQLite database, keys, config) is kept in ``OUT/home`` to explore
afterwards (``SHIELDWALL_HOME=OUT/home shieldwall alerts list``).
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shieldwall.core.files import write_atomic
from shieldwall.sim import benign, harm, report
from shieldwall.sim.attacks import REGISTRY
from shieldwall.sim.attacks.base import Observed
from shieldwall.sim.engine import Play
from shieldwall.sim.errors import SimulationError
from shieldwall.sim.harness import Harness
from shieldwall.sim.respond import PiplNotices, RecordNotices, Responder, response_card
from shieldwall.sim.world import ADMIN, SERVICES, SimConfig, make_world

Progress = Callable[[float, str], None]  # (fraction done, what)
KEYED_P_VALUES = ("partner", "collusion")  # Tardos scores over keyed codewords
RESPOND_DAYS = 2  # with ``respond``: days the team works cases and claims after the attacks


@dataclass(frozen=True)
class Outcome:
    scorecard: dict[str, Any]
    scorecard_path: Path
    report_path: Path
    seconds: float
    alerts: tuple[dict[str, Any], ...] = ()  # as ``GET /v1/alerts`` returned them at the end
    home: Path | None = None  # the simulated shieldwall's home
    suspended: frozenset[str] = frozenset()  # principals the team suspended (``--respond``)


def _order(names: tuple[str, ...]) -> list[str]:
    """Attacks in dependency order (an attack after the ones whose truth it uses)."""
    out: list[str] = []
    for name in names:
        if name not in REGISTRY:
            raise SimulationError(f"unknown attack {name!r}; known: {', '.join(REGISTRY)}")
    if {"partner", "collusion"} <= set(names):
        raise SimulationError("choose partner or collusion, not both", field="attacks")
    pending = list(names)
    while pending:
        ready = [n for n in pending if all(d in out or d not in names for d in REGISTRY[n].after)]
        if not ready:  # a cycle: cannot happen with the registry as written
            raise SimulationError(f"attacks wait on each other: {', '.join(pending)}")
        out.append(ready[0])
        pending.remove(ready[0])
    return out


def simulate(config: SimConfig, out: Path, progress: Progress | None = None) -> Outcome:
    began = time.monotonic()
    tick = progress or (lambda f, what: None)
    world = make_world(config)
    out.mkdir(parents=True, exist_ok=True)
    with Harness.open(out / "home", config.t0) as h:
        play = Play(world, h, random.Random(f"benign:{config.seed}"))
        if config.respond:
            notices = PiplNotices() if h.has_route("GET", "/v1/cases/x/notices") else None
            play.responder = Responder(play, notices or RecordNotices())
        tick(0.0, "importing the store")
        play.setup()
        benign.schedule(play)
        play.schedule_reviews(RESPOND_DAYS if config.respond else 0)
        not_run: dict[str, str] = {}
        for name in _order(config.attacks):
            attack = REGISTRY[name]
            missing = [p for p in attack.needs if not h.has_route(*p.split(" ", 1))]
            if missing:
                not_run[name] = f"this build has no {', '.join(missing)}"
                continue
            play.truths[name] = attack.plant(play, random.Random(f"{name}:{config.seed}"))
        span = (config.end - config.t0).total_seconds()

        def on_action(t: datetime) -> None:
            tick((t - config.t0).total_seconds() / span, f"day {(t - config.t0).days + 1}")

        play.run(config.end, on_action)
        if play.responder is not None:  # the team works its cases and claims on
            tick(1.0, "responding")
            play.run(config.end + timedelta(days=RESPOND_DAYS))
        tick(1.0, "scoring")
        h.settle()
        alerts = h.get_all("/v1/alerts", ADMIN)
        listed = h.cli_json("alerts", "list", "--limit", "10000")  # the CLI must agree
        if {a["alert_id"] for a in listed} != {a["alert_id"] for a in alerts}:
            raise SimulationError("the CLI and the API list different alerts")
        roles = {
            s.principal_id: s.role
            for s in (*world.agents, *world.couriers, *world.analysts, *world.partners)
        }
        roles |= dict.fromkeys(SERVICES, "service") | {ADMIN: "admin"}
        seen = Observed(
            alerts=alerts,
            seen_at={k: v.seen_at for k, v in play.alerts.items()},
            roles=roles,
            warned=dict(play.warned),
            genuine_checks=list(play.genuine_checks),
        )
        card = scorecard(config, play, seen, not_run)
        card["names"] = {  # partners by the display name they were registered under
            p["principal_id"]: p["display_name"]
            for p in h.get_all("/v1/principals", ADMIN)
            if p["role"] == "partner" and p.get("display_name")
        }
        audit_entries = h.services.audit.size()
        card["run"] = {
            "requests": h.requests,
            "cli_calls": h.cli_calls,
            "audit_entries": audit_entries,
        }
        scorecard_path = out / "scorecard.json"
        write_atomic(scorecard_path, json.dumps(card, ensure_ascii=False, indent=2) + "\n")
        report_path = out / "report.html"
        write_atomic(report_path, report.render(card, play, seen, shieldwall_program()))
    return Outcome(
        card,
        scorecard_path,
        report_path,
        time.monotonic() - began,
        tuple(alerts),
        h.home,
        frozenset(h.suspended),
    )


def scorecard(
    config: SimConfig, play: Play, seen: Observed, not_run: dict[str, str]
) -> dict[str, Any]:
    w = play.world
    attackers = {p for t in play.truths.values() for p in t.principals}
    attacks: dict[str, Any] = {}
    for name, truth in play.truths.items():
        attacks[name] = {
            "title": truth.title,
            "principals": list(truth.principals),
            "start": truth.start.isoformat(),
            **REGISTRY[name].score(truth, seen),
        }
    false = [a for a in seen.alerts if a["principal_id"] not in attackers]
    by_kind: dict[str, int] = {}
    for a in false:
        by_kind[a["kind"]] = by_kind.get(a["kind"], 0) + 1
    benign_staff = len(seen.roles) - len(attackers)
    summary = harm.summarize(play.truths, harm.detections(attacks), config.respond)
    return {
        "seed": config.seed,
        "harm": summary.as_dict(),
        "world": {
            "customers": len(w.customers),
            "orders": len(w.orders),
            "days": config.days,
            "start": config.t0.isoformat(),
            "agents": len(w.agents),
            "couriers": len(w.couriers),
            "analysts": len(w.analysts),
            "partners": len(w.partners),
            "customer_digest": _digest([c.customer_id + c.phone for c in w.customers]),
        },
        "attacks": attacks,
        "not_run": not_run,
        "alerts": {
            "total": len(seen.alerts),
            "on_attackers": len(seen.alerts) - len(false),
            "false": len(false),
            "false_by_kind": dict(sorted(by_kind.items())),
            "false_principals": sorted({a["principal_id"] for a in false}),
            "false_per_100_principal_days": round(
                100 * len(false) / max(1, benign_staff * config.days), 3
            ),
        },
        # Fields that depend on the random keys of this install (shieldwall's keyed marks), so
        # the same seed gives them other values; everything else is the same for a seed.
        "keyed_fields": [f"attacks.{n}.p_value" for n in attacks if n in KEYED_P_VALUES],
        "warnings": {
            "customers_queued": len(seen.warned),
            "plan_runs": len(play.warn_runs),
        },
        "response": _response(config, play),
    }


def _response(config: SimConfig, play: Play) -> dict[str, Any]:
    """With ``respond``: whom the security team suspended and when, the requests the API then
    refused, and what each insider attack still exposed after its principal was suspended (the
    API must make that zero)."""
    if not config.respond:
        return {"enabled": False}
    after: dict[str, int] = {}
    for name, truth in play.truths.items():
        times = [play.suspended_at[p] for p in truth.principals if p in play.suspended_at]
        if times:
            stop = min(times)
            after[name] = sum(1 for at in truth.exposed.values() if at > stop)
    return {
        "enabled": True,
        "suspended": {p: t.isoformat() for p, t in sorted(play.suspended_at.items())},
        "requests_refused": play.harness.refused_suspended,
        "exposed_after_suspension": after,
        "days_after": RESPOND_DAYS,
        **(response_card(play.responder) if play.responder is not None else {}),
    }


def shieldwall_program() -> str:
    """The ``shieldwall`` command to print: the script beside this interpreter (a virtualenv's
    ``bin/shieldwall``, by absolute path, so a printed command works from any directory), else
    ``shieldwall`` on the PATH."""
    script = Path(sys.executable).with_name("shieldwall")
    return str(script) if script.exists() else "shieldwall"


def _digest(items: list[str]) -> str:
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]
