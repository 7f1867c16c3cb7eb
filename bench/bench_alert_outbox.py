"""What the delivery outbox adds to raising an alert: ``SqlAlertStore.raise_alert`` on SQLite
without sinks (no outbox rows) and with three (one row per sink in the alert's transaction),
side by side in one run, as CPU time and wall time per alert and their ratio.

Run: ``python bench/bench_alert_outbox.py`` (``BENCH_QUICK=1`` for a short run). Medians of
several runs, each on a fresh database.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._alerts import bench_alert
from bench._util import median_of, save, table
from shieldwall.config import load_settings
from shieldwall.core.clock import SystemClock
from shieldwall.storage.alerts_repo import SqlAlertStore
from shieldwall.storage.db import make_engine
from shieldwall.wiring import initialize

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
N = 200 if QUICK else 1000
ALERT = bench_alert(20)


def per_alert(sinks: tuple[str, ...], clock_fn: Any) -> float:
    """Microseconds (of ``clock_fn``) per ``raise_alert`` over N alerts on a fresh database."""
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings({"SHIELDWALL_HOME": home})
        initialize(settings)
        engine = make_engine(settings.resolved_database_url)
        store = SqlAlertStore(engine, deliver_to=sinks, clock=SystemClock())
        alerts = [replace(ALERT, alert_id=f"alr_{i:06d}") for i in range(N)]
        start = clock_fn()
        for a in alerts:
            store.raise_alert(a)
        spent = clock_fn() - start
        engine.dispose()
    return spent / N * 1e6


def main() -> None:
    three = ("webhook:siem.example.com", "syslog:udp:logs:514", "nats:127.0.0.1")
    results: dict[str, Any] = {"alerts_per_run": N}
    rows = []
    for label, clock_fn in (("cpu", time.process_time), ("wall", time.perf_counter)):
        bare, bare_runs = median_of(RUNS, lambda c=clock_fn: per_alert((), c))  # type: ignore[misc]
        boxed, boxed_runs = median_of(RUNS, lambda c=clock_fn: per_alert(three, c))  # type: ignore[misc]
        results[f"{label}_us_no_outbox"] = {"median": bare, "runs": bare_runs}
        results[f"{label}_us_outbox_3_sinks"] = {"median": boxed, "runs": boxed_runs}
        results[f"{label}_ratio"] = boxed / bare
        rows.append(
            (f"raise_alert, {label} time", f"{bare:.0f} µs → {boxed:.0f} µs ({boxed / bare:.2f}×)")
        )
    table(rows)
    save("alert_outbox", results)


if __name__ == "__main__":
    main()
