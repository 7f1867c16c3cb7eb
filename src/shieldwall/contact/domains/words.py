"""Dictionary awareness: is a label made of common English words, and which part of a brand term
is its own (``alfa`` in ``alfabank``)?

Word frequencies come from ``wordfreq`` (offline data shipped in the package; Zipf scale:
``log10`` of occurrences per billion words, 3 = once per million). A legitimate site near a
brand is very often an ordinary compound (``linkbin``, ``whatsup``, ``pioneer`` near
``payoneer``), while a typo made to deceive rarely lands on real words; and a brand that ends in
a common word (``alfabank``, ``unicredit``) is told apart only by its other part, so edits are
budgeted on that part's length.
"""

from __future__ import annotations

import functools

#: A word this frequent (Zipf) or more counts as "common" in an observed label.
COMMON_WORD = 3.5
#: Two-letter parts must be this frequent (``up``, ``my``, ``go``; not ``ad`` or ``td``).
COMMON_SHORT_WORD = 5.0
#: A brand term's generic part (``bank``, ``cloud``, ``credit``) is at least this frequent.
GENERIC_WORD = 4.0
#: A brand term this frequent as a whole (``youtube``, ``paypal``) is a name in its own right.
KNOWN_NAME = 3.5
#: Latin-script languages in which a whole label (4+ letters) may be a common word: legitimate
#: sites are named in their own language (``banka``, ``amazonas``).
LANGUAGES = (
    "en", "de", "fr", "es", "pt", "it", "nl", "pl", "cs", "sk", "sl", "tr", "sv", "da", "nb",
    "fi", "hu", "ro", "lt", "lv", "ca", "id", "ms", "vi", "fil",
)  # fmt: skip


def zipf_frequency(word: str, lang: str) -> float:
    """wordfreq's Zipf frequency from its "small" list (imported on first use: ~0.3 s)."""
    from wordfreq import zipf_frequency as lookup  # noqa: PLC0415

    return float(lookup(word, lang, wordlist="small"))


@functools.lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """Zipf frequency of ``word`` in English (0 when unknown)."""
    return zipf_frequency(word, "en")


def _is_word(part: str) -> bool:
    if len(part) >= 3:
        return zipf(part) >= COMMON_WORD
    return len(part) == 2 and zipf(part) >= COMMON_SHORT_WORD


@functools.lru_cache(maxsize=65536)
def is_word_in_some_language(word: str) -> bool:
    """True if ``word`` (4+ letters) is common in one of :data:`LANGUAGES`."""
    return len(word) >= 4 and any(zipf_frequency(word, lang) >= COMMON_WORD for lang in LANGUAGES)


@functools.lru_cache(maxsize=65536)
def is_common_words(label: str) -> bool:
    """True if ``label`` (letters, hyphens) is common words: each hyphen-separated part is one to
    three English words (``link-bin``, ``whatsup``) or one word of another language (``banka``)."""
    parts = [p for p in label.lower().split("-") if p]
    if not parts or not all(p.isascii() and p.isalpha() for p in parts):
        return False
    return all(_splits(p, 3) or is_word_in_some_language(p) for p in parts)


def _splits(text: str, most: int) -> bool:
    if _is_word(text):
        return True
    if most <= 1:
        return False
    return any(
        _is_word(text[:cut]) and _splits(text[cut:], most - 1) for cut in range(2, len(text) - 1)
    )


@functools.lru_cache(maxsize=4096)
def distinctive_length(term: str) -> int:
    """Letters of ``term`` that are its own: ``alfabank`` → 4 (``alfa``), ``youtube`` → 7.

    A term that is not itself a known name and ends with a common word of 4+ letters (``bank``,
    ``cloud``, ``credit``) is measured without that word; everything else by its full length.
    """
    if not term.isascii() or not term.isalpha() or zipf(term) >= KNOWN_NAME:
        return len(term)
    for cut in range(1, len(term) - 3):  # the longest generic suffix
        if zipf(term[cut:]) >= GENERIC_WORD:
            return cut
    return len(term)
