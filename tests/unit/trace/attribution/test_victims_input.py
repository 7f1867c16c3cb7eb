"""Victims input: the CSV reader, the knowledge vocabulary, and resolving rows to customers
through a directory (reported, never crashing, never echoing a value)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shieldwall.trace.attribution.errors import InvalidVictims
from shieldwall.trace.attribution.exposure import Knowledge
from shieldwall.trace.attribution.victims.input import (
    VictimRow,
    parse_csv,
    parse_knew,
    resolve,
    victim_row,
)


def test_csv_with_bom_quotes_blank_lines_and_aliases() -> None:
    """A BOM, a quoted knew list with commas, blank lines and scam-report aliases all read."""
    data = (
        "\ufeffCustomer_ID,Called_At,Knew\n"
        'C1,2026-03-05T14:30:00+08:00,"name, item, id_number"\n'
        "\n"
        "C2,,order number|amount\n"
    ).encode()
    rows = parse_csv(data, max_rows=10)
    assert [r.customer_id for r in rows] == ["C1", "C2"]
    assert rows[0].row == 2 and rows[1].row == 4
    assert rows[0].called_at == datetime(2026, 3, 5, 14, 30, tzinfo=timezone(timedelta(hours=8)))
    assert rows[0].knew == {Knowledge.NAME, Knowledge.ITEMS, Knowledge.NATIONAL_ID}
    assert rows[1].knew == {Knowledge.ORDER, Knowledge.AMOUNT} and rows[1].called_at is None


def test_too_many_rows_is_an_error() -> None:
    """More victims than allowed stop the read."""
    with pytest.raises(InvalidVictims, match="more than 2"):
        parse_csv(b"customer_id\nC1\nC2\nC3\n", max_rows=2)


def test_duplicate_header_is_an_error() -> None:
    """A column named twice is refused."""
    with pytest.raises(InvalidVictims, match="twice"):
        parse_csv(b"customer_id,customer_id\nC1,C2\n", max_rows=2)


def test_a_header_that_is_data_is_not_echoed() -> None:
    """A file with no header (a phone first) fails without repeating the phone."""
    with pytest.raises(InvalidVictims) as exc:
        parse_csv(b"13812345678,name\n", max_rows=5)
    assert "13812345678" not in str(exc.value) and "position 1, 2" in str(exc.value)


def test_knew_vocabulary_is_closed() -> None:
    """Unknown knowledge is refused with the field named; lists and strings both read."""
    assert parse_knew(["Phone", "order-items"], "k") == {Knowledge.PHONE, Knowledge.ITEMS}
    assert parse_knew("", "k") == frozenset()
    with pytest.raises(InvalidVictims) as exc:
        parse_knew("name;blood type", "row 3.knew")
    assert exc.value.field == "row 3.knew" and "blood" not in str(exc.value)


def test_called_at_needs_an_offset() -> None:
    """Naive times are ambiguous across time zones and refused; aware datetimes pass."""
    with pytest.raises(InvalidVictims, match="UTC offset"):
        victim_row(
            1, phone=None, customer_id="C1", called_at="2026-03-05 10:00", knew=(), where="w"
        )
    aware = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    row = victim_row(1, phone=" ", customer_id="C1", called_at=aware, knew=(), where="w")
    assert row.called_at == aware and row.phone is None


class FakeDirectory:
    """Phones -> customers as custody's blind index would answer."""

    def __init__(self) -> None:
        self.phones = {"+8613800000001": ["C1"], "+8613800000002": ["C2", "C3"]}
        self.customers = {"C1", "C2", "C3", "C4"}
        self.looked_up: list[str] = []

    def valid_phone(self, phone: str) -> bool:
        return phone.startswith("+86")

    def by_phone(self, phone: str) -> list[str]:
        self.looked_up.append(phone)
        return self.phones.get(phone, [])

    def existing(self, customer_ids: Sequence[str]) -> set[str]:
        return self.customers & set(customer_ids)

    def population(self) -> int:
        return len(self.customers)


def test_resolve_reports_every_row_it_cannot_use() -> None:
    """Invalid, unknown and shared phones, unknown ids, empty rows and repeats get a reason."""
    rows = [
        VictimRow(2, phone="+8613800000001"),
        VictimRow(3, phone="garbage"),
        VictimRow(4, phone="+8613899999999"),
        VictimRow(5, phone="+8613800000002"),
        VictimRow(6, customer_id="C9"),
        VictimRow(7),
        VictimRow(8, customer_id="C1", phone="+8613800000002"),
        VictimRow(9, customer_id="C4"),
    ]
    directory = FakeDirectory()
    victims, unresolved = resolve(rows, directory)
    assert [(v.customer_id, v.row) for v in victims] == [("C1", 2), ("C4", 9)]
    assert [(u.row, u.reason) for u in unresolved] == [
        (3, "invalid_phone"),
        (4, "unknown_phone"),
        (5, "phone_matches_several_customers"),
        (6, "unknown_customer"),
        (7, "no_phone_or_customer_id"),
        (8, "duplicate"),
    ]
    assert "garbage" not in directory.looked_up  # an invalid phone is not looked up
