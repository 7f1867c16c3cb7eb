"""CLI start-up: wall time of ``python -m shieldwall --help`` and of ``shieldwall domains
permutations --brand jd.com --format text`` (a command that needs no database), each in a fresh
interpreter, medians of several runs.

With ``BENCH_BASELINE_SRC`` pointing at another checkout's ``src`` (for instance an export of the
main branch: ``git archive main src | tar -x -C /tmp/base``), the same commands run from there
too, alternating with this tree's in one run, and the table gives the ratio: a before and after
measured side by side under the same load.

Run: ``python bench/bench_cli_startup.py`` (``BENCH_QUICK=1`` for 3 runs instead of 5).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._util import save, table

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
HERE_SRC = Path(__file__).resolve().parent.parent / "src"
COMMANDS = {
    "--help": ["--help"],
    "domains permutations": ["domains", "permutations", "--brand", "jd.com", "--format", "text"],
}


def once(src: Path, args: list[str]) -> float:
    """Seconds from start to exit of ``python -m shieldwall ARGS`` importing from ``src``."""
    env = os.environ | {"PYTHONPATH": str(src)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "shieldwall", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    baseline = os.environ.get("BENCH_BASELINE_SRC")
    trees = {"this tree": HERE_SRC} | ({"baseline": Path(baseline)} if baseline else {})
    results: dict[str, Any] = {"runs": RUNS, "load_before": os.getloadavg()}
    rows = []
    for name, args in COMMANDS.items():
        for src in trees.values():
            once(src, args)  # warm the file cache and the byte-code
        times: dict[str, list[float]] = {label: [] for label in trees}
        for _ in range(RUNS):  # alternate, so both trees see the same load
            for label, src in trees.items():
                times[label].append(once(src, args))
        medians = {label: statistics.median(t) for label, t in times.items()}
        results[name] = {
            label: {"median_s": medians[label], "runs_s": times[label]} for label in trees
        }
        line = f"{medians['this tree']:.2f} s"
        if "baseline" in medians:
            ratio = medians["baseline"] / medians["this tree"]
            results[name]["speedup"] = ratio
            line = f"{medians['baseline']:.2f} s → {line} ({ratio:.1f}× faster)"
        rows.append((name, line))
    results["load_after"] = os.getloadavg()
    rows.append(
        (
            "load average (1 min), before → after",
            f"{results['load_before'][0]:.2f} → {results['load_after'][0]:.2f}",
        )
    )
    table(rows)
    save("cli_startup", results)


if __name__ == "__main__":
    main()
