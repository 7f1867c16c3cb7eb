"""Leak attribution quality: are colluders found and innocents spared, after what transforms?

A SQLite store (``--customers`` customers, ``--partners`` partners) makes one release per
partner through the real service: ``--required`` random customers plus a keyed subset of an
``--optional`` pool (overlapping between partners), with canaries and address marks. For each
held-out leak seed, coalition size and strategy, leak size and transform, the colluders' CSV
files are merged, sampled, transformed, written, and attributed with ``FileAttribution.trace``
(the same path as ``shieldwall trace file``).

    python bench/bench_trace_releases_quality.py            # ~5 minutes on one core
    python bench/bench_trace_releases_quality.py --quick    # fewer seeds, smaller store

Merging: ``union`` keeps every row any colluder has, each shared row in the form of a colluder
chosen at random (per row); ``intersect`` keeps only rows at least two colluders have (a
coalition dropping what might be canaries or exclusive rows). Transforms (applied after
sampling and shuffling):

- ``none``       the rows as released
- ``reformat``   phones as ``138 0013 8000``, the name column dropped, white space collapsed
- ``normalize``  ``reformat`` + NFKC (full-width digits folded) + every space removed
- ``no-address`` ``normalize`` + the address column dropped (presence and canaries only)

Nothing here was tuned: the accusation threshold (p <= 1e-6) comes from the bound, not from
these seeds; the leak seeds (``--seeds``) are the only randomness besides the store's seed.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._util import save, table
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.sim.people import PeopleFactory
from shieldwall.trace.releases.service import ReleaseRequest
from shieldwall.wiring import Services, build, initialize

TRANSFORMS = ("none", "reformat", "normalize", "no-address")
FIELDS = ["name", "phone", "address"]


def build_store(home: Path, customers: int, partners: int, seed: int) -> Services:
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    initialize(settings, clock)
    svc = build(settings, clock)
    people = PeopleFactory(seed).customers(customers)
    fields = ("customer_id", "name", "phone", "email", "address", "national_id")
    report = svc.custody.importer.customers(
        [(n, {f: getattr(c, f) for f in fields}) for n, c in enumerate(people, 1)]
    )
    assert report.committed, report
    for j in range(partners):
        svc.custody.principals.add(f"partner-{j:02d}", "partner", unit=f"p{j}")
    return svc


def make_releases(
    svc: Services, partners: int, customers: int, required: int, optional: int, seed: int
) -> dict[str, list[dict[str, str]]]:
    """One release per partner; returns each partner's file as rows."""
    rng = random.Random(seed)
    ids = [f"C{i:06d}" for i in range(1, customers + 1)]
    copies = {}
    for j in range(partners):
        chosen = rng.sample(ids, required + optional)
        out = svc.releases.create(
            ReleaseRequest(
                f"partner-{j:02d}", chosen[:required], FIELDS, optional_ids=chosen[required:]
            )
        )
        copies[f"partner-{j:02d}"] = list(csv.DictReader(io.StringIO(out.file.content.decode())))
    return copies


def merge(
    copies: dict[str, list[dict[str, str]]], coalition: list[str], how: str, rng: random.Random
) -> list[dict[str, str]]:
    holders: dict[str, list[dict[str, str]]] = defaultdict(list)
    for member in coalition:
        for row in copies[member]:
            holders[row["phone"]].append(row)
    minimum = 2 if how == "intersect" and len(coalition) > 1 else 1
    return [rng.choice(versions) for versions in holders.values() if len(versions) >= minimum]


def transform(rows: list[dict[str, str]], how: str) -> tuple[list[str], list[dict[str, str]]]:
    if how == "none":
        return ["name", "phone", "address"], rows
    out = []
    for r in rows:
        national = r["phone"][3:]
        phone = f"{national[:3]} {national[3:7]} {national[7:]}"
        address = " ".join(r["address"].split())
        if how in ("normalize", "no-address"):
            address = re.sub(r"\s+", "", unicodedata.normalize("NFKC", address))
        out.append({"phone": phone, "address": address})
    return (["phone"] if how == "no-address" else ["phone", "address"]), out


def write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([r[c] for c in columns])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--customers", type=int, default=12_000)
    ap.add_argument("--partners", type=int, default=30)
    ap.add_argument("--required", type=int, default=1_200)
    ap.add_argument("--optional", type=int, default=600)
    ap.add_argument("--seeds", type=int, nargs="*", default=[101, 102, 103, 104, 105])
    ap.add_argument("--store-seed", type=int, default=7)
    args = ap.parse_args(argv)
    sizes = [100, 300, 1000]
    coalitions = [1, 2, 3, 5]
    if args.quick:
        args.customers, args.partners, args.seeds = 4000, 20, args.seeds[:2]
        args.required, args.optional = 500, 300
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        svc = build_store(Path(tmp) / "home", args.customers, args.partners, args.store_seed)
        copies = make_releases(
            svc, args.partners, args.customers, args.required, args.optional, args.store_seed
        )
        setup = time.perf_counter() - started
        results: dict[str, dict[str, Any]] = {}
        partners = sorted(copies)
        for k in coalitions:
            for how in ["union"] if k == 1 else ["union", "intersect"]:
                for size in sizes:
                    for tf in TRANSFORMS:
                        key = f"c={k} {how:9} n={size:4} {tf}"
                        agg = results.setdefault(
                            key,
                            {"colluders": 0, "found": 0, "by_canary": 0, "innocent_accused": 0,
                             "leaks": 0, "rows": 0, "min_log10_p_innocent": 0.0},
                        )  # fmt: skip
                        for seed in args.seeds:
                            rng = random.Random(seed * 1000 + k * 10 + size)
                            coalition = rng.sample(partners, k)
                            merged = merge(copies, coalition, how, rng)
                            rows = rng.sample(merged, min(size, len(merged)))
                            columns, leaked = transform(rows, tf)
                            path = Path(tmp) / "leak.csv"
                            write(path, columns, leaked)
                            report = svc.leak_trace.trace(path)
                            accused = set(report.accused)
                            agg["leaks"] += 1
                            agg["rows"] += len(rows)
                            agg["colluders"] += k
                            agg["found"] += len(accused & set(coalition))
                            agg["innocent_accused"] += len(accused - set(coalition))
                            for f in report.recipients:
                                if f.recipient_id in coalition and f.accused and f.log10_p > -6:
                                    agg["by_canary"] += 1
                                if f.recipient_id not in coalition:
                                    agg["min_log10_p_innocent"] = min(
                                        agg["min_log10_p_innocent"], f.log10_p
                                    )
        svc.close()
    elapsed = time.perf_counter() - started
    print(
        f"store: {args.customers} customers, {args.partners} partners, one release each of"
        f" {args.required} + keyed subset of {args.optional} optional; leak seeds {args.seeds}"
    )
    rows_out = []
    for key, a in results.items():
        rate = a["found"] / a["colluders"] if a["colluders"] else 0.0
        rows_out.append(
            (
                key,
                f"rows {a['rows'] / max(1, a['leaks']):.0f}, found {a['found']}/{a['colluders']}"
                f" ({rate:.0%}),"
                f" via canary only {a['by_canary']}, innocents accused {a['innocent_accused']},"
                f" lowest innocent log10 p {a['min_log10_p_innocent']:.1f}",
            )
        )
        a["detection_rate"] = rate
    table(rows_out)
    print(f"setup {setup:.0f}s, total {elapsed:.0f}s")
    save(
        "trace_releases_quality",
        {
            "config": vars(args),
            "results": results,
            "setup_seconds": setup,
            "total_seconds": elapsed,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
