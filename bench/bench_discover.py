"""Discover: precision and recall per type on labelled text, beside Presidio's stock
recognizers; throughput on a log file.

Labelled set (seeded, 2,000 records): customer-service notes, shipping lines and log lines built
from templates filled by Faker ``zh_CN`` (names, mobiles, resident ID numbers, e-mail, Faker's
own addresses) plus values Faker lacks for China (UnionPay cards completed with a Luhn digit,
``E``+8-digit passports, ``C``+8-digit permits, addresses from present-day GB/T 2260 counties
with Faker street names). Each record also carries distractors that are NOT personal data (order
numbers, SKUs, amounts, timestamps, tracking numbers) and background text from Faker's zh_CN
lorem word list (text neither we nor the recognizers' authors wrote; Faker is MIT-licensed). A
prediction counts when it overlaps a labelled span of its type; each label is matched once.

Presidio: the predefined recognizers of presidio-analyzer (language ``en``, since it ships none
for ``zh``) on a blank spaCy pipeline (no NER model can be downloaded here, so its spaCy PERSON
/LOCATION recognizer finds nothing); their entity names are mapped to ours.

    python bench/bench_discover.py      # prints the tables, writes bench/out/discover.json
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from faker import Faker
from stdnum import luhn

from shieldwall.custody.areas import places
from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.files import FileScanner

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
Span = tuple[int, int, str]


def unionpay(rng: random.Random) -> str:
    body = "62" + "".join(rng.choice("0123456789") for _ in range(13))
    return body + luhn.calc_check_digit(body)


def gb2260_address(rng: random.Random, fake: Faker) -> str:
    place = rng.choice(places())
    return (
        f"{place.province}{place.city}{place.county}{fake.street_name()}"
        f"{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2505)}室"
    )


def record(rng: random.Random, fake: Faker) -> tuple[str, list[Span]]:
    """One labelled record: text and (start, end, type) of every personal value in it."""
    parts: list[tuple[str, str | None]] = []

    def add(text: str, kind: str | None = None) -> None:
        parts.append((text, kind))

    add(fake.sentence())
    template = rng.randrange(5)
    if template == 0:
        add("收件人：")
        add(fake.name(), "name")
        add("，电话")
        add(fake.phone_number(), "phone")
        add("，地址：")
        add(gb2260_address(rng, fake) if rng.random() < 0.5 else fake.address(), "address")
    elif template == 1:
        add(f"{fake.date_time_this_year():%Y-%m-%d %H:%M:%S} INFO order=")
        add(str(rng.randint(10**15, 10**16 - 1)))  # distractor: 16-digit order number
        add(" user_email=")
        add(fake.email(), "email")
        add(" id_no=")
        add(fake.ssn(), "national_id")
    elif template == 2:
        add("客户")
        add(fake.name(), "name")
        add("先生来电，要求退款到卡号")
        add(unionpay(rng), "bank_card")
        add(
            f"，金额{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}元，运单号SF{rng.randint(10**11, 10**12 - 1)}"
        )
    elif template == 3:
        add("出境订单，旅客护照号")
        add(f"E{rng.randint(0, 10**8 - 1):08d}", "passport")
        add("，港澳通行证")
        add(f"C{rng.randint(0, 10**8 - 1):08d}", "travel_permit")
        add(f"，SKU-{rng.randint(100000, 999999)}")
    else:
        add("联系人:")
        add(fake.name(), "name")
        add(" 手机 ")
        add(fake.phone_number(), "phone")
        add(" 邮箱 ")
        add(fake.email(), "email")
        add(f" 订单{rng.randint(10**17, 10**18 - 1)}")  # distractor: 18-digit order number
    add(fake.paragraph())
    text, spans, at = "", [], 0
    for piece, kind in parts:
        if kind:
            spans.append((at, at + len(piece), kind))
        text += piece
        at += len(piece)
    return text, spans


def score(gold: list[list[Span]], predicted: list[list[Span]]) -> dict[str, dict[str, float]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for labels, preds in zip(gold, predicted, strict=True):
        used: set[int] = set()
        for s, e, kind in preds:
            hit = next(
                (i for i, (gs, ge, gk) in enumerate(labels)
                 if gk == kind and i not in used and s < ge and gs < e),
                None,
            )  # fmt: skip
            if hit is None:
                fp[kind] += 1
            else:
                used.add(hit)
                tp[kind] += 1
        for i, (_, _, kind) in enumerate(labels):
            if i not in used:
                fn[kind] += 1
    out = {}
    for kind in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 0.0
        r = tp[kind] / (tp[kind] + fn[kind]) if tp[kind] + fn[kind] else 0.0
        out[kind] = {"precision": round(p, 3), "recall": round(r, 3), "tp": tp[kind],
                     "fp": fp[kind], "fn": fn[kind]}  # fmt: skip
    return out


PRESIDIO_MAP = {
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email",
    "CREDIT_CARD": "bank_card",
    "PERSON": "name",
    "LOCATION": "address",
    "US_PASSPORT": "passport",
    "UK_PASSPORT": "passport",
}


def presidio_predictions(texts: list[str]) -> list[list[Span]] | None:
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

        from shieldwall.discover.presidio import BlankSpacyNlpEngine
    except Exception:  # the [presidio] extra is not installed
        return None
    import tldextract

    # Presidio's e-mail recognizer calls tldextract.extract, which fetches the Public Suffix List
    # at run time (and fails offline): use the snapshot tldextract ships instead.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"])
    nlp = BlankSpacyNlpEngine("en")
    nlp.load()
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
    out = []
    for text in texts:
        results = engine.analyze(text=text, language="en", score_threshold=0.5)
        out.append(
            [(r.start, r.end, PRESIDIO_MAP.get(r.entity_type, r.entity_type)) for r in results]
        )
    return out


def throughput(analyzer: Analyzer, texts: list[str]) -> dict[str, float]:
    """Scan a 4 MB log (the labelled records, one a line) with the file scanner, hits and masks
    included; wall-clock and CPU seconds, best of 2 (the CPU figure is what a quiet machine
    approaches; the shared test machine is loaded)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        with log.open("w", encoding="utf-8") as f:
            while f.tell() < 4 << 20:
                for text in texts[:500]:
                    f.write(text.replace("\n", " ") + "\n")
        size = log.stat().st_size
        wall, cpu, found = [], [], 0
        for _ in range(2):
            start, start_cpu = time.perf_counter(), time.process_time()
            found = sum(1 for _ in FileScanner(analyzer).scan(log))
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return {
        "bytes": size,
        "findings": found,
        "wall_seconds": round(min(wall), 2),
        "cpu_seconds": round(min(cpu), 2),
        "mb_per_s_wall": round(size / min(wall) / 1e6, 2),
        "mb_per_s_cpu": round(size / min(cpu) / 1e6, 2),
    }


def table(title: str, figures: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}\n{'type':<14} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>5} {'fn':>5}")
    for kind, f in figures.items():
        print(
            f"{kind:<14} {f['precision']:>9.3f} {f['recall']:>7.3f} {f['tp']:>5} {f['fp']:>5} {f['fn']:>5}"
        )


def main() -> int:
    rng = random.Random(15)
    fake = Faker("zh_CN")
    fake.seed_instance(15)
    records = [record(rng, fake) for _ in range(2000)]
    texts = [t for t, _ in records]
    gold = [s for _, s in records]
    results: dict[str, Any] = {}
    for threshold in (0.5, 0.0):
        analyzer = Analyzer(min_confidence=threshold)
        start = time.perf_counter()
        predicted = [[(f.start, f.end, f.type.value) for f in analyzer.analyze(t)] for t in texts]
        elapsed = time.perf_counter() - start
        figures = score(gold, predicted)
        results[f"shieldwall_min_confidence_{threshold}"] = figures
        table(f"shieldwall discover, min_confidence {threshold} ({elapsed:.1f}s)", figures)
    presidio = presidio_predictions(texts)
    if presidio is None:
        print("\npresidio-analyzer not installed: no side-by-side figures")
    else:
        figures = score(gold, presidio)
        results["presidio_stock_en_threshold_0.5"] = figures
        table("Presidio predefined recognizers (en, blank spaCy), score >= 0.5", figures)
    results["throughput_log"] = throughput(Analyzer(), texts)
    print(f"\nlog file throughput: {results['throughput_log']}")
    results["records"] = len(records)
    results["labels"] = sum(len(s) for s in gold)
    OUT.mkdir(exist_ok=True)
    (OUT / "discover.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
