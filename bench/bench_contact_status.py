"""Contact-status benchmark: ``GET /v1/me/contact-status`` requests per second over HTTP.

A store of ``CUSTOMERS`` customers; a quarter have a live call from an agent, a quarter had a
call that ended, the rest none. The store app (role ``service``) asks the status of random
customers, (a) without and (b) with the number on the customer's screen (half official numbers,
half not). ``shieldwall serve`` runs 2 workers on SQLite; wrk drives 32 connections. As a
baseline in the same run, ``GET /v1/me`` (authentication and JSON only) gives the ceiling of the
HTTP stack here; the scenarios run interleaved, round by round, and the ratio is taken within
each round. Also the in-process cost of one status decision (database read included).

Run: ``python bench/bench_contact_status.py`` (``BENCH_QUICK=1`` for a short run). Medians of
several runs; the 1-minute load average is recorded around each run because other jobs may
share the machine.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench._util import customer_rows, save, serve, table, wrk
from shieldwall.config import load_settings
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import build, initialize

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
WRK_SECONDS = 5 if QUICK else 10
CUSTOMERS = 2_000
AGENTS = 20
WORKERS = int(os.environ.get("WORKERS", "2"))
CONNECTIONS = 32

LUA = """
math.randomseed({seed})
local n = {n}
local screens = {{ {screens} }}
request = function()
  local id = string.format("C%06d", math.random(1, n))
  local path = "/v1/me/contact-status?subject=" .. id
  if {with_incoming} then
    path = path .. "&incoming=" .. screens[math.random(1, #screens)]
  end
  return wrk.format("GET", path, {{["Authorization"] = "Bearer {key}"}})
end
"""


def setup(home: Path) -> tuple[str, list[float]]:
    """Build the store; return the app's API key and in-process status timings (us)."""
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings)
    svc = build(settings)
    people = PeopleFactory(3).customers(CUSTOMERS)
    assert svc.custody.importer.customers(customer_rows(people)).committed
    _, key = svc.custody.principals.add("app", "service", unit="store-app")
    agents = [
        svc.custody.principals.add(f"agent-{i:02d}", "agent", display_name="客服")[0]
        for i in range(AGENTS)
    ]
    cl = svc.contact_ledger
    cl.numbers.add(OPERATOR, "950618", "hotline")
    cl.numbers.add(OPERATOR, "010-5632-XXXX", "outbound")
    rng = random.Random(7)
    ledger = cl.ledger
    for i, c in enumerate(people):
        if i % 4 == 0:  # a live call
            agent = rng.choice(agents)
            svc.custody.relations.open_ticket(agent.principal_id, c.customer_id)
            ledger.register(
                agent,
                customer_id=c.customer_id,
                channel="call",
                via=rng.choice(["950618", f"0105632{rng.randrange(10_000):04d}"]),
                reason="refund",
                verification="both",
            )
        elif i % 4 == 1:  # a call that ended
            agent = rng.choice(agents)
            svc.custody.relations.open_ticket(agent.principal_id, c.customer_id)
            done = ledger.register(
                agent, customer_id=c.customer_id, channel="call", via="950618", reason="delivery"
            )
            ledger.end(agent, done.contact.contact_id)
    timings = []
    for _ in range(3):
        ids = [rng.choice(people).customer_id for _ in range(2000)]
        start = time.perf_counter()
        for cid in ids:
            ledger.status(cid, "950618")
        timings.append((time.perf_counter() - start) / len(ids) * 1e6)
    svc.close()
    return key, timings


def load1() -> float:
    return os.getloadavg()[0]


def drive(base: str, scripts: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    """Run each scenario once per round, rounds interleaved, so that every scenario sees the
    same mix of whatever else the machine is doing; ratios are taken within a round."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in scripts}
    for _ in range(RUNS):
        for name, script in scripts.items():
            before = load1()
            r = wrk(base + "/", script=script, seconds=WRK_SECONDS, connections=CONNECTIONS)
            r["load1_before"], r["load1_after"] = before, load1()
            results[name].append(r)
    return results


def median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(results, key=lambda r: r["rps"])
    mid = dict(ordered[len(ordered) // 2])
    mid["runs_rps"] = [round(r["rps"], 1) for r in results]
    mid["load1"] = [round(r["load1_before"], 2) for r in results]
    return mid


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="sw-bench-contact-"))
    try:
        key, inproc = setup(home)
        screens = ", ".join(
            f'"{n}"' for n in ("950618", "01056320042", "13812345678", "4006065500")
        )
        scripts = {}
        for name, flag in (("plain", "false"), ("incoming", "true")):
            path = home / f"{name}.lua"
            path.write_text(
                LUA.format(seed=11, n=CUSTOMERS, screens=screens, with_incoming=flag, key=key)
            )
            scripts[name] = path
        me = home / "me.lua"
        me.write_text(
            'request = function() return wrk.format("GET", "/v1/me",'
            f' {{["Authorization"] = "Bearer {key}"}}) end\n'
        )
        scripts["baseline"] = me
        with serve({"SHIELDWALL_HOME": str(home)}, workers=WORKERS) as base:
            wrk(base + "/", script=me, seconds=2, connections=8)  # warm up
            runs = drive(base, scripts)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    plain, incoming, baseline = (median_run(runs[k]) for k in ("plain", "incoming", "baseline"))
    ratios = [p["rps"] / b["rps"] for p, b in zip(runs["plain"], runs["baseline"], strict=True)]
    ratio = statistics.median(ratios)
    status_us = statistics.median(inproc)
    print(
        f"contact status over HTTP ({WORKERS} workers, {CONNECTIONS} connections,"
        f" {CUSTOMERS} customers; median of {RUNS} runs of {WRK_SECONDS}s)"
    )

    def line(r: dict[str, Any]) -> str:
        extra = f", non-2xx {r['non_2xx']:.0f}" if r.get("non_2xx") else ""
        return (
            f"{r['rps']:,.0f} req/s, p50 {r.get('p50', 0):.1f} ms, p99 {r.get('p99', 0):.1f} ms"
            f"{extra} (runs {r['runs_rps']}; load1 {r['load1']})"
        )

    table(
        [
            ("status, no incoming number", line(plain)),
            ("status, with incoming number", line(incoming)),
            ("baseline GET /v1/me", line(baseline)),
            (
                "status / baseline, same round",
                f"{ratio:.2f} (rounds {[round(r, 2) for r in ratios]})",
            ),
            ("status in process (read + decide)", f"{status_us:.0f} us"),
        ]
    )
    save(
        "contact_status",
        {
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "customers": CUSTOMERS,
            "runs": RUNS,
            "seconds": WRK_SECONDS,
            "status_plain": plain,
            "status_incoming": incoming,
            "baseline_me": baseline,
            "ratio_status_to_baseline": {"median": ratio, "rounds": ratios},
            "status_in_process_us": {"median": status_us, "runs": inproc},
        },
    )


if __name__ == "__main__":
    main()
