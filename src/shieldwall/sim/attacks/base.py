"""The shape every attack module has, and the scoring insider attacks share."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shieldwall.sim.truth import GroundTruth

if TYPE_CHECKING:
    from shieldwall.sim.engine import Play


@dataclass(frozen=True)
class Observed:
    """What shieldwall reported, read back through its API and CLI after the run."""

    alerts: list[dict[str, Any]]  # final ``shieldwall alerts list --json``
    seen_at: dict[str, datetime]  # alert id -> when the security team first saw it (API)
    roles: dict[str, str]  # principal id -> role
    warned: dict[str, datetime] = field(default_factory=dict)  # customer -> warning queued
    genuine_checks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Attack:
    name: str
    title: str
    plant: Callable[[Play, random.Random], GroundTruth]
    score: Callable[[GroundTruth, Observed], dict[str, Any]]
    needs: tuple[str, ...] = ()  # "METHOD /path" it drives; missing -> not run
    after: tuple[str, ...] = ()  # attacks whose ground truth it uses (the scam: the leaks)


def hours(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds() / 3600, 2)


def ranking(alerts: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """Principals by their highest alert score, highest first (ties by id: deterministic)."""
    best: dict[str, float] = {}
    for a in alerts:
        best[a["principal_id"]] = max(best.get(a["principal_id"], 0.0), float(a["score"]))
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))


def score_insider(truth: GroundTruth, seen: Observed) -> dict[str, Any]:
    """Detected when an alert names one of the insiders for activity from the attack's start.

    ``time_to_detect_h`` runs from the attack's first action to the event at which the watch
    raised its first alert on an insider (the alert's ``raised_at``); ``time_to_notice_h`` to
    when the security team, looking every few hours, first saw it. The attribution rank is the
    best insider's place among all alerted principals by alert score; the watch's score is
    -log10 of a tail bound, so ``p_value`` = 10^-score is an upper bound on the chance of so
    extreme a pattern from a principal behaving like its peers. Only alerts on activity from
    the attack's start on take part (an alert that ended before it is about something else).
    """
    during = [
        a
        for a in seen.alerts
        if datetime.fromisoformat(a["last_at"] or a["raised_at"]) >= truth.start
    ]
    mine = [a for a in during if a["principal_id"] in truth.principals]
    raised = min((datetime.fromisoformat(a["raised_at"]) for a in mine), default=None)
    noticed = min(
        (seen.seen_at[a["alert_id"]] for a in mine if a["alert_id"] in seen.seen_at), default=None
    )
    # Rank among the insiders' peers (same role): "which courier is it?" is the question.
    peers = [a for a in during if seen.roles.get(a["principal_id"]) == truth.peers_role]
    order = ranking(peers if truth.peers_role else during)
    rank = next((i for i, (p, _) in enumerate(order, 1) if p in truth.principals), None)
    top = max((float(a["score"]) for a in mine), default=None)
    false = [
        a
        for a in seen.alerts
        if a["principal_id"] not in truth.principals
        and seen.roles.get(a["principal_id"]) == truth.peers_role
    ]
    named = {c for a in mine for c in a["customer_ids"]}
    return {
        "detected": bool(mine),
        "time_to_detect_h": hours(truth.start, raised) if raised else None,
        "detected_at": raised.isoformat() if raised else None,
        "time_to_notice_h": hours(truth.start, noticed) if noticed else None,
        "attempts": truth.attempts,
        "refused_by_custody": truth.refused,
        "records_exposed": len(truth.exposed),
        "records_lost_before_detection": truth.lost_before(raised),
        "records_lost_before_notice": truth.lost_before(noticed),
        "exposed_named_in_alerts": len(named & truth.exposed.keys()),
        "alert_kinds": sorted({a["kind"] for a in mine}),
        "attribution_rank": rank,
        "alerted_principals": len(order),
        "score": round(top, 2) if top is not None else None,
        "p_value": float(f"{10**-top:.3g}") if top is not None else None,
        "false_alerts": len(false),
        "false_alerts_on": sorted({a["principal_id"] for a in false}),
    }
