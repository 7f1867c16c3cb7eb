"""Embedded marks: equivalent spellings of a non-critical field, chosen by a recipient's code bit.

Each *channel* has two honestly equivalent forms of a delivery address; a recipient's copy of a
record carries the form its Tardos bit picks at that record's position. Phones, e-mail addresses,
names and ID numbers are never touched: a mark must not distort contact data.

=============  =============================  =============================  ======================
channel        form 0                         form 1                         erased by
=============  =============================  =============================  ======================
``digits``     house number in ASCII digits   in full-width digits           NFKC / width folding
               (``…路12号``)                   (``…路１２号``)
``space``      no space after the province    one space after the province   removing all spaces
               (``浙江省杭州市…``)             (``浙江省 杭州市…``)
``building``   ``5栋`` (building, 栋)          ``5幢`` (building, 幢)          mapping 幢 to 栋
``room``       ``1201室`` (room, 室)           ``1201房`` (room, 房)           mapping 房 to 室
=============  =============================  =============================  ======================

The ``presence`` channel (whether an *optional* record is in a copy at all) lives in
:mod:`.service`: it needs no field. Reading a channel from a leaked address gives 0, 1, or None
when the address no longer has the feature (then the position is not scored).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FORM_CHANNELS = ("digits", "space", "building", "room")
PRESENCE = "presence"
CHANNELS = (PRESENCE, *FORM_CHANNELS)

_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
_HALF = str.maketrans("０１２３４５６７８９", "0123456789")
_HOUSE = re.compile(r"([0-9０-９]+)号")
_BUILDING = re.compile(r"([0-9０-９]+)(栋|幢)")
_ROOM = re.compile(r"([0-9０-９]+)(室|房)(?![0-9０-９])")
_PROVINCE = re.compile(r"^(\s*)(.{2,7}?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)(\s*)")


def canonical(address: str) -> str:
    """The form every channel is applied to: house number in ASCII, no space after the
    province, 栋 for buildings, 室 for rooms."""
    text = _HOUSE.sub(lambda m: m.group(1).translate(_HALF) + "号", address, count=1)
    text = _PROVINCE.sub(lambda m: m.group(1) + m.group(2), text, count=1)
    text = _BUILDING.sub(lambda m: m.group(1) + "栋", text, count=1)
    return _last(_ROOM, text, "室")


def _last(pattern: re.Pattern[str], text: str, suffix: str) -> str:
    """``text`` with the last match of ``pattern`` given ``suffix`` (room numbers come last)."""
    found = list(pattern.finditer(text))
    if not found:
        return text
    m = found[-1]
    return text[: m.start()] + m.group(1) + suffix + text[m.end() :]


def applicable(address: str) -> tuple[str, ...]:
    """The form channels this address can carry."""
    out = []
    if _HOUSE.search(address):
        out.append("digits")
    if _PROVINCE.match(address):
        out.append("space")
    if _BUILDING.search(address):
        out.append("building")
    if _ROOM.search(address):
        out.append("room")
    return tuple(out)


def apply(address: str, bits: Mapping[str, int]) -> str:
    """``address`` with each applicable channel in the form ``bits[channel]`` picks."""
    text = canonical(address)
    if bits.get("digits"):
        text = _HOUSE.sub(lambda m: m.group(1).translate(_FULL) + "号", text, count=1)
    if bits.get("space"):
        text = _PROVINCE.sub(lambda m: m.group(1) + m.group(2) + " ", text, count=1)
    if bits.get("building"):
        text = _BUILDING.sub(lambda m: m.group(1) + "幢", text, count=1)
    if bits.get("room"):
        text = _last(_ROOM, text, "房")
    return text


def read(address: str) -> dict[str, int]:
    """The form of each channel still readable in a leaked address."""
    out: dict[str, int] = {}
    house = _HOUSE.search(address)
    if house:
        digits = house.group(1)
        if digits.isascii():
            out["digits"] = 0
        elif all("０" <= ch <= "９" for ch in digits):
            out["digits"] = 1
    province = _PROVINCE.match(address)
    if province and province.end() < len(address):
        out["space"] = 1 if province.group(3) else 0
    building = _BUILDING.search(address)
    if building:
        out["building"] = 1 if building.group(2) == "幢" else 0
    rooms = list(_ROOM.finditer(address))
    if rooms:
        out["room"] = 1 if rooms[-1].group(2) == "房" else 0
    return out
