"""The cost of the worker's queue report (``IntakeWorker.report_fetch``) on the stream path.

In process, no NATS: batches of ``nats.batch`` (500) messages with JetStream ack subjects as
the server writes them (``$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>``),
made before the clock starts (nats-py memoizes a message's parsed metadata, so each round gets
fresh messages, as each fetch does). Timed: the report as the worker makes it (the first
message's timestamp and the last's pending count, two Prometheus gauges) and, for comparison,
what an exact oldest-message age would cost (every message's ack subject parsed). Median of
``RUNS`` runs of ``BATCHES`` batches, per batch and per event.

Run: ``python -m bench queue_lag`` (``BENCH_QUICK=1`` for a short run).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nats.aio.msg import Msg

from bench._util import save, table
from shieldwall.config import NatsSettings
from shieldwall.core.clock import SystemClock
from shieldwall.intake.worker import IntakeWorker
from shieldwall.observe.metrics import PrometheusMetrics

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 7
BATCHES = 100 if QUICK else 400
BATCH = 500


def batches(start_seq: int) -> list[list[Msg]]:
    ts = time.time_ns()
    out = []
    for b in range(BATCHES):
        msgs = []
        for i in range(BATCH):
            seq = start_seq + b * BATCH + i
            reply = f"$JS.ACK.SHIELDWALL.shieldwall-logins-attempts.1.{seq}.{seq}.{ts + seq}.{9}"
            msgs.append(Msg(cast(Any, None), subject="shieldwall.logins.attempts", reply=reply))
        out.append(msgs)
    return out


def timed(fn: Any, work: list[list[Msg]]) -> float:
    """Seconds per batch."""
    start = time.perf_counter()
    for msgs in work:
        fn(msgs)
    return (time.perf_counter() - start) / len(work)


def main() -> None:
    intake = cast(Any, type("IntakeStub", (), {"clock": SystemClock()})())
    worker = IntakeWorker(intake, NatsSettings(), telemetry=PrometheusMetrics())
    clock = SystemClock()

    def report(msgs: list[Msg]) -> None:
        worker.report_fetch("logins.attempts", msgs)

    def exact(msgs: list[Msg]) -> None:
        oldest = min(m.metadata.timestamp for m in msgs)
        worker.telemetry.queue_lag("logins.attempts", (clock.now() - oldest).total_seconds())
        worker.telemetry.queue_pending("logins.attempts", msgs[-1].metadata.num_pending)

    per_batch: list[float] = []
    per_batch_exact: list[float] = []
    for r in range(RUNS):
        per_batch.append(timed(report, batches(r * 10_000_000)))
        per_batch_exact.append(timed(exact, batches(r * 10_000_000 + 5_000_000)))
    ours, every = statistics.median(per_batch), statistics.median(per_batch_exact)
    rows = [
        ("runs x batches", f"{RUNS} x {BATCHES} of {BATCH}"),
        ("report_fetch, per batch", f"{ours * 1e6:.1f} us ({ours * 1e6 / BATCH:.3f} us/event)"),
        (
            "every message parsed, per batch",
            f"{every * 1e6:.1f} us ({every * 1e6 / BATCH:.3f} us/event)",
        ),
        ("load average", " ".join(f"{x:.1f}" for x in os.getloadavg())),
    ]
    table(rows)
    save(
        "queue_lag",
        {
            "batch": BATCH,
            "runs": RUNS,
            "batches": BATCHES,
            "report_fetch_us_per_batch": [round(x * 1e6, 2) for x in per_batch],
            "every_message_us_per_batch": [round(x * 1e6, 2) for x in per_batch_exact],
            "loadavg": os.getloadavg(),
        },
    )


if __name__ == "__main__":
    main()
