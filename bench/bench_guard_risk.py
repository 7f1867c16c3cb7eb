"""Login-risk throughput: assessments per second in process and over HTTP, each beside its peer.

The machine these run on is shared, so absolute rates swing with other work; every figure is
measured beside a peer in the same run and quoted as a ratio too:

- **In process**: the simulated store's login events (:mod:`shieldwall.sim.logins`, benign and
  attacks) through :class:`RiskEngine`, ``assess`` alone, on in-process state and on Redis
  state, the two alternating run by run (same events, fresh state each run); from one thread,
  and from ``THREADS`` (4) threads sharing the state (a server's thread pool: Redis round trips
  overlap, in-process state is bound by the GIL). Also the CPU per event of this process plus
  the Redis server (from its ``INFO cpu``, which counts any other client of that server).
- **Over HTTP**: ``POST /v1/logins/assess`` with ``wrk`` (one thread, 32 connections, random
  accounts and addresses, a Lua script for the bodies) against the app of ``shieldwall serve``
  under uvicorn with the same settings (2 workers), beside ``POST /bench/empty`` on the same
  server (:mod:`bench.guard_risk_server`): the framework's ceiling. The two alternate run by run.
- **Batched**: the same pair through ``RiskEngine.assess_many`` over runs of ``BATCH`` (100)
  events, one thread: how the event intake assesses a fetched batch (one round trip on Redis),
  each attempt keyed by its event as the intake keys it (counted once: one more key on Redis).
- **Outcomes** (``PARTS=outcomes``): the events assessed ``BATCH`` at a time (``assess_many``,
  untimed), each batch's outcomes then reported either one at a time (``outcome``: two round
  trips each on Redis) or together (``outcome_many``: two round trips for the batch), the two
  alternating run by run (which goes first swaps each pair), on in-process and on Redis state.
  The batched outcomes carry idempotency keys as the intake's do (each take kept under its key,
  each outcome recorded once under it: one more key each on Redis; ``outcome`` has none, as
  the HTTP route's). Timed: the outcome calls only. Outcomes per second of wall time, CPU per outcome of this
  process and of the Redis server (its ``INFO cpu`` read around each timed call).
- **HTTP outcomes** (``PARTS=http_outcomes``): ``POST /v1/logins/outcome`` on Redis with ``wrk``,
  each request reporting its own pending assessment, beside the server of ``OLD_SRC`` (another
  checkout's ``src``) when given, alternating.

Medians of several runs; the ratio is the median of the per-run ratios.

    python -m bench bench_guard_risk            # everything
    BENCH_QUICK=1 python -m bench bench_guard_risk
    BACKENDS=redis python -m bench bench_guard_risk   # HTTP on Redis state only
    PARTS=outcomes python -m bench bench_guard_risk   # outcomes one at a time and batched
    OLD_SRC=/tmp/old/src PARTS=http_outcomes python -m bench bench_guard_risk  # HTTP outcomes
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from bench._util import free_port, median_of, save, table, wait_ready, wrk
from shieldwall.config import RiskSettings, load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.errors import RiskError
from shieldwall.guard.risk.model import Assessment, LoginAttempt, LoginOutcome
from shieldwall.guard.risk.network import AsnTable
from shieldwall.guard.risk.ports import RiskState
from shieldwall.sim.logins import LoginEvent, LoginWorld, WorldConfig
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.risk_state_redis import RedisRiskState
from shieldwall.wiring import build, initialize

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
EVENTS = 20_000 if QUICK else 40_000
PAIRED_EVENTS = EVENTS // 4  # memory beside Redis: the same events on each
WRK_SECONDS = 5 if QUICK else 10
WORKERS = int(os.environ.get("WORKERS", "2"))
THREADS = int(os.environ.get("THREADS", "4"))
BATCH = int(os.environ.get("BATCH", "100"))
BACKENDS = os.environ.get("BACKENDS", "redis,memory").split(",")
PARTS = os.environ.get("PARTS", "paired,memory,http").split(",")
KEY = b"bench-tag-key-0123456789abcdef01"
REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parent.parent


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


def _server_cpu(client: redis.Redis) -> float:
    info: dict[str, Any] = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _assess_all(evs: list[LoginEvent], state: RiskState, threads: int, batch: int = 1) -> float:
    """Wall seconds to ``assess`` every event of ``evs`` on ``state``: in this thread, or split
    by account over ``threads`` threads, each with its own engine and clock on the one state
    (as a server's thread pool, or its workers, share one state). ``batch`` > 1: ``assess_many``
    over runs of ``batch`` events, as the event intake does (the clock at each run's first
    event's time), each attempt with an idempotency key as the intake gives it (its event's
    kind and id: one more key written per attempt on Redis)."""
    shards: list[list[tuple[float, LoginAttempt]]] = [[] for _ in range(threads)]
    for n, e in enumerate(evs):
        once = f"logins.attempts:ev-{n}" if batch > 1 else None
        attempt = LoginAttempt(e.account, e.ip, e.user_agent, e.device_id, e.password_sha1, once)
        shards[zlib.crc32(e.account.encode()) % threads].append((e.ts, attempt))

    def work(shard: list[tuple[float, LoginAttempt]]) -> None:
        clock = ManualClock(evs[0].ts)
        engine = RiskEngine(RiskSettings(), state, KEY, clock, asn=AsnTable.load(None))
        if batch > 1:
            for i in range(0, len(shard), batch):
                clock.set(shard[i][0])
                engine.assess_many([attempt for _, attempt in shard[i : i + batch]])
            return
        for ts, attempt in shard:
            clock.set(ts)
            engine.assess(attempt)

    start = time.perf_counter()
    if threads == 1:
        work(shards[0])
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, shards))
    return time.perf_counter() - start


def paired_run(
    evs: list[LoginEvent], backend: str, threads: int = 1, batch: int = 1
) -> dict[str, float]:
    """``assess`` over ``evs`` on fresh state: events/s of wall time, and microseconds of CPU
    per event (this process, plus the Redis server's for Redis state)."""
    # a thread keeps up to two lane connections (one for its calls or its assess_many's stream,
    # one for a wave read made while it decides) and borrows a pool one for a masked allow's
    # pending entry; the cap of threads + 2 ran out at 4 threads (MaxConnectionsError, old code
    # and new, 2026-12-04 09:55)
    client = redis.Redis.from_url(REDIS_URL, max_connections=3 * threads + 2)
    state: RiskState = (
        RedisRiskState(client, tenant="bench") if backend == "redis" else MemoryRiskState()
    )
    # the server's CPU read on a client of its own: the state's lane keeps up to one connection
    # per thread out of ``client``'s pool, which caps them
    info = redis.Redis.from_url(REDIS_URL)
    server0 = _server_cpu(info) if backend == "redis" else 0.0
    cpu0 = time.process_time()
    wall = _assess_all(evs, state, threads, batch)
    cpu = time.process_time() - cpu0
    server = (_server_cpu(info) - server0) if backend == "redis" else 0.0
    info.close()
    if isinstance(state, RedisRiskState):
        state.clear()
    client.close()
    return {
        "rate": len(evs) / wall,
        "cpu_us": 1e6 * cpu / len(evs),
        "server_cpu_us": 1e6 * server / len(evs),
    }


def in_process_pairs(evs: list[LoginEvent], threads: int = 1, batch: int = 1) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {"memory": [], "redis": []}
    for _ in range(RUNS):
        for backend in ("memory", "redis"):
            runs[backend].append(paired_run(evs, backend, threads, batch))

    def med(backend: str, field: str) -> float:
        return statistics.median(r[field] for r in runs[backend])

    ratios = [m["rate"] / r["rate"] for m, r in zip(runs["memory"], runs["redis"], strict=True)]
    cost = [
        (r["cpu_us"] + r["server_cpu_us"]) / m["cpu_us"]
        for m, r in zip(runs["memory"], runs["redis"], strict=True)
    ]
    return {
        "events": len(evs),
        "threads": threads,
        "batch": batch,
        "memory_per_s": med("memory", "rate"),
        "redis_per_s": med("redis", "rate"),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "memory_cpu_us": med("memory", "cpu_us"),
        "redis_cpu_us": med("redis", "cpu_us"),
        "redis_server_cpu_us": med("redis", "server_cpu_us"),
        "cpu_ratio": statistics.median(cost),
        "runs": runs,
    }


def outcome_run(evs: list[LoginEvent], backend: str, batched: bool) -> dict[str, float]:
    """Assess ``evs`` ``BATCH`` at a time on fresh state (untimed), reporting each batch's
    outcomes after it with ``outcome_many`` (``batched``) or ``outcome`` on each (timed):
    outcomes per second of wall time, and microseconds of CPU per outcome of this process and
    of the Redis server."""
    # a batch of the simulated night can span more than the 15 minutes an assessment waits for
    # its outcome (on the simulated clock, in process): every outcome here is reported
    settings = RiskSettings(pending_ttl_seconds=86_400)
    client = redis.Redis.from_url(REDIS_URL, max_connections=4)
    state: RiskState = (
        # a tenant of its own: another bench on the same Redis clears "bench" when it ends
        RedisRiskState(client, tenant=f"bench-{secrets.token_hex(4)}", settings=settings)
        if backend == "redis"
        else MemoryRiskState.from_settings(settings)
    )
    info = redis.Redis.from_url(REDIS_URL)  # the server's CPU, on a client of its own
    clock = ManualClock(evs[0].ts)
    engine = RiskEngine(settings, state, KEY, clock, asn=AsnTable.load(None))
    wall = cpu = server = 0.0
    n = 0
    for start in range(0, len(evs), BATCH):
        chunk = evs[start : start + BATCH]
        clock.set(chunk[0].ts)
        attempts = [
            LoginAttempt(e.account, e.ip, e.user_agent, e.device_id, e.password_sha1) for e in chunk
        ]
        items = [
            # keyed by the event, as the intake's (outcome_many only: outcome takes no key)
            LoginOutcome(
                a.assessment_id,
                e.correct,
                e.account_known,
                f"logins.outcomes:ev-{start + k}" if batched else None,
            )
            for k, (e, a) in enumerate(zip(chunk, engine.assess_many(attempts), strict=True))
            if isinstance(a, Assessment)
        ]
        clock.set(chunk[-1].ts)
        server0 = _server_cpu(info) if backend == "redis" else 0.0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if batched:
            refused = [r for r in engine.outcome_many(items) if isinstance(r, RiskError)]
            if refused:  # the runs must do the same work (one at a time, outcome raises)
                raise refused[0]
        else:
            for item in items:
                engine.outcome(
                    item.assessment_id, success=item.success, account_known=item.account_known
                )
        wall += time.perf_counter() - wall0
        cpu += time.process_time() - cpu0
        server += (_server_cpu(info) - server0) if backend == "redis" else 0.0
        n += len(items)
    info.close()
    if isinstance(state, RedisRiskState):
        state.clear()
    client.close()
    return {"rate": n / wall, "cpu_us": 1e6 * cpu / n, "server_cpu_us": 1e6 * server / n}


def outcome_pairs(evs: list[LoginEvent], backend: str) -> dict[str, Any]:
    """:func:`outcome_run` one at a time and batched, alternating, ``RUNS`` pairs."""
    runs: dict[str, list[dict[str, float]]] = {"one": [], "many": []}
    for p in range(RUNS):
        for which in ("one", "many") if p % 2 == 0 else ("many", "one"):
            runs[which].append(outcome_run(evs, backend, batched=which == "many"))

    def med(which: str, field: str) -> float:
        return statistics.median(r[field] for r in runs[which])

    pairs = list(zip(runs["one"], runs["many"], strict=True))
    return {
        "events": len(evs),
        "batch": BATCH,
        "one_per_s": med("one", "rate"),
        "many_per_s": med("many", "rate"),
        "rate_ratios": [m["rate"] / o["rate"] for o, m in pairs],
        "rate_ratio": statistics.median(m["rate"] / o["rate"] for o, m in pairs),
        "one_cpu_us": med("one", "cpu_us"),
        "many_cpu_us": med("many", "cpu_us"),
        "cpu_ratios": [o["cpu_us"] / m["cpu_us"] for o, m in pairs],
        "cpu_ratio": statistics.median(o["cpu_us"] / m["cpu_us"] for o, m in pairs),
        "one_server_cpu_us": med("one", "server_cpu_us"),
        "many_server_cpu_us": med("many", "server_cpu_us"),
        "runs": runs,
        "loads": os.getloadavg(),
    }


ASSESS_LUA = """
math.randomseed(os.time())
request = function()
  local body = string.format(
    '{{"account": "+86138%08d", "ip": "1.%d.%d.%d", "user_agent": "Mozilla/5.0",'
    .. ' "password_sha1": "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"}}',
    math.random(1, 99999999), math.random(80, 95), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "{path}",
    {{["Authorization"] = "Bearer {key}", ["Content-Type"] = "application/json"}}, body)
end
"""


@contextmanager
def serve_bench_app(env: dict[str, str], src: str | None = None) -> Iterator[str]:
    """uvicorn with ``shieldwall serve``'s settings, on the app of :mod:`bench.guard_risk_server`;
    yields the base URL once it answers. ``src``: the ``src`` directory of another checkout,
    whose ``shieldwall`` the server imports instead of this one's."""
    import socket
    import subprocess

    port = free_port()
    code = (
        "import uvicorn; uvicorn.run('bench.guard_risk_server:app_from_env', factory=True,"
        f" host='127.0.0.1', port={port}, workers={WORKERS}, log_level='warning',"
        " access_log=False)"
    )
    path = os.pathsep.join(
        filter(None, [src, os.environ.get("PYTHONPATH"), str(ROOT), str(ROOT / "src")])
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=os.environ | env | {"PYTHONPATH": path}
    )
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        wait_ready(f"http://127.0.0.1:{port}")  # every worker's start-up, on a loaded host too
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


def bench_http(backend: str) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="sw-bench-"))
    # the store's login service is one principal: the default 12,000 a minute per key (and per
    # address: wrk calls from one) would refuse most of a run; the limits stay on, counted
    (home / "shieldwall.toml").write_text(
        '[api.rate_limits.logins]\nper_key = "600000/minute"\nper_ip = "600000/minute"\n'
    )
    env = {"SHIELDWALL_HOME": str(home), "SHIELDWALL_STATE_BACKEND": backend}
    settings = load_settings(env)
    initialize(settings)
    svc = build(settings)
    _, key = svc.custody.principals.add("store-login", "service", unit="login")
    svc.close()
    scripts = {}
    for name, path in (("assess", "/v1/logins/assess"), ("empty", "/bench/empty")):
        scripts[name] = home / f"{name}.lua"
        scripts[name].write_text(ASSESS_LUA.format(key=key, path=path))
    results: dict[str, list[dict[str, float]]] = {"assess": [], "empty": []}
    with serve_bench_app(env) as base:
        for name in ("empty", "assess"):  # warm up
            wrk(base + "/", script=scripts[name], seconds=2, connections=8)
        for _ in range(RUNS):
            for name in ("empty", "assess"):
                results[name].append(
                    wrk(base + "/", script=scripts[name], seconds=WRK_SECONDS, connections=32)
                )
    shutil.rmtree(home)
    if backend == "redis":
        RedisRiskState.from_url(settings.redis_url, tenant=settings.tenant).clear()

    def mid(name: str) -> dict[str, float]:
        ordered = sorted(results[name], key=lambda r: r["rps"])
        return ordered[len(ordered) // 2]

    ratios = [a["rps"] / e["rps"] for a, e in zip(results["assess"], results["empty"], strict=True)]
    return {
        "assess": mid("assess") | {"runs_rps": [r["rps"] for r in results["assess"]]},
        "empty": mid("empty") | {"runs_rps": [r["rps"] for r in results["empty"]]},
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "non_2xx": sum(r.get("non_2xx", 0.0) for r in results["assess"]),
    }


OUTCOME_LUA = """
local ids = {{}}
local at = 0
init = function(args)
  for line in io.lines("{ids}") do ids[#ids + 1] = line end
end
request = function()
  at = at + 1
  local body = '{{"assessment_id": "' .. (ids[at] or "spent") .. '", "success": true}}'
  return wrk.format("POST", "/v1/logins/outcome",
    {{["Authorization"] = "Bearer {key}", ["Content-Type"] = "application/json"}}, body)
end
"""


def _unlink_all(url: str, prefix: str) -> None:
    """Drop every key under ``prefix``, 10,000 to a command (a run leaves some 400,000:
    ``RedisRiskState.clear``'s one ``DEL`` per key took a minute for each run)."""
    client = redis.Redis.from_url(url)
    keys: list[bytes] = []
    for key in client.scan_iter(match=prefix + "*", count=10_000):
        keys.append(key)
        if len(keys) >= 10_000:
            client.unlink(*keys)
            keys = []
    if keys:
        client.unlink(*keys)
    client.close()


def bench_http_outcomes() -> dict[str, Any]:
    """``POST /v1/logins/outcome`` on Redis state with ``wrk`` (one thread, 32 connections),
    each request reporting a different pending assessment (made beforehand by the engine in
    this process: ``assess_many`` over random attempts on the server's tenant), this code's
    server beside the server of ``OLD_SRC`` (the ``src`` of an older checkout) when given,
    alternating run by run, a fresh server and fresh assessments each run. A 404 (the ids ran
    out) counts as non-2xx."""
    home = Path(tempfile.mkdtemp(prefix="sw-bench-outcome-"))
    tag = secrets.token_hex(4)
    (home / "shieldwall.toml").write_text(
        f'tenant = "bench-{tag}"\n[api.rate_limits]\nkey_prefix = "bench-rl-{tag}"\n'
        '[api.rate_limits.logins]\nper_key = "600000/minute"\nper_ip = "600000/minute"\n'
    )
    env = {"SHIELDWALL_HOME": str(home), "SHIELDWALL_STATE_BACKEND": "redis"}
    settings = load_settings(env)
    initialize(settings)
    svc = build(settings)
    _, key = svc.custody.principals.add("store-login", "service", unit="login")
    old = os.environ.get("OLD_SRC")
    codes = ("old", "new") if old else ("new",)
    results: dict[str, list[dict[str, float]]] = {c: [] for c in codes}
    needed = 4000 * WRK_SECONDS  # more than either server reports in a run
    rng = random.Random(11)
    for p in range(RUNS):
        for code in codes if p % 2 == 0 else codes[::-1]:
            attempts = [
                LoginAttempt(
                    f"+86138{rng.randrange(10**8):08d}",
                    f"1.{rng.randrange(80, 96)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                    "Mozilla/5.0",
                )
                for _ in range(needed)
            ]
            ids = [
                a.assessment_id
                for i in range(0, needed, 1000)
                for a in svc.risk.assess_many(attempts[i : i + 1000])
                if isinstance(a, Assessment)
            ]
            (home / "ids.txt").write_text("\n".join(ids) + "\n")
            script = home / "outcome.lua"
            script.write_text(OUTCOME_LUA.format(ids=home / "ids.txt", key=key))
            with serve_bench_app(env, old if code == "old" else None) as base:
                results[code].append(
                    wrk(base + "/", script=script, seconds=WRK_SECONDS, connections=32)
                    | {"load1": os.getloadavg()[0]}
                )
            _unlink_all(settings.redis_url, f"shieldwall:{settings.tenant}:")  # fresh state
    svc.close()
    _unlink_all(settings.redis_url, f"shieldwall:{settings.tenant}:")  # what closing wrote
    shutil.rmtree(home)
    out: dict[str, Any] = {"runs": results}
    if old:
        out["ratios"] = [
            n["rps"] / o["rps"] for o, n in zip(results["old"], results["new"], strict=True)
        ]
        out["ratio"] = statistics.median(out["ratios"])
    return out


def memory_figures(evs: list[LoginEvent]) -> dict[str, Any]:
    """The in-process figures of the first benchmark (memory state, all the events)."""
    assess, assess_runs = median_of(
        RUNS, lambda: run_in_process(evs, MemoryRiskState(), outcome=False)
    )
    cpu, cpu_runs = median_of(
        RUNS, lambda: run_in_process(evs, MemoryRiskState(), outcome=False, cpu=True)
    )
    full, full_runs = median_of(RUNS, lambda: run_in_process(evs, MemoryRiskState(), outcome=True))
    return {
        "assess": f"{assess:,.0f} events/s",
        "cpu": f"{cpu:,.0f} events/s",
        "full": f"{full:,.0f} events/s",
        "assess_runs": assess_runs,
        "cpu_runs": cpu_runs,
        "full_runs": full_runs,
    }


def main() -> None:
    evs = events()
    rows: list[tuple[str, str]] = []
    paired: dict[str, dict[str, Any]] = {}
    if "paired" in PARTS:
        paired = {str(n): in_process_pairs(evs[:PAIRED_EVENTS], n) for n in (1, THREADS)}
        # the event intake's way: assess_many over a fetched batch (one round trip on Redis)
        paired[f"1x{BATCH}"] = in_process_pairs(evs[:PAIRED_EVENTS], 1, BATCH)
    for n, pairs in paired.items():
        how = {"1": "one thread", f"1x{BATCH}": f"assess_many x{BATCH}, one thread"}.get(
            n, f"{n} threads"
        )
        rows += [
            (f"assess in process, {how}, memory state", f"{pairs['memory_per_s']:,.0f} events/s"),
            (
                f"assess in process, {how}, Redis state",
                f"{pairs['redis_per_s']:,.0f} events/s (memory/Redis {pairs['ratio']:.2f}x)",
            ),
            (
                "  CPU per event: memory | Redis (process + server)",
                f"{pairs['memory_cpu_us']:.0f} us | {pairs['redis_cpu_us']:.0f} +"
                f" {pairs['redis_server_cpu_us']:.0f} us ({pairs['cpu_ratio']:.2f}x)",
            ),
        ]
    outcomes: dict[str, Any] = {}
    if "outcomes" in PARTS:
        for backend in BACKENDS:
            o = outcomes[backend] = outcome_pairs(evs[:PAIRED_EVENTS], backend)
            rows += [
                (
                    f"outcomes in process, {backend} state, one at a time",
                    f"{o['one_per_s']:,.0f}/s, CPU {o['one_cpu_us']:.1f} us"
                    + (f" + server {o['one_server_cpu_us']:.1f} us" if backend == "redis" else ""),
                ),
                (
                    f"  outcome_many x{BATCH}",
                    f"{o['many_per_s']:,.0f}/s ({o['rate_ratio']:.2f}x: "
                    + ", ".join(f"{x:.2f}" for x in o["rate_ratios"])
                    + f"), CPU {o['many_cpu_us']:.1f} us"
                    + (f" + server {o['many_server_cpu_us']:.1f} us" if backend == "redis" else "")
                    + f" (one/many {o['cpu_ratio']:.2f}x: "
                    + ", ".join(f"{x:.2f}" for x in o["cpu_ratios"])
                    + ")",
                ),
            ]
    http_outcomes: dict[str, Any] = {}
    if shutil.which("wrk") and "http_outcomes" in PARTS:
        http_outcomes = bench_http_outcomes()
        for code, runs in http_outcomes["runs"].items():
            rows += [
                (
                    f"POST /v1/logins/outcome, Redis, {code} code, run {n + 1}",
                    f"{r['rps']:,.0f} req/s (p50 {r.get('p50', 0):.1f} ms, p99"
                    f" {r.get('p99', 0):.1f} ms, load {r['load1']:.1f})"
                    + (f", non-2xx {r['non_2xx']:.0f}" if r.get("non_2xx") else ""),
                )
                for n, r in enumerate(runs)
            ]
        if "ratio" in http_outcomes:
            rows.append(
                (
                    "  new : old per pair",
                    f"{http_outcomes['ratio']:.2f}x ("
                    + ", ".join(f"{x:.2f}" for x in http_outcomes["ratios"])
                    + ")",
                )
            )
    memory: dict[str, Any] = {}
    if "memory" in PARTS:
        memory = memory_figures(evs)
        rows += [
            (f"assess in process, memory state, {len(evs):,} events", memory["assess"]),
            ("  same, per CPU-second", memory["cpu"]),
            ("assess + outcome in process, memory state", memory["full"]),
        ]
    http: dict[str, Any] = {}
    if shutil.which("wrk") and "http" in PARTS:
        for backend in BACKENDS:
            h = http[backend] = bench_http(backend)
            a, e = h["assess"], h["empty"]
            rows += [
                (
                    f"POST /v1/logins/assess, {WORKERS} workers, 32 conns, {backend} state",
                    f"{a['rps']:,.0f} req/s (p50 {a.get('p50', 0):.1f} ms, p99"
                    f" {a.get('p99', 0):.1f} ms), {h['ratio']:.0%} of the empty route"
                    + (f", non-2xx {h['non_2xx']:.0f}" if h["non_2xx"] else ""),
                ),
                (
                    "  POST /bench/empty, same server",
                    f"{e['rps']:,.0f} req/s (p50 {e.get('p50', 0):.1f} ms)",
                ),
            ]
    print(f"guard risk benchmarks (median of {RUNS} runs; load average {os.getloadavg()[0]:.1f})")
    table(rows)
    path = save(
        "guard_risk",
        {
            "events": len(evs),
            "paired": paired,
            "outcomes": outcomes,
            "http_outcomes": http_outcomes,
            "memory": memory,
            "load_average": os.getloadavg(),
            "http": http,
        },
    )
    print(f"  wrote {path}")


if __name__ == "__main__":
    main()
