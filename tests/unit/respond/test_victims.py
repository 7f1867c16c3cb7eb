"""Victims lists, pure: CSV read with its encodings and bounds, rows checked (GB 11643 check
digits worked by hand), matched and deduplicated against a directory, and the status machine."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from shieldwall.respond.errors import RespondInvalid, TransitionRefused
from shieldwall.respond.victims import (
    VICTIM_TRANSITIONS,
    Keys,
    RowProblem,
    VictimRow,
    VictimStatus,
    check_row,
    match,
    parse_csv,
    rematch_customer,
    transition,
)

# GB 11643-1999's example: weighted sum of the first 17 digits 167, 167 mod 11 = 2 -> "X".
ID_X = "11010519491231002X"
# 440524188001010014: weighted sum 195, 195 mod 11 = 8 -> "4".
ID_4 = "440524188001010014"
PHONE = "+8613912345678"


def parse(text: str | bytes, **kw: object) -> tuple[list[VictimRow], list[RowProblem]]:
    data = text.encode() if isinstance(text, str) else text
    parsed = parse_csv(data, region="CN", max_rows=int(kw.pop("max_rows", 100)), **kw)  # type: ignore[arg-type]
    return list(parsed.rows), list(parsed.rejected)


def test_rows_are_normalized_and_amounts_read_exactly() -> None:
    """Phones become E.164, ID numbers upper-case; names are only noted; 12.05 yuan is 1205."""
    rows, rejected = parse(
        "\ufeffphone,national_id,name,loss_yuan\n"
        "139 1234 5678,11010519491231002x,张三,12.05\n"
        ",440524188001010014,,\n"
    )
    assert rejected == []
    assert rows[0] == VictimRow(2, None, PHONE, ID_X, None, True, 1205)
    assert rows[1] == VictimRow(3, None, None, ID_4, None, False, 0)


def test_gb18030_lists() -> None:
    rows, _ = parse("name,phone\n李四,13912345678\n".encode("gb18030"), encoding="gb18030")
    assert rows[0].phone == PHONE and rows[0].has_name


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ("110105194912310021,,", "national_id", "invalid_national_id"),  # check digit is X
        ("11010519491231002,,", "national_id", "invalid_national_id"),  # 17 characters
        (",12345,", "phone", "invalid_phone"),
        (",,bad id", "customer_id", "invalid_id"),
    ],
)
def test_bad_values_reject_their_row_without_echoing_them(
    line: str, field: str, reason: str
) -> None:
    rows, rejected = parse(f"national_id,phone,customer_id\n{line}\n,13912345678,\n")
    assert rejected == [RowProblem(2, field, reason)]
    assert len(rows) == 1


def test_loss_columns_must_agree() -> None:
    _, rejected = parse("phone,loss_fen,loss_yuan\n13912345678,100,2.00\n")
    assert rejected == [RowProblem(2, "loss_fen", "invalid_loss")]
    _, rejected = parse("phone,loss_fen\n13912345678,1.5\n")
    assert rejected[0].reason == "invalid_loss"


def test_a_row_without_identifier_is_rejected() -> None:
    _, rejected = parse("name,phone\n张三,\n")
    assert rejected == [RowProblem(2, None, "no_identifier")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"phone\n\x00\n", "binary"),
        (b"phone\n\xff\xfe1\n", "not utf-8"),
        (b"", "empty"),
        (b"phone,email\n1\n", "unknown column at position 2"),
        (b"phone,phone\n1,2\n", "twice"),
        (b"name,loss_fen\nx,1\n", "needs at least one"),
        (b"phone\n", "no victims"),
        (b'phone\n"1\n', "not valid CSV"),
    ],
)
def test_bad_files_are_one_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(RespondInvalid) as err:
        parse(data)
    assert reason in str(err.value) and err.value.field == "file"


def test_row_and_size_bounds() -> None:
    with pytest.raises(RespondInvalid, match="more than 2 victims"):
        parse("phone\n13912345678\n13912345679\n13912345670\n", max_rows=2)
    _, rejected = parse("phone,name\n13912345678," + "x" * 300 + "\n")
    assert rejected == [RowProblem(2, "name", "too_long")]
    with pytest.raises(RespondInvalid, match="utf-8 or gb18030"):
        parse("phone\n1\n", encoding="latin-1")


class Directory:
    """A fake custody: phones, ID numbers and orders to customers."""

    def __init__(self) -> None:
        self.phones = {PHONE: ["C1"], "+8613912345679": ["C2", "C3"]}
        self.ids = {ID_X: ["C1"], ID_4: ["C4"]}
        self.orders = {"O1": "C1", "O4": "C4"}

    def by_phone(self, e164: str) -> list[str]:
        return self.phones.get(e164, [])

    def by_national_id(self, national_id: str) -> list[str]:
        return self.ids.get(national_id, [])

    def order_customer(self, order_id: str) -> str | None:
        return self.orders.get(order_id)

    def existing(self, customer_ids: Sequence[str]) -> set[str]:
        return set(customer_ids) & {"C1", "C2", "C3", "C4"}

    def by_digest(self, field: str, digest: bytes) -> list[str]:
        table = self.phones if field == "phone" else self.ids
        return table.get(digest.decode()[1:], [])

    def keys(self, row: VictimRow) -> Keys:
        return Keys(
            phone=None if row.phone is None else f"p{row.phone}".encode(),
            national_id=None if row.national_id is None else f"n{row.national_id}".encode(),
            order=None if row.order_id is None else f"o{row.order_id}".encode(),
        )


def test_matching_agrees_deduplicates_and_keeps_the_unmatched_keyed() -> None:
    """Identifiers that agree match; one customer twice is one victim; identifiers naming two
    customers are a conflict; a shared phone stays unmatched; unknown ids are rejected."""
    rows = [
        VictimRow(1, phone=PHONE, national_id=ID_X, loss=5),  # C1 by both
        VictimRow(2, order_id="O1"),  # C1 again: duplicate of row 1
        VictimRow(3, national_id=ID_4, phone=PHONE),  # C4 vs C1: conflict
        VictimRow(4, phone="+8613912345679"),  # C2 or C3: ambiguous, kept keyed
        VictimRow(5, phone="+8613900000000"),  # nobody: kept keyed
        VictimRow(6, phone="+8613900000000", order_id="O9"),  # same keyed person: duplicate
        VictimRow(7, customer_id="C9"),  # no such customer
        VictimRow(8, customer_id="C4", order_id="O4"),
    ]
    result = match(rows, Directory())
    assert [(m.row, m.customer_id) for m in result.matches] == [
        (1, "C1"),
        (4, None),
        (5, None),
        (8, "C4"),
    ]
    assert result.matches[0].victim_key == "c:C1" and result.matches[0].loss == 5
    assert result.matches[2].victim_key == "p:" + b"p+8613900000000".hex()
    assert [(d.row, d.duplicate_of) for d in result.duplicates] == [(2, 1), (6, 5)]
    assert result.rejected == (
        RowProblem(3, None, "conflicting_identifiers"),
        RowProblem(7, "customer_id", "unknown_customer"),
    )
    assert result.ambiguous == (4,)


def test_an_unmatched_id_number_outranks_the_phone_as_key() -> None:
    (m,) = match([VictimRow(1, phone="+8613900000000", national_id="X")], Directory()).matches
    assert m.victim_key == "n:" + b"nX".hex()


@pytest.mark.parametrize("start", list(VictimStatus))
@pytest.mark.parametrize("target", list(VictimStatus))
def test_victim_status_machine(start: VictimStatus, target: VictimStatus) -> None:
    if target in VICTIM_TRANSITIONS[start]:
        assert transition("v1", start, target) is target
    else:
        with pytest.raises(TransitionRefused):
            transition("v1", start, target)


def test_check_row_prefixes_fields() -> None:
    got = check_row(1, {"phone": "123"}, region="CN", where="rows.0.")
    assert got == RowProblem(1, "rows.0.phone", "invalid_phone")


@pytest.mark.parametrize(
    ("found", "customer"),
    [
        ([], None),  # kept under no hash that names anyone
        ([set(), set()], None),
        ([{"C1"}], "C1"),  # one hash, one customer
        ([{"C1"}, set()], "C1"),  # the ID number names C1, the phone nobody
        ([{"C1"}, {"C1"}], "C1"),  # both agree
        ([{"C1"}, {"C2"}], None),  # they disagree: ambiguous
        ([{"C2", "C3"}], None),  # a phone two customers share
        ([{"C1"}, {"C1", "C2"}], None),
    ],
)
def test_rematch_names_one_customer_or_none(found: list[set[str]], customer: str | None) -> None:
    """A victim kept unmatched is linked only when every hash that names anyone names the same
    single customer."""
    assert rematch_customer(found) == customer
