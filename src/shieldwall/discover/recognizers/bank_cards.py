"""Bank card numbers: 15-19 digits, plain or in groups of four, judged by Luhn and issuer prefix.

The Luhn check (ISO/IEC 7812-1 annex B; ``stdnum.luhn``) holds for almost every card, but some
older UnionPay debit cards were issued without it, and one random number in ten passes it; so
the issuer prefix counts as much as the check:

- China UnionPay's IIN range is ``62`` (16-19 digits) — ISO/IEC 7812 registration, as tabled in
  Wikipedia's "Payment card number" article (issuer identification numbers);
- the BINs of mainland banks come from the table in the npm package ``bankcardinfo`` 2.0.6 (ISC
  licence; 1,767 prefixes of 3-9 digits, 122 banks, each with its card type and card length;
  ``data/cn-bank-bins.tsv.gz``, rebuilt by ``bench/build_discover_bins.py``, notice in
  ``data/NOTICE.txt``). No authoritative public register exists (the ISO register is not
  published); a card of a bank missing there is still found through ``62`` or the
  Visa/Mastercard/JCB/American Express ranges of the same Wikipedia table.

A bank's prefix counts only when the number has a length the table lists for that prefix (of
the prefixes listed with that length, the longest wins). Luhn and a bank's prefix of six or
more digits: 0.95; of fewer (old domestic numbering such as ``9558``): 0.8; Luhn and ``62``:
0.85; Luhn and an international scheme: 0.7; Luhn alone: 0.3. Failing Luhn, a bank's prefix
gives 0.5 and ``62`` alone 0.35 (both say the check failed); any other number failing Luhn is
not reported.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from stdnum import luhn

from shieldwall.discover.model import DataType, Finding

_BINS = resources.files("shieldwall.discover.recognizers") / "data" / "cn-bank-bins.tsv.gz"
_CARD_TYPES = {"DC": "debit", "CC": "credit", "SCC": "quasi-credit", "PC": "prepaid"}


@dataclass(frozen=True, slots=True)
class Issuer:
    """A bank's prefix, as the BIN table lists it."""

    prefix: str
    bank: str  # bank code, e.g. ICBC
    name: str  # bank name in Chinese
    card_type: str  # debit, credit, quasi-credit, prepaid
    length: int  # digits of the whole card number


@cache
def bin_table() -> dict[str, tuple[Issuer, ...]]:
    """prefix -> its issuers (one per listed card type and length)."""
    table: dict[str, list[Issuer]] = {}
    with _BINS.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as rows:
        for row in rows:
            prefix, bank, name, card_type, length = row.rstrip("\n").split("\t")
            issuer = Issuer(prefix, bank, name, _CARD_TYPES.get(card_type, card_type), int(length))
            table.setdefault(prefix, []).append(issuer)
    return {prefix: tuple(issuers) for prefix, issuers in table.items()}


@cache
def _prefix_lengths() -> tuple[int, ...]:
    return tuple(sorted({len(p) for p in bin_table()}, reverse=True))


def issuer(digits: str) -> Issuer | None:
    """The bank whose longest listed prefix starts ``digits`` with ``len(digits)`` listed."""
    table = bin_table()
    for n in _prefix_lengths():
        for candidate in table.get(digits[:n], ()):
            if candidate.length == len(digits):
                return candidate
    return None


_CANDIDATE = re.compile(r"(?<![\dA-Za-z])\d(?:[ -]?\d){14,18}(?![\dA-Za-z])")


def _grouping_ok(candidate: str) -> bool:
    """Digits only, or separated (by one kind of separator) into groups of four from the left."""
    for sep in (" ", "-"):
        if sep in candidate:
            groups = candidate.split(sep)
            return all(len(g) == 4 for g in groups[:-1]) and 0 < len(groups[-1]) <= 4 + 3
    return True


def scheme(digits: str) -> str | None:
    """The international scheme whose IIN range (and length) the number falls in, if any."""
    n = len(digits)
    if digits.startswith("62") and 16 <= n <= 19:
        return "UnionPay"
    if digits.startswith("4") and n in (13, 16, 19):
        return "Visa"
    if (51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720) and n == 16:
        return "Mastercard"
    if digits[:2] in ("34", "37") and n == 15:
        return "American Express"
    if 3528 <= int(digits[:4]) <= 3589 and 16 <= n <= 19:
        return "JCB"
    return None


def judge(digits: str) -> tuple[float, str] | None:
    """(confidence, reason) for a run of 15-19 digits, or None when it is not reported."""
    valid = luhn.is_valid(digits)
    bank = issuer(digits)
    network = scheme(digits)
    if valid:
        if bank:
            confidence = 0.95 if len(bank.prefix) >= 6 else 0.8
            return confidence, f"Luhn valid; issuer prefix of {bank.bank} ({bank.card_type})"
        if network == "UnionPay":
            return 0.85, "Luhn valid; China UnionPay range 62"
        if network:
            return 0.7, f"Luhn valid; {network} range"
        return 0.3, "Luhn valid; no known issuer prefix"
    if bank:
        return 0.5, f"Luhn check fails; issuer prefix of {bank.bank} ({bank.card_type})"
    if network == "UnionPay":
        return 0.35, "Luhn check fails; China UnionPay range 62 (some UnionPay cards lack Luhn)"
    return None


class BankCardRecognizer:
    name = "cn_bank_card"
    types = frozenset({DataType.BANK_CARD})

    def find(self, text: str) -> Iterator[Finding]:
        for match in _CANDIDATE.finditer(text):
            candidate = match.group()
            if not _grouping_ok(candidate):
                continue
            digits = candidate.replace(" ", "").replace("-", "")
            judged = judge(digits)
            if judged:
                yield Finding(match.start(), match.end(), DataType.BANK_CARD, *judged)
