"""Insider watch throughput: audit events per second through the watch, with its state in
process and in Redis; and what running the watch in the API process costs a masked read.

    python bench/bench_trace_watch.py            # ~2 minutes
    python bench/bench_trace_watch.py --quick    # fewer events and reads

Throughput: the first ``--events`` events of a simulated store (300 principals, 200,000
customers; all ten planted attacks) go through ``Watch.process`` in batches of 1,000, three
times each with a fresh state; medians of wall-clock and CPU time. With Redis the watch writes
the records it changed back after every batch (one pipelined round trip), which is what the
service pays to let another worker take over.

Masked-read latency: ``Vault.read_customer`` by an agent through a ticket on a SQLite store
(each read appends its audit entry and commits), in alternating blocks with the watch off and
on (listener queueing, worker thread processing), medians and 95th percentiles.
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._util import customer_rows
from shieldwall.config import WatchSettings, load_settings
from shieldwall.core.events import AuditRecord
from shieldwall.sim.access.world import AccessWorld, WorldConfig
from shieldwall.sim.people import PeopleFactory
from shieldwall.storage.watch_state_memory import MemoryAlertStore, MemoryWatchState
from shieldwall.storage.watch_state_redis import RedisWatchState
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.ports import WatchState
from shieldwall.wiring import build, initialize

OUT = Path(__file__).resolve().parent / "out"
REDIS_URL = "redis://127.0.0.1:6379/0"


def records(n: int) -> list[AuditRecord]:
    world = AccessWorld(WorldConfig(seed=7, customers=200_000, principals=300, days=6))
    return [AuditRecord(i, e, b"") for i, e in enumerate(itertools.islice(world.events(), n))]


def throughput(recs: list[AuditRecord], make_state: Any, runs: int) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(runs):
        state: WatchState = make_state()
        watch = Watch(WatchSettings(), state, MemoryAlertStore())
        w0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, len(recs), 1000):
            watch.process(recs[i : i + 1000])
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        if isinstance(state, RedisWatchState):
            state.clear()
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {
        "events": len(recs),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "events_per_s": round(len(recs) / wall),
        "events_per_cpu_s": round(len(recs) / cpu),
    }


def latency(reads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            {"SHIELDWALL_HOME": str(Path(tmp) / "home")},
            overrides={"trace": {"watch": {"enabled": True}}},
        )
        initialize(settings)
        svc = build(settings)
        try:
            custody = svc.custody
            custody.principals.add("agent-1", "agent", unit="cs-1")
            custody.principals.add("agent-2", "agent", unit="cs-1")
            people = PeopleFactory(3).customers(200)
            custody.importer.customers(list(customer_rows(people)))
            agent = custody.principals.get("agent-1")
            tickets = [
                (c.customer_id, custody.relations.open_ticket("agent-1", c.customer_id).ticket_id)
                for c in people
            ]

            def block(n: int) -> list[float]:
                out = []
                for cid, tid in itertools.islice(itertools.cycle(tickets), n):
                    t = time.perf_counter()
                    custody.vault.read_customer(agent, cid, "after_sales", ticket_id=tid)
                    out.append((time.perf_counter() - t) * 1000)
                return out

            block(50)  # warm up
            off: list[float] = []
            on: list[float] = []
            per = max(50, reads // 12)
            for _ in range(6):  # alternate, so load on the host falls on both alike
                svc.watch.stop()
                off += block(per)
                svc.start_watch()
                on += block(per)
            svc.watch.drain(60)
            processed = svc.watch.watch.processed
        finally:
            svc.close()
    return {
        "reads_per_mode": len(off),
        "off_ms_median": round(statistics.median(off), 3),
        "off_ms_p95": round(statistics.quantiles(off, n=20)[18], 3),
        "on_ms_median": round(statistics.median(on), 3),
        "on_ms_p95": round(statistics.quantiles(on, n=20)[18], 3),
        "ratio_median": round(statistics.median(on) / statistics.median(off), 3),
        "watch_processed": processed,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args(argv)
    n = args.events or (60_000 if args.quick else 200_000)
    recs = records(n)
    report: dict[str, Any] = {
        "memory": throughput(recs, MemoryWatchState, args.runs),
    }
    if not args.no_redis:

        def redis_state() -> RedisWatchState:
            return RedisWatchState.from_url(REDIS_URL, tenant=f"bench{secrets.token_hex(3)}")

        report["redis"] = throughput(recs, redis_state, args.runs)
    report["masked_read_latency"] = latency(400 if args.quick else 2000)
    print(f"{'state':<8}{'events':>9}{'wall s':>9}{'events/s':>11}{'events/CPU-s':>14}")
    for name in ("memory", "redis"):
        if name in report:
            r = report[name]
            print(
                f"{name:<8}{r['events']:>9}{r['wall_s']:>9}{r['events_per_s']:>11}"
                f"{r['events_per_cpu_s']:>14}"
            )
    lat = report["masked_read_latency"]
    print(
        f"masked read, watch off: median {lat['off_ms_median']} ms, p95 {lat['off_ms_p95']} ms;"
        f" watch on: median {lat['on_ms_median']} ms, p95 {lat['on_ms_p95']} ms;"
        f" ratio {lat['ratio_median']} ({lat['reads_per_mode']} reads each)"
    )
    OUT.mkdir(exist_ok=True)
    (OUT / "trace_watch.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
