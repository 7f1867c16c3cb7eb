"""Throughput of scam scoring, indicator extraction and campaign clustering.

    python bench/bench_contact_scam.py            # full run (100k reports in memory)
    python bench/bench_contact_scam.py --quick    # 10k reports, for a smoke test

Scoring and extraction run over the labelled dataset's 671 texts (median of 5 passes) and over
long transcripts. A report's cost is split the way the service splits it: ``prepare`` (validate,
normalize, extract, score, MinHash, encrypt: parallelizable, no lock) and ``commit`` (clustering
lookups and the write, serialized). Clustering is measured as commit throughput into an
in-memory store growing to 100,000 reports (median of 3 runs, plus the rate over the last 10 %),
and into SQLite and PostgreSQL for 5,000 reports (``ANALYZE`` every 1,000, standing in for
autovacuum). The synthetic gangs reuse the 135 scam scripts, so gangs sharing a script merge and
campaigns grow to tens of thousands of reports: a stress case for the lookups. One core; other
processes on the machine add noise, hence medians.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scam_campaigns import load_bases, make_gangs, reports, seeded  # noqa: E402
from shieldwall.config import load_settings  # noqa: E402
from shieldwall.contact.scam.cipher import TextCipher  # noqa: E402
from shieldwall.contact.scam.indicators import IndicatorExtractor  # noqa: E402
from shieldwall.contact.scam.memory import MemoryScamStore  # noqa: E402
from shieldwall.contact.scam.minhash import MinHasher  # noqa: E402
from shieldwall.contact.scam.normalize import normalize  # noqa: E402
from shieldwall.contact.scam.ports import ScamStore  # noqa: E402
from shieldwall.contact.scam.reports import PreparedReport, ReportInput, ScamReports  # noqa: E402
from shieldwall.contact.scam.scoring import ScoringModel, ScriptScorer  # noqa: E402
from shieldwall.contact.scam.templates import TemplateSet  # noqa: E402
from shieldwall.contact.scam.tokens import Tokenizer  # noqa: E402
from shieldwall.contact.scam.training import load_dataset  # noqa: E402
from shieldwall.core.clock import ManualClock  # noqa: E402

OUT = HERE / "out" / "contact_scam.json"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ANALYZE_EVERY = 1000


class Secrets:
    def secret(self, purpose: str) -> bytes:
        return (purpose.encode() * 32)[:32]


def rate(n: int, fn: Callable[[], object], runs: int = 5) -> dict[str, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    med = statistics.median(times)
    return {"per_second": n / med, "median_seconds": med, "runs": runs, "items": n}


def service(store: ScamStore, extractor: IndicatorExtractor, scorer: ScriptScorer) -> ScamReports:
    return ScamReports(
        store,
        extractor,
        scorer,
        TextCipher(Secrets(), "bench"),
        ManualClock(datetime(2027, 1, 1, tzinfo=UTC)),
        load_settings({}).contact.scam,
    )


def commit_all(svc: ScamReports, prepared: Sequence[PreparedReport]) -> tuple[float, float]:
    """Seconds for all commits, and for the last tenth."""
    tail_from = len(prepared) - len(prepared) // 10
    start = time.perf_counter()
    tail_start = start
    for i, p in enumerate(prepared):
        if i == tail_from:
            tail_start = time.perf_counter()
        svc.commit(p)
    end = time.perf_counter()
    return end - start, end - tail_start


def sql_commit_rate(
    url: str,
    prepared: Sequence[PreparedReport],
    extractor: IndicatorExtractor,
    scorer: ScriptScorer,
    runs: int = 3,
) -> dict[str, float] | None:
    from sqlalchemy import text

    from shieldwall.storage.contact_scam_repo import SqlScamStore
    from shieldwall.storage.db import make_engine
    from shieldwall.storage.migrate import upgrade

    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            if url == "sqlite":
                engine = make_engine(f"sqlite:///{tmp}/bench.db")
            else:
                admin = make_engine(url, isolation_level="AUTOCOMMIT")
                try:
                    with admin.connect() as conn:
                        conn.execute(text("DROP SCHEMA IF EXISTS bench_scam CASCADE"))
                        conn.execute(text("CREATE SCHEMA bench_scam"))
                except Exception as exc:  # the server may simply not be running here
                    print(f"  PostgreSQL unavailable ({type(exc).__name__}); skipped")
                    return None
                engine = make_engine(f"{url}?options=-csearch_path%3Dbench_scam")
            upgrade(engine)
            svc = service(SqlScamStore(engine), extractor, scorer)
            start = time.perf_counter()
            for i, p in enumerate(prepared, start=1):
                svc.commit(p)
                if i % ANALYZE_EVERY == 0:
                    # Stands in for autovacuum: tables that grow from empty within seconds have
                    # no statistics, and PostgreSQL then scans instead of using the indexes.
                    with engine.begin() as conn:
                        conn.execute(text("ANALYZE"))
            seconds = time.perf_counter() - start
            engine.dispose()
            times.append(seconds)
    med = statistics.median(times)
    return {
        "per_second": len(prepared) / med,
        "median_seconds": med,
        "runs": runs,
        "items": len(prepared),
    }


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n_reports = 10_000 if quick else 100_000
    out: dict[str, Any] = {"reports": n_reports, "load_average_at_start": os.getloadavg()}
    extractor = IndicatorExtractor(Tokenizer.from_secrets(Secrets()))
    scorer = ScriptScorer(ScoringModel.load(), TemplateSet.load())
    minhasher = MinHasher(shingle=load_settings({}).contact.scam.shingle_chars)

    rows = load_dataset()
    texts = {lang: [r.text for r in rows if r.lang == lang] for lang in ("zh", "en")}
    everything = texts["zh"] + texts["en"]
    normalized = [normalize(t) for t in everything]
    long_texts = ["\n".join(everything[i : i + 15]) for i in range(0, len(everything) - 15, 15)]
    chars = statistics.mean(len(t) for t in everything)
    long_chars = statistics.mean(len(t) for t in long_texts)

    def score_all(items: list[str]) -> Callable[[], object]:
        return lambda: [scorer.score(t) for t in items]

    results = {
        "score_zh": rate(len(texts["zh"]), score_all(texts["zh"])),
        "score_en": rate(len(texts["en"]), score_all(texts["en"])),
        "score_all": rate(len(everything), score_all(everything)),
        "score_long": rate(len(long_texts), score_all(long_texts)),
        "normalize": rate(len(everything), lambda: [normalize(t) for t in everything]),
        "extract": rate(len(normalized), lambda: [extractor.extract(t) for t in normalized]),
        "extract_long": rate(
            len(long_texts), lambda: [extractor.extract(normalize(t)) for t in long_texts]
        ),
        "minhash": rate(len(normalized), lambda: [minhasher.signature(t) for t in normalized]),
    }
    out["texts"] = {
        "dataset": len(everything),
        "mean_chars": chars,
        "long": len(long_texts),
        "long_mean_chars": long_chars,
    }
    print(
        f"{'operation':28} {'per second':>12}   "
        f"(texts of ~{chars:.0f} chars; long ~{long_chars:.0f})"
    )
    for name, r in results.items():
        print(f"{name:28} {r['per_second']:12,.0f}")

    rng = seeded(7)
    gangs = make_gangs(rng, n_reports // 40, load_bases("scam"), reuse=True)
    synthetic = list(reports(rng, gangs, (20, 60), n_reports // 50))[:n_reports]
    svc = service(MemoryScamStore(), extractor, scorer)
    inputs = [
        ReportInput(r.channel, r.received_at, r.text, r.sender, customer_id=r.customer_id)
        for r in synthetic
    ]
    sample = inputs[:5000]
    results["prepare"] = rate(
        len(sample),
        lambda: [svc.prepare(x, reporter_kind="customer", reporter_id="app") for x in sample],
        runs=3,
    )
    print(f"{'prepare (no lock)':28} {results['prepare']['per_second']:12,.0f}")
    start = time.perf_counter()
    prepared = [svc.prepare(x, reporter_kind="customer", reporter_id="app") for x in inputs]
    print(f"prepared {len(prepared):,} synthetic reports in {time.perf_counter() - start:.0f}s")

    totals, tails = [], []
    for _ in range(3):
        svc = service(MemoryScamStore(), extractor, scorer)
        seconds, tail = commit_all(svc, prepared)
        totals.append(seconds)
        tails.append(tail)
        live = svc.campaigns(limit=1000)
    results["commit_memory"] = {
        "per_second": len(prepared) / statistics.median(totals),
        "last_tenth_per_second": (len(prepared) // 10) / statistics.median(tails),
        "median_seconds": statistics.median(totals),
        "runs": 3,
        "items": len(prepared),
        "live_campaigns": len(live),
        "largest_campaign": max(c.size for c in live),
    }
    print(
        f"{'commit, memory, ' + format(len(prepared), ',') + ' reports':28} "
        f"{results['commit_memory']['per_second']:12,.0f}   last 10 %: "
        f"{results['commit_memory']['last_tenth_per_second']:,.0f}/s "
        f"({len(live)} live campaigns, largest {max(c.size for c in live):,})"
    )
    for name, url in (("commit_sqlite", "sqlite"), ("commit_postgres", PG_URL)):
        r = sql_commit_rate(url, prepared[:5000], extractor, scorer)
        if r is not None:
            results[name] = r
            print(f"{name + ', 5,000 reports':28} {r['per_second']:12,.0f}")
    end_to_end = 1 / (
        1 / results["prepare"]["per_second"] + 1 / results["commit_memory"]["per_second"]
    )
    results["submit_memory_one_core"] = {"per_second": end_to_end}
    print(f"{'submit = prepare + commit':28} {end_to_end:12,.0f}   (one core, memory store)")

    out["results"] = results
    out["load_average_at_end"] = os.getloadavg()
    print(
        f"load average at start {out['load_average_at_start'][0]:.1f}, "
        f"at end {out['load_average_at_end'][0]:.1f} (2 cores)"
    )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
