"""Property tests: spans stay inside the text and never overlap; check digits decide."""

from __future__ import annotations

import itertools
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.model import DataType
from shieldwall.discover.recognizers import BankCardRecognizer, NationalIdRecognizer
from tests.unit.discover.test_recognizers import GB11643_EXAMPLE, check_char

ANALYZER = Analyzer()
# Han text, punctuation and spaces around a value (letters glued to a number make a code).
SURROUND = st.text(alphabet="的一是在不了有人这中大为上个国我以要他，。：；！ ", max_size=30)
AREAS = st.sampled_from(["110105", "310104", "440305", "510107", "620102", "130102"])


def luhn_digit(body: str) -> str:
    """The Luhn check digit of ``body``, written from ISO/IEC 7812-1 annex B."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these are doubled once the check digit is appended on the right
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def test_hand_written_check_char_matches_the_standard_example() -> None:
    """The test's own GB 11643 helper gives X for the standard's example."""
    assert check_char(GB11643_EXAMPLE[:17]) == "X"


def test_hand_written_luhn_matches_the_textbook_example() -> None:
    """79927398713 is the Luhn example of Wikipedia's article (check digit 3)."""
    assert luhn_digit("7992739871") == "3"


@given(
    area=AREAS,
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    seq=st.integers(0, 999),
    left=SURROUND,
    right=SURROUND,
)
def test_valid_id_anywhere_is_found_exactly(
    area: str, born: date, seq: int, left: str, right: str
) -> None:
    """A valid ID number between arbitrary non-digit text is found at its exact span."""
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    number = first17 + check_char(first17)
    text = left + number + right
    found = [f for f in ANALYZER.analyze(text) if f.type is DataType.NATIONAL_ID]
    assert [(f.start, f.end) for f in found] == [(len(left), len(left) + 18)]
    assert found[0].confidence >= 0.9


@given(
    area=AREAS,
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    seq=st.integers(0, 999),
    data=st.data(),
)
def test_any_other_check_char_is_weaker(
    area: str, born: date, seq: int, data: st.DataObject
) -> None:
    """Every wrong check character gives a confidence below every right one's."""
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != check_char(first17)]))
    (found,) = NationalIdRecognizer().find(first17 + wrong)
    assert found.confidence < 0.5 and "does not match" in found.reason


@given(body=st.text(alphabet="0123456789", min_size=13, max_size=16), left=SURROUND)
def test_unionpay_luhn_decides_confidence(body: str, left: str) -> None:
    """A 62 number with its Luhn digit is >= 0.85; with any other last digit <= 0.5, and the
    reason says the check failed."""
    digits = "62" + body
    good = digits + luhn_digit(digits)
    (found,) = BankCardRecognizer().find(left + good)
    assert found.confidence >= 0.85 and (found.start, found.end) == (len(left), len(left + good))
    bad = digits + str((int(luhn_digit(digits)) + 1) % 10)
    assert all(f.confidence <= 0.5 and "fails" in f.reason for f in BankCardRecognizer().find(bad))


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_findings_are_ordered_disjoint_and_in_bounds(text: str) -> None:
    """For any text: findings in order, inside the text, not overlapping, confidence in (0, 1]."""
    findings = ANALYZER.analyze(text)
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert 0 < f.confidence <= 1
    for a, b in itertools.pairwise(findings):
        assert a.end <= b.start


@given(st.text(alphabet="0123456789 -()+省市区路号姓名张王先生电话:：", max_size=200))
def test_digit_heavy_text_keeps_the_invariants(text: str) -> None:
    """The same invariants on text made of the characters recognizers react to."""
    findings = ANALYZER.analyze(text)
    for a, b in itertools.pairwise(findings):
        assert a.start < a.end <= b.start < b.end <= len(text)
