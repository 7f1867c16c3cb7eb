"""(c) A partner resells a release it was given, alone or with a second partner (collusion).

On the attack day every partner gets a release (``POST /v1/releases``: name, phone and address
of a few hundred customers with recent orders, shieldwall's marks and canaries in the file) and
reads some of its customers for fulfilment. The leaking partner sells most of its file; with
``COLLUDE`` a second partner sells its file too and the two are merged, rows shuffled, into one
leak. A day later the leak turns up and the security team asks shieldwall who leaked it and warns
every customer of the accused partner's release (``shieldwall warn plan``)
(``POST /v1/trace/file``, the API twin of ``shieldwall trace file LEAK --json``; the API is used
because it runs at simulated time, the CLI on the wall clock).

Every customer in the sold file counts as lost from the moment of sale: nothing can stop a
release a partner was legitimately given, so "records lost before detection" is all of them;
what is measured is whether shieldwall names the right partner(s), at what p-value, and
whether it accuses anyone else.
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shieldwall.sim.attacks.base import Attack, Observed, hours
from shieldwall.sim.truth import GroundTruth
from shieldwall.sim.world import ADMIN

if TYPE_CHECKING:
    from shieldwall.sim.engine import Play

RELEASE_SIZE = 240
SOLD_SHARE = 0.8
SURFACES_AFTER = timedelta(days=1)
FIELDS = ["name", "phone", "address"]
KNEW = tuple(FIELDS)  # what the leak gives a scammer


def make_plant(name: str, collude: bool) -> Any:
    def plant(play: Play, rng: random.Random) -> GroundTruth:
        w = play.world
        cfg = w.config
        partners = sorted(p.principal_id for p in w.partners)
        leakers = tuple(rng.sample(partners, 2 if collude else 1))
        at = cfg.t0 + timedelta(days=cfg.attack_day, hours=9, minutes=rng.randrange(60))
        truth = GroundTruth(
            name,
            "partners resell their releases (collusion)"
            if collude
            else "a partner resells its release",
            leakers,
            at,
            cfg.end,
            peers_role="partner",
        )
        files: dict[str, list[dict[str, str]]] = {}
        released: dict[str, list[str]] = {}
        releases: dict[str, str] = {}
        truth.facts.update(releases=releases, collude=collude)

        def release() -> None:
            h = play.harness
            recent = sorted({o.customer_id for o in play.placed[-3 * RELEASE_SIZE :]})
            for pid in partners:
                ids = rng.sample(recent, min(RELEASE_SIZE, len(recent)))
                body = {
                    "recipient_id": pid,
                    "customer_ids": ids,
                    "fields": FIELDS,
                    "kind": "export",
                    "format": "csv",
                    "note": "fulfilment",
                }
                out = h.post("/v1/releases", ADMIN, body).body
                releases[pid] = out["release"]["release_id"]
                released[pid] = ids
                text = base64.b64decode(out["file"]["content_base64"]).decode("utf-8-sig")
                files[pid] = list(csv.DictReader(io.StringIO(text)))
                for cid in rng.sample(ids, min(20, len(ids))):  # fulfilment reads
                    play.at(
                        play.now + timedelta(minutes=rng.uniform(5, 300)),
                        functools.partial(
                            h.get,
                            f"/v1/customers/{cid}",
                            pid,
                            params={"purpose": "partner_fulfilment"},
                            expect=(200, 403),
                        ),
                    )
            play.at(play.now + timedelta(hours=rng.uniform(2, 8)), sell)

        def sell() -> None:
            # Which customers are sold is drawn from the ids the sim asked to release, so it is
            # the same for a seed whatever shieldwall's keys; the rows are the partner's file,
            # marks and all, and its canaries (which the seller cannot tell apart) go along at
            # the same rate.
            phones = play.world.phone_index()
            rows: list[dict[str, str]] = []
            for pid in leakers:
                ids = released[pid]
                sold = set(rng.sample(ids, max(1, int(len(ids) * SOLD_SHARE / len(leakers)))))
                for row in files[pid]:
                    cid = phones.get(row.get("phone", ""))
                    if cid in sold or (cid is None and rng.random() < SOLD_SHARE):
                        rows.append(row)
                        if cid is not None:
                            truth.expose(cid, play.now)
            rows.sort(key=lambda r: (r.get("phone", "") not in phones, r.get("phone", "")))
            rng.shuffle(rows)
            truth.facts["leak_rows"] = len(rows)
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
            leak = out.getvalue().encode("utf-8")
            play.at(play.now + SURFACES_AFTER, functools.partial(trace, leak))

        def trace(leak: bytes) -> None:
            report = play.harness.post(
                "/v1/trace/file", ADMIN, content=leak, params={"format": "csv"}
            ).body
            truth.facts["report"] = report
            truth.facts["traced_at"] = play.now
            for pid in report["accused"]:  # the team warns everyone the accused was given
                if pid in released:
                    play.warn(released[pid], f"trace-{releases[pid]}")
            play.note(
                "trace", f"leaked file traced: accused {', '.join(report['accused']) or 'nobody'}"
            )
            if play.responder is not None:
                given = {p: (releases[p], released[p]) for p in released}
                play.responder.leak_traced(report, leak, given)

        play.at(at, release)
        truth.notes.append((at, f"{' and '.join(leakers)} will sell their release"))
        return truth

    return plant


def score(truth: GroundTruth, seen: Observed) -> dict[str, Any]:
    report: dict[str, Any] | None = truth.facts.get("report")
    if report is None:
        return {
            "detected": False,
            "time_to_detect_h": None,
            "detected_at": None,
            "records_exposed": len(truth.exposed),
            "records_lost_before_detection": len(truth.exposed),
            "attribution_rank": None,
            "p_value": None,
            "false_alerts": 0,
            "note": "the leak had not surfaced by the end",
        }
    ranked = sorted(report["recipients"], key=lambda r: r["log10_p"])
    rank = {r["recipient_id"]: i for i, r in enumerate(ranked, 1)}
    accused = set(report["accused"])
    guilty = set(truth.principals)
    ranks = [rank[p] for p in guilty if p in rank]
    detected = guilty <= accused
    return {
        "detected": detected,
        "time_to_detect_h": hours(truth.start, truth.facts["traced_at"]),
        "detected_at": truth.facts["traced_at"].isoformat() if detected else None,
        "records_exposed": len(truth.exposed),
        "records_lost_before_detection": len(truth.exposed),
        "leak_rows": truth.facts.get("leak_rows"),
        "accused": sorted(accused),
        "attribution_rank": max(ranks) if ranks else None,  # the worst-placed leaker
        "p_value": max(
            (float(r["p_value"]) for r in ranked if r["recipient_id"] in guilty), default=None
        ),
        "false_alerts": len(accused - guilty),
        "canary_rows": report.get("canary_rows"),
    }


ATTACK = Attack(
    "partner",
    "partner reselling a release",
    make_plant("partner", False),
    score,
    needs=("POST /v1/releases", "POST /v1/trace/file"),
)
COLLUSION = Attack(
    "collusion",
    "two partners reselling their releases together",
    make_plant("collusion", True),
    score,
    needs=("POST /v1/releases", "POST /v1/trace/file"),
)
