"""Permutations of a brand label, each named by the typo or trick that produces it.

:func:`single_edits` lists every string one edit away from a label (what the scanner indexes) and
names the technique behind each: omission, repetition, insertion, hyphenation, replacement,
keyboard typo, vowel swap, bitsquatting, transposition. :func:`watch_list` adds homoglyphs
(TR39 confusables, written as punycode), TLD swaps and combinations with after-sales words, for
a registrar or certificate-transparency watch (like dnstwist's fuzzers, without network lookups).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import idna

from shieldwall.contact.domains.confusables import match_key, prototype_sources
from shieldwall.contact.domains.keyboard import (
    CHEAP,
    OMISSION,
    adjacent,
    insertion_cost,
    substitution_cost,
)

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"
VOWELS = frozenset("aeiou")
VOWEL_SWAP = 0.75
# Multi-character ASCII lookalikes that TR39 does not list (it has m/rn, 0/O, 1/l). The scanner
# indexes the first set; watch lists also try the looser second one.
ASCII_LOOKALIKES = (("w", "vv"), ("d", "cl"), ("m", "nn"), ("i", "1"), ("i", "l"))
LOOSE_LOOKALIKES = (("u", "v"), ("g", "q"))
HOMOGLYPH_COST = 0.5


@dataclass(frozen=True, slots=True)
class Variant:
    """One edit away from a label: the string, how it was made, and its keyboard-aware cost."""

    text: str
    techniques: tuple[str, ...]
    cost: float


def _substitution_techniques(old: str, new: str) -> tuple[tuple[str, ...], float]:
    names = []
    cost = substitution_cost(old, new)
    if adjacent(old, new):
        names.append("keyboard_typo")
    if old in VOWELS and new in VOWELS:
        names.append("vowel_swap")
        cost = min(cost, VOWEL_SWAP)
    if bin(ord(old) ^ ord(new)).count("1") == 1:
        names.append("bitsquatting")
    return tuple(names) or ("replacement",), cost


def _insertion_techniques(char: str, around: str) -> tuple[str, ...]:
    if char == "-":
        return ("hyphenation",)
    if char in around:
        return ("repetition",)
    if any(adjacent(char, c) for c in around):
        return ("insertion", "keyboard_typo")
    return ("insertion",)


def single_edits(label: str) -> dict[str, Variant]:
    """Every valid label at edit distance 1 from ``label`` (ASCII), merged by string."""
    found: dict[str, Variant] = {}

    def add(text: str, names: tuple[str, ...], cost: float) -> None:
        if not text or text == label or text[0] == "-" or text[-1] == "-":
            return
        seen = found.get(text)
        if seen is None:
            found[text] = Variant(text, names, cost)
        else:
            merged = tuple(dict.fromkeys(seen.techniques + names))
            found[text] = Variant(text, merged, min(seen.cost, cost))

    n = len(label)
    for i in range(n):
        add(label[:i] + label[i + 1 :], ("omission",), OMISSION)
        if i + 1 < n and label[i] != label[i + 1]:
            add(label[:i] + label[i + 1] + label[i] + label[i + 2 :], ("transposition",), CHEAP)
        for char in ALPHABET:
            if char != label[i]:
                names, cost = _substitution_techniques(label[i], char)
                add(label[:i] + char + label[i + 1 :], names, cost)
    for i in range(n + 1):
        around = label[max(0, i - 1) : i + 1]
        for char in ALPHABET:
            add(
                label[:i] + char + label[i:],
                _insertion_techniques(char, around),
                insertion_cost(label, i, char),
            )
    return found


def ascii_lookalikes(label: str) -> dict[str, Variant]:
    """``label`` with one ASCII look-alike swapped in (``vv`` for ``w``, ``cl`` for ``d``, ...)."""
    found: dict[str, Variant] = {}
    for plain, glyph in ASCII_LOOKALIKES:
        start = label.find(plain)
        while start >= 0:
            text = label[:start] + glyph + label[start + len(plain) :]
            found[text] = Variant(text, ("homoglyph",), HOMOGLYPH_COST)
            start = label.find(plain, start + 1)
    return found


@dataclass(frozen=True, slots=True)
class Permutation:
    """A watch-list entry: the domain as registered (punycode), as shown, and the technique."""

    domain: str
    unicode: str
    technique: str


def _to_ascii(domain: str) -> str | None:
    try:
        return idna.encode(domain, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def _homoglyphs(label: str, limit_per_position: int) -> Iterator[str]:
    sources = prototype_sources()
    for i, char in enumerate(label):
        taken = 0
        for glyph in sources.get(match_key(char), ()):
            if taken >= limit_per_position:
                break
            # Domains are lower-cased before display: an upper-case glyph would not survive.
            if glyph.isascii() or not glyph.isalnum() or glyph != glyph.lower():
                continue
            candidate = label[:i] + glyph + label[i + 1 :]
            if match_key(candidate) == match_key(label) and _to_ascii(candidate + ".com"):
                taken += 1
                yield candidate
    for plain, glyph in ASCII_LOOKALIKES + LOOSE_LOOKALIKES:
        if plain in label:
            yield label.replace(plain, glyph, 1)
        if glyph in label:
            yield label.replace(glyph, plain, 1)
    for digit, letter in (("0", "o"), ("1", "l"), ("1", "i"), ("rn", "m")):
        if letter in label:
            yield label.replace(letter, digit, 1)


def watch_list(
    domain: str,
    *,
    keywords: Iterable[str],
    tlds: Iterable[str],
    label: str,
    suffix: str,
    homoglyphs_per_position: int = 6,
) -> list[Permutation]:
    """Permutations of ``domain`` (= ``label.suffix``) worth watching, sorted and unique."""
    out: dict[str, Permutation] = {}

    def add(text_label: str, text_suffix: str, technique: str) -> None:
        shown = f"{text_label}.{text_suffix}"
        if shown == domain:
            return
        ascii_form = _to_ascii(shown)
        if ascii_form is not None and ascii_form not in out:
            out[ascii_form] = Permutation(ascii_form, shown, technique)

    if label.isascii():
        for variant in single_edits(label).values():
            add(variant.text, suffix, variant.techniques[0])
    for glyph_label in _homoglyphs(label, homoglyphs_per_position):
        add(glyph_label, suffix, "homoglyph")
    for tld in tlds:
        if tld != suffix:
            add(label, tld, "tld_swap")
    add(label + suffix.replace(".", ""), "com", "combosquatting")
    add(f"{label}-{suffix.replace('.', '-')}", "com", "combosquatting")
    for word in keywords:
        for combined in (f"{label}-{word}", f"{label}{word}", f"{word}-{label}", f"{word}{label}"):
            add(combined, suffix, "combosquatting")
        add(label, f"{suffix.replace('.', '-')}-{word}.com", "brand_in_subdomain")
    return sorted(out.values(), key=lambda p: (p.technique, p.domain))
