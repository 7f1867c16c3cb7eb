"""Chinese postal addresses: administrative divisions from GB/T 2260, then street and building.

A mainland address reads from the largest place to the smallest: province (省, 自治区,
municipality), prefecture-level city (市, 自治州, 地区, 盟), county-level unit (区, 县, 县级市,
旗), then township (街道, 镇, 乡), road (路, 街, 大道, 巷, 弄, 胡同), number (号), and building,
unit and room (栋, 单元, 室). The place names come from every edition of GB/T 2260 shipped with
custody (:func:`shieldwall.custody.areas.names`), found in one pass with an Aho-Corasick
automaton; provinces and prefecture-level cities also by their short names (浙江, 杭州).

Confidence: two or more divisions in a row followed by a road or number, 0.85; one division and
a road with a number, 0.7; three divisions and nothing after them, 0.4 (a place, perhaps not a
person's address); a road with a number alone, 0.5. Two divisions alone are not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import ahocorasick

from shieldwall.custody import areas
from shieldwall.discover.model import DataType, Finding

PROVINCE, CITY, COUNTY = 1, 2, 3
MAX_ADDRESS = 96  # characters; longer runs are cut here
_GENERIC = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "直辖县"})
_PROVINCE_SUFFIX = re.compile(r"(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)$")
_CITY_SUFFIX = re.compile(r"市$")

_HAN = r"\u4e00-\u9fff"
_NUM = r"0-9０-９一二三四五六七八九十百零〇"
_TAIL = re.compile(
    rf"(?:[{_HAN}]{{1,8}}?(?:街道|镇|乡))?"
    rf"(?:[{_HAN}]{{1,8}}?(?:村|社区))?"
    rf"(?P<road>[{_HAN}{_NUM}]{{1,10}}?(?:大道|路|街|巷|弄|胡同))?"
    rf"(?P<number>[{_NUM}]{{1,6}}(?:号|號)(?:院)?)?"
    rf"(?P<building>(?:[{_HAN}A-Za-z0-9]{{1,12}}?(?:小区|花园|大厦|公寓|广场|家园|苑|园|中心|大楼))?"
    rf"(?:[{_NUM}A-Za-z]{{1,4}}(?:号楼|栋|幢|座|单元|楼|层|室|号)){{0,4}})"
)
_STREET = re.compile(rf"[{_HAN}]{{2,8}}(?:大道|路|街|巷|弄)[{_NUM}]{{1,6}}(?:号|號)")


@dataclass(frozen=True, slots=True)
class _Place:
    level: int
    name: str


@cache
def _automaton() -> ahocorasick.Automaton:
    """Every province, city and county name (and short province/city names) -> its level."""
    found: dict[str, int] = {}

    def add(name: str, level: int) -> None:
        if len(name) >= 2 and name not in _GENERIC:
            found[name] = min(found.get(name, level), level)

    for code, name in areas.names().items():
        if code.endswith("0000"):
            add(name, PROVINCE)
            add(_PROVINCE_SUFFIX.sub("", name), PROVINCE)
        elif code.endswith("00"):
            add(name, CITY)
            add(_CITY_SUFFIX.sub("", name), CITY)
        else:
            add(name, COUNTY)
    for place in areas.places(9999):
        add(place.county, COUNTY)
    automaton = ahocorasick.Automaton()
    for name, level in found.items():
        automaton.add_word(name, _Place(level, name))
    automaton.make_automaton()
    return automaton


def _divisions(text: str) -> dict[int, tuple[int, int]]:
    """{start: (end, level)} of the longest place name starting at each position."""
    best: dict[int, tuple[int, int]] = {}
    for end_index, place in _automaton().iter(text):
        start = end_index - len(place.name) + 1
        if start not in best or best[start][0] < end_index + 1:
            best[start] = (end_index + 1, place.level)
    return best


class AddressRecognizer:
    name = "cn_address"
    types = frozenset({DataType.ADDRESS})

    def find(self, text: str) -> Iterator[Finding]:
        divisions = _divisions(text)
        covered = -1
        found: list[tuple[int, int]] = []
        for start in sorted(divisions):
            if start < covered:
                continue
            end, level, count = start, 0, 0
            while end in divisions and divisions[end][1] > level:
                end, level = divisions[end]
                count += 1
            if count == 0:
                continue
            tail = _TAIL.match(text, end)
            has_street = bool(tail and (tail.group("road") or tail.group("number")))
            tail_end = tail.end() if tail else end
            if count >= 2 and has_street:
                confidence, why = 0.85, f"{count} GB/T 2260 divisions, then road or number"
            elif count == 1 and tail and tail.group("road") and tail.group("number"):
                confidence, why = 0.7, "a GB/T 2260 division, then road and number"
            elif count >= 3:
                confidence, why = 0.4, "3 GB/T 2260 divisions, nothing after them"
                tail_end = end
            else:
                continue
            stop = min(tail_end, start + MAX_ADDRESS)
            covered = stop
            found.append((start, stop))
            yield Finding(start, stop, DataType.ADDRESS, confidence, why)
        for match in _STREET.finditer(text):
            if any(match.start() < stop and start < match.end() for start, stop in found):
                continue
            yield Finding(
                match.start(), match.end(), DataType.ADDRESS, 0.5, "road and number pattern"
            )
