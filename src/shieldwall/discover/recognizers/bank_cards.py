"""Bank card numbers: 15-19 digits, plain or in groups of four, judged by Luhn and issuer prefix.

The Luhn check (ISO/IEC 7812-1 annex B; ``stdnum.luhn``) holds for almost every card, but some
older UnionPay debit cards were issued without it, and one random number in ten passes it; so
the issuer prefix counts as much as the check:

- China UnionPay's IIN range is ``62`` (16-19 digits) — ISO/IEC 7812 registration, as tabled in
  Wikipedia's "Payment card number" article (issuer identification numbers);
- the BINs of the large mainland banks below are the six-digit prefixes these banks print on
  their debit and credit cards, transcribed from publicly circulated BIN tables (no
  authoritative public register exists: the ISO register is not published). They raise the
  confidence; a card of another bank is still found through ``62`` or the Visa/Mastercard/JCB
  /American Express ranges of the same Wikipedia table.

Luhn and a mainland bank's BIN: 0.95; Luhn and ``62``: 0.85; Luhn and an international scheme:
0.7; Luhn alone: 0.3. Failing Luhn, a mainland BIN gives 0.5 and ``62`` alone 0.35 (both say the
check failed); any other number failing Luhn is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import luhn

from shieldwall.discover.model import DataType, Finding

CHINESE_BINS: dict[str, str] = {
    # Industrial and Commercial Bank of China
    "622202": "ICBC", "622208": "ICBC", "621226": "ICBC", "621225": "ICBC", "622200": "ICBC",
    # China Construction Bank
    "621700": "CCB", "622700": "CCB", "436742": "CCB", "622280": "CCB",
    # Agricultural Bank of China
    "622848": "ABC", "622845": "ABC", "622846": "ABC", "622849": "ABC",
    # Bank of China
    "621661": "BOC", "621663": "BOC", "456351": "BOC", "601382": "BOC",
    # Bank of Communications
    "622260": "BOCOM", "622262": "BOCOM", "405512": "BOCOM",
    # China Merchants Bank
    "622588": "CMB", "621483": "CMB", "621286": "CMB", "410062": "CMB",
    # Postal Savings Bank of China
    "621799": "PSBC", "622188": "PSBC", "621098": "PSBC",
}  # fmt: skip

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
    bank = CHINESE_BINS.get(digits[:6])
    network = scheme(digits)
    if valid:
        if bank:
            return 0.95, f"Luhn valid; issuer prefix of {bank}"
        if network == "UnionPay":
            return 0.85, "Luhn valid; China UnionPay range 62"
        if network:
            return 0.7, f"Luhn valid; {network} range"
        return 0.3, "Luhn valid; no known issuer prefix"
    if bank:
        return 0.5, f"Luhn check fails; issuer prefix of {bank}"
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
