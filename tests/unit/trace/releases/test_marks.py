"""Address marks: each form reads back, canonical forms are equivalent, contact fields are never
touched, and which channels survive which normalizations."""

from __future__ import annotations

import itertools
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from shieldwall.sim.people import PeopleFactory
from shieldwall.trace.releases import marks

ADDRESSES = [c.address or "" for c in PeopleFactory(4).customers(40)]


def test_every_combination_reads_back() -> None:
    """Each of the 16 bit combinations is read back exactly from every generated address."""
    for address in ADDRESSES:
        assert set(marks.applicable(address)) == set(marks.FORM_CHANNELS)
        for combo in itertools.product((0, 1), repeat=4):
            bits = dict(zip(marks.FORM_CHANNELS, combo, strict=True))
            assert marks.read(marks.apply(address, bits)) == bits


def test_forms_are_equivalent() -> None:
    """Marked and unmarked addresses are equal after width folding, space removal, 幢->栋 and
    房->室."""
    for address in ADDRESSES:
        marked = marks.apply(address, dict.fromkeys(marks.FORM_CHANNELS, 1))
        folded = unicodedata.normalize("NFKC", marked).replace(" ", "")
        folded = folded.replace("幢", "栋").replace("房", "室")
        assert folded == address


def test_survival_under_normalizations() -> None:
    """NFKC erases digits only; removing spaces erases space only; collapsing whitespace and
    stripping erase nothing."""
    address = ADDRESSES[0]
    bits = {"digits": 1, "space": 1, "building": 1, "room": 1}
    marked = marks.apply(address, bits)
    assert marks.read(unicodedata.normalize("NFKC", marked)) == {**bits, "digits": 0}
    assert marks.read(marked.replace(" ", "")) == {**bits, "space": 0}
    assert marks.read("  " + " ".join(marked.split()) + " ") == bits
    assert marks.read(marked.replace("幢", "栋").replace("房", "室")) == {
        **bits,
        "building": 0,
        "room": 0,
    }


def test_no_feature_no_reading() -> None:
    """An address without house number, province or building carries and reads no channel."""
    assert marks.applicable("某某小区") == ()
    assert marks.read("某某小区") == {}
    assert marks.apply("某某小区", {"digits": 1}) == "某某小区"


@given(st.text(max_size=60))
def test_apply_and_read_are_total(text: str) -> None:
    """Any text can be marked and read without error; unmarked text keeps its characters."""
    out = marks.apply(text, {"digits": 1, "space": 1, "building": 1, "room": 1})
    assert isinstance(marks.read(out), dict)
