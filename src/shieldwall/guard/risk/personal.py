"""Targeted guessing: is the password tried built from the customer's own personal data?

An attacker who holds a customer's record (from a leak, or from a scam call) guesses passwords
made of it: the birth date, the phone number, the name in pinyin, and their combinations. Wang
et al., "Targeted Online Password Guessing: An Underestimated Threat" (ACM CCS 2016,
TarGuess-I) found that with these facts a guesser breaks a large share of Chinese accounts in
under 100 tries; Li, Han and Xu, "A Large-Scale Empirical Analysis of Chinese Web Passwords"
(USENIX Security 2014) report dates and phone numbers among the commonest Chinese password
structures. The login service sends only the SHA-1 of what was typed, so "close to" means: in
the list of :func:`candidates` (the common structures, their capitalised forms and a one-symbol
suffix) built at check time from :class:`PersonalFacts`, which the edge derives from the vault
through custody and never stores.

Pure: no I/O. :func:`facts_from_context` turns the customer's details (as the password check's
:class:`~shieldwall.guard.passwords.context.CustomerContext` holds them) into facts: the birth
date from a GB 11643-1999 ID number, the name in pinyin.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shieldwall.guard.passwords.context import CustomerContext, birthday_from_national_id, fold

_ASCII_WORD = re.compile(r"[a-z]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
SUFFIXES = ("", "!", ".", "@", "123", "520", "1314")  # 520/1314: "I love you (for life)"


@dataclass(frozen=True, slots=True)
class PersonalFacts:
    """What a targeted guesser knows: the phone's national digits, the birth date, the name
    romanised (surname first, lower-case ASCII, e.g. ``("zhang", "san")``). Held in memory only
    for one check."""

    phone_digits: str = ""
    birth: date | None = None
    names: tuple[str, ...] = ()


def facts_from_context(ctx: CustomerContext) -> PersonalFacts:
    """The facts in a customer's decrypted details: the name romanised with pypinyin (surname =
    the first syllable; a compound surname such as 欧阳 is split after its first), the phone's
    national digits (a +86 prefix dropped), the birth date (given, or from the ID number)."""
    names: tuple[str, ...] = ()
    if ctx.name:
        folded = fold(ctx.name)
        if _CJK.search(folded):
            from pypinyin import lazy_pinyin  # noqa: PLC0415 - a slow import, paid only when used

            syllables = [s for s in lazy_pinyin(folded) if s.isascii() and s.isalpha()]
            if syllables:
                names = (syllables[0], "".join(syllables[1:]))
        else:
            parts = _ASCII_WORD.findall(unicodedata.normalize("NFKC", ctx.name).casefold())
            # Latin names are written given name first: the family name goes first here.
            names = (parts[-1], *parts[:-1]) if parts else ()
    digits = re.sub(r"\D", "", ctx.phone or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    birth = ctx.birthday or (
        birthday_from_national_id(ctx.national_id) if ctx.national_id else None
    )
    return PersonalFacts(digits, birth, tuple(n for n in names if n))


def _date_forms(d: date) -> list[str]:
    y, m, dd = f"{d.year:04d}", f"{d.month:02d}", f"{d.day:02d}"
    return [y + m + dd, y[2:] + m + dd, m + dd, dd + m + y, m + dd + y, y, f"{d.month}{d.day}"]


def _name_forms(names: tuple[str, ...]) -> list[str]:
    parts = [p for n in names for p in _ASCII_WORD.findall(n.lower())]
    if not parts:
        return []
    surname, given = parts[0], "".join(parts[1:])
    initials = "".join(p[0] for p in parts)
    forms = [surname + given, given, surname, initials, surname + initials[1:]]
    return [f for f in dict.fromkeys(forms) if len(f) >= 2]


def candidates(facts: PersonalFacts) -> list[str]:
    """Passwords made of ``facts`` in the structures targeted guessers try first, most common
    first, without duplicates (a few hundred at most)."""
    dates = _date_forms(facts.birth) if facts.birth else []
    digits = "".join(ch for ch in facts.phone_digits if ch.isdigit())
    phones = [p for p in (digits, digits[-8:], digits[-6:], digits[-4:]) if len(p) >= 4]
    names = _name_forms(facts.names)
    bases: list[str] = []
    bases += dates[:4] + phones[:3]
    for n in names:
        for d in dates[:4] + dates[5:]:
            bases.append(n + d)
        for p in phones[1:]:
            bases.append(n + p)
        bases.append(n)
    for d in dates[:2]:
        for n in names[:1]:
            bases.append(d + n)
    out: list[str] = []
    for b in dict.fromkeys(bases):
        for form in dict.fromkeys((b, b[:1].upper() + b[1:])):
            for suffix in SUFFIXES:
                if form.isdigit() and suffix in ("123", "520", "1314") and len(form) >= 8:
                    continue  # a long digit run with more digits appended: rarely chosen
                out.append(form + suffix)
    return list(dict.fromkeys(p for p in out if len(p) >= 6))


def is_personal(password_sha1: bytes, facts: PersonalFacts) -> bool:
    """Whether the password with this SHA-1 digest is one of :func:`candidates`. Every
    candidate is compared in constant time, without an early exit."""
    return matches_any(password_sha1, candidates(facts))


def matches_any(password_sha1: bytes, passwords: Iterable[str]) -> bool:
    found = False
    for p in passwords:
        digest = hashlib.sha1(p.encode("utf-8"), usedforsecurity=False).digest()
        found |= hmac.compare_digest(digest, password_sha1)
    return found
