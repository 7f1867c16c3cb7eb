"""Named one-edit permutations and watch lists."""

from __future__ import annotations

import pytest

from shieldwall.contact.domains.confusables import match_key
from shieldwall.contact.domains.fuzzers import ascii_lookalikes, single_edits, watch_list


@pytest.mark.parametrize(
    ("variant", "technique"),
    [
        ("jingdon", "omission"),
        ("jingdongg", "repetition"),
        ("jingdnog", "transposition"),
        ("jingdonf", "bitsquatting"),
        ("jing-dong", "hyphenation"),
        ("jungdong", "vowel_swap"),
        ("jingdomg", "keyboard_typo"),
        ("jingdoxg", "replacement"),
        ("jingdoqng", "insertion"),
    ],
)
def test_each_edit_is_named(variant: str, technique: str) -> None:
    """Each one-edit variant of a label carries the technique that produces it."""
    assert technique in single_edits("jingdong")[variant].techniques


def test_edits_are_one_edit_and_valid_labels() -> None:
    """No variant is the label itself, and none starts or ends with a hyphen."""
    variants = single_edits("taobao")
    assert "taobao" not in variants
    assert all(v[0] != "-" and v[-1] != "-" for v in variants)
    assert "-taobao" not in variants and "taobao-" not in variants


def test_two_edits_are_not_one() -> None:
    """A two-edit string is not produced (negative case)."""
    assert "jindon" not in single_edits("jingdong")


def test_ascii_lookalikes() -> None:
    """vv for w, cl for d, 1 for i are proposed; letters with no look-alike are not touched."""
    assert "vvechat" in ascii_lookalikes("wechat")
    assert "jcl" in ascii_lookalikes("jd")
    assert "v1p" in ascii_lookalikes("vip")
    assert ascii_lookalikes("xyz") == {}


def test_watch_list_covers_the_techniques() -> None:
    """The watch list has homoglyph IDNs (punycode), TLD swaps, combos and typos, no original."""
    perms = watch_list(
        "taobao.com", keywords=["kefu", "退款"], tlds=["com", "net"], label="taobao", suffix="com"
    )
    domains = {p.domain for p in perms}
    by_technique = {p.technique for p in perms}
    assert "taobao.com" not in domains
    assert {"homoglyph", "tld_swap", "combosquatting", "omission"} <= by_technique
    assert "taobao.net" in domains and "taobao-kefu.com" in domains
    idn = [p for p in perms if p.domain.startswith("xn--") and p.technique == "homoglyph"]
    assert idn and all(match_key(p.unicode.split(".")[0]) == "taobao" for p in idn)
    assert len(domains) == len(perms)
