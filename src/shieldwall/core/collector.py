"""The garbage collector of a long-running process: what start-up made is frozen, collections
made rarer. For processes only (a test process that froze would keep every test's garbage)."""

from __future__ import annotations

import gc

# The collector's thresholds while serving (CPython's default: 700, 10, 10). A fetched batch
# keeps its events, attempts and results alive until it is acknowledged: tens of thousands of
# containers, which a collection every 700 allocations walked again and again and promoted
# towards the full collections. At 50,000 most of a batch's objects are gone before the first
# collection that would see them. In one process of bench/bench_risk_cpu.py (45,000 attempts
# and their outcomes; the collector timed by gc.callbacks, two runs each way at load 4-6), its
# CPU fell from 1.2-1.5 s to 0.65-0.73 s and full collections from 16 to 5 (docs/guard.md,
# "CPU per attempt in process"). In the API's workers (login assessments on Redis over HTTP,
# bench_guard_risk, two runs each way on a quiet machine) p99 fell from 100-178 ms to 33-37 ms
# (docs/guard.md, "HTTP on Redis").
COLLECTOR_THRESHOLDS = (50_000, 20, 100)


def prepare_collector() -> None:
    """Set up the garbage collector of a long-running process once it is wired (the stream
    worker's ``run_worker``, each API worker's ``app_from_env``).

    What exists by now (imports, the wired services: some 200,000 objects the collector tracks)
    is frozen (``gc.freeze``): full collections then walk only what the process makes while
    serving. Unfrozen, in-process profiles of the risk engine spent roughly a third of a
    batch's time in the collector (docs/operations.md, "Stream intake"). Then the collections
    are made rarer (:data:`COLLECTOR_THRESHOLDS`)."""
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
