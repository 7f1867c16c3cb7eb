"""Targeted guessing: birth dates from GB 11643 ID numbers, the personal-password candidates,
the SHA-1 check, and the engine's ``personal_password`` signal weighed by unfamiliarity."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.config import RiskSettings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.passwords.context import CustomerContext
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.model import Decision, LoginAttempt
from shieldwall.guard.risk.network import AsnTable
from shieldwall.guard.risk.personal import (
    PersonalFacts,
    candidates,
    facts_from_context,
    is_personal,
)
from shieldwall.storage.risk_state_memory import MemoryRiskState
from tests.unit.guard.risk.conftest import KEY, login, sha1

# GB 11643-1999's own example number: born 1949-12-31.
ZHANG = PersonalFacts("13812345678", date(1949, 12, 31), ("zhang", "san"))


def digest(password: str) -> bytes:
    return hashlib.sha1(password.encode(), usedforsecurity=False).digest()


def test_facts_from_the_standards_example_id_and_a_chinese_name() -> None:
    """张三, +86 138 1234 5678, ID 11010519491231002X (GB 11643-1999's own example, born
    1949-12-31): zhang + san, the national digits, the birth date."""
    ctx = CustomerContext(name="张三", phone="+8613812345678", national_id="11010519491231002X")
    assert facts_from_context(ctx) == ZHANG


def test_facts_from_a_latin_name_and_missing_fields() -> None:
    """A Latin name puts the family name first; a bad ID number gives no birth date."""
    ctx = CustomerContext(name="Mary Ann Smith", national_id="11010519491331002X")
    assert facts_from_context(ctx) == PersonalFacts("", None, ("smith", "mary", "ann"))
    assert facts_from_context(CustomerContext()) == PersonalFacts()


@pytest.mark.parametrize(
    "password",
    [
        "19491231",  # YYYYMMDD
        "491231",  # YYMMDD
        "13812345678",  # the phone
        "345678",  # its last six digits
        "zhangsan19491231",  # name + birthday
        "Zhangsan1231",  # capitalised name + MMDD
        "zs19491231",  # initials + birthday
        "zhangsan1949",  # name + year
        "zhangsan5678",  # name + last four phone digits
        "zhangsan123",  # name + 123
        "zhangsan520",  # name + "I love you"
        "19491231!",  # a symbol appended
        "19491231zhangsan",  # birthday + name
    ],
)
def test_common_structures_are_candidates(password: str) -> None:
    """Each structure worked out by hand from the example facts is recognised by its SHA-1."""
    assert password in candidates(ZHANG)
    assert is_personal(digest(password), ZHANG)


@pytest.mark.parametrize("password", ["pw-8f3a9c1b2d4e", "1231", "lisi19491231", "19491230"])
def test_unrelated_or_too_short_is_not_personal(password: str) -> None:
    """A random password, a form under six characters, another person's name, the day before
    the birthday: not matched."""
    assert not is_personal(digest(password), ZHANG)


def test_bare_name_is_a_candidate_and_empty_facts_give_none() -> None:
    """The name alone (6+ letters) is a candidate; no facts, no candidates."""
    assert "zhangsan" in candidates(ZHANG)
    assert candidates(PersonalFacts()) == []
    assert not is_personal(digest("19491231"), PersonalFacts())


@given(st.dates(date(1930, 1, 1), date(2010, 12, 31)))
def test_every_birth_date_yields_its_yyyymmdd(born: date) -> None:
    """Property: for any birth date, YYYYMMDD is a candidate and nothing shorter than 6 is."""
    c = candidates(PersonalFacts("13900000000", born, ("li", "na")))
    assert born.strftime("%Y%m%d") in c
    assert all(len(p) >= 6 for p in c)
    assert len(c) == len(set(c))


def make(clock: ManualClock, facts: dict[str, PersonalFacts]) -> RiskEngine:
    settings = RiskSettings()

    def personal(account: str, d: bytes) -> bool:
        f = facts.get(account)
        return f is not None and is_personal(d, f)

    return RiskEngine(
        settings,
        MemoryRiskState.from_settings(settings),
        KEY,
        clock,
        asn=AsnTable.load(None),
        personal=personal,
    )


def test_personal_password_from_a_new_network_is_challenged(clock: ManualClock) -> None:
    """An account with a stable history; a stranger tries its birthday from a residential
    address: challenged with ``personal_password``. A random password from the same place is
    not (only unfamiliar: 1.5 points)."""
    engine = make(clock, {"13812345678": ZHANG})
    home = LoginAttempt("13812345678", "1.80.3.4", "StoreApp/5.12.1", "dev-zs", sha1("pw-x1"))
    for _ in range(5):
        login(engine, home, True)
        clock.advance(86_400)
    stranger = LoginAttempt("13812345678", "36.101.7.9", "Mozilla/5.0 (Windows NT 10.0)")
    a = engine.assess(replace(stranger, password_sha1=sha1("zhangsan19491231")))
    assert a.decision is Decision.CHALLENGE
    assert "personal_password" in {r.code for r in a.reasons}
    b = engine.assess(replace(stranger, password_sha1=sha1("pw-8f3a9c1b2d4e")))
    assert b.decision is Decision.ALLOW
    assert "personal_password" not in {r.code for r in b.reasons}
    assert a.score - b.score == pytest.approx(3.0 * (0.35 + 0.65 * 1.0), abs=0.35)


def test_owner_typing_their_birthday_at_home_is_not_even_checked(clock: ManualClock) -> None:
    """The owner whose password is their birthday, on their own phone at home: a familiar login
    is never checked (the edge is not asked to derive anything) and is allowed."""
    asked: list[str] = []

    def personal(account: str, d: bytes) -> bool:
        asked.append(account)
        return is_personal(d, ZHANG)

    settings = RiskSettings()
    engine = RiskEngine(
        settings,
        MemoryRiskState.from_settings(settings),
        KEY,
        clock,
        asn=AsnTable.load(None),
        personal=personal,
    )
    home = LoginAttempt("13812345678", "1.80.3.4", "StoreApp/5.12.1", "dev-zs", sha1("19491231"))
    for _ in range(5):
        login(engine, home, True)
        clock.advance(86_400)
    asked.clear()
    a = engine.assess(home)
    assert a.decision is Decision.ALLOW and a.score < 0.5
    assert asked == []
    stranger = engine.assess(replace(home, ip="36.101.7.9", user_agent="x", device_id=None))
    assert asked == ["13812345678"]
    assert "personal_password" in {r.code for r in stranger.reasons}
