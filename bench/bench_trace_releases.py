"""Release and file-attribution speed on a SQLite store.

    python bench/bench_trace_releases.py           # ~1 minute
    python bench/bench_trace_releases.py --quick   # 3 runs of a 2,000-row leak

A store of ``--customers`` customers and 10 partners; each partner gets a release of
``--rows`` customers (overlapping). Measured, medians of ``--runs`` runs:

- creating one release of ``--rows`` customers (grant, decrypt, marks, canaries, ledger, audit,
  CSV), wall-clock;
- ``FileAttribution.trace`` of a leak made of one release's file (``--rows`` rows plus its
  canaries, phones reformatted, shuffled): parse, blind-index matching, ledger lookups, Tardos
  scores for every recipient, wall-clock and rows per second, and the process's CPU time (the
  steadier figure on a shared machine).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._util import median_of, save, table
from bench.bench_trace_releases_quality import FIELDS, build_store
from shieldwall.trace.releases.service import ReleaseRequest


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    if args.quick:
        args.customers, args.rows, args.runs = 4000, 2000, 3
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        svc = build_store(Path(tmp) / "home", args.customers, 10, seed=5)
        setup = time.perf_counter() - t0
        ids = [f"C{i:06d}" for i in range(1, args.customers + 1)]
        files = []

        def create_one() -> float:
            partner = f"partner-{len(files) % 10:02d}"
            start = time.perf_counter()
            out = svc.releases.create(ReleaseRequest(partner, rng.sample(ids, args.rows), FIELDS))
            elapsed = time.perf_counter() - start
            files.append(out.file.content)
            return elapsed

        create_median, create_all = median_of(args.runs, create_one)
        rows = list(csv.DictReader(io.StringIO(files[0].decode())))
        rng.shuffle(rows)
        leak = Path(tmp) / "leak.csv"
        with leak.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["phone", "address"])
            for r in rows:
                n = r["phone"][3:]
                w.writerow([f"{n[:3]} {n[3:7]} {n[7:]}", r["address"]])
        accused: list[list[str]] = []
        cpu: list[float] = []

        def trace_one() -> float:
            start, cpu0 = time.perf_counter(), time.process_time()
            report = svc.leak_trace.trace(leak)
            elapsed = time.perf_counter() - start
            cpu.append(time.process_time() - cpu0)
            accused.append(report.accused)
            return elapsed

        trace_median, trace_all = median_of(args.runs, trace_one)
        svc.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = {
        "config": vars(args),
        "setup_seconds": setup,
        "release_create_seconds_median": create_median,
        "release_create_seconds_all": create_all,
        "trace_rows": len(rows),
        "trace_seconds_median": trace_median,
        "trace_seconds_all": trace_all,
        "trace_rows_per_second": len(rows) / trace_median,
        "trace_cpu_seconds_median": statistics.median(cpu),
        "accused": accused[0],
        "max_rss_mb": rss_mb,
    }
    table(
        [
            ("store", f"{args.customers} customers, 10 partners (setup {setup:.0f}s)"),
            (
                f"create release of {args.rows}",
                f"median {create_median:.2f}s over {args.runs} runs",
            ),
            (
                f"trace file of {len(rows)} rows",
                f"median {trace_median:.2f}s ({len(rows) / trace_median:,.0f} rows/s),"
                f" CPU {statistics.median(cpu):.2f}s",
            ),
            ("accused", ", ".join(accused[0])),
            ("max RSS", f"{rss_mb:.0f} MB"),
        ]
    )
    save("trace_releases", results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
