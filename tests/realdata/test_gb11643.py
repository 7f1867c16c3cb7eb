"""GB 11643 ID numbers against answers worked out here, independently of python-stdnum.

The check digit is ISO 7064 MOD 11-2: multiply the 17 digits by the weights
7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, add, take the sum mod 11, and index "10X98765432" with it.
Each case below writes that arithmetic out as literal values.
"""

from __future__ import annotations

import pytest

from shieldwall.custody import normalize
from shieldwall.custody.errors import ValidationError
from shieldwall.sim.people import PeopleFactory

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DIGIT_OF_REMAINDER = "10X98765432"

# (17 digits, the products digit by weight, their sum, sum mod 11, check digit)
WORKED = [
    # GB 11643-1999's own example: 北京市朝阳区, born 1949-12-31.
    ("11010519491231002", (7, 9, 0, 5, 0, 20, 2, 9, 24, 27, 7, 18, 30, 5, 0, 0, 4), 167, 2, "X"),
    # 邯山区 (Hebei, code of the 1980-1982 editions only), born 1950-03-01.
    ("13210219500301123", (7, 27, 20, 5, 0, 8, 2, 9, 30, 0, 0, 27, 0, 5, 8, 8, 6), 162, 8, "4"),
    # 通县 (Beijing, renamed 通州区 with a new code in 1997), born 1975-06-15.
    (
        "11022319750615045",
        (7, 9, 0, 10, 16, 12, 2, 9, 42, 15, 0, 54, 10, 25, 0, 16, 10),
        237,
        6,
        "6",
    ),
    # 通州区 (Beijing, code since 1997), born 1985-11-20.
    ("11011219851120338", (7, 9, 0, 5, 8, 8, 2, 9, 48, 15, 7, 9, 20, 0, 24, 12, 16), 199, 1, "0"),
    # 崇文区 (Beijing, merged into 东城区 in 2010), born 1962-02-28.
    ("11010319620228211", (7, 9, 0, 5, 0, 12, 2, 9, 36, 6, 0, 18, 20, 40, 16, 4, 2), 186, 10, "2"),
    # 龙岗区 (Shenzhen), born 1990-01-01.
    ("44030719900101002", (28, 36, 0, 15, 0, 28, 2, 9, 54, 0, 0, 9, 0, 5, 0, 0, 4), 190, 3, "9"),
]


@pytest.mark.parametrize(("body", "products", "total", "remainder", "digit"), WORKED)
def test_worked_examples_are_consistent(
    body: str, products: tuple[int, ...], total: int, remainder: int, digit: str
) -> None:
    """The hand-written arithmetic of each case is itself right (guards the table's typos)."""
    assert tuple(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) == products
    assert sum(products) == total and total % 11 == remainder
    assert DIGIT_OF_REMAINDER[remainder] == digit


@pytest.mark.parametrize(("body", "products", "total", "remainder", "digit"), WORKED)
def test_check_digit_matches_worked_examples(
    body: str, products: tuple[int, ...], total: int, remainder: int, digit: str
) -> None:
    """shieldwall computes each worked check digit, and accepts the full number (strict)."""
    assert normalize.gb11643_check_digit(body) == digit
    assert normalize.national_id(body + digit) == body + digit


def test_standard_example_is_accepted() -> None:
    """GB 11643-1999's example 11010519491231002X is a valid ID number, also written with x."""
    assert normalize.national_id("11010519491231002X") == "11010519491231002X"
    assert normalize.national_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(("body", "products", "total", "remainder", "digit"), WORKED)
def test_every_other_check_digit_is_rejected(
    body: str, products: tuple[int, ...], total: int, remainder: int, digit: str
) -> None:
    """Each of the ten wrong check digits is rejected with the check-digit reason."""
    for wrong in (c for c in "0123456789X" if c != digit):
        with pytest.raises(ValidationError, match="check digit"):
            normalize.national_id(body + wrong)


def test_generated_people_carry_right_check_digits() -> None:
    """Every simulated customer's ID number passes the MOD 11-2 check computed here."""
    for c in PeopleFactory(7).customers(300):
        assert c.national_id is not None
        total = sum(int(d) * w for d, w in zip(c.national_id[:17], WEIGHTS, strict=True))
        assert c.national_id[17] == DIGIT_OF_REMAINDER[total % 11], c.customer_id
