"""Login-risk throughput: assessments per second in process (one core) and over HTTP.

In process: the simulated store's login events (:mod:`shieldwall.sim.logins`, benign and
attacks) through :class:`RiskEngine` on in-process state, timed for ``assess`` alone and for
``assess`` + ``outcome`` (what a login costs the engine); also on Redis state. Over HTTP:
``POST /v1/logins/assess`` with ``wrk`` against ``shieldwall serve`` (2 workers, 32
connections, random accounts and addresses), the way bench_custody measures its reads.
Medians of several runs.

    python bench/bench_guard_risk.py            # everything
    BENCH_QUICK=1 python bench/bench_guard_risk.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._util import median_of, save, serve, table, wrk
from shieldwall.config import RiskSettings, load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.model import LoginAttempt
from shieldwall.guard.risk.network import AsnTable
from shieldwall.guard.risk.ports import RiskState
from shieldwall.sim.logins import LoginEvent, LoginWorld, WorldConfig
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.risk_state_redis import RedisRiskState
from shieldwall.wiring import build, initialize

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
EVENTS = 20_000 if QUICK else 40_000
WRK_SECONDS = 5 if QUICK else 10
KEY = b"bench-tag-key-0123456789abcdef01"


def events() -> list[LoginEvent]:
    world = LoginWorld(11, WorldConfig(customers=4000, days=6.0))
    return world.events()[:EVENTS]


def run_in_process(
    evs: list[LoginEvent], state: RiskState, *, outcome: bool, cpu: bool = False
) -> float:
    """Events per second of wall time, or (``cpu``) per second of this process's CPU time,
    which a machine shared with other work disturbs less."""
    settings = RiskSettings()
    clock = ManualClock(evs[0].ts)
    engine = RiskEngine(settings, state, KEY, clock, asn=AsnTable.load(None))
    attempts = [
        (e.ts, LoginAttempt(e.account, e.ip, e.user_agent, e.device_id, e.password_sha1), e)
        for e in evs
    ]
    timer = time.process_time if cpu else time.perf_counter
    start = timer()
    for ts, attempt, e in attempts:
        clock.set(ts)
        a = engine.assess(attempt)
        if outcome:
            engine.outcome(a.assessment_id, success=e.correct, account_known=e.account_known)
    return len(attempts) / (timer() - start)


LUA = """
math.randomseed(os.time())
request = function()
  local body = string.format(
    '{{"account": "+86138%08d", "ip": "1.%d.%d.%d", "user_agent": "Mozilla/5.0",'
    .. ' "password_sha1": "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"}}',
    math.random(1, 99999999), math.random(80, 95), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/v1/logins/assess",
    {{["Authorization"] = "Bearer {key}", ["Content-Type"] = "application/json"}}, body)
end
"""


def bench_http(backend: str) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="sw-bench-"))
    env = {"SHIELDWALL_HOME": str(home), "SHIELDWALL_STATE_BACKEND": backend}
    settings = load_settings(env)
    initialize(settings)
    svc = build(settings)
    _, key = svc.custody.principals.add("store-login", "service", unit="login")
    svc.close()
    script = home / "assess.lua"
    script.write_text(LUA.format(key=key))
    results = []
    with serve(env, workers=int(os.environ.get("WORKERS", "2"))) as base:
        wrk(base + "/", script=script, seconds=2, connections=8)  # warm up
        for _ in range(3 if QUICK else 5):
            results.append(wrk(base + "/", script=script, seconds=WRK_SECONDS, connections=32))
    shutil.rmtree(home)
    if backend == "redis":
        RedisRiskState.from_url(settings.redis_url, tenant=settings.tenant).clear()
    results.sort(key=lambda r: r["rps"])
    mid = results[len(results) // 2]
    return mid | {"runs_rps": [r["rps"] for r in results]}


def main() -> None:
    evs = events()
    assess, assess_runs = median_of(
        RUNS, lambda: run_in_process(evs, MemoryRiskState(), outcome=False)
    )
    full, full_runs = median_of(RUNS, lambda: run_in_process(evs, MemoryRiskState(), outcome=True))
    cpu, cpu_runs = median_of(
        RUNS, lambda: run_in_process(evs, MemoryRiskState(), outcome=False, cpu=True)
    )
    redis_evs = evs[: len(evs) // 4]

    def on_redis() -> float:
        state = RedisRiskState.from_url("redis://127.0.0.1:6379/0", tenant="bench")
        try:
            return run_in_process(redis_evs, state, outcome=True)
        finally:
            state.clear()

    red, red_runs = median_of(3, on_redis)
    rows = [
        ("assess in process, memory state", f"{assess:,.0f} events/s"),
        ("assess + outcome in process, memory state", f"{full:,.0f} events/s"),
        ("assess in process, memory state, per CPU-second", f"{cpu:,.0f} events/s"),
        ("assess + outcome in process, Redis state", f"{red:,.0f} events/s"),
    ]
    http: dict[str, Any] = {}
    if shutil.which("wrk"):
        for backend in ("memory", "redis"):
            h = bench_http(backend)
            http[backend] = h
            rows.append(
                (
                    f"POST /v1/logins/assess, 2 workers, 32 conns, {backend} state",
                    f"{h['rps']:,.0f} req/s, p50 {h.get('p50', 0):.1f} ms,"
                    f" p99 {h.get('p99', 0):.1f} ms"
                    + (f", non-2xx {h['non_2xx']:.0f}" if h.get("non_2xx") else ""),
                )
            )
    print(f"guard risk benchmarks (median of {RUNS} runs; {len(evs)} simulated events)")
    table(rows)
    path = save(
        "guard_risk",
        {
            "events": len(evs),
            "assess_per_s": assess,
            "assess_runs": assess_runs,
            "assess_outcome_per_s": full,
            "assess_outcome_runs": full_runs,
            "assess_per_cpu_s": cpu,
            "assess_cpu_runs": cpu_runs,
            "load_average": os.getloadavg(),
            "redis_assess_outcome_per_s": red,
            "redis_runs": red_runs,
            "http": http,
        },
    )
    print(f"  wrote {path}")


if __name__ == "__main__":
    main()
