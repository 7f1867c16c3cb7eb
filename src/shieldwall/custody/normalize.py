"""Validation and normalization of personal data, before it is encrypted or indexed.

Normal forms are what blind indexes are computed over, so two spellings of one phone number find
the same customer: phones become E.164 (``phonenumbers``, region CN by default), national ID
numbers are checked against GB 11643 (ISO 7064 MOD 11-2 check digit, birth date, and the area
code against every edition of GB/T 2260; ``python-stdnum`` and :mod:`.areas`) and upper-cased,
e-mail addresses are lower-cased. Errors name the field and the rule, never the value.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric
from stdnum.iso7064 import mod_11_2

from shieldwall.custody import areas
from shieldwall.custody.errors import ValidationError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def clean_text(value: str, field: str, *, max_len: int) -> str:
    """NFC-normalize, strip control characters, collapse white space; reject empty or long."""
    if not isinstance(value, str):
        raise ValidationError("must be text", field=field)
    text = _SPACES.sub(" ", _CONTROL.sub("", unicodedata.normalize("NFC", value))).strip()
    if not text:
        raise ValidationError("must not be empty", field=field)
    if len(text) > max_len:
        raise ValidationError(f"longer than {max_len} characters", field=field)
    return text


def record_id(value: str, field: str = "customer_id") -> str:
    """An identifier: 1-64 of letters, digits and ``_ . : -``."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValidationError("must be 1-64 letters, digits or _ . : -", field=field)
    return value


def phone(value: str, region: str = "CN", field: str = "phone") -> str:
    """Return the E.164 form of a valid phone number, parsed in ``region`` when it has no +."""
    text = clean_text(value, field, max_len=32)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("is not a phone number", field=field, code="invalid_phone") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            f"is not a valid number for its region (default {region})",
            field=field,
            code="invalid_phone",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def gb11643_check_digit(first17: str) -> str:
    """The GB 11643 check digit (ISO 7064 MOD 11-2, ``0``-``9`` or ``X``) of 17 digits.

    (``stdnum.cn.ric.calc_check_digit`` takes the whole 18-character number and drops its last
    character itself; passing it 17 gives the digit of the first 16.)
    """
    return mod_11_2.calc_check_digit(first17)


def national_id(value: str, *, strict_region: bool = True, field: str = "national_id") -> str:
    """Return an 18-character resident ID number checked against GB 11643-1999.

    Checks length, digits, the ISO 7064 MOD 11-2 check digit and the birth date; with
    ``strict_region`` also that the first six digits are a code that some edition of GB/T 2260
    listed (:func:`.areas.is_known`; retired codes and codes younger than the holder count).
    Without it an unknown area code passes: callers report it with :func:`area_code_known`.
    """
    text = clean_text(value, field, max_len=32).replace(" ", "").upper()
    if len(text) != 18:
        raise ValidationError("must have 18 characters", field=field, code="invalid_national_id")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise ValidationError(
            "must be 17 digits and a digit or X", field=field, code="invalid_national_id"
        )
    if ric.calc_check_digit(text) != text[17]:
        raise ValidationError(
            "check digit does not match (GB 11643)", field=field, code="invalid_national_id"
        )
    try:
        ric.get_birth_date(text)
    except stdnum_errors.ValidationError:
        raise ValidationError(
            "contains an impossible birth date", field=field, code="invalid_national_id"
        ) from None
    if strict_region and not area_code_known(text):
        raise ValidationError(UNKNOWN_AREA_REASON, field=field, code="invalid_national_id")
    return text


UNKNOWN_AREA_REASON = "starts with an area code no edition of GB/T 2260 lists"


def area_code_known(national_id: str) -> bool:
    """True when a (normalized) ID number's first six digits are a GB/T 2260 code of any year."""
    return areas.is_known(national_id[:6])


def email(value: str, field: str = "email") -> str:
    """A lower-cased e-mail address with one ``@`` and a dotted domain."""
    text = clean_text(value, field, max_len=254).lower()
    if " " in text or not _EMAIL.fullmatch(text):
        raise ValidationError("is not an e-mail address", field=field, code="invalid_email")
    return text


def name(value: str, field: str = "name") -> str:
    return clean_text(value, field, max_len=64)


def address(value: str, field: str = "address") -> str:
    return clean_text(value, field, max_len=256)
