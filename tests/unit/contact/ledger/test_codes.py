"""One-time codes: derived from a per-contact salt under a key, compared in constant time."""

from __future__ import annotations

import pytest

from shieldwall.contact.ledger.codes import AGENT_READS, CUSTOMER_READS, CodeBook, new_salt
from shieldwall.contact.ledger.errors import InvalidInput

KEY = bytes(range(32))


def test_codes_are_stable_and_independent() -> None:
    """Same inputs give the same code; direction, contact, salt and key each change it."""
    book = CodeBook(KEY, 6)
    salt = new_salt()
    code = book.code(AGENT_READS, "ctc_1", salt)
    assert len(code) == 6 and code.isdigit()
    assert book.code(AGENT_READS, "ctc_1", salt) == code
    others = {
        book.code(CUSTOMER_READS, "ctc_1", salt),
        book.code(AGENT_READS, "ctc_2", salt),
        book.code(AGENT_READS, "ctc_1", new_salt()),
        CodeBook(bytes(32), 6).code(AGENT_READS, "ctc_1", salt),
    }
    assert code not in others


def test_codes_spread_over_all_digits() -> None:
    """Over many salts the codes use every leading digit (no bias towards small numbers)."""
    book = CodeBook(KEY, 6)
    firsts = {book.code(AGENT_READS, f"ctc_{i}", b"s" * 16)[0] for i in range(400)}
    assert firsts == set("0123456789")


def test_matching_forgives_spacing_and_full_width_digits() -> None:
    """A code read out as "４７１ 902" matches; letters or a wrong length are bad input."""
    book = CodeBook(KEY, 6)
    salt = new_salt()
    code = book.code(CUSTOMER_READS, "ctc_1", salt)
    spoken = "".join(chr(ord(c) + 0xFEE0) for c in code[:3]) + " " + code[3:]
    assert book.matches(CUSTOMER_READS, "ctc_1", salt, book.normalize(spoken))
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert not book.matches(CUSTOMER_READS, "ctc_1", salt, book.normalize(wrong))
    for bad in ("12345", "1234567", "12a456", "", "١٢٣٤٥٦"):
        with pytest.raises(InvalidInput) as err:
            book.normalize(bad)
        assert err.value.field == "code"


def test_short_keys_are_refused() -> None:
    """A code key under 256 bits is a configuration error."""
    with pytest.raises(ValueError, match="256 bits"):
        CodeBook(b"short", 6)
