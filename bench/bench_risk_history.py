"""What the console's decision history costs the login risk engine: ``assess`` and
``outcome`` on the simulated store's login events, without a history and with one (in process,
and on Redis beside Redis risk state), the variants alternating run by run on the same events
with fresh state each run. Figures are CPU seconds of this process per 10,000 events (a shared
machine disturbs them less than wall time) and wall time; the Redis pair also counts the Redis
server's CPU (``INFO cpu``: any other client of that server is counted too). The ratio is the
median of the per-run ratios of this process's CPU. ``BACKENDS=memory`` runs the in-process
pair only.

    python -m bench risk_history
    BENCH_QUICK=1 python -m bench risk_history
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from typing import Any

import redis

from bench._util import save, table
from shieldwall.config import RiskSettings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.history import DecisionHistory
from shieldwall.guard.risk.model import LoginAttempt
from shieldwall.guard.risk.network import AsnTable
from shieldwall.guard.risk.ports import RiskState
from shieldwall.sim.logins import LoginEvent, LoginWorld, WorldConfig
from shieldwall.storage.risk_history_memory import MemoryDecisionHistory
from shieldwall.storage.risk_history_redis import RedisDecisionHistory
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.risk_state_redis import RedisRiskState

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
EVENTS = 5_000 if QUICK else 20_000
KEY = b"bench-tag-key-0123456789abcdef01"
REDIS_URL = "redis://127.0.0.1:6379/0"
BACKENDS = os.environ.get("BACKENDS", "memory,redis").split(",")


def events() -> list[LoginEvent]:
    return LoginWorld(11, WorldConfig(customers=4000, days=6.0)).events()[:EVENTS]


def _server_cpu(client: redis.Redis) -> float:
    info: dict[str, Any] = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def run(
    evs: list[LoginEvent], state: RiskState, history: DecisionHistory | None
) -> tuple[float, float]:
    """(CPU seconds, wall seconds) to assess every event and report its outcome."""
    clock = ManualClock(evs[0].ts)
    engine = RiskEngine(RiskSettings(), state, KEY, clock, asn=AsnTable.load(None), history=history)
    attempts = [
        (e.ts, LoginAttempt(e.account, e.ip, e.user_agent, e.device_id, e.password_sha1), e)
        for e in evs
    ]
    cpu, wall = time.process_time(), time.perf_counter()
    for ts, attempt, e in attempts:
        clock.set(ts)
        a = engine.assess(attempt)
        engine.outcome(a.assessment_id, success=e.correct, account_known=e.account_known)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    evs = events()
    per = 10_000 / len(evs)
    client = redis.Redis.from_url(REDIS_URL)
    out: dict[str, Any] = {"events": len(evs), "runs": RUNS}
    rows: list[tuple[str, str]] = []
    for backend in BACKENDS:
        runs: dict[str, list[tuple[float, float, float]]] = {"without": [], "with": []}
        for _ in range(RUNS):
            for variant in ("without", "with"):
                tenant = f"bench{secrets.token_hex(4)}"
                if backend == "memory":
                    state: RiskState = MemoryRiskState.from_settings(RiskSettings())
                    history: DecisionHistory | None = MemoryDecisionHistory()
                else:
                    state = RedisRiskState(client, tenant=tenant)
                    history = RedisDecisionHistory(client, tenant=tenant)
                server = _server_cpu(client)
                cpu, wall = run(evs, state, history if variant == "with" else None)
                runs[variant].append((cpu * per, wall * per, (_server_cpu(client) - server) * per))
                if backend == "redis":
                    assert isinstance(state, RedisRiskState)
                    state.clear()
                    if isinstance(history, RedisDecisionHistory):
                        history.clear()
        figures = {}
        for variant, values in runs.items():
            figures[variant] = {
                "cpu_s_per_10k": statistics.median(v[0] for v in values),
                "wall_s_per_10k": statistics.median(v[1] for v in values),
                "redis_cpu_s_per_10k": statistics.median(v[2] for v in values),
            }
        # this process's CPU only: the Redis server's counts every client of a shared server
        ratio = statistics.median(
            w[0] / o[0] for w, o in zip(runs["with"], runs["without"], strict=True)
        )
        figures["cpu_ratio_with_over_without"] = ratio
        out[backend] = figures
        for variant in ("without", "with"):
            f = figures[variant]
            rows.append(
                (
                    f"{backend}, {variant} history",
                    f"CPU {f['cpu_s_per_10k']:.2f} s + Redis {f['redis_cpu_s_per_10k']:.2f} s,"
                    f" wall {f['wall_s_per_10k']:.2f} s per 10k events",
                )
            )
        rows.append((f"{backend}: this process's CPU, with / without", f"{ratio:.3f}"))
    table(rows)
    save("bench_risk_history", out)


if __name__ == "__main__":
    main()
