"""CPU per login attempt of the risk engine in process, this code beside an older one.

What the stream worker spends on the engine (issue #11 point 8): ``RiskEngine.assess_many`` over
the in-process state (``MemoryRiskState``) in batches of ``BATCH`` (500) attempts, wired as the
worker wires it (``wiring.build`` on a fresh SQLite home: Prometheus telemetry, the in-process
decision history, the breached-password corpus; then ``gc.freeze`` as ``run_worker`` does, the
collector on). Each batch's outcomes are reported after it, untimed, as the stream's outcome
events would be, so accounts build profiles and every signal is exercised. Three figures, each
CPU time of this process (``time.process_time``) per attempt:

- ``assess_many``: the first ``EVENTS`` (20,000) simulated attempts
  (:mod:`shieldwall.sim.logins`, benign and attacks), batches of ``BATCH``;
- ``assess``: the next ``SINGLE`` (5,000), one call per attempt (the HTTP route's path);
- ``intake``: the next ``EVENTS`` through ``Intake.process`` as login-attempt events in batches
  of ``BATCH`` (the engine plus the processed-event rows written to SQLite).

With ``BENCH_BEFORE_SRC`` (a ``git archive <base> src`` unpacked: the directory holding
``shieldwall``'s ``src``) it runs ``PAIRS`` (3) pairs of fresh processes, the older code and
this code alternating (which goes first swaps each pair), and reports the medians and the median
of the per-pair ratios (old / new: above 1 is faster now). Each process also returns a digest of
every decision (all fields but the random assessment id): old and new must agree.

    BENCH_BEFORE_SRC=/tmp/base/src .venv/bin/python -m bench risk_cpu
    .venv/bin/python -m bench risk_cpu            # this code only, PAIRS runs
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = int(os.environ.get("EVENTS", "20000"))
SINGLE = int(os.environ.get("SINGLE", "5000"))
BATCH = int(os.environ.get("BATCH", "500"))
PAIRS = int(os.environ.get("PAIRS", "3"))
BEFORE = os.environ.get("BENCH_BEFORE_SRC")
FIGURES = ("assess_many", "assess", "intake")


def child() -> dict[str, Any]:
    """One process's figures on the ``shieldwall`` found on its path."""
    import logging

    from shieldwall.config import load_settings
    from shieldwall.core.clock import ManualClock
    from shieldwall.guard.risk.errors import RiskError
    from shieldwall.guard.risk.model import Assessment, LoginAttempt
    from shieldwall.intake.events import Kind, StreamedLoginAttempt
    from shieldwall.sim.logins import LoginWorld, WorldConfig
    from shieldwall.wiring import build, initialize
    from shieldwall.wiring.intake import build_intake

    logging.disable(logging.WARNING)
    evs = LoginWorld(11, WorldConfig(customers=4000, days=6.0)).events()[: 2 * EVENTS + SINGLE]
    home = tempfile.mkdtemp(prefix="sw-bench-riskcpu-")
    settings = load_settings({"SHIELDWALL_HOME": home, "SHIELDWALL_STATE_BACKEND": "memory"})
    initialize(settings)
    clock = ManualClock(evs[0].ts)
    svc = build(settings, clock)
    engine = svc.risk
    intake = build_intake(svc)
    digest = hashlib.sha256()

    def note(a: Assessment | RiskError) -> None:
        if isinstance(a, RiskError):
            digest.update(f"refused {a.code}\n".encode())
            return
        body = a.as_dict()
        del body["assessment_id"]
        digest.update(json.dumps(body, sort_keys=True).encode() + b"\n")

    def attempt(e: Any) -> LoginAttempt:
        return LoginAttempt(e.account, e.ip, e.user_agent, e.device_id, e.password_sha1)

    gc.collect()
    try:  # as run_worker does once the services are wired, in the code being measured
        from shieldwall.core.collector import prepare_collector
    except ImportError:
        try:  # the code of b6f55cf's first successors had it in the worker
            from shieldwall.intake.worker import prepare_collector
        except ImportError:  # older code: run_worker froze the collector only
            prepare_collector = gc.freeze
    prepare_collector()
    cpu = dict.fromkeys(FIGURES, 0.0)
    collector = dict.fromkeys(FIGURES, 0.0)  # of which the garbage collector's passes
    steps: dict[str, list[float]] = {k: [] for k in FIGURES}  # µs per attempt of each call
    timing: list[str] = []  # the figure being timed, if any
    began = [0.0]

    def on_collect(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.process_time()
        elif timing:
            collector[timing[0]] += time.process_time() - began[0]

    gc.callbacks.append(on_collect)

    def timed(figure: str, n: int, call: Any, *args: Any) -> Any:
        timing.append(figure)
        start = time.process_time()
        out = call(*args)
        spent = time.process_time() - start
        timing.pop()
        cpu[figure] += spent
        steps[figure].append(1e6 * spent / n)
        return out

    many = evs[:EVENTS]
    for i in range(0, len(many), BATCH):
        chunk = many[i : i + BATCH]
        batch = [attempt(e) for e in chunk]
        clock.set(chunk[0].ts)
        got = timed("assess_many", len(batch), engine.assess_many, batch)
        for e, a in zip(chunk, got, strict=True):
            note(a)
            if not isinstance(a, RiskError):
                engine.outcome(a.assessment_id, success=e.correct, account_known=e.account_known)
    for e in evs[EVENTS : EVENTS + SINGLE]:
        one = attempt(e)
        clock.set(e.ts)
        a = timed("assess", 1, engine.assess, one)
        note(a)
        engine.outcome(a.assessment_id, success=e.correct, account_known=e.account_known)
    streamed = evs[EVENTS + SINGLE :]
    for i in range(0, len(streamed), BATCH):
        chunk = streamed[i : i + BATCH]
        events = [
            StreamedLoginAttempt(
                f"ev-{i + j}", e.account, e.ip, e.user_agent, e.device_id, e.password_sha1
            )
            for j, e in enumerate(chunk)
        ]
        clock.set(chunk[0].ts)
        results = timed("intake", len(events), intake.process, Kind.LOGIN_ATTEMPT, events)
        for e, r in zip(chunk, results, strict=True):
            result = dict(r.result)
            result.pop("assessment_id", None)
            digest.update(json.dumps([r.status, result], sort_keys=True).encode() + b"\n")
            if r.status == "processed":
                engine.outcome(
                    r.result["assessment_id"], success=e.correct, account_known=e.account_known
                )
    gc.callbacks.remove(on_collect)
    svc.close()
    counts = {"assess_many": len(many), "assess": SINGLE, "intake": len(streamed)}
    return {
        "us": {k: 1e6 * cpu[k] / counts[k] for k in FIGURES},
        "gc_us": {k: 1e6 * collector[k] / counts[k] for k in FIGURES},
        "median_us": {k: statistics.median(steps[k]) for k in FIGURES},
        "counts": counts,
        "digest": digest.hexdigest(),
        "load1": os.getloadavg()[0],
    }


def run_child(src: Path) -> dict[str, Any]:
    env = os.environ | {"PYTHONPATH": os.pathsep.join((str(src), str(ROOT)))}
    out = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    from bench._util import save, table

    new_src = ROOT / "src"
    runs: dict[str, list[dict[str, Any]]] = {"new": [], "old": []}
    for p in range(PAIRS):
        order = ("old", "new") if p % 2 == 0 else ("new", "old")
        for which in order:
            if which == "old" and BEFORE is None:
                continue
            src = Path(BEFORE) if which == "old" and BEFORE else new_src
            r = run_child(src)
            runs[which].append(r)
            print(
                f"  pair {p + 1} {which}: "
                + ", ".join(
                    f"{k} {r['us'][k]:.1f} us (median {r['median_us'][k]:.1f}, gc"
                    f" {r['gc_us'][k]:.1f})"
                    for k in FIGURES
                )
                + f" (load {r['load1']:.1f})",
                flush=True,
            )

    def med(which: str, k: str) -> float:
        return statistics.median(r["us"][k] for r in runs[which])

    def med_of(which: str, field: str, k: str) -> float:
        return statistics.median(r[field][k] for r in runs[which])

    rows = []
    figures: dict[str, Any] = {}
    for k in FIGURES:
        new = med("new", k)
        line = f"{new:.1f} us"
        fig: dict[str, Any] = {"new_us": new, "new_runs": [r["us"][k] for r in runs["new"]]}
        if runs["old"]:
            ratios = [
                o["us"][k] / n["us"][k] for o, n in zip(runs["old"], runs["new"], strict=True)
            ]
            old = med("old", k)
            line += f" (before {old:.1f} us; old/new per pair {statistics.median(ratios):.2f}x:"
            line += " " + ", ".join(f"{x:.2f}" for x in ratios) + ")"
            fig |= {"old_us": old, "old_runs": [r["us"][k] for r in runs["old"]]}
            fig |= {"ratios": ratios, "ratio": statistics.median(ratios)}
        for field, what in (("median_us", "median call"), ("gc_us", "of which collector")):
            fig[field] = {w: [r[field][k] for r in runs[w]] for w in runs}
            extra = f"{med_of('new', field, k):.1f} us"
            if runs["old"]:
                extra += f" (before {med_of('old', field, k):.1f} us)"
            rows.append((f"  {what}", extra))
        figures[k] = fig
        rows.insert(len(rows) - 2, (f"CPU per attempt, {k}", line))
    digests = {r["digest"] for r in runs["new"] + runs["old"]}
    rows.append(("decisions old = new", "yes" if len(digests) == 1 else "NO: they differ"))
    loads = [r["load1"] for r in runs["new"] + runs["old"]]
    print(
        f"risk engine CPU per attempt, memory state, batches of {BATCH} "
        f"(median of {PAIRS}; load {min(loads):.1f}-{max(loads):.1f})"
    )
    table(rows)
    path = save(
        "risk_cpu",
        {
            "batch": BATCH,
            "pairs": PAIRS,
            "before_src": BEFORE,
            "figures": figures,
            "same_decisions": len(digests) == 1,
            "loads": loads,
        },
    )
    print(f"  wrote {path}")
    if len(digests) != 1:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        print(json.dumps(child()))
    else:
        main()
