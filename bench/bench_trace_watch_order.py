"""Insider watch and log order: does what the watch raises depend on the order two intake
workers commit their batches in?

    python bench/bench_trace_watch_order.py                 # 30 orders, delay 3 (~2 minutes)
    python bench/bench_trace_watch_order.py --delay 10 --runs 30

The store is the deployment test's (``tests/functional/simday.py``: four days, two planted
insiders). Each day's record reads are cut into batches of 100 (a worker's fetch), and each
batch is committed after a random delay of up to ``--delay`` batches (two or more workers
racing, a redelivery), seeded; the day's batches stay within the day, as in the test. Every
order goes through ``Watch.process`` (in-process state, pages of 1,000) and its alerts
(detector, principal) are compared with those of the reads in event order. Reports how many
orders lost an alert the event order raises and how many raised one it does not.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.functional.simday import simulated_day

from shieldwall.config import WatchSettings
from shieldwall.core.events import AccessEvent, Action, AuditRecord, Decision
from shieldwall.custody.audit_events import access_event
from shieldwall.storage.watch_state_memory import MemoryAlertStore, MemoryWatchState
from shieldwall.trace.watch.engine import Watch

BATCH = 100


def _events() -> list[list[AccessEvent]]:
    day = simulated_day()
    who = {p.principal_id: p for p in day.principals}

    def one(e: dict[str, Any]) -> AccessEvent:
        return access_event(
            datetime.fromisoformat(e["ts"]),
            who[e["principal_id"]],
            Action(e["action"]),
            Decision.ALLOW,
            "store_read",
            channel="store",
            purpose=e.get("purpose"),
            customer_ids=e["customer_ids"],
            order_ids=e["order_ids"],
            fields=e["fields"],
            ticket_id=e.get("ticket_id"),
            extra={"system": "oms", "event_id": e["event_id"]},
        )

    return [[one(e) for e in reads] for reads in day.reads]


def _alerts(days: list[list[AccessEvent]]) -> set[tuple[str, str]]:
    store = MemoryAlertStore()
    watch = Watch(WatchSettings(), MemoryWatchState(), store)
    records = [AuditRecord(i, e, b"") for i, e in enumerate(e for d in days for e in d)]
    for i in range(0, len(records), 1000):
        watch.process(records[i : i + 1000])
    return {(a.kind, a.principal_id) for a in store.list()}


def _jumble(day: list[AccessEvent], rng: random.Random, delay: float) -> list[AccessEvent]:
    batches = [day[i : i + BATCH] for i in range(0, len(day), BATCH)]
    order = sorted(range(len(batches)), key=lambda i: i + rng.uniform(0, delay))
    return [e for i in order for e in batches[i]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--delay", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    days = _events()
    expected = _alerts(days)
    print(f"event order: {sorted(expected)}")
    lost = raised = 0
    t0 = time.perf_counter()
    for n in range(args.runs):
        rng = random.Random(args.seed + n)
        got = _alerts([_jumble(d, rng, args.delay) for d in days])
        lost += bool(expected - got)
        raised += bool(got - expected)
        if got != expected:
            print(f"  order {n}: lost {sorted(expected - got)}, raised {sorted(got - expected)}")
    print(
        f"delay {args.delay:g} batches, {args.runs} orders: {lost} lost an alert, {raised}"
        f" raised one the event order does not ({time.perf_counter() - t0:.0f} s)"
    )


if __name__ == "__main__":
    main()
