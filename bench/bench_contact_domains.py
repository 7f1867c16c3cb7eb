"""Lookalike-domain scanner throughput against 20 brands, and streaming memory.

    python bench/bench_contact_domains.py [--names 200000] [--runs 5] [--stream-lines 1000000]

Corpus (seeded, built here, nothing downloaded): Faker ``domain_name()`` hosts (the clean bulk),
with 10% of them written as URLs, plus 1% lookalikes of the 20 brands in
``bench/contact_domains_brands.toml`` taken from the scanner's own watch lists (a third of them
IDN homoglyphs). Figures are medians over ``--runs`` runs in one process, per wall-clock second
and per CPU second (the one-core figure on a shared machine):

- ``scan``: ``LookalikeScanner.scan`` per name (parse, official check, fast path, slow path);
- ``stream``: the CLI path, bytes in → JSON lines out (``read_lines`` + ``scan_lines`` +
  ``json.dumps``) into a null sink;
- baselines in the same run: the dnstwist permutation set (a set lookup of the host) and a
  plain Levenshtein <= 2 rule (rapidfuzz, against the 20 brands' official domains).

The streaming run feeds ``--stream-lines`` generated lines through the same path from a
generator-backed stream and reports the ``tracemalloc`` peak, which must not grow with the
number of lines (compared with a run of a tenth of the lines).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from faker import Faker
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from shieldwall.config import DomainSettings
from shieldwall.contact.domains.brands import BrandBook, load_brands_file
from shieldwall.contact.domains.fuzzers import watch_list
from shieldwall.contact.domains.psl import RegistrableDomains
from shieldwall.contact.domains.scanner import LookalikeScanner
from shieldwall.contact.domains.stream import read_lines, scan_lines

HERE = Path(__file__).resolve().parent
BRANDS = HERE / "contact_domains_brands.toml"
OUT = HERE / "out" / "contact_domains.json"


def build_corpus(book: BrandBook, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    fake = Faker()
    Faker.seed(seed)
    settings = DomainSettings()
    splitter = RegistrableDomains()
    lookalikes: list[str] = []
    for brand in book.brands:
        for domain in brand.domains:
            split = splitter.split(tuple(domain.split(".")))
            perms = watch_list(
                domain,
                keywords=settings.keywords,
                tlds=settings.tld_swaps,
                label=split.label,
                suffix=split.suffix,
            )
            lookalikes += [p.domain for p in perms]
    names: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.01:
            names.append(rng.choice(lookalikes))
            continue
        host = fake.domain_name(levels=rng.choice((1, 1, 1, 2)))
        if roll < 0.11:
            host = f"https://{host}/{fake.uri_path()}"
        names.append(host)
    return names


def median_rates(func: object, names: list[str], runs: int) -> tuple[float, float]:
    """Median names per wall-clock second and per CPU second of this process.

    On a shared machine the CPU-time rate is the one-core figure: it does not count the time
    other processes hold the core.
    """
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        func(names)  # type: ignore[operator]
        wall.append(len(names) / (time.perf_counter() - start))
        cpu.append(len(names) / (time.process_time() - start_cpu))
    return statistics.median(wall), statistics.median(cpu)


def generated_stream(lines: int, seed: int) -> io.BufferedReader:
    """A binary stream whose bytes are generated on demand (never all in memory)."""
    rng = random.Random(seed)
    words = ["shop", "mail", "news", "cloud", "jd-kefu", "taobao", "bank", "games", "paypa1"]

    def chunks() -> Iterator[bytes]:
        for i in range(lines):
            if i % 997 == 0:
                yield b"\xff\xfe not utf-8\n"
            else:
                yield f"{rng.choice(words)}{i}.{rng.choice(('com', 'cn', 'net'))}\n".encode()

    class Raw(io.RawIOBase):
        def __init__(self) -> None:
            self._it = chunks()
            self._buf = b""

        def readable(self) -> bool:
            return True

        def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
            while len(self._buf) < len(target):
                try:
                    self._buf += next(self._it)
                except StopIteration:
                    break
            n = min(len(target), len(self._buf))
            target[:n] = self._buf[:n]
            self._buf = self._buf[n:]
            return n

    return io.BufferedReader(Raw(), buffer_size=65536)


def stream_run(scanner: LookalikeScanner, lines: int) -> tuple[int, int, float]:
    """Lines out, tracemalloc peak bytes, seconds."""
    tracemalloc.start()
    start = time.perf_counter()
    count = 0
    for record in scan_lines(scanner, read_lines(generated_stream(lines, 7), 4096)):
        json.dumps(record, ensure_ascii=False)
        count += 1
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, peak, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stream-lines", type=int, default=1_000_000)
    args = parser.parse_args()

    book = load_brands_file(BRANDS)
    scanner = LookalikeScanner(book)
    names = build_corpus(book, args.names, seed=20261128)
    encoded = ("\n".join(names) + "\n").encode()
    verdicts = [scanner.scan(n).verdict for n in names]

    import dnstwist

    twist: set[str] = set()
    official = [d for b in book.brands for d in b.domains]
    for domain in official:
        fuzzer = dnstwist.Fuzzer(domain)
        fuzzer.generate()
        twist.update(p["domain"] for p in fuzzer.domains)
    hosts = [n.split("://", 1)[-1].split("/", 1)[0] for n in names]

    def run_scan(batch: list[str]) -> None:
        for name in batch:
            scanner.scan(name)

    def run_stream(_batch: list[str]) -> None:
        for record in scan_lines(scanner, read_lines(io.BytesIO(encoded), 4096)):
            json.dumps(record, ensure_ascii=False)

    def run_dnstwist(batch: list[str]) -> None:
        for host in batch:
            _ = host in twist

    def run_levenshtein(batch: list[str]) -> None:
        for host in batch:
            process.extractOne(host, official, scorer=Levenshtein.distance, score_cutoff=2)

    rows = {
        "scan": median_rates(run_scan, names, args.runs),
        "stream (bytes in, JSON out)": median_rates(run_stream, names, args.runs),
        "baseline dnstwist set lookup": median_rates(run_dnstwist, hosts, args.runs),
        "baseline Levenshtein<=2": median_rates(run_levenshtein, hosts, args.runs),
    }
    small = stream_run(scanner, max(1, args.stream_lines // 10))
    big = stream_run(scanner, args.stream_lines)

    load = os.getloadavg()[0]
    print(f"{len(names)} names, 20 brands, median of {args.runs} runs, one process")
    print(f"load average at the end: {load:.2f} on {os.cpu_count()} cores")
    print(f"{'path':32} {'names/wall-s':>13} {'names/CPU-s':>12}")
    for name, (wall, cpu) in rows.items():
        print(f"{name:32} {wall:13,.0f} {cpu:12,.0f}")
    print(f"lookalike share of corpus: {verdicts.count('lookalike') / len(verdicts):.2%}")
    print(
        f"stream {small[0]:,} lines: tracemalloc peak {small[1] / 1e6:.2f} MB in {small[2]:.1f}s; "
        f"{big[0]:,} lines: peak {big[1] / 1e6:.2f} MB in {big[2]:.1f}s"
    )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "names": len(names),
                "brands": len(book.brands),
                "runs": args.runs,
                "rates_per_second": {k: {"wall": w, "cpu": c} for k, (w, c) in rows.items()},
                "load_average_1min": load,
                "goal_per_second": 100_000,
                "lookalike_share": verdicts.count("lookalike") / len(verdicts),
                "stream": {
                    "small": {"lines": small[0], "peak_bytes": small[1], "seconds": small[2]},
                    "big": {"lines": big[0], "peak_bytes": big[1], "seconds": big[2]},
                },
                "python": platform.python_version(),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
