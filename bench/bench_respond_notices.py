"""Breach notice speed on a SQLite store: the case this project is built around, 150 victims.

    python bench/bench_respond_notices.py           # ~1 minute
    python bench/bench_respond_notices.py --quick   # 3 runs

A store of 2,000 customers; one case linked to a release of ``--persons`` customers (the
affected). Measured, medians of ``--runs`` runs, wall-clock and process CPU time (the steadier
figure on a shared machine):

- rendering the PIPL authority notice in Chinese as HTML, and as PDF (reportlab);
- rendering one person's letter as PDF (a masked name decrypted and audited, then laid out);
- recording every affected person's notice (``all_affected``: each name decrypted to mask it,
  each letter rendered and hashed, one record and one audit entry per person), per person.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._util import median_of, save, table
from bench.bench_trace_releases_quality import FIELDS, build_store
from shieldwall.respond.notices.content import NoticeParams
from shieldwall.respond.notices.model import Audience, Channel, Format, Language, Regime
from shieldwall.trace.releases.service import ReleaseRequest

PARAMS = NoticeParams(measures=("police_report", "customers_warned"))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - wall, _cpu() - cpu


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--persons", type=int, default=150)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    if args.quick:
        args.runs = 3
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        svc = build_store(Path(tmp) / "home", 2000, 1, seed=5)
        ids = [f"C{i:06d}" for i in range(1, args.persons + 1)]
        rid = svc.releases.create(ReleaseRequest("partner-00", ids, FIELDS)).release.release_id
        notices = svc.cases.notices

        def new_case() -> str:
            case = svc.cases.cases.open("canary_hit", rid)
            svc.cases.cases.link(case.case_id, releases=[rid], customers=ids)
            return case.case_id

        case_id = new_case()
        cases = {
            "authority_html": lambda: notices.render(
                case_id, Regime.PIPL, Audience.AUTHORITY, Language.ZH, PARAMS
            ),
            "authority_pdf": lambda: notices.render(
                case_id, Regime.PIPL, Audience.AUTHORITY, Language.ZH, PARAMS, fmt=Format.PDF
            ),
            "person_pdf": lambda: notices.render(
                case_id,
                Regime.PIPL,
                Audience.PERSON,
                Language.ZH,
                PARAMS,
                fmt=Format.PDF,
                customer_id=ids[0],
            ),
        }
        for name, fn in cases.items():
            results[f"{name}_ms"] = median_of(args.runs, lambda f=fn: timed(f)[0])[0] * 1000
            results[f"{name}_cpu_ms"] = median_of(args.runs, lambda f=fn: timed(f)[1])[0] * 1000

        def record_all() -> tuple[float, float]:
            fresh = new_case()
            return timed(
                lambda: notices.record(
                    fresh,
                    Regime.PIPL,
                    Audience.PERSON,
                    Channel.SMS,
                    Language.ZH,
                    PARAMS,
                    all_affected=True,
                )
            )

        runs = [record_all() for _ in range(args.runs)]
        walls = sorted(w for w, _ in runs)
        cpus = sorted(c for _, c in runs)
        results["record_all_s"] = walls[len(walls) // 2]
        results["record_all_cpu_s"] = cpus[len(cpus) // 2]
        results["record_per_person_ms"] = results["record_all_s"] / args.persons * 1000
        svc.close()
    table([(k, f"{v:.1f}") for k, v in results.items()])
    save("respond_notices", {"persons": args.persons, "runs": args.runs, **results})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
