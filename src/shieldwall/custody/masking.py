"""Masked views of personal data: enough to recognise, not enough to misuse.

- phone ``138****5678`` (first three and last four digits of the national number)
- national ID ``110105********123X`` (area code and last four)
- name ``张*`` (first character; each other character becomes ``*``)
- address to district level: ``北京市朝阳区***``
- e-mail ``z***@example.com``
- bank card ``************0005`` (last four digits, as PCI DSS allows on receipts)
- passport or travel permit ``E******78`` (letter and last two)

Every function is total: any input yields a mask that is never longer in information than the
rule allows, and an unparseable value is masked entirely rather than shown.
"""

from __future__ import annotations

import re

import phonenumbers

FULL_MASK = "***"

# Province level (incl. municipalities and autonomous regions), prefecture level, county level.
_ADDRESS = re.compile(
    r"^(?P<province>[^省市区]{2,7}?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)?"
    r"(?P<city>[^省市]{1,9}?(?:市|自治州|地区|盟))?"
    r"(?P<district>[^省市区县旗]{1,9}?(?:区|县|旗|市))?"
)


def phone(e164: str) -> str:
    try:
        digits = str(phonenumbers.parse(e164).national_number)
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", e164)
    if len(digits) >= 9:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return FULL_MASK


def national_id(value: str) -> str:
    if len(value) == 18:
        return f"{value[:6]}{'*' * 8}{value[-4:]}"
    return FULL_MASK


def name(value: str) -> str:
    text = value.strip()
    if not text:
        return FULL_MASK
    if " " in text:  # Latin-script names: initial of each word
        return " ".join(word[0] + "*" * (len(word) - 1) for word in text.split())
    return text[0] + "*" * max(1, len(text) - 1)


def address(value: str) -> str:
    """Keep the address down to district (county) level and hide the rest."""
    text = value.strip()
    match = _ADDRESS.match(text)
    if match and match.group("district") and (match.group("province") or match.group("city")):
        return match.group(0) + FULL_MASK
    if match and match.group("province") and match.group("city"):
        return match.group("province") + match.group("city") + FULL_MASK
    return FULL_MASK


def email(value: str) -> str:
    local, sep, domain = value.partition("@")
    if not sep or not local:
        return FULL_MASK
    return f"{local[0]}***@{domain}"


def bank_card(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 12:
        return "*" * (len(digits) - 4) + digits[-4:]
    return FULL_MASK


def travel_document(value: str) -> str:
    text = value.strip()
    if len(text) >= 8:
        return text[0] + "*" * (len(text) - 3) + text[-2:]
    return FULL_MASK


MASKERS = {
    "phone": phone,
    "national_id": national_id,
    "name": name,
    "address": address,
    "delivery_address": address,
    "email": email,
    "bank_card": bank_card,
    "passport": travel_document,
    "travel_permit": travel_document,
}


def mask(field: str, value: str) -> str:
    """Mask ``value`` of ``field``; fields without a rule are hidden entirely."""
    rule = MASKERS.get(field)
    return rule(value) if rule else FULL_MASK
