"""Normalization: folding, invisible characters, punctuation, de-obfuscation, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.contact.scam.errors import TextTooLong
from shieldwall.contact.scam.normalize import check_length, decode, normalize, sanitize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("加ＱＱ：１２３４５６７８９", "加QQ:123456789"),  # full-width → half-width
        ("q\u200bq\u200d号\ufeff", "qq号"),  # zero-width space/joiner, BOM
        ("退\u202e款\u00ad", "退款"),  # bidi override, soft hyphen
        ("您好。谢谢、好的【盾墙】“引号”", '您好.谢谢,好的[盾墙]"引号"'),
        ("a  \t b\r\n\n\n\nc  ", "a b\n\nc"),
    ],
)
def test_folding_and_cleanup(raw: str, expected: str) -> None:
    """NFKC, invisible characters, Chinese punctuation and white space come out in one form."""
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("请访问 j d . c o m 办理", "请访问 jd.com 办理"),
        ("jd[.]com", "jd.com"),
        ("jd(dot)com", "jd.com"),
        ("jd{.}com", "jd.com"),
        ("jd 点 com", "jd.com"),
        ("jd点com", "jd.com"),
        ("jd dot com", "jd.com"),
        ("jd . com", "jd.com"),
        ("hxxps[:]//evil[.]top/x", "https://evil.top/x"),
        ("kefu[at]evil.top", "kefu@evil.top"),
        ("1 3 8 1 2 3 4 5 6 7 8", "13812345678"),
        ("QQ 一二三四五六七八", "QQ 12345678"),
        ("卡号 陆贰贰贰零贰壹", "卡号 6222021"),
        ("1\u20e33\u20e38\u20e3", "138"),  # keycap digits
    ],
)
def test_deobfuscation(raw: str, expected: str) -> None:
    """Each common obfuscation trick is undone."""
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "prose",
    [
        "Spring sale up to 50% off. Shop now",  # ". Shop" is a sentence, not ".shop"
        "the polka dot dress",
        "我一点都不知道",
        "I am a b c d e",
    ],
)
def test_prose_is_left_alone(prose: str) -> None:
    """De-obfuscation only fires before a TLD or on unambiguous brackets."""
    assert normalize(prose) == prose


def test_decode_counts_invalid_bytes() -> None:
    """Invalid UTF-8 becomes U+FFFD and is counted; a real U+FFFD in the input is not counted."""
    raw = "退款".encode() + b"\xff\xfe" + "\ufffd".encode() + b"\xc3"
    decoded = decode(raw)
    assert decoded.text == "退款\ufffd\ufffd\ufffd\ufffd"
    assert decoded.replaced == 3


def test_lone_surrogates_are_replaced() -> None:
    """Lone surrogates (from JSON escapes) are replaced and counted, and normalize removes them."""
    fixed = sanitize("a\ud800b\udfffc")
    assert fixed.text == "a\ufffdb\ufffdc" and fixed.replaced == 2
    assert "\ud800" not in normalize("x\ud800y")
    normalize("x\ud800y").encode("utf-8")  # encodable


def test_check_length_names_field_and_limit() -> None:
    """An over-long text raises TextTooLong with the field and the limit, not the text."""
    with pytest.raises(TextTooLong) as info:
        check_length("秘密" * 60, 100, "text")
    assert info.value.field == "text" and info.value.limit == 100
    assert "秘密" not in str(info.value)
    assert check_length("ok", 100) == "ok"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_normalize_is_idempotent(text: str) -> None:
    """normalize(normalize(x)) == normalize(x) for any text."""
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("jd.com 点dot[]()一二三1 2 3hxp:/@qq\u200b。，")), max_size=60
    )
)
def test_normalize_is_idempotent_on_obfuscation_alphabet(text: str) -> None:
    """Idempotence holds on text built from the characters the obfuscation rules touch."""
    once = normalize(text)
    assert normalize(once) == once
