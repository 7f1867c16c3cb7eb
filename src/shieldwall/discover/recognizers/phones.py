"""Mainland China phone numbers: mobiles (``1[3-9]`` + 9 digits) and landlines (area code
``0`` + 2-3 digits, then 7-8 digits), with or without ``+86`` and ``-``/space separators.

Candidates come from two patterns; ``phonenumbers`` (Google's libphonenumber metadata) then
says whether the number is valid for region CN and whether it is a mobile or fixed line. A
valid mobile is 0.9; a valid landline 0.75, or 0.85 with a context word (电话, Tel) just before
it, since 10-12 digit strings starting with 0 are also codes of other kinds. A candidate of the
right shape that libphonenumber does not accept is reported weaker (0.3) with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

from shieldwall.discover.model import DataType, Finding
from shieldwall.discover.recognizers.base import before

_PREFIX = r"(?:(?:\+|00)86[- ]?)?"
_MOBILE = re.compile(rf"(?<![\d+])(?<!\d-){_PREFIX}1[3-9]\d(?:[- ]?\d{{4}}){{2}}(?![\d])")
_AREA_CODE = r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})"
_LANDLINE = re.compile(rf"(?<![\d+])(?<!\d-){_PREFIX}{_AREA_CODE}[- ]?[2-9]\d{{6,7}}(?![\d])")
_CONTEXT = re.compile(r"(?:电话|手机|座机|联系方式|tel|phone|mobile|致电|拨打)", re.IGNORECASE)
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_SEPARATORS = re.compile(r"[- ()]")


def _parse(candidate: str) -> phonenumbers.PhoneNumber | None:
    text = candidate.replace("（", "(").replace("）", ")")
    if not text.startswith(("+", "00")):
        # No country prefix: the national number is the digits less a trunk 0, which is what
        # phonenumbers.parse(text, "CN") gives for these shapes, at a fraction of its cost (the
        # equivalence is tested over every shape the patterns accept).
        digits = _SEPARATORS.sub("", text)
        return PhoneNumber(country_code=86, national_number=int(digits.removeprefix("0")))
    try:
        return phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None


def classify(candidate: str) -> int | None:
    """libphonenumber's type of a candidate matched by the patterns above; None when it is not
    a valid number (``is_valid_number`` is ``number_type`` not being UNKNOWN for one region);
    the value is a ``PhoneNumberType`` constant."""
    number = _parse(candidate)
    if number is None:
        return None
    kind = phonenumbers.number_type(number)
    return None if kind == PhoneNumberType.UNKNOWN else kind


def e164(candidate: str) -> str | None:
    """The E.164 form of a valid candidate (``+8613800138000``), else None."""
    number = _parse(candidate)
    if number is None or phonenumbers.number_type(number) == PhoneNumberType.UNKNOWN:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneRecognizer:
    name = "cn_phone"
    types = frozenset({DataType.PHONE})

    def find(self, text: str) -> Iterator[Finding]:
        for match in _MOBILE.finditer(text):
            if classify(match.group()) in _MOBILE_TYPES:
                yield self._finding(match, 0.9, "valid mainland mobile number (libphonenumber)")
                continue
            yield self._finding(match, 0.3, "shaped like a mainland mobile; not a valid number")
        for match in _LANDLINE.finditer(text):
            kind = classify(match.group())
            if kind is None:
                continue  # 0 + 9-11 digits that are no landline: too common to report
            if kind == PhoneNumberType.MOBILE:
                continue
            if _CONTEXT.search(before(text, match.start(), 12)):
                yield self._finding(
                    match, 0.85, "valid mainland landline after a phone context word"
                )
            else:
                yield self._finding(match, 0.75, "valid mainland landline number (libphonenumber)")

    @staticmethod
    def _finding(match: re.Match[str], confidence: float, reason: str) -> Finding:
        return Finding(match.start(), match.end(), DataType.PHONE, confidence, reason)
