"""Origins of a login: subnets, and the IP-range to ASN table (parsing, lookups, errors)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.guard.risk.errors import AsnTableError, InvalidAttempt
from shieldwall.guard.risk.network import AsnTable, parse_ip

TABLE = """start_ip,end_ip,asn,name
10.0.0.0,10.0.0.255,64500,ONE
10.0.2.0,10.0.3.255,AS64501,TWO
2001:db8::,2001:db8::ffff,64502,SIX
"""


def test_lookups_inside_between_and_outside_ranges() -> None:
    """An address in a range gets its ASN; between or outside ranges gets 0; v6 works."""
    t = AsnTable.parse(TABLE)
    assert len(t) == 3
    assert t.origin("10.0.0.7").asn == 64500
    assert t.origin("10.0.1.7").asn == 0
    assert t.origin("10.0.3.255").asn == 64501
    assert t.origin("2001:db8::1").asn == 64502
    assert t.origin("::ffff:10.0.0.9").asn == 64500  # v4-mapped is the v4 address
    assert t.origin("10.0.0.7").subnet == "10.0.0.0/24"
    assert t.origin("2001:db8:0:1:2::3").subnet == "2001:db8:0:1::/64"


def test_packaged_sample_loads() -> None:
    """The shipped sample parses and maps a China Telecom address."""
    t = AsnTable.load(None)
    assert len(t) >= 10 and t.origin("1.80.3.4").asn == 4134


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("10.0.0.0,10.0.0.x,1,A\n", "t:1: not an IP address"),
        ("10.0.0.9,10.0.0.1,1,A\n", "t:1: end_ip before start_ip"),
        ("10.0.0.0,2001:db8::,1,A\n", "t:1: end_ip before start_ip or another family"),
        ("10.0.0.0,10.0.0.9,ASX,A\n", "t:1: asn is not a number"),
        ("10.0.0.0\n", "t:1: expected"),
        ("10.0.0.0,10.0.0.9,1,A\n10.0.0.5,10.0.0.20,2,B\n", "t: ranges overlap"),
    ],
)
def test_bad_tables_name_the_line(text: str, needle: str) -> None:
    """Each malformed row is refused with its source and line number."""
    with pytest.raises(AsnTableError) as err:
        AsnTable.parse(text, "t")
    assert needle in str(err.value)


def test_bad_address_is_invalid_attempt() -> None:
    """A non-address raises InvalidAttempt for the field ip."""
    with pytest.raises(InvalidAttempt) as err:
        parse_ip("not-an-ip")
    assert err.value.field == "ip"


@given(
    st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=40, unique=True),
    st.integers(0, 2**32 - 1),
)
def test_lookup_matches_a_linear_scan(bounds: list[int], probe: int) -> None:
    """Binary search answers exactly what a scan of the ranges answers (property)."""
    b = sorted(bounds)
    rows = [
        (4, b[i], b[i + 1] - 1 if b[i + 1] > b[i] else b[i], 100 + i, "")
        for i in range(0, len(b) - 1, 2)
    ]
    t = AsnTable(rows)
    want = next((asn for _, s, e, asn, _ in rows if s <= probe <= e), 0)
    assert t.asn_of(ipaddress.IPv4Address(probe)) == want
