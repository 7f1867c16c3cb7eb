"""Masked customer read over HTTP on PostgreSQL, against the framework's ceiling in the same run.

Set-up: a schema of its own in the PostgreSQL database at 127.0.0.1:5432 (``test``; override
with ``SHIELDWALL_BENCH_PG``), ``CUSTOMERS`` generated customers imported, an agent principal,
and one open ticket per customer opened by a ``service`` principal (the help desk's
integration, as ``POST /v1/tickets`` does). The API runs under uvicorn with ``WORKERS`` workers
(bench-only factory ``bench.http_ceiling_app``: the production app plus ``GET /bench/empty``).

Each round drives, with wrk on ``CONNECTIONS`` connections for ``SECONDS`` s:

- ``empty``: ``GET /bench/empty`` (no authentication, no database: FastAPI and uvicorn alone);
- ``read``: ``GET /v1/customers/{random id}?purpose=after_sales`` as the agent, through the
  whole read path (API-key check, policy, ticket lookup, two-plus AES-GCM decryptions, masking,
  the audit entry durably committed on PostgreSQL before the response).

The ratio read/empty is taken within each round (the machine is shared; absolute figures move
with its load, the ratio much less). Medians over ``RUNS`` rounds. Every read response must be
2xx; the audit log must have grown by at least the number of reads wrk completed.

Run: ``python -m bench bench_http_read`` or ``python bench/bench_http_read.py``; ``BENCH_QUICK=1``
for a short run. ``PROFILE=1`` then runs one more read round with py-spy sampling every worker and prints
the functions where the time goes (raw stacks in ``bench/out/http_read.pyspy.txt``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench._util import (
    OUT,
    PG_URL,
    customer_rows,
    free_port,
    pg_schema,
    save,
    table,
    wait_ready,
    wrk,
)
from shieldwall.config import load_settings
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import build, initialize

ROOT = Path(__file__).resolve().parent.parent
QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = int(os.environ.get("RUNS", "3"))
SECONDS = int(os.environ.get("SECONDS", "5" if QUICK else "10"))
CUSTOMERS = 3_000
WORKERS = int(os.environ.get("WORKERS", "2"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
PROFILE = os.environ.get("PROFILE") == "1"
PYTHONPATH = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]

READ_LUA = """
math.randomseed({seed})
local n = {n}
request = function()
  local id = string.format("C%06d", math.random(1, n))
  return wrk.format("GET", "/v1/customers/" .. id .. "?purpose=after_sales",
                    {{["Authorization"] = "Bearer {key}"}})
end
"""

EMPTY_LUA = """
request = function()
  return wrk.format("GET", "/bench/empty")
end
"""


def setup(env: dict[str, str]) -> tuple[str, int]:
    """Import the customers, add the agent and its tickets; return its key and the log size."""
    settings = load_settings(env)
    initialize(settings)
    svc = build(settings)
    people = PeopleFactory(3).customers(CUSTOMERS)
    assert svc.custody.importer.customers(customer_rows(people)).committed
    desk, _ = svc.custody.principals.add("helpdesk", "service")
    _, key = svc.custody.principals.add("agent-bench", "agent", unit="cs-1")
    for c in people:
        svc.custody.relations.open_ticket("agent-bench", c.customer_id, actor=desk, channel="api")
    size = svc.audit.size()
    svc.close()
    return key, size


def audit_size(env: dict[str, str]) -> int:
    svc = build(load_settings(env))
    try:
        return svc.audit.size()
    finally:
        svc.close()


@contextmanager
def serve(env: dict[str, str], factory: str) -> Iterator[tuple[str, int]]:
    """uvicorn with ``WORKERS`` workers on ``factory``, as ``shieldwall serve`` runs it."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            factory,
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=os.environ | env | {"PYTHONPATH": os.pathsep.join([str(ROOT), *PYTHONPATH])},
        cwd=ROOT,
    )
    try:
        for _ in range(3000):  # up to five minutes (a loaded host imports slowly)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the API did not start")
        wait_ready(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(60)


def load() -> float:
    return os.getloadavg()[0]


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU time of these processes (every thread), from /proc."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def worker_pids(parent: int) -> set[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return {int(c) for c in children}


def backend_pids(url: str) -> set[int]:
    """The PostgreSQL server processes serving this run's connections."""
    name = url.rsplit("application_name=", 1)[1]
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :n"), {"n": name}
            )
            return {int(r.pid) for r in rows}
    finally:
        engine.dispose()


def measured(base: str, script: Path, workers: set[int], url: str) -> dict[str, Any]:
    """One wrk run, with the CPU time the API workers and their server backends spent per
    request (a figure the machine's other load disturbs far less than requests per second)."""
    backends = backend_pids(url)
    cpu_w, cpu_b = cpu_seconds(workers), cpu_seconds(backends)
    out: dict[str, Any] = wrk(base + "/", script=script, seconds=SECONDS, connections=CONNECTIONS)
    backends |= backend_pids(url)  # the pool may have opened more meanwhile
    done = out["rps"] * SECONDS
    out["worker_cpu_ms"] = (cpu_seconds(workers) - cpu_w) * 1000 / done
    out["db_cpu_ms"] = (cpu_seconds(backends) - cpu_b) * 1000 / done
    return out


def drive(base: str, pid: int, url: str, read: Path, empty: Path) -> list[dict[str, Any]]:
    wrk(base + "/", script=read, seconds=2, connections=CONNECTIONS)  # warm every worker up
    wrk(base + "/", script=empty, seconds=1, connections=CONNECTIONS)
    workers = worker_pids(pid)
    rounds = []
    for _ in range(RUNS):
        before = load()
        e = measured(base, empty, workers, url)
        r = measured(base, read, workers, url)
        if r.get("non_2xx") or e.get("non_2xx") or r.get("socket_errors"):
            raise SystemExit(f"errors during the run: read {r}, empty {e}")
        rounds.append({"empty": e, "read": r, "ratio": r["rps"] / e["rps"], "load1": before})
        print(
            f"  round: empty {e['rps']:,.0f} req/s p99 {e['p99']:.1f} ms"
            f" cpu {e['worker_cpu_ms']:.2f} ms | read {r['rps']:,.0f} req/s p50 {r['p50']:.1f}"
            f" p99 {r['p99']:.1f} ms cpu {r['worker_cpu_ms']:.2f} + db {r['db_cpu_ms']:.2f} ms"
            f" | ratio {r['rps'] / e['rps']:.2f} | load {before:.1f}",
            flush=True,
        )
    return rounds


FRAME = re.compile(r"^(.+) \((?:.*/)?([^/]+):\d+\)$")


def profile(base: str, read: Path, pid: int) -> dict[str, list[tuple[str, float, float]]]:
    """One read round with py-spy sampling every worker twice over: every busy thread (where
    requests wait) and only the thread holding the GIL (where the CPU goes). Return, for each
    view, the top functions as (function, % of samples with it on the stack, % as the leaf)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("  PROFILE=1 needs py-spy (pip install py-spy)")
        return {}
    OUT.mkdir(exist_ok=True)
    views = {"wall": [], "gil": ["--gil"]}
    samplers = [
        subprocess.Popen(
            [
                *(spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", *flags),
                *("--format", "raw", "--rate", "250", "--duration", str(SECONDS)),
                *("--output", str(OUT / f"http_read.pyspy-{view}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for view, flags in views.items()
    ]
    wrk(base + "/", script=read, seconds=SECONDS, connections=CONNECTIONS)
    for sampler in samplers:
        sampler.wait(SECONDS + 60)
    return {view: summarize(view, OUT / f"http_read.pyspy-{view}.txt") for view in views}


def summarize(view: str, raw: Path) -> list[tuple[str, float, float]]:
    total, inclusive, leaf = 0, Counter[str](), Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f"{m[1]} ({m[2]})" for m in map(FRAME.match, stack.split(";")) if m]
        n = int(count)
        total += n
        for name in set(frames):
            inclusive[name] += n
        if frames:
            leaf[frames[-1]] += n
    pct = 100 / max(total, 1)
    top = [(name, n * pct, leaf[name] * pct) for name, n in inclusive.most_common(40)]
    print(f"\n  py-spy, {view} view: {total} samples (% on the stack, % as the leaf); {raw}")
    for name, inc, own in top:
        print(f"  {inc:5.1f}% {own:5.1f}%  {name}")
    print("  top leaves:")
    for name, n in leaf.most_common(20):
        print(f"  {n * pct:5.1f}%  {name}")
    return top


def main() -> None:
    if not shutil.which("wrk"):
        print("skipped: wrk not installed (apt-get install wrk)")
        return
    home = Path(tempfile.mkdtemp(prefix="sw-bench-http-"))
    try:
        with pg_schema() as url:
            env = {"SHIELDWALL_HOME": str(home), "SHIELDWALL_DATABASE_URL": url}
            key, size_before = setup(env)
            read = home / "read.lua"
            read.write_text(READ_LUA.format(seed=7, n=CUSTOMERS, key=key))
            empty = home / "empty.lua"
            empty.write_text(EMPTY_LUA)
            with serve(env, "bench.http_ceiling_app:app_from_env") as (base, pid):
                rounds = drive(base, pid, url, read, empty)
                logged = audit_size(env) - size_before
                top = profile(base, read, pid) if PROFILE else {}
    finally:
        shutil.rmtree(home, ignore_errors=True)
    reads_done = sum(r["read"]["rps"] * SECONDS for r in rounds)
    # wrk's count is rps * duration, rounded; the log must hold at least ~every completed read
    assert logged >= 0.99 * reads_done, (logged, reads_done)

    def med(kind: str, key: str) -> float:
        return statistics.median(r[kind][key] for r in rounds)

    ratio = statistics.median(r["ratio"] for r in rounds)
    print(
        f"masked read over HTTP on PostgreSQL ({WORKERS} workers, {CONNECTIONS} connections,"
        f" {SECONDS} s x {RUNS} rounds, medians)"
    )
    table(
        [
            (
                "empty route (ceiling)",
                f"{med('empty', 'rps'):,.0f} req/s, p50 {med('empty', 'p50'):.1f} ms,"
                f" p99 {med('empty', 'p99'):.1f} ms",
            ),
            (
                "masked read",
                f"{med('read', 'rps'):,.0f} req/s, p50 {med('read', 'p50'):.1f} ms,"
                f" p99 {med('read', 'p99'):.1f} ms",
            ),
            ("read / ceiling", f"{ratio:.2f}"),
            (
                "CPU per request",
                f"empty: workers {med('empty', 'worker_cpu_ms'):.2f} ms; read: workers"
                f" {med('read', 'worker_cpu_ms'):.2f} ms + PostgreSQL backends"
                f" {med('read', 'db_cpu_ms'):.2f} ms",
            ),
            ("audit entries logged", f"{logged:,} (reads completed ~{reads_done:,.0f})"),
        ]
    )
    save(
        "http_read",
        {
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "seconds": SECONDS,
            "customers": CUSTOMERS,
            "median": {
                "empty_rps": med("empty", "rps"),
                "empty_p50_ms": med("empty", "p50"),
                "empty_p99_ms": med("empty", "p99"),
                "read_rps": med("read", "rps"),
                "read_p50_ms": med("read", "p50"),
                "read_p99_ms": med("read", "p99"),
                "ratio": ratio,
                "empty_worker_cpu_ms": med("empty", "worker_cpu_ms"),
                "read_worker_cpu_ms": med("read", "worker_cpu_ms"),
                "read_db_cpu_ms": med("read", "db_cpu_ms"),
            },
            "rounds": rounds,
            "audit_entries_logged": logged,
            "profile_top": top,
        },
    )


if __name__ == "__main__":
    main()
