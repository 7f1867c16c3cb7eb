"""Dictionary awareness of the lookalike scanner (wordfreq), with hand-checked examples.

The words below were checked by hand: ``link``, ``bin``, ``whats``, ``up``, ``pioneer``,
``meta``, ``rank`` are English words; ``girhub``, ``paypa1``, ``jingdong`` are not; ``bank`` and
``credit`` are common words that many bank names end with.
"""

from __future__ import annotations

import pytest

from shieldwall.contact.domains.brands import Brand, BrandBook
from shieldwall.contact.domains.scanner import LookalikeScanner, edit_weight
from shieldwall.contact.domains.words import distinctive_length, is_common_words


@pytest.mark.parametrize("label", ["linkbin", "whatsup", "pioneer", "metarank", "link-bin"])
def test_labels_made_of_common_words(label: str) -> None:
    assert is_common_words(label)


@pytest.mark.parametrize("label", ["girhub", "paypa1", "jingdong", "yourube", "xn--pypal", ""])
def test_labels_that_are_not_common_words(label: str) -> None:
    assert not is_common_words(label)


@pytest.mark.parametrize(
    ("term", "own"),
    [
        ("alfabank", 4),  # alfa + bank
        ("unicredit", 3),  # uni + credit
        ("jingdong", 8),  # no common part
        ("youtube", 7),  # you + tube, but a name in its own right
        ("microsoft", 9),
    ],
)
def test_distinctive_length(term: str, own: int) -> None:
    assert distinctive_length(term) == own


def test_edit_weight_counts_own_letters_and_dictionary() -> None:
    """Full weight for a distinctive term and a non-word label; less for either opposite."""
    assert edit_weight("jimgdong", "jingdong") == 1.0
    assert edit_weight("atfbank", "alfabank") < 1.0  # judged as a change to 'alfa'
    assert edit_weight("pioneer", "payoneer") < edit_weight("payonner", "payoneer") == 1.0


BOOK = BrandBook(
    (
        Brand("Alfa-Bank", ("alfabank.ru",), ("alfabank",)),
        Brand("Payoneer", ("payoneer.com",), ("payoneer",)),
        Brand("Fidelity", ("fidelity.com",), ("fidelity",)),
        Brand("Intel", ("intel.com",), ("intel",)),
        Brand("Apple", ("apple.com",), ("apple",)),
    )
)


@pytest.fixture(scope="module")
def scanner() -> LookalikeScanner:
    return LookalikeScanner(BOOK)


@pytest.mark.parametrize(
    "line",
    [
        "atfbank.com",  # two edits, both in the 4 letters that are Alfa-Bank's own
        "pioneer.com",  # an English word two edits from payoneer
        "fidelitybank.com",  # brand word + an ordinary word, no lure
        "careerintelligence.com",  # 'intel' inside 'intelligence', 'care' a lure word nearby
        "intel88.com",  # brand + digits
    ],
)
def test_real_looking_near_misses_are_clean(scanner: LookalikeScanner, line: str) -> None:
    assert scanner.scan(line).verdict == "clean"


@pytest.mark.parametrize(
    ("line", "brand"),
    [
        ("alfabank-login.com", "Alfa-Bank"),  # lure word
        ("payonner.com", "Payoneer"),  # one keyboard slip in a long, non-word name
        ("fidelity-verify.com", "Fidelity"),
        ("intel-support.com", "Intel"),
        ("apples-24x7-help.pages.dev", "Apple"),  # a plural still bounds the brand term
    ],
)
def test_lookalikes_still_flagged(scanner: LookalikeScanner, line: str, brand: str) -> None:
    verdict = scanner.scan(line)
    assert (verdict.verdict, verdict.brand) == ("lookalike", brand), verdict
