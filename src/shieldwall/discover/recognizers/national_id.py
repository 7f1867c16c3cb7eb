"""Resident identity card numbers (GB 11643-1999): 18 characters, the last a check digit.

A candidate is 17 digits and a digit or ``X`` with no letter or digit either side. It is
judged on three checks (:mod:`shieldwall.custody.normalize`, :mod:`shieldwall.custody.areas`):
the ISO 7064 MOD 11-2 check digit, a possible birth date (digits 7-14), and an area code that
some edition of GB/T 2260 listed. All three: 0.95. A failed check digit with a good date is
still reported, weaker (0.4), because a mistyped digit leaves a real number; an unknown area
code lowers the confidence by 0.2; without a possible birth date only a number whose check digit
holds is reported (0.3), since other 18-digit numbers (orders, waybills) are common.

First-generation numbers (GB 11643-1989, issued until 2004 and valid until 2013, still in old
records): 15 digits, a 6-digit area code, the birth date as YYMMDD (19YY) and a 3-digit sequence,
with no check digit. Only a listed area code and a possible birth date say anything, and any
15-digit run (an Amex card, an order number) may pass both by chance, so such a number is a
weaker finding: 0.55, or 0.8 after a context word (身份证, 证件, ID) in the 24 characters before
it; a number failing either check is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from shieldwall.custody.normalize import area_code_known, gb11643_check_digit
from shieldwall.discover.model import DataType, Finding
from shieldwall.discover.recognizers.base import before

_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_CANDIDATE_15 = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
_CONTEXT = re.compile(r"身份证|身份号|证件|公民身份|\bID\b|id_?no|id_?card", re.IGNORECASE)


def judge(number: str) -> tuple[float, str] | None:
    """(confidence, reason) for an 18-character candidate, or None when it is not reported."""
    number = number.upper()
    check_ok = gb11643_check_digit(number[:17]) == number[17]
    try:
        ric.get_birth_date(number)
        date_ok = True
    except stdnum_errors.ValidationError:
        date_ok = False
    area_ok = area_code_known(number)
    reasons: list[str] = []
    if check_ok and date_ok:
        confidence = 0.95
        reasons.append("GB 11643 check digit and birth date valid")
    elif date_ok:
        confidence = 0.4
        reasons.append("check digit does not match (GB 11643); birth date valid")
    elif check_ok:
        confidence = 0.3
        reasons.append("GB 11643 check digit valid; impossible birth date")
    else:
        return None
    if area_ok:
        reasons.append("area code listed in GB/T 2260")
    else:
        confidence -= 0.2
        reasons.append("area code no edition of GB/T 2260 lists")
    return max(confidence, 0.1), "; ".join(reasons)


def judge_15(number: str, context: bool) -> tuple[float, str] | None:
    """(confidence, reason) for a 15-digit first-generation candidate, or None."""
    if not area_code_known(number):
        return None
    try:
        date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return None
    why = (
        "15-digit first-generation ID (GB 11643-1989): area code listed in GB/T 2260, "
        "birth date valid; no check digit to confirm it"
    )
    if context:
        return 0.8, why + "; after a context word"
    return 0.55, why


class NationalIdRecognizer:
    name = "cn_national_id"
    types = frozenset({DataType.NATIONAL_ID})

    def find(self, text: str) -> Iterator[Finding]:
        for match in _CANDIDATE.finditer(text):
            judged = judge(match.group())
            if judged:
                yield Finding(match.start(), match.end(), DataType.NATIONAL_ID, *judged)
        for match in _CANDIDATE_15.finditer(text):
            context = bool(_CONTEXT.search(before(text, match.start())))
            judged = judge_15(match.group(), context)
            if judged:
                yield Finding(match.start(), match.end(), DataType.NATIONAL_ID, *judged)
