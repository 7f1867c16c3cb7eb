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
``docs/contact.md``): edit-based findings are scaled down for short brand terms (a
two-letter brand like ``jd`` is never matched by edits alone, only by homoglyphs, TLD swaps,
after-sales combinations or impersonation in a subdomain), budgeted on the brand's own letters
and weakened when the label is common words (:mod:`.words`) or sits under another country's
code, and not judged under restricted registries (:mod:`.suffixes`); a brand word joined with
ordinary words or digits but no lure word stays below the default threshold; registrable domains on
the popular-domain list (or the configured ``allow`` list) are not judged on their own label,
only on official domains impersonated in their subdomains or userinfo.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Literal, NamedTuple

import ahocorasick
from rapidfuzz import process
from rapidfuzz.distance import OSA

from shieldwall.config import DomainSettings
from shieldwall.contact.domains.brands import BrandBook
from shieldwall.contact.domains.confusables import match_key
from shieldwall.contact.domains.fuzzers import Variant, ascii_lookalikes, single_edits
from shieldwall.contact.domains.keyboard import CHEAP, keyboard_distance
from shieldwall.contact.domains.names import ObservedName, parse_observed
from shieldwall.contact.domains.psl import RegistrableDomains, Split
from shieldwall.contact.domains.suffixes import own_country_codes, suffix_weight
from shieldwall.contact.domains.words import distinctive_length, is_common_words

VerdictKind = Literal["official", "lookalike", "clean"]

#: Length given to non-ASCII brand words (京东): two CJK characters identify a brand as well as
#: a long Latin word does.
NON_ASCII_TERM_LENGTH = 8
MIN_EDIT_TERM = 4
MIN_DISTANCE2_TERM = 8
SUBDOMAIN_WEIGHT = 0.85
SECOND_TECHNIQUE_BONUS = 0.05
#: An edit-based match whose label is itself common words (``linkbin``, ``pioneer``) is worth this
#: fraction: real sites near a brand are often ordinary compounds, deceiving typos rarely are.
DICTIONARY_WEIGHT = 0.7
#: Brand term + ordinary words or letters, with no lure word, digits or domain word
#: (``fidelitybank``, ``bestofyoutube``): below the default threshold whatever the brand.
OTHER_WORDS_SCORE = 0.45
#: Score lost per unit of keyboard cost for matches two edits away (one edit: 0.25). Two cheap
#: slips (cost 1) reach 0.55; a slip and a drop (1.25) 0.45: on the real dev lists of issue #14
#: the two-edit matches above cost 1 were legitimate sites (``linkedu.cc``, ``stackpathcdn.com``).
TWO_EDIT_SLOPE = 0.4
#: An ASCII look-alike (``allpay`` for ``alipay``) whose label as written is common words counts
#: this fraction: the label reads as a name of its own, the resemblance is in the letters' shapes.
GLYPH_WORDS_WEIGHT = 0.5
#: Techniques that say only how a label is spelled (no lure word, no foreign name around it).
SPELLING = frozenset(
    {"omission", "repetition", "transposition", "insertion", "replacement", "bitsquatting",
     "hyphenation", "vowel_swap", "keyboard_typo", "edit_distance", "homoglyph"}
)  # fmt: skip
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
    return {4: 0.55, 5: 0.55, 6: 0.7, 7: 0.85}.get(length, 1.0)


def glyph_factor(length: int) -> float:
    """How much an ASCII look-alike swap (``vv`` for ``w``) is worth for a term this long."""
    return 1.0 if length >= 5 else 0.8 if length == 4 else 0.6


def glyph_weight(label: str, term: str) -> float:
    """Multiplier for an ASCII look-alike ``label`` of brand ``term``, in [0, 1].

    Budgeted on the term's own letters like edits (``icloud`` is ``i`` + ``cloud``: ``1cloud``
    counts as a swap in a one-letter name), and :data:`GLYPH_WORDS_WEIGHT` when the label as
    written is common words (``allpay``: all + pay).
    """
    weight = glyph_factor(distinctive_length(term)) if term.isascii() else glyph_factor(len(term))
    if is_common_words(label):
        weight *= GLYPH_WORDS_WEIGHT
    return weight


def is_edge_insertion(label: str, term: str) -> bool:
    """True if ``label`` is ``term`` with one character added at its start or end that does not
    repeat its neighbour (``7youtube``, ``joinindianarmyx``; not ``youtubee``): the brand joined
    with one more character, judged like the brand joined with other letters or digits."""
    if len(label) != len(term) + 1:
        return False
    if label[1:] == term:
        return label[0] != term[0]
    return label[:-1] == term and label[-1] != term[-1]


def edit_weight(label: str, term: str) -> float:
    """Multiplier for an edit-based match of ``label`` to brand ``term`` (ASCII), in [0, 1].

    The edit budget follows the term's own letters (``alfabank`` is judged as ``alfa``: a
    one-letter change of a 4-letter name), and a label made of common words counts
    :data:`DICTIONARY_WEIGHT` (0.7).
    """
    if not term.isascii():
        return 1.0
    weight = 1.0
    own = distinctive_length(term)
    if own < len(term):
        full = length_factor(len(term))
        weight = length_factor(own) / full if full else 0.0
    if label != term and is_common_words(label):
        weight *= DICTIONARY_WEIGHT
    return weight


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


class Finding(NamedTuple):
    brand: str
    techniques: tuple[str, ...]
    score: float
    reason: str


class Verdict(NamedTuple):
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


class Substrings:
    """Finds which of a fixed set of words occur inside a string (Aho-Corasick, in C).

    One pass over the text whatever the number of words: a regex alternation of 60 brand terms
    costs ~2 µs a label in CPython's ``re``, this ~0.5 µs.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for word in words:
            self._automaton.add_word(word, word)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def first(self, text: str) -> str | None:
        """Some word occurring in ``text`` (the first to end), or None."""
        if self._empty:
            return None
        for _end, word in self._automaton.iter(text):
            return str(word)
        return None

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Every occurrence (overlapping ones too) as ``(start, end, word)``."""
        if self._empty:
            return []
        return [(end + 1 - len(w), end + 1, str(w)) for end, w in self._automaton.iter(text)]


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
        suffix_words: dict[str, set[str]] = {}
        for brand in book.brands:
            for domain in brand.domains:
                self._official[domain] = brand.name
                split = self._splitter.split(tuple(domain.split(".")))
                suffix_words.setdefault(brand.name, {"www", "http", "https"}).update(
                    split.suffix.split(".")
                )
                # weixin.qq.com does not make "qq" a brand term: the brand owns only a subdomain.
                if not split.subdomain:
                    self._add_term(terms, split.label, brand.name, "label")
            for word in brand.words:
                self._add_term(terms, word, brand.name, "word")
                if _CJK.search(word):
                    self._add_term(terms, _pinyin(word), brand.name, "pinyin")
        self._suffix_words = {name: frozenset(words) for name, words in suffix_words.items()}
        self._own_codes = {name: own_country_codes(words) for name, words in suffix_words.items()}
        self._terms_by_key: dict[str, list[Term]] = {}
        for term in terms.values():
            self._terms_by_key.setdefault(term.key, []).append(term)
        self._variants: dict[str, list[tuple[Term, Variant]]] = {}
        for term in terms.values():
            if term.text.isascii():
                variants = ascii_lookalikes(term.text)
                if term.length >= MIN_EDIT_TERM:
                    variants = single_edits(term.text) | variants
                for variant in variants.values():
                    for text in {variant.text, match_key(variant.text)}:
                        if text != term.key:
                            self._variants.setdefault(text, []).append((term, variant))
        self._index = frozenset(self._terms_by_key) | frozenset(self._variants)
        self._terms_by_text: dict[str, list[Term]] = {}
        for term in terms.values():
            self._terms_by_text.setdefault(term.text, []).append(term)
        self._term_keys = Substrings(self._terms_by_key)
        self._term_texts = Substrings(self._terms_by_text)
        self._long = [
            t for t in terms.values() if t.text.isascii() and t.length >= MIN_DISTANCE2_TERM
        ]
        self._long_keys = [t.key for t in self._long]
        self._by_length: dict[int, list[Term]] = {}
        for term in terms.values():
            if term.text.isascii():
                self._by_length.setdefault(len(term.key), []).append(term)
        lengths = [len(k) for k in self._long_keys] or [0]
        self._long_span = (min(lengths) - 2, max(lengths) + 2)
        words = {match_key(w) for w in settings.keywords + book.keywords}
        self._keywords = Substrings(w for w in words if len(w) >= 3)
        raw_words = {w.lower() for w in settings.keywords + book.keywords}
        self._raw_keywords = Substrings(w for w in raw_words if len(w) >= 3)
        self._raw_word_list = tuple(sorted(raw_words | words))
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
        shown = text.strip()
        return self.judge(parse_observed(shown), shown)

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
        if plain and not self._may_match(name.host):
            return Verdict(shown, "clean", None, (), 0.0, name.host, None, ())
        split = self._splitter.split(name.labels)
        findings = self._findings(name, split)
        return self._decide(shown, name, split, findings)

    # -- fast path ---------------------------------------------------------------------------

    def _may_match(self, host: str) -> bool:
        """False only if no label of ``host`` (bar the last) can match any brand technique."""
        head = host[: host.rfind(".")]
        key = match_key(head)
        if self._term_keys.first(key) is not None:
            return True
        index = self._index
        low, high = self._long_span
        long_keys = self._long_keys
        labels = head.split(".")
        keys = key.split(".") if key != head else labels
        for label, label_key in zip(labels, keys, strict=True):
            if label in index or label_key in index:
                return True
            if low <= len(label_key) <= high and process.extractOne(
                label_key, long_keys, scorer=OSA.distance, score_cutoff=2
            ):
                return True
        if "-" in head:
            for label in labels:
                for token in self._hyphen_tokens(label):
                    if token in index or match_key(token) in index:
                        return True
        if self._raw_keywords.first(head) is not None:
            for label in labels:
                for rest in self._without_keyword(label)[1]:
                    if rest in index or match_key(rest) in index:
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
            official = self._official_re.search(name.userinfo)
            term = self._term_keys.first(user_key)
            brand = (
                self._official[official.group(1)]
                if official
                else (self._terms_by_key[term][0].brand if term else None)
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
            own = self._label_findings(split.label, split.suffix, subdomain=False)
            findings += self._weigh_by_suffix(own, split)
            lure = self._keywords.first(match_key(split.label)) is not None
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

    def _weigh_by_suffix(self, found: list[Finding], split: Split) -> list[Finding]:
        """Registrable-label findings weighed by what the suffix says (:mod:`.suffixes`): none
        under a restricted registry, spelling-based ones less under another country's code."""
        weighed = []
        for f in found:
            weight = suffix_weight(split.suffix, self._own_codes.get(f.brand, frozenset()))
            if weight == 0.0:
                continue
            spelled = "combosquatting" not in f.techniques and (
                bool(SPELLING.intersection(f.techniques))
                and (f.techniques != ("homoglyph",) or split.label.isascii())
            )
            if weight < 1.0 and spelled:
                reason = f"{f.reason}, under another country's suffix (.{split.suffix})"
                weighed.append(Finding(f.brand, f.techniques, f.score * weight, reason))
            else:
                weighed.append(f)
        return weighed

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
            for f in self._combo_findings(pinyin, match_key(pinyin), where, spoken=True):
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
                if variant.techniques == ("homoglyph",):
                    score = 0.9 * glyph_weight(label, term.text)
                else:
                    score = edit_score(variant.cost, term.length) * edit_weight(label, term.text)
                    if is_edge_insertion(label, term.text):
                        score = min(score, OTHER_WORDS_SCORE)
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
        if not key.isascii():
            found += self._unmapped_glyphs(label, key, where, matched)
        low, high = self._long_span
        if low <= len(key) <= high:
            for choice, _dist, idx in process.extract(
                key, self._long_keys, scorer=OSA.distance, score_cutoff=2, limit=None
            ):
                term = self._long[idx]
                if term.brand in matched or choice == key:
                    continue
                # Keys spell m as rn; typing slips are measured on the letters as typed.
                typed, target = (label, term.text) if label.isascii() else (key, term.key)
                cost = keyboard_distance(typed, target, limit=2.0)
                if cost > 2.0:
                    continue
                plain = OSA.distance(typed, target)
                # Two edits are weaker evidence than one of the same cost: scored steeper.
                score = max(0.0, 0.95 - TWO_EDIT_SLOPE * cost) * length_factor(term.length)
                technique = "keyboard_typo" if cost < plain else "edit_distance"
                found.append(
                    Finding(
                        term.brand,
                        (technique,),
                        score * edit_weight(typed, target),
                        f"{where} {label!r} is {plain} edits (keyboard cost {cost:g}) "
                        f"from brand term {term.text!r}",
                    )
                )
                matched.add(term.brand)
        return found

    def _unmapped_glyphs(
        self, label: str, key: str, where: str, matched: set[str]
    ) -> list[Finding]:
        """Non-Latin letters standing in for Latin ones that TR39 does not list (``τ`` for t).

        A label whose skeleton differs from a brand term only where it kept non-ASCII letters
        (at most one in three) is read as that term spelled with look-alikes.
        """
        found: list[Finding] = []
        foreign = [i for i, c in enumerate(key) if not c.isascii()]
        if not foreign or len(foreign) * 3 > len(key):
            return found
        for term in self._by_length.get(len(key), ()):
            if term.brand in matched:
                continue
            differ = [i for i, (a, b) in enumerate(zip(key, term.key, strict=True)) if a != b]
            if differ and set(differ) <= set(foreign):
                found.append(
                    Finding(
                        term.brand,
                        ("homoglyph",),
                        0.9 * glyph_factor(term.length),
                        f"{where} {label!r} is brand term {term.text!r} with "
                        f"{len(differ)} letter(s) swapped for look-alikes",
                    )
                )
                matched.add(term.brand)
        return found

    @staticmethod
    def _hyphen_tokens(label: str) -> list[str]:
        """Hyphen-separated parts of ``label`` (and pairs of neighbours joined), 4+ letters."""
        if "-" not in label:
            return []
        parts = label.split("-")
        joined = [a + b for a, b in itertools.pairwise(parts)]
        return [t for t in dict.fromkeys(parts + joined) if len(t) >= MIN_EDIT_TERM and t != label]

    def _without_keyword(self, label: str) -> tuple[str, tuple[str, ...]]:
        """The first after-sales word in ``label`` and what is left around it (two spellings)."""
        word = self._raw_keywords.first(label)
        if word is None:
            return "", ()
        rest = label.replace(word, "").replace("-", "")
        stripped = rest.strip("0123456789")
        forms = tuple(r for r in dict.fromkeys((rest, stripped)) if len(r) >= MIN_EDIT_TERM)
        return word, forms

    def _keyword(self, rest: str) -> str | None:
        word = self._keywords.first(rest)
        if word is not None:
            return word
        bare = rest.strip("-0123456789")
        return bare if bare in self._short_keywords else None

    def _combo_findings(
        self, label: str, key: str, where: str, *, spoken: bool = False
    ) -> list[Finding]:
        """Brand terms joined with other words; ``spoken``: ``label`` is pinyin of CJK text."""
        best: dict[str, Finding] = {}
        for text, finder, table in (
            (label, self._term_texts, self._terms_by_text),
            (key, self._term_keys, self._terms_by_key),
        ):
            for start, end, word in finder.spans(text):
                for term in table[word]:
                    finding = self._combo(text, (start, end), term, where, text != label, spoken)
                    if finding is None:
                        continue
                    seen = best.get(term.brand)
                    if seen is None or finding.score > seen.score:
                        best[term.brand] = finding
            if best:
                break
        found = list(best.values())
        keyword, rests = self._without_keyword(label)
        for token in self._hyphen_tokens(label):
            for term in self._terms_by_key.get(match_key(token), ()):
                if "-" not in term.text and token not in label.split("-"):
                    found.append(
                        Finding(
                            term.brand,
                            ("combosquatting", "hyphenation"),
                            min(0.92, edit_score(CHEAP, term.length) + 0.1)
                            * edit_weight(token.replace("-", ""), term.text),
                            f"{where} splits brand term {term.text!r} with a hyphen "
                            "and joins other words",
                        )
                    )
            pairs = self._variants.get(token) or self._variants.get(match_key(token)) or []
            for term, variant in pairs:
                bonus = 0.1 if keyword else 0.0
                found.append(
                    Finding(
                        term.brand,
                        ("combosquatting", *variant.techniques),
                        min(0.92, edit_score(variant.cost, term.length) + bonus)
                        * edit_weight(token, term.text),
                        f"{where} joins {token!r}, one edit from brand term {term.text!r}, "
                        "with other words",
                    )
                )
        for rest in rests:
            pairs = self._variants.get(rest) or self._variants.get(match_key(rest)) or []
            for term, variant in pairs:
                found.append(
                    Finding(
                        term.brand,
                        ("combosquatting", *variant.techniques),
                        min(0.92, edit_score(variant.cost, term.length) + 0.1)
                        * edit_weight(rest, term.text),
                        f"{where} joins after-sales word {keyword!r} with {rest!r}, "
                        f"one edit from brand term {term.text!r}",
                    )
                )
        return found

    def _combo(
        self,
        text: str,
        span: tuple[int, int],
        term: Term,
        where: str,
        via_key: bool,
        spoken: bool = False,
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
        if keyword and not self._bounded(text, start, end):
            # A term glued inside other letters (intel in careerintelligence, ansa in
            # servicesansar), or apart from the lure word (vanguard-shelf-supports), is not
            # named by it.
            score = 0.4 if term.length <= 6 else OTHER_WORDS_SCORE
            detail = f"after-sales word {keyword!r} not beside the brand term"
        elif keyword:
            score, detail = (0.8 if short else 0.9), f"after-sales word {keyword!r}"
        elif plain.isdigit():
            score, detail = 0.45, "digits"
        elif plain in self._suffix_words.get(term.brand, ()):
            score, detail = (0.7 if short else 0.85), f"domain word {plain!r}"
        elif spoken or not term.text.isascii() or term.kind == "pinyin":
            score, detail = 0.75, "other text"
        elif left_ok and right_ok:
            score = 0.3 if short else (0.4 if term.length == 4 else OTHER_WORDS_SCORE)
            detail = "other words"
        else:
            score = OTHER_WORDS_SCORE if term.length >= 7 else (0.4 if term.length >= 5 else 0.25)
            detail = "other letters"
        techniques = ("combosquatting", "homoglyph") if via_key else ("combosquatting",)
        return Finding(
            term.brand,
            techniques,
            score,
            f"{where} joins brand term {term.text!r} with {detail}",
        )

    def _bounded(self, text: str, start: int, end: int) -> bool:
        """True if ``text[start:end]`` is bounded on both sides by an edge, a non-letter or an
        after-sales word (``jd`` in ``jdtuikuan``), a plural ``s`` allowed. A word of under three
        letters (``sh``, ``kf``) bounds only if it stands alone (``jdkf``, not ``shelf``)."""
        before, after = text[:start], text[end:]
        left = not before or not before[-1].isalpha() or self._word_at(before[::-1], reverse=True)

        def ends(rest: str) -> bool:
            return not rest or not rest[0].isalpha() or self._word_at(rest, reverse=False)

        # A plural (apples-help) ends the brand term too; "support" after it still counts.
        return left and (ends(after) or (after[:1] == "s" and ends(after[1:])))

    def _word_at(self, text: str, *, reverse: bool) -> bool:
        """True if an after-sales word starts ``text`` (``reverse``: ``text`` is reversed)."""
        for word in self._raw_word_list:
            if text.startswith(word[::-1] if reverse else word):
                rest = text[len(word) :]
                if len(word) >= 3 or not rest or not rest[0].isalpha():
                    return True
        return False

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
