"""What the caller knew, and the PII-scrubbed sample a campaign shows.

:func:`caller_knew` reads a normalized report for the kinds of personal data the scammer quoted
(``name``, ``phone``, ``address``, ``order_number``, ``item``, ``amount``, ``id_number``) — the
kinds, never the values — so trace can tell which fields of which customers leaked.

:func:`scrub` replaces personal data in a sample with placeholders: card, order and tracking
numbers, phone numbers, e-mail addresses, resident ID numbers, a name before 先生/女士 or after
Mr/Ms, and street addresses. It is a heuristic (a bare name in running text survives), which is
why samples are encrypted at rest too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from stdnum.cn import ric

from shieldwall.contact.scam.indicators import Indicator, Kind

KNEW_KINDS = (
    "name",
    "phone",
    "address",
    "order_number",
    "item",
    "amount",
    "id_number",
    "delivery",
)

_NAME_ZH = re.compile(r"[\u4e00-\u9fff](?=先生|女士|小姐|同学)")
_NAME_EN = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s?([A-Z][a-z]+)")
_ADDRESS_ZH = re.compile(
    r"[\u4e00-\u9fff0-9]{2,12}(?:省|市|区|县|镇)[\u4e00-\u9fff0-9]{0,20}"
    r"(?:路|街|道|巷|号|小区|栋|单元|室)[\u4e00-\u9fff0-9\-]{0,10}"
)
_ADDRESS_EN = re.compile(
    r"\b\d{1,5}\s(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way)\b"
)
_ADDRESS_WORD = re.compile(r"(?i)收货地址|家庭住址|your (?:home |delivery )?address|住在")
_ITEM = re.compile(
    r"(?i)您(?:在[^,.!?\n]{0,8})?(?:购买|买|下单|拍)的|"
    r"you (?:ordered|bought|purchased)|your order (?:of|for)"
)
_ORDER_TAIL = re.compile(r"(?i)(?:尾号|ending(?: in)?|末四位|后四位)\s?\d{4}")
_DELIVERY = re.compile(r"(?i)(?:快递|包裹|物流|签收|派送|parcel|package|delivery|courier)")
_ID = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")

_PLACEHOLDER = {
    Kind.BANK_CARD: "[card]",
    Kind.ORDER_NUMBER: "[order]",
    Kind.TRACKING_NUMBER: "[tracking]",
    Kind.PHONE: "[phone]",
    Kind.UNPARSED_PHONE: "[phone]",
    Kind.EMAIL: "[email]",
    Kind.ALIPAY: "[account]",
}


def _valid_id(candidate: str) -> bool:
    try:
        ric.validate(candidate)
    except Exception:  # python-stdnum raises its own ValidationError subclasses
        return False
    return True


def caller_knew(
    text: str, indicators: Iterable[Indicator], victim_phone: str | None = None
) -> tuple[str, ...]:
    """The kinds of the victim's data the script quotes (see :data:`KNEW_KINDS`)."""
    kinds = {i.kind for i in indicators}
    knew: set[str] = set()
    if _NAME_ZH.search(text) or _NAME_EN.search(text):
        knew.add("name")
    if _ADDRESS_ZH.search(text) or _ADDRESS_EN.search(text) or _ADDRESS_WORD.search(text):
        knew.add("address")
    if Kind.ORDER_NUMBER in kinds or _ORDER_TAIL.search(text):
        knew.add("order_number")
    if _ITEM.search(text):
        knew.add("item")
    if Kind.AMOUNT in kinds:
        knew.add("amount")
    if any(_valid_id(m.group()) for m in _ID.finditer(text)):
        knew.add("id_number")
    if _DELIVERY.search(text):
        knew.add("delivery")
    if victim_phone:
        national = victim_phone.removeprefix("+86")
        if national in re.sub(r"[\s\-]", "", text):
            knew.add("phone")
    return tuple(k for k in KNEW_KINDS if k in knew)


def scrub(text: str, indicators: Iterable[Indicator]) -> str:
    """``text`` with personal data replaced by placeholders (see module docstring)."""
    spans: list[tuple[int, int, str]] = [
        (i.span[0], i.span[1], _PLACEHOLDER[i.kind]) for i in indicators if i.kind in _PLACEHOLDER
    ]
    spans += [(m.start(), m.end(), "[id]") for m in _ID.finditer(text) if _valid_id(m.group())]
    spans += [(m.start(), m.end(), "[address]") for m in _ADDRESS_ZH.finditer(text)]
    spans += [(m.start(), m.end(), "[address]") for m in _ADDRESS_EN.finditer(text)]
    spans += [(m.start(), m.end(), "*") for m in _NAME_ZH.finditer(text)]
    spans += [(m.start(1), m.end(1), "*") for m in _NAME_EN.finditer(text)]
    out: list[str] = []
    pos = 0
    for start, end, placeholder in sorted(spans):
        if start < pos:
            continue  # overlaps a span already replaced
        out.append(text[pos:start])
        out.append(placeholder)
        pos = end
    out.append(text[pos:])
    return "".join(out)
