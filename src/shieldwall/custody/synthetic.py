"""Synthetic customers that pass every validation custody applies, deterministically per seed.

Used by production (canary customers in :mod:`shieldwall.trace.releases.canaries`) and by the
simulator, demo and tests. Area codes, and the province, city and county names that go with
them, come from :func:`.areas.places`, so the address and the ID number agree; ID numbers carry
the GB 11643 check digit. Mobile numbers use real CN mobile prefixes and are checked with
``phonenumbers``; names and street names are Faker's ``zh_CN`` provider.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import phonenumbers
from faker import Faker

from shieldwall.core.model import Customer
from shieldwall.custody import areas, normalize

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
LAST_BIRTH_YEAR = 2005


class PeopleFactory:
    """Makes customers; the same seed always gives the same people."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self._places = areas.places(LAST_BIRTH_YEAR)

    def place(self) -> areas.Place:
        return self.rng.choice(self._places)

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")):
                return "+86" + number

    def national_id(self, place: areas.Place, birth: date, male: bool) -> str:
        seq = self.rng.randrange(0, 1000)
        if (seq % 2 == 1) != male:
            seq = (seq + 1) % 1000
        body = f"{place.code}{birth:%Y%m%d}{seq:03d}"
        return body + normalize.gb11643_check_digit(body)

    def birth_date(self, since: int = 0) -> date:
        """A birth date no earlier than the year the area code came into use."""
        first = date(max(1950, since), 1, 1)
        span = (date(LAST_BIRTH_YEAR, 12, 31) - first).days
        return first + timedelta(days=self.rng.randrange(0, span + 1))

    def address(self, place: areas.Place) -> str:
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
        from pypinyin import lazy_pinyin  # noqa: PLC0415 - a slow import, paid only when used

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
