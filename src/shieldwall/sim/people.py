"""Synthetic customers that pass every validation custody applies, deterministically per seed.

Area codes, and the province, city and county names that go with them, come from the GB/T 2260
table shipped in ``python-stdnum``, so the address and the ID number agree. Mobile numbers use
real CN mobile prefixes and are checked with ``phonenumbers``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import phonenumbers
from faker import Faker
from pypinyin import lazy_pinyin
from stdnum import numdb
from stdnum.cn import ric

from shieldwall.core.model import Customer

MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "139.com", "outlook.com", "gmail.com")
_CURRENT = re.compile(r"^(?:\[(\d{4})?-\])?([^\[\],]+)$")
LAST_BIRTH_YEAR = 2005


@dataclass(frozen=True, slots=True)
class Place:
    code: str  # six-digit area code
    province: str
    city: str
    county: str
    since: int  # first year the code was in use (GB/T 2260); 0 when older than the table


def _current_name(raw: str) -> tuple[str, int] | None:
    """(present-day name, first year) from stdnum's "[1983-]长安区" notation; None if abolished."""
    last = raw.rsplit(",", maxsplit=1)[-1]
    match = _CURRENT.match(last)
    if not match or last.startswith("[-"):
        return None
    return match.group(2), int(match.group(1) or 0)


@cache
def places() -> tuple[Place, ...]:
    """Current county-level units with their province and prefecture-level city."""
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
            if not found or c_code.endswith("00") or found[1] > LAST_BIRTH_YEAR:
                continue
            name, since = found
            if name in ("市辖区", "县") or not name.endswith(("区", "县", "市", "旗")):
                continue
            out.append(Place(p_code + c_code, province, cities.get(c_code[:2], ""), name, since))
    return tuple(out)


class PeopleFactory:
    """Makes customers; the same seed always gives the same people."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self._places = places()

    def place(self) -> Place:
        return self.rng.choice(self._places)

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")):
                return "+86" + number

    def national_id(self, place: Place, birth: date, male: bool) -> str:
        seq = self.rng.randrange(0, 1000)
        if (seq % 2 == 1) != male:
            seq = (seq + 1) % 1000
        body = f"{place.code}{birth:%Y%m%d}{seq:03d}"
        return body + ric.calc_check_digit(body)

    def birth_date(self, since: int = 0) -> date:
        """A birth date no earlier than the year the area code came into use."""
        first = date(max(1950, since), 1, 1)
        span = (date(LAST_BIRTH_YEAR, 12, 31) - first).days
        return first + timedelta(days=self.rng.randrange(0, span + 1))

    def address(self, place: Place) -> str:
        street = self.fake.street_name()
        building = self.rng.randrange(1, 40)
        unit = self.rng.randrange(1, 6)
        room = self.rng.randrange(101, 2800)
        number = self.rng.randrange(1, 999)
        return (
            f"{place.province}{place.city}{place.county}{street}{number}号"
            f"{building}栋{unit}单元{room}室"
        )

    def customer(self, customer_id: str) -> Customer:
        male = self.rng.random() < 0.5
        name = self.fake.name_male() if male else self.fake.name_female()
        home = self.place()
        birth_place = home if self.rng.random() < 0.7 else self.place()
        local = "".join(lazy_pinyin(name)) + str(self.rng.randrange(10, 9999))
        return Customer(
            customer_id=customer_id,
            name=name,
            phone=self.mobile(),
            email=f"{local}@{self.rng.choice(MAIL_DOMAINS)}",
            address=self.address(home),
            national_id=self.national_id(birth_place, self.birth_date(birth_place.since), male),
        )

    def customers(self, count: int, *, prefix: str = "C", start: int = 1) -> list[Customer]:
        width = max(6, len(str(start + count)))
        return [self.customer(f"{prefix}{i:0{width}d}") for i in range(start, start + count)]
