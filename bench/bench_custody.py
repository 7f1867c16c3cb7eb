"""Custody benchmarks: encrypted import, policy decisions, masked reads over HTTP (2 workers,
audit append included), audit append throughput, rotation re-encryption rate.

Run: ``python bench/bench_custody.py`` (``BENCH_QUICK=1`` for a short run). Medians of several runs.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
import timeit
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench._util import customer_rows, median_of, save, serve, table, wrk
from shieldwall.config import load_settings
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.model import Principal, Purpose, Relationship, Role
from shieldwall.custody.policy import decide, load_default_policy
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import build, initialize

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
IMPORT_N = 5_000 if QUICK else 20_000
READ_CUSTOMERS = 2_000
WRK_SECONDS = 5 if QUICK else 15


def fresh_home() -> Path:
    return Path(tempfile.mkdtemp(prefix="sw-bench-"))


def bench_import(people) -> float:  # type: ignore[no-untyped-def]
    home = fresh_home()
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings)
    svc = build(settings)
    start = time.perf_counter()
    report = svc.custody.importer.customers(customer_rows(people))
    elapsed = time.perf_counter() - start
    assert report.committed and report.imported == len(people)
    svc.close()
    shutil.rmtree(home)
    return len(people) / elapsed


def bench_policy() -> float:
    policy = load_default_policy()
    agent = Principal("a", Role.AGENT)
    rel = Relationship(open_ticket=True)
    n = 200_000
    seconds = timeit.timeit(lambda: decide(policy, agent, Purpose.AFTER_SALES, rel), number=n)
    return seconds / n * 1e6


def bench_audit(threads: int, batch: int, total: int) -> float:
    home = fresh_home()
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings)
    svc = build(settings)
    ev = AccessEvent(
        ts=datetime.now(UTC),
        actor="agent-li",
        role="agent",
        action=Action.READ,
        decision=Decision.ALLOW,
        reason="via_ticket",
        purpose="after_sales",
        customer_ids=("C000123",),
        fields={"phone": "masked"},
    )
    per_thread = total // threads

    def work() -> None:
        for _ in range(per_thread // batch):
            svc.audit.append([ev] * batch)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    size = svc.audit.size()
    svc.close()
    shutil.rmtree(home)
    return (size - 1) / elapsed


def bench_rotation(people) -> float:  # type: ignore[no-untyped-def]
    home = fresh_home()
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings)
    svc = build(settings)
    svc.custody.importer.customers(customer_rows(people))
    svc.custody.rotation.start()
    start = time.perf_counter()
    report = svc.custody.rotation.run(batch=1000)
    elapsed = time.perf_counter() - start
    assert report.finished
    svc.close()
    shutil.rmtree(home)
    return report.customers / elapsed


LUA = """
math.randomseed(os.time())
local n = {n}
request = function()
  local id = string.format("C%06d", math.random(1, n))
  return wrk.format("GET", "/v1/customers/" .. id .. "?purpose=after_sales", {{["Authorization"] = "Bearer {key}"}})
end
"""


def bench_http_read() -> dict[str, float]:
    home = fresh_home()
    env = {"SHIELDWALL_HOME": str(home)}
    settings = load_settings(env)
    initialize(settings)
    svc = build(settings)
    people = PeopleFactory(3).customers(READ_CUSTOMERS)
    svc.custody.importer.customers(customer_rows(people))
    _, key = svc.custody.principals.add("agent-li", "agent", unit="cs-1")
    for c in people:
        svc.custody.relations.open_ticket("agent-li", c.customer_id)
    svc.close()
    script = home / "read.lua"
    script.write_text(LUA.format(n=READ_CUSTOMERS, key=key))
    results = []
    with serve(env, workers=int(os.environ.get("WORKERS", "2"))) as base:
        wrk(base + "/v1/me", script=None, seconds=2, connections=8)  # warm up
        for _ in range(3 if QUICK else 5):
            results.append(wrk(base + "/", script=script, seconds=WRK_SECONDS, connections=32))
    shutil.rmtree(home)
    results.sort(key=lambda r: r["rps"])
    mid = results[len(results) // 2]
    return mid | {"runs_rps": [r["rps"] for r in results]}  # type: ignore[dict-item]


def main() -> None:
    people = PeopleFactory(1).customers(IMPORT_N)
    imp, imp_runs = median_of(RUNS, lambda: bench_import(people))
    pol, pol_runs = median_of(RUNS, bench_policy)
    aud1, aud1_runs = median_of(RUNS, lambda: bench_audit(1, 100, 100_000 if not QUICK else 30_000))
    aud8, aud8_runs = median_of(RUNS, lambda: bench_audit(8, 1, 16_000 if not QUICK else 4_000))
    rot, rot_runs = median_of(RUNS, lambda: bench_rotation(people))
    http = bench_http_read() if shutil.which("wrk") else {}
    print(f"custody benchmarks (median of {RUNS} runs; {IMPORT_N} customers)")
    rows_out = [
        ("encrypted import, one process", f"{imp:,.0f} customers/s"),
        ("policy decision in process", f"{pol:.2f} us"),
        ("audit append, 1 thread, batches of 100", f"{aud1:,.0f} entries/s"),
        ("audit append, 8 threads, 1 entry each call", f"{aud8:,.0f} entries/s"),
        ("rotation re-encryption", f"{rot:,.0f} customers/s"),
    ]
    if http:
        rows_out.append(
            (
                "masked read over HTTP, 2 workers, 32 conns",
                f"{http['rps']:,.0f} req/s, p50 {http.get('p50', 0):.1f} ms, p99 {http.get('p99', 0):.1f} ms"
                + (f", non-2xx {http['non_2xx']:.0f}" if http.get("non_2xx") else ""),
            )
        )
    else:
        rows_out.append(
            ("masked read over HTTP", "skipped: wrk not installed (apt-get install wrk)")
        )
    table(rows_out)
    save(
        "custody",
        {
            "import_customers_per_s": {"median": imp, "runs": imp_runs, "n": IMPORT_N},
            "policy_decision_us": {"median": pol, "runs": pol_runs},
            "audit_append_1thread_batch100_per_s": {"median": aud1, "runs": aud1_runs},
            "audit_append_8threads_single_per_s": {"median": aud8, "runs": aud8_runs},
            "rotation_customers_per_s": {"median": rot, "runs": rot_runs},
            "http_masked_read": http,
        },
    )


if __name__ == "__main__":
    main()
