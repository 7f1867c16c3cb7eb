"""Insider-watch quality on simulated stores: recall per attack kind, records taken before the
first alert, false alerts per 1,000 principal-days, time to detect.

Each seed builds a store with :mod:`shieldwall.sim.access` (benign work plus one attacker of
every kind, planted at a random time), streams its access events through the watch with the
configured detectors, and scores the alerts against the ground truth. Thresholds were tuned on
the tuning seeds; the figures that count are those of the held-out seeds, which were not looked
at while tuning.

    python bench/bench_trace_watch_quality.py                 # held-out seeds, default size
    python bench/bench_trace_watch_quality.py --tuning        # also the tuning seeds
    python bench/bench_trace_watch_quality.py --full          # 1M customers, 1,000 principals
    python bench/bench_trace_watch_quality.py --seeds 101 102 103 --label tuning

An alert counts for an attack when it names one of the attack's principals and is raised at or
after the attack started; any other alert is false (including one on the attacker before its
attack began). "Records before the first alert" counts the distinct customers the attack had
exposed (allowed accesses only) up to and including the access that raised the alert.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Alert
from shieldwall.core.events import AuditRecord
from shieldwall.sim.access.attacks import AttackKind
from shieldwall.sim.access.world import AccessWorld, WorldConfig
from shieldwall.storage.watch_state_memory import MemoryAlertStore, MemoryWatchState
from shieldwall.trace.watch.engine import Watch

OUT = Path(__file__).resolve().parent / "out"
TUNING_SEEDS = (101, 102, 103)
HELD_OUT_SEEDS = (201, 202, 203, 204, 205)
DEFAULT = {"customers": 200_000, "principals": 300, "days": 10}
FULL = {"customers": 1_000_000, "principals": 1_000, "days": 14}


@dataclass
class AttackResult:
    kind: str
    principals: tuple[str, ...]
    detected: bool
    exposed_total: int
    exposed_before: int | None
    hours_to_detect: float | None
    alert_kinds: tuple[str, ...]


@dataclass
class SeedResult:
    seed: int
    events: int
    seconds: float
    principal_days: int
    attacks: list[AttackResult]
    false_alerts: list[dict[str, Any]]


def run_seed(
    seed: int, size: dict[str, int], settings: WatchSettings, batch: int, courier_rule: str
) -> SeedResult:
    world = AccessWorld(WorldConfig(seed=seed, courier_rule=courier_rule, **size))  # type: ignore[arg-type]
    store = MemoryAlertStore()
    watch = Watch(settings, MemoryWatchState(), store)
    seconds = 0.0
    pending: list[AuditRecord] = []
    n = 0
    for e in world.events():
        pending.append(AuditRecord(n, e, b""))
        n += 1
        if len(pending) >= batch:
            t = time.process_time()
            watch.process(pending)
            seconds += time.process_time() - t
            pending = []
    t = time.process_time()
    watch.process(pending)
    seconds += time.process_time() - t
    alerts = store.list()
    by_principal: dict[str, list[Alert]] = defaultdict(list)
    for a in alerts:
        by_principal[a.principal_id].append(a)
    true_ids: set[str] = set()
    results = []
    for truth in world.attacks:
        mine = sorted(
            (a for p in truth.principals for a in by_principal[p] if a.raised_at >= truth.start),
            key=lambda a: a.raised_at,
        )
        true_ids.update(a.alert_id for a in mine)
        first = mine[0] if mine else None
        began = truth.exposed[0][0] if truth.exposed else truth.start
        results.append(
            AttackResult(
                truth.kind.value,
                truth.principals,
                first is not None,
                len(truth.exposed),
                truth.exposed_before(first.raised_at) if first else None,
                max(0.0, (first.raised_at - began).total_seconds() / 3600) if first else None,
                tuple(sorted({a.kind for a in mine})),
            )
        )
    false = [
        {
            "principal": a.principal_id,
            "kind": a.kind,
            "raised_at": a.raised_at.isoformat(),
            "score": round(a.score, 1),
            "reasons": [r.detail for r in a.reasons],
        }
        for a in alerts
        if a.alert_id not in true_ids
    ]
    return SeedResult(seed, n, seconds, world.principal_days, results, false)


def summarise(results: list[SeedResult]) -> dict[str, Any]:
    per_kind: dict[str, list[AttackResult]] = defaultdict(list)
    for r in results:
        for a in r.attacks:
            per_kind[a.kind].append(a)
    kinds = {}
    for kind in AttackKind:
        rows = per_kind.get(kind.value, [])
        found = [a for a in rows if a.detected]
        before = [a.exposed_before for a in found if a.exposed_before is not None]
        hours = [a.hours_to_detect for a in found if a.hours_to_detect is not None]
        kinds[kind.value] = {
            "attacks": len(rows),
            "detected": len(found),
            "recall": len(found) / len(rows) if rows else None,
            "records_before_median": statistics.median(before) if before else None,
            "records_before_max": max(before) if before else None,
            "hours_to_detect_median": round(statistics.median(hours), 2) if hours else None,
            "alert_kinds": sorted({k for a in found for k in a.alert_kinds}),
        }
    attacks = [a for r in results for a in r.attacks]
    found = [a for a in attacks if a.detected]
    before = [a.exposed_before for a in found if a.exposed_before is not None]
    false = sum(len(r.false_alerts) for r in results)
    pdays = sum(r.principal_days for r in results)
    events = sum(r.events for r in results)
    seconds = sum(r.seconds for r in results)
    return {
        "seeds": [r.seed for r in results],
        "attacks": len(attacks),
        "recall": len(found) / len(attacks) if attacks else None,
        "records_before_median": statistics.median(before) if before else None,
        "records_before_max": max(before) if before else None,
        "false_alerts": false,
        "principal_days": pdays,
        "false_per_1000_principal_days": 1000 * false / pdays if pdays else None,
        "false_by_kind": dict(Counter(f["kind"] for r in results for f in r.false_alerts)),
        "events": events,
        "watch_events_per_second": round(events / seconds) if seconds else None,
        "per_kind": kinds,
    }


def print_table(label: str, summary: dict[str, Any]) -> None:
    print(f"\n{label}: seeds {summary['seeds']}")
    print(f"{'attack':<16}{'recall':>9}{'records<alert med/max':>24}{'hours':>8}  alerts")
    for kind, row in summary["per_kind"].items():
        rec = f"{row['detected']}/{row['attacks']}"
        med, mx = row["records_before_median"], row["records_before_max"]
        before = f"{med if med is not None else '-'}/{mx if mx is not None else '-'}"
        hours = row["hours_to_detect_median"]
        print(
            f"{kind:<16}{rec:>9}{before:>24}{hours if hours is not None else '-':>8}"
            f"  {','.join(row['alert_kinds'])}"
        )
    print(
        f"overall recall {summary['recall']:.3f}; records before first alert median"
        f" {summary['records_before_median']} max {summary['records_before_max']};"
        f" false alerts {summary['false_alerts']} over {summary['principal_days']}"
        f" principal-days = {summary['false_per_1000_principal_days']:.2f} per 1,000"
        f" ({summary['false_by_kind']}); {summary['events']} events at"
        f" {summary['watch_events_per_second']} events per CPU-second"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1M customers, 1,000 principals")
    parser.add_argument("--tuning", action="store_true", help="also run the tuning seeds")
    parser.add_argument("--seeds", type=int, nargs="*", help="run these seeds only")
    parser.add_argument("--label", default=None)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--principals", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override a watch setting, e.g. --set behavioural_peers=false (ablations)",
    )
    parser.add_argument("--show-false", action="store_true", help="print every false alert")
    parser.add_argument(
        "--courier-rule",
        choices=("assignment", "open"),
        default="assignment",
        help="custody's default rule (other outlets' waybills denied) or the real case's open one",
    )
    args = parser.parse_args(argv)
    size = dict(FULL if args.full else DEFAULT)
    for key in ("customers", "principals", "days"):
        if getattr(args, key):
            size[key] = getattr(args, key)
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value)
    settings = WatchSettings.model_validate(overrides)
    groups: list[tuple[str, tuple[int, ...]]] = [("held-out", HELD_OUT_SEEDS)]
    if args.tuning:
        groups.insert(0, ("tuning", TUNING_SEEDS))
    if args.seeds:
        groups = [(args.label or "seeds", tuple(args.seeds))]
    report: dict[str, Any] = {
        "size": size,
        "courier_rule": args.courier_rule,
        "settings": settings.model_dump(mode="json"),
    }
    for label, seeds in groups:
        results = []
        for seed in seeds:
            r = run_seed(seed, size, settings, args.batch, args.courier_rule)
            print(
                f"seed {seed}: {r.events} events in {r.seconds:.0f}s,"
                f" {sum(a.detected for a in r.attacks)}/{len(r.attacks)} attacks,"
                f" {len(r.false_alerts)} false alerts",
                flush=True,
            )
            if args.show_false:
                for f in r.false_alerts:
                    print("   false:", json.dumps(f, ensure_ascii=False))
                for a in r.attacks:
                    print("   attack:", a)
            results.append(r)
        summary = summarise(results)
        print_table(label, summary)
        report[label] = summary
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["max_rss_mb"] = round(rss)
    print(f"peak memory of this process: {rss:.0f} MB")
    OUT.mkdir(exist_ok=True)
    name = "trace_watch_quality_full" if args.full else "trace_watch_quality"
    if args.courier_rule != "assignment":
        name += f"_{args.courier_rule}"
    if args.seeds:
        name += "_" + (args.label or "seeds")
    if overrides:
        name += "_" + "_".join(f"{k}-{v}" for k, v in sorted(overrides.items()))
    (OUT / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
