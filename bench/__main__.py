"""Run every benchmark script ``bench/bench_*.py`` (or those named on the command line, with or
without the ``bench_`` prefix: ``python -m bench http_read``).

Each script runs on its own (``python bench/bench_x.py``), prints a human-readable table and
writes its figures to ``bench/out/<name>.json``. Quote medians over several runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    wanted |= {f"bench_{w}" for w in wanted}  # `python -m bench stream` names bench_stream
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not wanted or p.stem in wanted)
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        start = time.perf_counter()
        # the scripts import ``bench._util``: the repository root must be on their path
        path = os.pathsep.join(filter(None, (str(HERE.parent), os.environ.get("PYTHONPATH"))))
        result = subprocess.run(
            [sys.executable, str(script)], check=False, env=os.environ | {"PYTHONPATH": path}
        )
        print(f"--- {script.stem}: exit {result.returncode} in {time.perf_counter() - start:.1f}s")
        if result.returncode:
            failed.append(script.stem)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
