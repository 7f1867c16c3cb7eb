"""Official numbers: canonical forms, short codes, ranges, domains, the cached number book."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.contact.ledger.errors import InvalidInput
from shieldwall.contact.ledger.numbers import (
    ContactPoint,
    Form,
    NumberBook,
    NumberKind,
    OfficialNumber,
    parse_point,
    registrable,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "form", "value"),
    [
        ("13812345678", Form.PHONE, "+8613812345678"),
        ("138 1234 5678", Form.PHONE, "+8613812345678"),
        ("+86 138-1234-5678", Form.PHONE, "+8613812345678"),
        ("0086 13812345678", Form.PHONE, "+8613812345678"),
        ("010-5632 1234", Form.PHONE, "+861056321234"),
        ("(010) 5632.1234", Form.PHONE, "+861056321234"),
        ("４００６０６５５００", Form.PHONE, "+864006065500"),  # full-width digits
        ("400-606-5500", Form.PHONE, "+864006065500"),
        ("800 810 1818", Form.PHONE, "+868008101818"),
        ("950618", Form.SHORT_CODE, "950618"),
        ("95618", Form.SHORT_CODE, "95618"),
        ("+86 95618", Form.SHORT_CODE, "95618"),
        ("96110", Form.SHORT_CODE, "96110"),
        ("1069 0000 1234", Form.SHORT_CODE, "106900001234"),
        ("+1 650 253 0000", Form.PHONE, "+16502530000"),
        ("jdcom", Form.ALPHA_ID, "JDCOM"),
        ("JD.com", Form.DOMAIN, "jd.com"),
        ("京东.中国", Form.DOMAIN, "xn--xhq9m.xn--fiqs8s"),
        ("KeFu@JD.com", Form.EMAIL, "kefu@jd.com"),
    ],
)
def test_canonical_forms(text: str, form: Form, value: str) -> None:
    """Every spelling of a number, code, sender id or domain reaches one canonical value."""
    point = parse_point(text, "CN")
    assert (point.form, point.value) == (form, value)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("12", "phone number, short code"),
        ("1381234567", "valid phone number"),  # one digit short
        ("+86 1381234", "valid phone number"),
        ("+999 123456", "phone number"),
        ("138-1234-56789-0000000000", "phone number"),
        ("call me maybe", "not a phone number"),
        ("kefu@", "e-mail"),
        ("@jd.com", "e-mail"),
        ("a..b@jd.com", "e-mail"),
        ("jd..com", "domain"),
        ("-jd.com", "domain"),
        ("1.2.3.4", "phone number"),
        ("x" * 300, "longer than"),
        ("010-5632-XXXX", "wildcards are only"),
    ],
)
def test_malformed_input_names_the_field(text: str, why: str) -> None:
    """Bad numbers raise InvalidInput naming the field, and the reason never echoes the value."""
    with pytest.raises(InvalidInput) as err:
        parse_point(text, "CN", field="via")
    assert err.value.field == "via" and why in err.value.reason
    if len(text.strip()) > 3:
        assert text.strip() not in err.value.reason


def test_ranges_and_their_limits() -> None:
    """A range keeps its prefix and length; too many wildcards are refused."""
    point = parse_point("010-5632-XXXX", "CN", max_wildcards=4)
    assert point == ContactPoint(Form.PHONE, "+86105632XXXX", pattern=True)
    assert point.wildcards == 4
    with pytest.raises(InvalidInput, match="at most 4"):
        parse_point("010-56XX-XXXX", "CN", max_wildcards=4)
    assert parse_point("1069000012XX", "CN", max_wildcards=4).value == "1069000012XX"


def test_public_suffixes_are_not_registrable() -> None:
    """The offline Public Suffix List tells a suffix from a domain the store can own."""
    assert registrable("mail.jd.com") == "jd.com"
    assert registrable("shop.co.uk") == "shop.co.uk"
    assert registrable("com.cn") is None
    assert registrable("co.uk") is None


def test_display_uses_the_national_format_at_home() -> None:
    """Numbers of the home region read nationally, others internationally, codes as digits."""
    assert parse_point("+861056321234").display("CN") == "010 5632 1234"
    assert parse_point("+16502530000").display("CN") == "+1 650-253-0000"
    assert parse_point("950618").display("CN") == "950618"


@given(st.sampled_from(["138", "139", "150", "186", "199"]), st.integers(0, 99_999_999))
def test_every_spelling_of_a_mobile_is_one_number(prefix: str, rest: int) -> None:
    """Spaces, dashes, +86 and 0086 never change the canonical form of a CN mobile."""
    digits = f"{prefix}{rest:08d}"
    spellings = [
        digits,
        f"{digits[:3]} {digits[3:7]} {digits[7:]}",
        f"+86-{digits}",
        f"0086{digits}",
    ]
    values = set()
    for s in spellings:
        try:
            values.add(parse_point(s, "CN").value)
        except InvalidInput:
            values.add("invalid")
    assert len(values) == 1


class ListSource:
    """A NumberSource over a list, counting loads."""

    def __init__(self, entries: list[OfficialNumber]) -> None:
        self.entries = entries
        self.loads = 0

    def load_numbers(self) -> list[OfficialNumber]:
        self.loads += 1
        return list(self.entries)


def entry(text: str, kind: NumberKind) -> OfficialNumber:
    p = parse_point(text, "CN", max_wildcards=4)
    return OfficialNumber(p.value, p.form, kind, None, p.pattern, T0, "sec-admin")


class Ticker:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_book_matches_exact_range_and_parent_domain() -> None:
    """Exact numbers, numbers inside a range, and subdomains of a registered domain match."""
    source = ListSource(
        [
            entry("950618", NumberKind.HOTLINE),
            entry("010-5632-XXXX", NumberKind.OUTBOUND),
            entry("jd.com", NumberKind.EMAIL_DOMAIN),
        ]
    )
    book = NumberBook(source, region="CN")
    assert book.check("950618").matched_by == "exact"
    assert book.check("+86 10 5632 0042").matched_by == "range"
    assert not book.check("010 5633 0042").official  # outside the range
    assert not book.check("0755 5632 0042").official  # same digits, another city
    assert book.check("service@mail.jd.com").matched_by == "domain"
    assert not book.check("kefu@jd.com.refund-center.xyz").official
    assert not book.check("kefu@notjd.com").official
    assert not book.check("95618").official


def test_book_caches_and_reloads_on_a_miss_at_most_once_a_second() -> None:
    """Hits come from the cache; a miss reloads (rate-limited), so new numbers appear quickly."""
    source = ListSource([entry("950618", NumberKind.HOTLINE)])
    tick = Ticker()
    book = NumberBook(source, region="CN", cache_seconds=30, monotonic=tick)
    for _ in range(5):
        assert book.check("950618").official
    assert source.loads == 1
    source.entries.append(entry("95618", NumberKind.HOTLINE))
    assert not book.check("95618").official  # loaded less than a second ago: no reload
    tick.t = 1.5
    assert book.check("95618").official  # the miss reloads
    loads = source.loads
    for _ in range(20):
        book.check("13812345678")  # a flood of unknown numbers
    assert source.loads == loads  # ... within the same second reloads nothing
    tick.t = 40
    source.entries.clear()
    assert not book.check("950618").official  # the cache expired and the number was removed
