"""(f) A victims' group list reaches the security team: ``trace victims``.

Customers the scam wave deceived or who reported it find each other (a 维权群, a rights-defence
chat group) and, a day and a half into the wave, their list reaches the store's security team:
phone, when they were called, and what the caller knew (what the leak they came from showed:
the phone and the order's items from the harvesting agent, name, phone and address from a
partner's file). The team asks shieldwall which principal or release explains
these victims (``POST /v1/trace/victims``, the API twin of ``shieldwall trace victims
VICTIMS.csv --json``, at simulated time).

Detected when a planted leaker (the harvesting agent, the reselling partners) is among the
significant sources; its rank is its place in shieldwall's ranking, the p-value shieldwall's
(adjusted) p-value for it. Any other source named is a false alert.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shieldwall.sim.attacks import harvest, partner
from shieldwall.sim.attacks.base import Attack, Observed, hours
from shieldwall.sim.attacks.scam import LEAK_SOURCES
from shieldwall.sim.truth import GroundTruth
from shieldwall.sim.world import ADMIN

if TYPE_CHECKING:
    from shieldwall.sim.engine import Play

AFTER = timedelta(hours=36)
KNEW = {"harvest": harvest.KNEW, "partner": partner.KNEW, "collusion": partner.KNEW}


def plant(play: Play, rng: random.Random) -> GroundTruth:
    cfg = play.world.config
    scam = play.truths.get("scam")
    start = scam.start if scam is not None else cfg.t0 + timedelta(days=cfg.attack_day)
    at = min(start + AFTER, cfg.end - timedelta(hours=1))
    leakers = tuple(p for n in LEAK_SOURCES if (t := play.truths.get(n)) for p in t.principals)
    truth = GroundTruth(
        "victims", "a victims' group list reaches security", leakers, start, cfg.end
    )

    def trace() -> None:
        contacts = scam.facts.get("contacts", []) if scam is not None else []
        group = [r for r in contacts if r["deceived"] or r["reported"]]
        truth.facts["group"] = len(group)
        if not group:
            return
        victims = [
            {
                "phone": play.world.by_id[r["customer_id"]].phone,
                "called_at": r["at"].isoformat(),
                "knew": list(KNEW[r["source"]]),
            }
            for r in group
        ]
        report = play.harness.post("/v1/trace/victims", ADMIN, {"victims": victims}).body
        truth.facts["report"] = report
        truth.facts["traced_at"] = play.now
        named = [s["id"] for s in report.get("sources", [])]
        play.note("trace", f"victims traced: sources {', '.join(named) or 'none'}")
        if play.responder is not None:
            pairs = zip(victims, group, strict=True)
            losses = [{**v, "loss_fen": r.get("loss_fen", 0)} for v, r in pairs]
            play.responder.victims_traced(report, losses)

    play.at(at, trace)
    return truth


def score(truth: GroundTruth, seen: Observed) -> dict[str, Any]:
    report: dict[str, Any] | None = truth.facts.get("report")
    guilty = set(truth.principals)
    if report is None:
        return {
            "detected": False,
            "time_to_detect_h": None,
            "detected_at": None,
            "records_exposed": 0,
            "records_lost_before_detection": 0,
            "attribution_rank": None,
            "p_value": None,
            "false_alerts": 0,
            "victims": truth.facts.get("group", 0),
        }
    ranking = report.get("ranking", [])
    hits = [r for r in ranking if r["id"] in guilty or r.get("partner") in guilty]
    sources = list(report.get("sources", []))
    named = {s["id"] for s in sources} | {s.get("partner") for s in sources if s.get("partner")}
    detected = bool(named & guilty)
    return {
        "detected": detected,
        "time_to_detect_h": hours(truth.start, truth.facts["traced_at"]),
        "detected_at": truth.facts["traced_at"].isoformat() if detected else None,
        "victims": truth.facts.get("group", 0),
        "resolved": report.get("victims", {}).get("resolved"),
        "records_exposed": 0,
        "records_lost_before_detection": 0,
        "sources": sorted(s["id"] for s in sources),
        # a release named as a source -> the partner it was given to (to show the partner's name)
        "source_partners": {s["id"]: s["partner"] for s in sources if s.get("partner")},
        "attribution_rank": hits[0]["rank"] if hits else None,
        "p_value": hits[0].get("p_adjusted", hits[0].get("p_value")) if hits else None,
        "false_alerts": sum(
            1 for s in sources if s["id"] not in guilty and s.get("partner") not in guilty
        ),
    }


ATTACK = Attack(
    "victims",
    "victims' list traced",
    plant,
    score,
    needs=("POST /v1/trace/victims",),
    after=("scam", *LEAK_SOURCES),
)
