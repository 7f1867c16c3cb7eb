"""Context-specific words (NIST SP 800-63B-4 §3.1.1.2): what an attacker holding a customer's
leaked details would try first.

From a :class:`CustomerContext` and the store's name this derives :class:`ContextToken` values:

- name: the name itself (two characters or more), its pinyin run together in both orders
  (``zhangwei``, ``weizhang``), the given name's pinyin when it has four letters or more; for
  Latin names every part of four letters or more and the parts run together;
- phone: the national number, its last 4 and last 6 digits, the middle 4 (digits 4-7 of a
  Chinese mobile number) and the first 7;
- national ID: the whole number, its last 6 characters (a common default password in China) and
  the birthday it encodes as YYYYMMDD, YYMMDD, MMDD, MMDDYYYY and DDMMYYYY;
- email: the local part when it has four characters or more;
- the store's name run together, each word of six letters or more, and for a Chinese name its
  pinyin.

Matching (in :mod:`.policy`) is on NFKC case-folded text with separators (spaces, ``.-_·``)
removed, so ``Zhang.Wei`` contains ``zhangwei``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_SEPARATORS = re.compile(r"[\s.\-_·•'’,/\\]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class ContextKind(StrEnum):
    NAME = "name"
    PHONE = "phone"
    BIRTHDAY = "birthday"
    NATIONAL_ID = "national_id"
    EMAIL = "email"
    STORE_NAME = "store_name"


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """What the store knows about the customer; every field optional. Plaintext in memory only."""

    name: str | None = None
    phone: str | None = None
    national_id: str | None = None
    email: str | None = None
    birthday: date | None = None


@dataclass(frozen=True, slots=True)
class ContextToken:
    kind: ContextKind
    text: str


def fold(text: str) -> str:
    """NFKC, case-folded, separators removed: the form passwords and tokens are compared in."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


def _name_tokens(name: str) -> set[str]:
    folded = fold(name)
    out: set[str] = set()
    if _CJK.search(folded):
        if len(folded) >= 2:
            out.add(folded)
        from pypinyin import lazy_pinyin  # noqa: PLC0415 - a slow import, paid only when used

        syllables = [s for s in lazy_pinyin(folded) if s.isascii() and s.isalpha()]
        if len(syllables) >= 2:
            out.add("".join(syllables))
            out.add("".join(syllables[1:]) + syllables[0])
            given = "".join(syllables[1:])
            if len(given) >= 4:
                out.add(given)
    else:
        parts = [fold(p) for p in re.split(r"[\s.\-_·]+", unicodedata.normalize("NFKC", name))]
        parts = [p for p in parts if p]
        out.update(p for p in parts if len(p) >= 4)
        if len(parts) >= 2:
            out.add("".join(parts))
            out.add("".join(parts[::-1]))
    return {t for t in out if len(t) >= 2}


def _phone_tokens(phone: str) -> set[str]:
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]  # E.164 +86: the national number is what people type
    if len(digits) < 7:
        return {digits} if len(digits) >= 4 else set()
    out = {digits, digits[-4:], digits[-6:], digits[:7]}
    if len(digits) == 11:
        out.add(digits[3:7])
    return out


def birthday_from_national_id(national_id: str) -> date | None:
    """The birth date a PRC resident identity number encodes (18 or 15 characters)."""
    value = national_id.strip().upper()
    try:
        if len(value) == 18 and value[:17].isdigit():
            return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        if len(value) == 15 and value.isdigit():
            return date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    except ValueError:
        return None
    return None


def _birthday_tokens(day: date) -> set[str]:
    y, m, d = f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}"
    return {y + m + d, y[2:] + m + d, m + d, m + d + y, d + m + y}


def _store_tokens(store_name: str) -> set[str]:
    out: set[str] = set()
    folded = fold(store_name)
    if len(folded) >= 3:
        out.add(folded)
    words = [fold(w) for w in store_name.split()]
    out.update(w for w in words if len(w) >= 6)
    if _CJK.search(folded):
        from pypinyin import lazy_pinyin  # noqa: PLC0415 - a slow import, paid only when used

        syllables = [s for s in lazy_pinyin(folded) if s.isascii() and s.isalpha()]
        if len("".join(syllables)) >= 4:
            out.add("".join(syllables))
    return out


def context_tokens(context: CustomerContext | None, store_name: str) -> list[ContextToken]:
    """Every context token, longest first (so the longest match is reported)."""
    found: dict[str, ContextKind] = {}

    def add(kind: ContextKind, texts: set[str]) -> None:
        for t in texts:
            found.setdefault(t, kind)

    if context is not None:
        if context.phone:
            add(ContextKind.PHONE, _phone_tokens(context.phone))
        if context.national_id:
            nid = fold(context.national_id)
            add(ContextKind.NATIONAL_ID, {nid, nid[-6:]} if len(nid) >= 6 else set())
            born = birthday_from_national_id(context.national_id)
            if born is not None:
                add(ContextKind.BIRTHDAY, _birthday_tokens(born))
        if context.birthday is not None:
            add(ContextKind.BIRTHDAY, _birthday_tokens(context.birthday))
        if context.name:
            add(ContextKind.NAME, _name_tokens(context.name))
        if context.email and "@" in context.email:
            local = fold(context.email.split("@", 1)[0])
            add(ContextKind.EMAIL, {local} if len(local) >= 4 else set())
    if store_name:
        add(ContextKind.STORE_NAME, _store_tokens(store_name))
    tokens = [ContextToken(kind, text) for text, kind in found.items()]
    return sorted(tokens, key=lambda t: (-len(t.text), t.kind.value, t.text))
