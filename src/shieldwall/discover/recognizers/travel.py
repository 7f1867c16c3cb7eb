"""Passports and travel permits of the PRC, by number format (and context words).

Formats, as Wikipedia's articles on each document describe them:

- ordinary passport ("Chinese passport"): ``G`` + 8 digits (2006-2012 booklets), ``E`` + 8
  digits (e-passports since 2012), ``E`` + a letter + 7 digits once the digits ran out;
- Exit-Entry Permit for Travelling to and from Hong Kong and Macau (往来港澳通行证, mainland
  residents): ``C`` + 8 digits or ``C`` + a letter + 7 digits (card, since 2014), ``W`` + 8
  digits (booklet);
- Mainland Travel Permit for Hong Kong and Macao Residents (回乡证): ``H`` (Hong Kong) or ``M``
  (Macao) + 8 digits (card, since 2013) or + 10 digits (booklet);
- Exit-Entry Permit for Travelling to and from Taiwan (往来台湾通行证): ``L`` + 8 digits.

A letter and eight digits is also the shape of many product and order codes, so a number alone
is 0.5 (passport) or 0.4 (permit); with a context word (护照, 通行证, 回乡证, passport, 证件)
in the 24 characters before it, 0.85.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from shieldwall.discover.model import DataType, Finding
from shieldwall.discover.recognizers.base import before

_PASSPORT = re.compile(r"(?<![0-9A-Za-z])(?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7})(?![0-9A-Za-z])")
_PERMIT = re.compile(
    r"(?<![0-9A-Za-z])(?:C\d{8}|C[A-HJ-NP-Z]\d{7}|W\d{8}|[HM]\d{8}(?:\d{2})?|L\d{8})(?![0-9A-Za-z])"
)
_PASSPORT_CONTEXT = re.compile(r"护照|passport|证件", re.IGNORECASE)
_PERMIT_CONTEXT = re.compile(r"通行证|回乡证|港澳|台湾|证件|permit", re.IGNORECASE)

_PERMIT_KIND = {
    "C": "Hong Kong/Macau exit-entry permit (card)",
    "W": "Hong Kong/Macau exit-entry permit (booklet)",
    "H": "Mainland travel permit of a Hong Kong resident",
    "M": "Mainland travel permit of a Macao resident",
    "L": "Taiwan exit-entry permit",
}


class TravelDocumentRecognizer:
    name = "cn_travel_document"
    types = frozenset({DataType.PASSPORT, DataType.TRAVEL_PERMIT})

    def find(self, text: str) -> Iterator[Finding]:
        for match in _PASSPORT.finditer(text):
            if _PASSPORT_CONTEXT.search(before(text, match.start())):
                confidence, why = 0.85, "PRC passport number format after a context word"
            else:
                confidence, why = 0.5, "PRC passport number format, no context word"
            yield Finding(match.start(), match.end(), DataType.PASSPORT, confidence, why)
        for match in _PERMIT.finditer(text):
            kind = _PERMIT_KIND[match.group()[0]]
            if _PERMIT_CONTEXT.search(before(text, match.start())):
                confidence, why = 0.85, f"{kind} number format after a context word"
            else:
                confidence, why = 0.4, f"{kind} number format, no context word"
            yield Finding(match.start(), match.end(), DataType.TRAVEL_PERMIT, confidence, why)
