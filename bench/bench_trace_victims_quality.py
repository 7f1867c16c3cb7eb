"""Victim-attribution quality on simulated stores: is the planted leaker ranked first, are both
sources of a two-source leak named, and who is falsely accused.

Each seed builds a store with :mod:`shieldwall.sim.access` (benign work of every role, partner
releases every working morning, and two planted attacks: an agent harvesting through
self-opened tickets and an outlet's couriers opening other outlets' waybills, with
``courier_rule="open"`` so those reads are allowed), streams its access events into the exposure
index (the same builder the service uses; the events do not go through an audit store here), and
asks four questions of it:

- ``agent_harvester``: victims drawn from the customers whose phone and order items the
  harvesting agent had been shown (the caller knew ``phone, items``);
- ``outlet_courier``: from the customers the lead courier took in the attack (``address, phone``:
  the delivery address in clear, the phone through its relay number);
- ``partner_release``: from one partner release picked at random among those of >= 100
  customers (``name, phone, address``);
- ``two_source``: half from the harvester, half from the release (each victim with its own
  knowledge list).

Each victim set has 20 victims: 16 from the leak (8 + 8 for two sources) and 4 *noise* victims,
customers drawn at random from the rest of the store (scammed from some other source), with the
same knowledge list. A leaked victim is called 1-72 hours after the leaker had been shown what
the caller knew; a noise victim at a random time in the world or up to three days after it.
After each call, a fraud-desk agent (one per scenario) reads the victim in clear 0.5-6 hours
later, as happens when victims complain: a principal that explains every victim if the time of
the call is ignored.

Counted per scenario: **rank-1**: the top of the ranking is a planted source; **named**: every
planted source is in the explanation; **false accusation**: a source in the explanation that was
not planted (a run with one counts once in ``runs_with_false``).

No parameter was tuned on these seeds: alpha (0.01, Holm), the view rules and the scenario
definitions were fixed before the held-out run. Seeds 1-3 were used while developing (to check
the script runs and the scenarios have enough victims); the held-out seeds are 1000-1099.

    python bench/bench_trace_victims_quality.py                      # held-out seeds 1000-1099
    python bench/bench_trace_victims_quality.py --seeds 1 2 3 --label dev
    python bench/bench_trace_victims_quality.py --ignore-call-times --label no_times  # ablation
    python bench/bench_trace_victims_quality.py --leaked 4 --noise 16 --label hard    # weak signal
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from bench._util import save, table
from shieldwall.core.events import Action, Decision
from shieldwall.sim.access.attacks import AttackKind
from shieldwall.sim.access.views import ALL_CLEAR
from shieldwall.sim.access.world import AccessWorld, WorldConfig
from shieldwall.trace.attribution.exposure import (
    Candidate,
    ExposureIndex,
    ExposureIndexBuilder,
    Knowledge,
    exposure_mask,
)
from shieldwall.trace.attribution.victims.input import Victim
from shieldwall.trace.attribution.victims.scoring import VictimSetAttribution

DEV_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = tuple(range(1000, 1100))
SIZE = {"customers": 20_000, "principals": 150, "days": 7}
LEAKED, NOISE = 16, 4
HARVEST_KNEW = frozenset({Knowledge.PHONE, Knowledge.ITEMS})
COURIER_KNEW = frozenset({Knowledge.ADDRESS, Knowledge.PHONE})
RELEASE_KNEW = frozenset({Knowledge.NAME, Knowledge.PHONE, Knowledge.ADDRESS})


class Seen:
    """Ground truth kept beside the index, by simple code: when each watched principal was first
    shown each knowledge bit of each customer, and what each release granted when."""

    def __init__(self, watched: set[str]) -> None:
        self.watched = watched
        self.first: dict[str, dict[str, dict[int, float]]] = defaultdict(dict)
        self.releases: dict[str, tuple[float, set[str]]] = {}

    def add(self, e: Any) -> None:
        if e.decision is not Decision.ALLOW or not e.customer_ids:
            return
        ts = e.ts.timestamp()
        if e.action is Action.GRANT and e.extra.get("release"):
            _, ids = self.releases.setdefault(e.extra["release"], (ts, set()))
            ids.update(e.customer_ids)
            return
        if e.actor not in self.watched:
            return
        mask = exposure_mask(e.fields, bool(e.order_ids))
        per = self.first[e.actor]
        for c in e.customer_ids:
            bits = per.setdefault(c, {})
            for b in range(len(Knowledge)):
                if mask >> b & 1 and ts < bits.get(b, float("inf")):
                    bits[b] = ts

    def knew_at(self, who: str, knew: frozenset[Knowledge]) -> dict[str, float]:
        """Customers ``who`` had been shown all of ``knew`` about, and since when."""
        out = {}
        for c, bits in self.first[who].items():
            need = [bits.get(int(k)) for k in (*knew, Knowledge.SEEN)]
            if all(t is not None for t in need):
                out[c] = max(t for t in need if t is not None)
        return out


def draw(
    rng: random.Random, ready: dict[str, float], k: int, knew: frozenset[Knowledge]
) -> list[Victim]:
    chosen = rng.sample(sorted(ready), k)
    return [
        Victim(
            c,
            datetime.fromtimestamp(ready[c], tz=UTC) + timedelta(hours=rng.uniform(1, 72)),
            knew,
        )
        for c in chosen
    ]


def noise(
    rng: random.Random,
    world: AccessWorld,
    exclude: set[str],
    knew: frozenset[Knowledge],
    count: int = NOISE,
) -> list[Victim]:
    out: list[Victim] = []
    span = (world.end - world.t0).total_seconds() + 3 * 86_400
    while len(out) < count:
        c = world.store.customer_id(rng.randrange(world.config.customers))
        if c in exclude or any(v.customer_id == c for v in out):
            continue
        out.append(Victim(c, world.t0 + timedelta(seconds=rng.uniform(0, span)), knew))
    return out


def run_seed(
    seed: int,
    scorer: VictimSetAttribution,
    ignore_times: bool = False,
    leaked: int = LEAKED,
    noisy: int = NOISE,
) -> dict[str, Any]:
    cfg = WorldConfig(
        seed=seed,
        attacks=(AttackKind.TICKET_HARVEST, AttackKind.OUTLET_CROSS),
        courier_rule="open",
        first_attack_day=1,
        last_attack_day=2,
        **SIZE,  # type: ignore[arg-type]
    )
    world = AccessWorld(cfg)
    harvest = next(a for a in world.attacks if a.kind is AttackKind.TICKET_HARVEST)
    cross = next(a for a in world.attacks if a.kind is AttackKind.OUTLET_CROSS)
    harvester, lead = harvest.principals[0], cross.principals[0]
    seen = Seen({harvester, lead})
    builder = ExposureIndexBuilder()
    t0 = time.perf_counter()
    for seq, e in enumerate(world.events()):
        builder.add_event(seq, e)
        seen.add(e)
    build_s = time.perf_counter() - t0

    rng = random.Random(f"victims/{seed}")
    n_pop = cfg.customers
    harvested = seen.knew_at(harvester, HARVEST_KNEW)
    crossed = {c: t for c, t in seen.knew_at(lead, COURIER_KNEW).items() if c in cross.customers}
    big = sorted(r for r, (_, ids) in seen.releases.items() if len(ids) >= 100)
    release = rng.choice(big) if big else None
    released: dict[str, float] = {}
    if release:
        ts, ids = seen.releases[release]
        released = dict.fromkeys(ids, ts)

    scenarios: dict[str, tuple[list[Victim], set[str]]] = {}
    if len(harvested) >= leaked:
        v = draw(rng, harvested, leaked, HARVEST_KNEW)
        v += noise(rng, world, set(harvested), HARVEST_KNEW, noisy)
        scenarios["agent_harvester"] = (v, {f"principal:{harvester}"})
    if len(crossed) >= leaked:
        v = draw(rng, crossed, leaked, COURIER_KNEW)
        v += noise(rng, world, set(crossed), COURIER_KNEW, noisy)
        scenarios["outlet_courier"] = (v, {f"principal:{lead}"})
    if release and len(released) >= leaked:
        v = draw(rng, released, leaked, RELEASE_KNEW)
        v += noise(rng, world, set(released), RELEASE_KNEW, noisy)
        scenarios["partner_release"] = (v, {f"release:{release}"})
    only_h = {c: t for c, t in harvested.items() if c not in released}
    only_r = {c: t for c, t in released.items() if c not in harvested}
    half = leaked // 2
    if release and len(only_h) >= half and len(only_r) >= leaked - half:
        v = draw(rng, only_h, half, HARVEST_KNEW)
        v += draw(rng, only_r, leaked - half, RELEASE_KNEW)
        v += noise(rng, world, set(harvested) | set(released), RELEASE_KNEW, noisy)
        scenarios["two_source"] = (v, {f"principal:{harvester}", f"release:{release}"})

    # The look-alike every real investigation has: victims complain, and a fraud-desk agent reads
    # each of them in clear within hours of the call. Only the time restriction keeps the desk
    # (which explains every victim, and was shown almost nobody else) from topping the ranking.
    seq = builder.last_seq + 1
    for name, (victims, _) in scenarios.items():
        desk = builder.candidate(Candidate("principal", f"fraud-desk-{name}", "agent", "fraud"))
        for vic in victims:
            assert vic.called_at is not None
            when = vic.called_at + timedelta(hours=rng.uniform(0.5, 6))
            builder.add(seq, when.timestamp(), [desk], [vic.customer_id], exposure_mask(ALL_CLEAR))
            seq += 1
    t0 = time.perf_counter()
    index = builder.build()
    build_s += time.perf_counter() - t0

    out: dict[str, Any] = {"seed": seed, "build_seconds": build_s, "pairs": index.pairs}
    for name, (victims, truth) in scenarios.items():
        asked = victims
        if ignore_times:  # ablation: what the time restriction buys
            asked = [Victim(v.customer_id, None, v.knew) for v in victims]
        out[name] = judge(scorer, index, asked, truth, n_pop)
    return out


def judge(
    scorer: VictimSetAttribution,
    index: ExposureIndex,
    victims: list[Victim],
    truth: set[str],
    population: int,
) -> dict[str, Any]:
    t = time.perf_counter()
    res = scorer.attribute(index, victims, population)
    named = [s.candidate.key for s in res.sources]
    return {
        "rank1": bool(res.ranking) and res.ranking[0].candidate.key in truth,
        "top": res.ranking[0].candidate.key if res.ranking else None,
        "named_all": truth <= set(named),
        "false": [k for k in named if k not in truth],
        "unexplained": len(res.unexplained),
        "query_seconds": time.perf_counter() - t,
        # Nothing named in round 1: the unproven lead, whether it is planted, and how many
        # more victims at its observed rate would name it.
        "lead": None if res.lead is None else res.lead.score.candidate.key,
        "lead_planted": res.lead is not None and res.lead.score.candidate.key in truth,
        "lead_more_victims": None if res.lead is None else res.lead.more_victims,
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="*", default=list(HELD_OUT_SEEDS))
    ap.add_argument("--label", default="held_out")
    ap.add_argument("--ignore-call-times", action="store_true", help="ablation: drop called_at")
    ap.add_argument("--leaked", type=int, default=LEAKED, help="victims drawn from the leak")
    ap.add_argument("--noise", type=int, default=NOISE, help="victims from elsewhere")
    args = ap.parse_args(argv)
    scorer = VictimSetAttribution(alpha=0.01)
    per_seed = []
    started = time.perf_counter()
    for seed in args.seeds:
        r = run_seed(seed, scorer, args.ignore_call_times, args.leaked, args.noise)
        per_seed.append(r)
        marks = " ".join(
            f"{k}={'ok' if v['rank1'] else 'MISS'}{'!' if v['false'] else ''}"
            for k, v in r.items()
            if isinstance(v, dict)
        )
        print(f"seed {seed}: {marks}", flush=True)
    summary: dict[str, Any] = {}
    for name in ("agent_harvester", "outlet_courier", "partner_release", "two_source"):
        runs = [r[name] for r in per_seed if name in r]
        if not runs:
            continue
        falses = Counter(k.split(":")[0] for x in runs for k in x["false"])
        summary[name] = {
            "runs": len(runs),
            "skipped_seeds": len(per_seed) - len(runs),
            "rank1_rate": sum(x["rank1"] for x in runs) / len(runs),
            "all_sources_named_rate": sum(x["named_all"] for x in runs) / len(runs),
            "runs_with_false_accusation": sum(bool(x["false"]) for x in runs),
            "false_accusations": sum(len(x["false"]) for x in runs),
            "false_by_kind": dict(falses),
            "misses": [
                {"seed": r["seed"], "top": r[name]["top"]}
                for r in per_seed
                if name in r and not r[name]["rank1"]
            ],
            "median_query_seconds": sorted(x["query_seconds"] for x in runs)[len(runs) // 2],
            "leads": sum(x["lead"] is not None for x in runs),
            "leads_planted": sum(x["lead_planted"] for x in runs),
            "lead_more_victims": sorted(
                x["lead_more_victims"] for x in runs if x["lead_more_victims"] is not None
            ),
        }
    rows = [
        (
            k,
            f"rank-1 {v['rank1_rate']:.1%} of {v['runs']}, all named {v['all_sources_named_rate']:.1%},"
            f" false accusations {v['false_accusations']} in {v['runs_with_false_accusation']} runs",
        )
        for k, v in summary.items()
    ]
    table(rows)
    path = save(
        f"trace_victims_quality_{args.label}",
        {
            "seeds": args.seeds,
            "size": SIZE,
            "victims": {"leaked": args.leaked, "noise": args.noise},
            "alpha": 0.01,
            "ignore_call_times": args.ignore_call_times,
            "correction": "holm",
            "summary": summary,
            "per_seed": per_seed,
            "wall_seconds": time.perf_counter() - started,
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
