"""What a public suffix says about a name's registrant: restricted registries, country codes."""

from __future__ import annotations

import pytest

from shieldwall.contact.domains.suffixes import (
    FOREIGN_COUNTRY_WEIGHT,
    country_code,
    is_restricted,
    own_country_codes,
    suffix_weight,
)


@pytest.mark.parametrize(
    "suffix", ["edu", "gov", "mil", "int", "edu.bd", "ac.uk", "go.jp", "gov.au"]
)
def test_restricted_registries(suffix: str) -> None:
    """Zones that register only vetted institutions are recognised."""
    assert is_restricted(suffix)


@pytest.mark.parametrize("suffix", ["com", "com.tw", "co.uk", "github.io", "education", "ac"])
def test_open_registries(suffix: str) -> None:
    """Open zones, and names that merely contain 'edu' or 'ac', are not restricted."""
    assert not is_restricted(suffix)


@pytest.mark.parametrize(
    ("suffix", "code"),
    [("ru", "ru"), ("com.tw", "tw"), ("co.uk", "uk"), ("com", None), ("io", None), ("co", None)],
)
def test_country_code(suffix: str, code: str | None) -> None:
    """The last label's country code, except codes sold as generic names (.io, .co)."""
    assert country_code(suffix) == code


def test_suffix_weight() -> None:
    """Restricted: 0; another country's code: the foreign weight; own code or generic: 1."""
    own = own_country_codes(["ru", "com"])
    assert own == frozenset({"ru"})
    assert suffix_weight("edu.bd", own) == 0.0
    assert suffix_weight("de", own) == FOREIGN_COUNTRY_WEIGHT == 0.6
    assert suffix_weight("ru", own) == 1.0
    assert suffix_weight("com", own) == 1.0
    assert suffix_weight("me", own) == 1.0
