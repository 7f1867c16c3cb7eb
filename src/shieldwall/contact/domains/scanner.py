"""The lookalike scanner: official, lookalike (brand, techniques, score) or clean.

How a name is judged (:meth:`LookalikeScanner.scan`):

1. Parse and normalise (:mod:`.names`); punycode is decoded so homoglyphs are seen.
2. **Official** when the host is an official domain or a subdomain of one.
3. **Fast path**: most names share nothing with any brand. Each label is looked up in one hash
   index holding every brand term, its TR39 key and every string one edit away from it; one
   compiled regex finds brand terms inside labels; one rapidfuzz call finds labels within two
   edits of long brand terms. No hit and no IDN, userinfo or invisible characters: **clean**.
4. Otherwise the registrable domain is found with the Public Suffix List (:mod:`.psl`) and
   every technique is tried; each finding carries a brand, technique names, a score and a reason.
   The best score decides: ``>= threshold`` is **lookalike**.

Scores are built to keep false alarms low on real domains that sit near a brand (see
``docs/contact-domains.md``): edit-based findings are scaled down for short brand terms (a
two-letter brand like ``jd`` is never matched by edits alone, only by homoglyphs, TLD swaps,
after-sales combinations or impersonation in a subdomain); a bare brand word inside a longer
label counts only for long brands; registrable domains on the popular-domain list (or the
configured ``allow`` list) are not judged on their own label, only on official domains
impersonated in their subdomains or userinfo.
"""

from __future__ import annotations

import functools
import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from shieldwall.config import DomainSettings
from shieldwall.contact.domains.brands import BrandBook
from shieldwall.contact.domains.confusables import match_key
from shieldwall.contact.domains.fuzzers import Variant, single_edits
from shieldwall.contact.domains.keyboard import keyboard_distance
from shieldwall.contact.domains.names import ObservedName, parse_observed
from shieldwall.contact.domains.psl import RegistrableDomains, Split

VerdictKind = Literal["official", "lookalike", "clean"]

#: Length given to non-ASCII brand words (京东): two CJK characters identify a brand as well as
#: a long Latin word does.
NON_ASCII_TERM_LENGTH = 8
MIN_EDIT_TERM = 4
MIN_DISTANCE2_TERM = 6
SUBDOMAIN_WEIGHT = 0.85
SECOND_TECHNIQUE_BONUS = 0.05
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@functools.cache
def popular_domains() -> frozenset[str]:
    """The shipped popular registrable domains (see ``data/NOTICE.md`` for the source)."""
    raw = resources.files(__package__).joinpath("data", "popular-domains.txt.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def length_factor(length: int) -> float:
    """How much an edit-based match to a term of this length is worth (0 for 3 or fewer)."""
    if length <= 3:
        return 0.0
    return {4: 0.55, 5: 0.7, 6: 0.85}.get(length, 1.0)


def edit_score(cost: float, length: int) -> float:
    """Score of a keyboard-weighted edit ``cost`` away from a term of ``length`` characters."""
    return max(0.0, (0.95 - 0.25 * cost) * length_factor(length))


@dataclass(frozen=True, slots=True)
class Term:
    """A string that names a brand: an official registrable label, a brand word, or pinyin."""

    text: str
    key: str
    brand: str
    kind: Literal["label", "word", "pinyin"]
    length: int


@dataclass(frozen=True, slots=True)
class Finding:
    brand: str
    techniques: tuple[str, ...]
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement on one observed name, with machine- and human-readable reasons."""

    input: str
    verdict: VerdictKind
    brand: str | None
    techniques: tuple[str, ...]
    score: float
    host: str
    registrable_domain: str | None
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "input": self.input,
            "verdict": self.verdict,
            "brand": self.brand,
            "techniques": list(self.techniques),
            "score": self.score,
            "host": self.host,
            "registrable_domain": self.registrable_domain,
            "reasons": list(self.reasons),
        }


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of ``words``, longest first (never matches if there are none)."""
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered) or r"(?!)")


def _pinyin(text: str) -> str:
    # Imported on first CJK label only: loading pypinyin's dictionaries takes ~150 ms.
    from pypinyin import lazy_pinyin  # noqa: PLC0415

    return "".join(lazy_pinyin(text)).lower()


class LookalikeScanner:
    """Judges observed domains and URLs against a :class:`BrandBook`. Safe to share; no I/O."""

    def __init__(
        self,
        book: BrandBook,
        settings: DomainSettings | None = None,
        *,
        splitter: RegistrableDomains | None = None,
        popular: frozenset[str] | None = None,
    ) -> None:
        settings = settings or DomainSettings()
        if not book.brands:
            raise ValueError("at least one brand is needed")
        self.threshold = settings.threshold
        self._splitter = splitter or RegistrableDomains()
        if popular is None:
            popular = popular_domains() if settings.popular_allowlist else frozenset()
        self._allowed = popular | frozenset(settings.allow) | frozenset(book.allow)
        self._official: dict[str, str] = {}
        terms: dict[tuple[str, str], Term] = {}
        suffix_words: set[str] = {"www", "com", "net", "org", "cn", "http", "https"}
        for brand in book.brands:
            for domain in brand.domains:
                self._official[domain] = brand.name
                split = self._splitter.split(tuple(domain.split(".")))
                suffix_words.update(split.suffix.split("."))
                self._add_term(terms, split.label, brand.name, "label")
            for word in brand.words:
                self._add_term(terms, word, brand.name, "word")
                if _CJK.search(word):
                    self._add_term(terms, _pinyin(word), brand.name, "pinyin")
        self._suffix_words = frozenset(suffix_words)
        self._terms_by_key: dict[str, list[Term]] = {}
        for term in terms.values():
            self._terms_by_key.setdefault(term.key, []).append(term)
        self._variants: dict[str, list[tuple[Term, Variant]]] = {}
        for term in terms.values():
            if term.text.isascii() and term.length >= MIN_EDIT_TERM:
                for variant in single_edits(term.text).values():
                    for text in {variant.text, match_key(variant.text)}:
                        if text != term.key:
                            self._variants.setdefault(text, []).append((term, variant))
        self._index = frozenset(self._terms_by_key) | frozenset(self._variants)
        self._terms_by_text: dict[str, list[Term]] = {}
        for term in terms.values():
            self._terms_by_text.setdefault(term.text, []).append(term)
        self._term_re = _alternation(self._terms_by_key)
        self._raw_term_re = _alternation(self._terms_by_text)
        self._long = [t for t in terms.values() if t.text.isascii() and t.length >= 6]
        self._long_keys = [t.key for t in self._long]
        lengths = [len(k) for k in self._long_keys] or [0]
        self._long_span = (min(lengths) - 2, max(lengths) + 2)
        words = {match_key(w) for w in settings.keywords + book.keywords}
        self._keyword_re = _alternation(w for w in words if len(w) >= 3)
        raw_words = {w.lower() for w in settings.keywords + book.keywords}
        self._raw_keyword_re = _alternation(w for w in raw_words if len(w) >= 3)
        self._short_keywords = frozenset(w for w in words if len(w) < 3)
        official = sorted(self._official, key=len, reverse=True)
        self._official_re = re.compile(
            r"(?:^|[.@/:])(" + "|".join(re.escape(d) for d in official) + r")(?=[.\-/:@]|$)"
        )

    @staticmethod
    def _add_term(
        terms: dict[tuple[str, str], Term],
        text: str,
        brand: str,
        kind: Literal["label", "word", "pinyin"],
    ) -> None:
        if (brand, text) in terms:
            return
        length = len(text) if text.isascii() else NON_ASCII_TERM_LENGTH
        terms[(brand, text)] = Term(text, match_key(text), brand, kind, length)

    # -- public API -------------------------------------------------------------------------

    def scan(self, text: str) -> Verdict:
        """Judge one line; raise :class:`~.errors.InvalidObservedName` if it is not a name."""
        return self.judge(parse_observed(text), text.strip())

    def official_brand(self, host: str) -> str | None:
        """The brand whose official domain ``host`` is, or is a subdomain of."""
        official = self._official
        rest = host
        while True:
            brand = official.get(rest)
            if brand is not None:
                return brand
            dot = rest.find(".")
            if dot < 0:
                return None
            rest = rest[dot + 1 :]

    def judge(self, name: ObservedName, shown: str) -> Verdict:
        brand = self.official_brand(name.host)
        if brand is not None:
            return Verdict(shown, "official", brand, (), 0.0, name.host, None, ())
        plain = not (name.is_idn or name.userinfo or name.invisible)
        if plain and not self._may_match(name.labels):
            return Verdict(shown, "clean", None, (), 0.0, name.host, None, ())
        split = self._splitter.split(name.labels)
        findings = self._findings(name, split)
        return self._decide(shown, name, split, findings)

    # -- fast path ---------------------------------------------------------------------------

    def _may_match(self, labels: tuple[str, ...]) -> bool:
        index = self._index
        low, high = self._long_span
        for label in labels:
            key = match_key(label)
            if label in index or key in index or self._term_re.search(key):
                return True
            for rest in self._without_keyword(label)[1]:
                if rest in index or match_key(rest) in index:
                    return True
            if low <= len(key) <= high and process.extractOne(
                key, self._long_keys, scorer=Levenshtein.distance, score_cutoff=2
            ):
                return True
        return False

    # -- slow path ---------------------------------------------------------------------------

    def _findings(self, name: ObservedName, split: Split) -> list[Finding]:
        findings: list[Finding] = []
        allowed = split.registrable in self._allowed
        impersonated = self._official_re.search(name.host)
        if impersonated:
            domain = impersonated.group(1)
            findings.append(
                Finding(
                    self._official[domain],
                    ("brand_in_subdomain",),
                    0.95,
                    f"official domain {domain} written inside foreign domain {split.registrable}",
                )
            )
        if name.userinfo:
            user_key = match_key(name.userinfo)
            hit = self._official_re.search(name.userinfo) or self._term_re.search(user_key)
            if hit:
                terms = self._terms_by_key.get(hit.group(0).strip(".@/:"), [])
                brand = self._official.get(hit.group(0).strip(".@/:")) or (
                    terms[0].brand if terms else None
                )
                if brand:
                    findings.append(
                        Finding(
                            brand,
                            ("userinfo_impersonation",),
                            0.9,
                            "brand written before '@' in the URL; the browser goes elsewhere",
                        )
                    )
        if not allowed:
            findings += self._label_findings(split.label, split.suffix, subdomain=False)
            lure = self._keyword_re.search(match_key(split.label)) is not None
            for label in split.subdomain:
                for f in self._label_findings(label, split.suffix, subdomain=True):
                    boosted = lure and f.techniques == ("brand_in_subdomain",)
                    score = min(0.9, f.score + 0.25) if boosted else f.score
                    findings.append(Finding(f.brand, f.techniques, score, f.reason))
        if name.is_idn:
            findings = [
                Finding(f.brand, (*f.techniques, "punycode"), f.score, f.reason)
                if "homoglyph" in f.techniques or "homophone" in f.techniques
                else f
                for f in findings
            ]
        if name.invisible:
            findings = [
                Finding(f.brand, (*f.techniques, "invisible_characters"), f.score, f.reason)
                for f in findings
            ]
        return findings

    def _label_findings(self, label: str, suffix: str, *, subdomain: bool) -> list[Finding]:
        key = match_key(label)
        where = "subdomain label" if subdomain else "registrable label"
        weight = SUBDOMAIN_WEIGHT if subdomain else 1.0
        found = self._direct_findings(label, key, suffix, where, subdomain=subdomain)
        found += self._combo_findings(label, key, where)
        if _CJK.search(label):
            pinyin = _pinyin(label)
            brands = {f.brand for f in found}
            for f in self._direct_findings(pinyin, match_key(pinyin), suffix, where, subdomain):
                if f.brand not in brands:
                    found.append(
                        Finding(f.brand, ("homophone", *f.techniques), f.score * 0.95, f.reason)
                    )
            for f in self._combo_findings(pinyin, match_key(pinyin), where):
                if f.brand not in brands:
                    found.append(
                        Finding(f.brand, ("homophone", *f.techniques), f.score * 0.95, f.reason)
                    )
        if weight != 1.0:
            found = [Finding(f.brand, f.techniques, f.score * weight, f.reason) for f in found]
        return found

    def _direct_findings(
        self, label: str, key: str, suffix: str, where: str, subdomain: bool
    ) -> list[Finding]:
        found: list[Finding] = []
        matched: set[str] = set()
        for term in self._terms_by_key.get(key, ()):
            matched.add(term.brand)
            short = term.length <= 3
            if label != term.text:
                found.append(
                    Finding(
                        term.brand,
                        ("homoglyph",),
                        0.9 if label.isascii() else 0.97,
                        f"{where} {label!r} looks the same as brand term {term.text!r}",
                    )
                )
            elif subdomain:
                found.append(
                    Finding(
                        term.brand,
                        ("brand_in_subdomain",),
                        0.45 if short else 0.75,
                        f"brand term {term.text!r} used as a subdomain of a foreign domain",
                    )
                )
            elif term.kind == "label":
                found.append(
                    Finding(
                        term.brand,
                        ("tld_swap",),
                        0.6 if short else 0.85,
                        f"brand label {term.text!r} under another suffix (.{suffix})",
                    )
                )
            else:
                found.append(
                    Finding(
                        term.brand,
                        ("brand_as_domain",),
                        0.55 if short else 0.85,
                        f"brand word {term.text!r} registered as a domain (.{suffix})",
                    )
                )
        for text in dict.fromkeys((label, key)):
            for term, variant in self._variants.get(text, ()):
                if term.brand in matched:
                    continue
                techniques = variant.techniques
                if text != label or (text == key and key != label):
                    techniques = ("homoglyph", *techniques)
                score = edit_score(variant.cost, term.length)
                found.append(
                    Finding(
                        term.brand,
                        techniques,
                        score,
                        f"{where} {label!r} is one edit ({', '.join(variant.techniques)}) "
                        f"from brand term {term.text!r}",
                    )
                )
                matched.add(term.brand)
        low, high = self._long_span
        if low <= len(key) <= high:
            for choice, _dist, idx in process.extract(
                key, self._long_keys, scorer=Levenshtein.distance, score_cutoff=2, limit=None
            ):
                term = self._long[idx]
                if term.brand in matched or choice == key:
                    continue
                cost = keyboard_distance(key, term.key, limit=2.0)
                if cost > 2.0:
                    continue
                plain = Levenshtein.distance(key, term.key)
                technique = "keyboard_typo" if cost < plain else "edit_distance"
                found.append(
                    Finding(
                        term.brand,
                        (technique,),
                        edit_score(cost, term.length),
                        f"{where} {label!r} is {plain} edits (keyboard cost {cost:g}) "
                        f"from brand term {term.text!r}",
                    )
                )
                matched.add(term.brand)
        return found

    def _without_keyword(self, label: str) -> tuple[str, tuple[str, ...]]:
        """The first after-sales word in ``label`` and what is left around it (two spellings)."""
        hit = self._raw_keyword_re.search(label)
        if not hit:
            return "", ()
        rest = label.replace(hit.group(0), "").replace("-", "")
        stripped = rest.strip("0123456789")
        forms = tuple(r for r in dict.fromkeys((rest, stripped)) if len(r) >= MIN_EDIT_TERM)
        return hit.group(0), forms

    def _keyword(self, rest: str) -> str | None:
        hit = self._keyword_re.search(rest)
        if hit:
            return hit.group(0)
        bare = rest.strip("-0123456789")
        return bare if bare in self._short_keywords else None

    def _combo_findings(self, label: str, key: str, where: str) -> list[Finding]:
        found: list[Finding] = []
        seen: set[str] = set()
        for text, regex, table in (
            (label, self._raw_term_re, self._terms_by_text),
            (key, self._term_re, self._terms_by_key),
        ):
            for match in regex.finditer(text):
                for term in table[match.group(0)]:
                    finding = self._combo(text, match.span(), term, where, text != label)
                    if finding is not None and term.brand not in seen:
                        found.append(finding)
                        seen.add(term.brand)
        keyword, rests = self._without_keyword(label)
        for rest in rests:
            pairs = self._variants.get(rest) or self._variants.get(match_key(rest)) or []
            for term, variant in pairs:
                found.append(
                    Finding(
                        term.brand,
                        ("combosquatting", *variant.techniques),
                        min(0.92, edit_score(variant.cost, term.length) + 0.1),
                        f"{where} joins after-sales word {keyword!r} with {rest!r}, "
                        f"one edit from brand term {term.text!r}",
                    )
                )
        return found

    def _combo(
        self, text: str, span: tuple[int, int], term: Term, where: str, via_key: bool
    ) -> Finding | None:
        start, end = span
        rest = text[:start] + "-" + text[end:]
        plain = rest.replace("-", "")
        if not plain:
            return None
        left_ok = start == 0 or not text[start - 1].isalpha()
        right_ok = end == len(text) or not text[end].isalpha()
        keyword = self._keyword(match_key(rest))
        short = term.length <= 3
        if keyword:
            score, detail = (0.8 if short else 0.9), f"after-sales word {keyword!r}"
        elif plain.isdigit():
            score, detail = (0.5 if short else 0.75), "digits"
        elif plain in self._suffix_words:
            score, detail = (0.7 if short else 0.85), f"domain word {plain!r}"
        elif not term.text.isascii():
            score, detail = 0.75, "other text"
        elif left_ok and right_ok:
            score = 0.3 if short else (0.45 if term.length == 4 else 0.6)
            detail = "other words"
        else:
            score = 0.55 if term.length >= 7 else (0.4 if term.length >= 5 else 0.25)
            detail = "other letters"
        techniques = ("combosquatting", "homoglyph") if via_key else ("combosquatting",)
        return Finding(
            term.brand,
            techniques,
            score,
            f"{where} joins brand term {term.text!r} with {detail}",
        )

    def _decide(
        self, shown: str, name: ObservedName, split: Split, findings: Iterable[Finding]
    ) -> Verdict:
        ranked = sorted(findings, key=lambda f: f.score, reverse=True)
        if not ranked or ranked[0].score < self.threshold:
            score = round(ranked[0].score, 3) if ranked else 0.0
            return Verdict(shown, "clean", None, (), score, name.host, split.registrable, ())
        best = ranked[0]
        same = [f for f in ranked if f.brand == best.brand and f.score >= self.threshold]
        techniques = tuple(dict.fromkeys(t for f in same for t in f.techniques))
        distinct = {f.techniques for f in same}
        score = min(1.0, best.score + SECOND_TECHNIQUE_BONUS * (len(distinct) > 1))
        reasons = tuple(dict.fromkeys(f.reason for f in same))
        return Verdict(
            shown,
            "lookalike",
            best.brand,
            techniques,
            round(score, 3),
            name.host,
            split.registrable,
            reasons,
        )
