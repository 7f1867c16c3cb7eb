"""Simulation cost by size: seconds and API requests per simulated world, and how each scales.

    python bench/bench_simulate.py            # 1,000 / 2,000 / 4,000 customers, 5 days
    python bench/bench_simulate.py --quick    # 500 / 1,000 customers, 3 days

Each size runs ``shieldwall.sim.run.simulate`` once per seed (default seeds 1 and 2) on a fresh
SQLite home in a temporary directory; figures are medians over the seeds of wall-clock time,
requests, audit entries and requests per second; attacks detected are listed per seed. Every request goes through the in-process
test client (ASGI, no sockets), so this measures the simulator plus shieldwall's request work,
not a network service. Larger worlds (a million customers) are possible but take hours at
these rates: the request volume grows with customers (contacts, orders, logins).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._util import save
from shieldwall.sim.run import simulate
from shieldwall.sim.world import SimConfig


def run(customers: int, days: int, seeds: list[int]) -> dict[str, Any]:
    rows = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            out = simulate(SimConfig(seed=seed, customers=customers, days=days), Path(tmp) / "o")
        card = out.scorecard
        rows.append(
            {
                "seconds": out.seconds,
                "requests": card["run"]["requests"],
                "audit_entries": card["run"]["audit_entries"],
                "detected": sum(a["detected"] for a in card["attacks"].values()),
                "attacks": len(card["attacks"]),
            }
        )
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    med["requests_per_second"] = round(med["requests"] / med["seconds"], 1)
    return {"customers": customers, "days": days, "seeds": seeds, "median": med, "runs": rows}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", default="1,2")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    sizes = [(500, 3), (1000, 3)] if args.quick else [(1000, 5), (2000, 5), (4000, 5)]
    results = []
    print(f"{'customers':>9} {'days':>4} {'seconds':>8} {'requests':>9} {'req/s':>7} detected/seed")
    for customers, days in sizes:
        r = run(customers, days, seeds)
        m = r["median"]
        print(
            f"{customers:>9} {days:>4} {m['seconds']:>8.1f} {m['requests']:>9.0f}"
            f" {m['requests_per_second']:>7.1f}"
            f" {','.join(str(x['detected']) for x in r['runs'])} of {m['attacks']:.0f}",
            flush=True,
        )
        results.append(r)
    save("simulate", {"sizes": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
