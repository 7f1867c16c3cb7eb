"""Validation and normal forms; errors name the field and rule, never the value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.custody import normalize
from shieldwall.custody.errors import ValidationError
from shieldwall.sim.people import PeopleFactory

VALID_ID = "11010519491231002X"  # GB 11643-1999's own example


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "８６１３８１２３４５６７８"[2:],
    ],
)
def test_phone_spellings_share_one_normal_form(raw: str) -> None:
    """Every common spelling of one mobile number normalizes to the same E.164 value."""
    assert normalize.phone(raw) == "+8613812345678"


@pytest.mark.parametrize("raw", ["12345", "1381234567", "abc", "+1 555", "00000000000"])
def test_bad_phone_is_rejected_without_echo(raw: str) -> None:
    """An invalid phone is rejected naming the field, and the message does not contain it."""
    with pytest.raises(ValidationError) as err:
        normalize.phone(raw)
    assert err.value.field == "phone"
    assert raw not in str(err.value)


def test_national_id_accepts_valid_and_uppercases_x() -> None:
    """A valid ID passes; a lower-case x check digit is normalized to X."""
    assert normalize.national_id(VALID_ID) == VALID_ID
    assert normalize.national_id(VALID_ID.lower()) == VALID_ID
    person = PeopleFactory(3).customers(40)
    with_x = next(c.national_id for c in person if c.national_id and c.national_id.endswith("X"))
    assert normalize.national_id(with_x.lower()) == with_x


# Check digits worked by hand (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 indexes
# "10X98765432"): 11010519491331002 sums to 176 -> 0 -> "1"; 99010519491231002 to 295 -> 9 -> "3".
@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100AB", "17 digits"),
        ("110105194913310021", "birth date"),
        ("990105194912310023", "area code"),
    ],
)
def test_bad_national_id(raw: str, reason: str) -> None:
    """Wrong check digit, length, characters, date or area code each get their own reason."""
    with pytest.raises(ValidationError, match=reason) as err:
        normalize.national_id(raw)
    assert err.value.field == "national_id"
    assert raw not in str(err.value)


def test_unknown_area_code_allowed_when_not_strict() -> None:
    """With strict_region off, only the checksum and date are enforced."""
    assert normalize.national_id("990105194912310023", strict_region=False)
    assert not normalize.area_code_known("990105194912310023")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Zhang@Example.COM", "zhang@example.com"), (" a.b@qq.com ", "a.b@qq.com")],
)
def test_email_lowercased(raw: str, expected: str) -> None:
    """E-mail addresses are trimmed and lower-cased."""
    assert normalize.email(raw) == expected


@pytest.mark.parametrize("raw", ["no-at-sign", "a@b", "two@@signs.com", "sp ace@x.com", "@x.com"])
def test_bad_email(raw: str) -> None:
    """Malformed e-mail addresses are rejected."""
    with pytest.raises(ValidationError):
        normalize.email(raw)


def test_text_cleaning() -> None:
    """Control and bidi-override characters are stripped; empty and over-long text rejected."""
    assert normalize.name(" 张\u202e三\x00 ") == "张三"
    with pytest.raises(ValidationError, match="empty"):
        normalize.name("\u200b ")
    with pytest.raises(ValidationError, match="longer than 64"):
        normalize.name("张" * 65)
    with pytest.raises(ValidationError, match="must be text"):
        normalize.name(12)  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_record_id_accepts_only_safe_ids(raw: str) -> None:
    """record_id either returns the id unchanged or raises ValidationError."""
    try:
        assert normalize.record_id(raw) == raw
    except ValidationError as err:
        assert err.field == "customer_id"


@given(st.integers(min_value=0, max_value=2**31))
def test_generated_people_always_validate(seed: int) -> None:
    """Generated customers pass every custody validation (so the demo and sim never fail)."""
    c = PeopleFactory(seed).customer("C1")
    assert normalize.phone(c.phone) == c.phone
    assert c.national_id is not None and normalize.national_id(c.national_id) == c.national_id
    assert c.email is not None and normalize.email(c.email) == c.email
