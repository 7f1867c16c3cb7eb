"""Victim attribution speed: the query on a 1M-customer, 1,000-principal store, and the cost of
building the exposure index, reported separately.

1. **World**: :mod:`shieldwall.sim.access` at 1,000,000 customers and 1,000 principals over
   ``--days`` days (default 7), every planted attack on. Its access events are fed straight
   into :class:`ExposureIndexBuilder` (``add_event``), *not* written to an audit store first:
   writing millions of Merkle-log entries would take longer than this benchmark should. Events
   are generated in chunks of 100,000 (not timed); the build time is the time spent adding them
   plus the final ``build()``.
2. **Query**: :meth:`VictimSetAttribution.attribute` on 20 victims (4/5 of them from the planted
   attack that exposed the most customers, the rest random) and on 200 and 2,000 victims;
   median of ``--runs`` runs each.
3. **Audit-store path**: the first ``--log`` events of the same world appended to a real
   SQLite store through :class:`MerkleAuditLog`; :class:`AuditExposure` reads it with
   ``iter_entries`` and parses the canonical JSON (``add_body``), as the service does. Median of
   three fresh builds; entries per second.

    python bench/bench_trace_victims.py                 # 1M customers, 7 days
    python bench/bench_trace_victims.py --days 14 --runs 7 --log 1000000
    BENCH_QUICK=1 python bench/bench_trace_victims.py   # 100k customers, 3 days
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench._util import save, table
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.sim.access.world import AccessWorld, WorldConfig
from shieldwall.trace.attribution.exposure import (
    AuditExposure,
    ExposureIndex,
    ExposureIndexBuilder,
    Knowledge,
)
from shieldwall.trace.attribution.victims.input import Victim
from shieldwall.trace.attribution.victims.scoring import VictimSetAttribution
from shieldwall.wiring import build, initialize


def index_bytes(idx: ExposureIndex) -> int:
    return int(
        idx.pair_candidate.nbytes + idx.offsets.nbytes + idx.first_ts.nbytes + idx.first_seq.nbytes
    )


def world_config(customers: int, principals: int, days: int) -> WorldConfig:
    return WorldConfig(
        seed=11,
        customers=customers,
        principals=principals,
        days=days,
        first_attack_day=1,
        last_attack_day=max(1, days - 2),
    )


def world_index(cfg: WorldConfig) -> tuple[AccessWorld, ExposureIndex, dict[str, Any]]:
    world = AccessWorld(cfg)
    builder = ExposureIndexBuilder()
    events = world.events()
    gen = add = 0.0
    n = 0
    while True:
        t = time.perf_counter()
        chunk = list(itertools.islice(events, 100_000))
        gen += time.perf_counter() - t
        if not chunk:
            break
        t = time.perf_counter()
        for e in chunk:
            builder.add_event(n, e)
            n += 1
        add += time.perf_counter() - t
    t = time.perf_counter()
    idx = builder.build()
    final = time.perf_counter() - t
    return (
        world,
        idx,
        {
            "events": n,
            "generate_seconds": gen,
            "add_seconds": add,
            "final_build_seconds": final,
            "index_build_seconds": add + final,
            "pairs": idx.pairs,
            "candidates": len(idx.candidates),
            "customers_seen": len(idx.customer_ids),
            "index_array_mb": index_bytes(idx) / 1e6,
        },
    )


def victims_for(world: AccessWorld, idx: ExposureIndex, n: int, rng: random.Random) -> list[Victim]:
    biggest = max(world.attacks, key=lambda a: len(a.customers))
    leaked = sorted(biggest.customers)
    k = min(len(leaked), n * 4 // 5)
    chosen = rng.sample(leaked, k)
    while len(chosen) < n:
        chosen.append(world.store.customer_id(rng.randrange(world.config.customers)))
    when = world.end + timedelta(days=1)
    knew: frozenset[Knowledge] = frozenset()
    return [Victim(c, when, knew) for c in chosen]


def query_times(
    world: AccessWorld, idx: ExposureIndex, sizes: list[int], runs: int
) -> dict[str, Any]:
    scorer = VictimSetAttribution(alpha=0.01)
    out: dict[str, Any] = {}
    rng = random.Random(5)
    for n in sizes:
        vs = victims_for(world, idx, n, rng)
        times = []
        res = None
        for _ in range(runs):
            t = time.perf_counter()
            res = scorer.attribute(idx, vs, world.config.customers)
            times.append(time.perf_counter() - t)
        assert res is not None
        out[str(n)] = {
            "median_seconds": statistics.median(times),
            "runs": times,
            "sources": [s.candidate.key for s in res.sources],
        }
    return out


def audit_store_path(entries: int, cfg: WorldConfig) -> dict[str, Any]:
    """Write the first ``entries`` events of the world to a real SQLite Merkle log; time
    AuditExposure's full streaming build over it (three fresh builds)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"SHIELDWALL_HOME": str(Path(tmp) / "home")})
        clock = ManualClock()
        initialize(settings, clock)
        svc = build(settings, clock)
        try:
            world = AccessWorld(cfg)
            t = time.perf_counter()
            batch = []
            written = 0
            for e in world.events():
                batch.append(e)
                if len(batch) == 2000:
                    svc.audit.append(batch)
                    written += len(batch)
                    batch = []
                    if written >= entries:
                        break
            if batch and written < entries:
                svc.audit.append(batch)
            write = time.perf_counter() - t
            size = svc.audit.size()
            builds = []
            pairs = 0
            for _ in range(3):
                exposure = AuditExposure(svc.audit_store)
                t = time.perf_counter()
                pairs = exposure.refresh().pairs
                builds.append(time.perf_counter() - t)
            return {
                "log_entries": size,
                "write_seconds": write,
                "build_median_seconds": statistics.median(builds),
                "builds": builds,
                "entries_per_second": size / statistics.median(builds),
                "pairs": pairs,
            }
        finally:
            svc.close()


def main(argv: list[str]) -> int:
    quick = bool(os.environ.get("BENCH_QUICK"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000 if quick else 1_000_000)
    ap.add_argument("--principals", type=int, default=300 if quick else 1_000)
    ap.add_argument("--days", type=int, default=3 if quick else 7)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--log", type=int, default=20_000 if quick else 100_000)
    args = ap.parse_args(argv)

    cfg = world_config(args.customers, args.principals, args.days)
    world, idx, built = world_index(cfg)
    queries = query_times(world, idx, [20, 200, 2000], args.runs)
    del world, idx
    store = audit_store_path(args.log, cfg)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("world", f"{args.customers} customers, {args.principals} principals, {args.days} days"),
        ("events", f"{built['events']:,} ({built['generate_seconds']:.1f} s to generate)"),
        (
            "index build",
            f"{built['index_build_seconds']:.1f} s, {built['pairs']:,} pairs,"
            f" {built['candidates']} candidates, {built['index_array_mb']:.0f} MB of arrays",
        ),
    ]
    for n, q in queries.items():
        rows.append(
            (
                f"query {n} victims",
                f"{q['median_seconds'] * 1000:.0f} ms median"
                f" of {len(q['runs'])}; sources {q['sources']}",
            )
        )
    rows.append(
        (
            "audit-store build",
            f"{store['log_entries']:,} entries in"
            f" {store['build_median_seconds']:.2f} s ({store['entries_per_second']:,.0f}/s)",
        )
    )
    rows.append(("peak RSS", f"{peak_mb:.0f} MB"))
    table(rows)
    path = save(
        "trace_victims",
        {
            "args": vars(args),
            "index": built,
            "queries": queries,
            "audit_store": store,
            "peak_rss_mb": peak_mb,
            "load_average_at_end": os.getloadavg(),
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
