"""Message tags: valid, altered text, other recipient, expired window, typing slips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.contact.ledger.errors import InvalidInput
from shieldwall.contact.ledger.messages import (
    MessageAuthenticator,
    canonical_tag,
    encode,
    normalize_text,
    split_tag,
)
from shieldwall.core.clock import ManualClock

KEY = bytes(range(32))
TEXT = "【示例商城】您的订单 O0001 已发货，预计 3 月 4 日送达。"


def auth(clock: ManualClock, key: bytes = KEY) -> MessageAuthenticator:
    return MessageAuthenticator(key, clock, window=timedelta(hours=24), valid_windows=7)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def test_a_signed_message_verifies(clock: ManualClock) -> None:
    """The text as sent, with its tag, verifies for its recipient."""
    a = auth(clock)
    signed = a.sign("C000001", TEXT)
    assert signed.text.startswith(TEXT) and "【防伪码 " in signed.text
    assert len(signed.tag) == 8 and set(signed.tag) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    check = a.verify("C000001", signed.text)
    assert check.valid and check.reason == "valid"
    assert check.valid_until == signed.valid_until
    assert a.verify("C000001", TEXT, signed.tag).valid  # the tag given apart


def test_one_altered_character_fails(clock: ManualClock) -> None:
    """Changing the order number, a digit or a word makes the tag a mismatch."""
    a = auth(clock)
    signed = a.sign("C000001", TEXT)
    for altered in (
        signed.text.replace("O0001", "O0002"),
        signed.text.replace("3 月 4 日", "3 月 5 日"),
        signed.text.replace("已发货", "已丢失"),
        "请点击 http://jd.com.refund.xyz 办理退款 " + signed.text,
    ):
        check = a.verify("C000001", altered)
        assert not check.valid and check.reason == "mismatch"


def test_another_recipient_fails(clock: ManualClock) -> None:
    """A genuine message shown to (or forwarded as if for) another customer does not verify."""
    a = auth(clock)
    signed = a.sign("C000001", TEXT)
    assert a.verify("C000002", signed.text).reason == "mismatch"


def test_expired_window(clock: ManualClock) -> None:
    """Valid through the 7th window, 'expired' after, and simply a mismatch much later."""
    a = auth(clock)
    signed = a.sign("C000001", TEXT)
    clock.set(signed.valid_until - timedelta(seconds=1))
    assert a.verify("C000001", signed.text).valid
    clock.set(signed.valid_until)
    check = a.verify("C000001", signed.text)
    assert not check.valid and check.reason == "expired"
    assert check.signed_window_start == signed.window_start
    clock.advance(timedelta(days=400))
    assert a.verify("C000001", signed.text).reason == "mismatch"


def test_another_key_fails(clock: ManualClock) -> None:
    """A tag made under another key (another store, a forger) does not verify."""
    signed = auth(clock, bytes(32)).sign("C000001", TEXT)
    assert auth(clock).verify("C000001", signed.text).reason == "mismatch"


def test_rendering_differences_and_typing_slips_are_forgiven(clock: ManualClock) -> None:
    """Line breaks, double spaces, full-width forms, lower case and O/0, I/1 confusions pass."""
    a = auth(clock)
    signed = a.sign("C000001", "Your parcel  O0001\nhas shipped.")
    assert a.verify("C000001", "Your parcel O0001 has shipped.\u200b", signed.tag).valid
    typed = signed.tag.lower().replace("0", "o").replace("1", "i")
    assert a.verify("C000001", "Your parcel O0001 has shipped.", typed).valid
    assert a.verify("C000001", "Ｙｏｕｒ parcel O0001 has shipped.", signed.tag).valid


def test_no_tag_and_bad_tags(clock: ManualClock) -> None:
    """No tag is reported as such; a malformed tag or empty text is bad input."""
    a = auth(clock)
    assert a.verify("C000001", TEXT).reason == "no_tag"
    with pytest.raises(InvalidInput) as err:
        a.verify("C000001", TEXT, "ABC")
    assert err.value.field == "tag"
    with pytest.raises(InvalidInput) as err:
        a.verify("C000001", TEXT, "ABCDEFGU")  # U is not in the alphabet
    with pytest.raises(InvalidInput) as err:
        a.sign("C000001", "   ")
    assert err.value.field == "text"
    signed = a.sign("C000001", TEXT)
    with pytest.raises(InvalidInput, match="already carries a tag"):
        a.sign("C000001", signed.text)


def test_helpers() -> None:
    """The encoder, canonical form, normalizer and splitter agree with each other."""
    assert encode(b"\x00" * 5) == "00000000"
    assert encode(b"\xff" * 5) == "ZZZZZZZZ"
    assert canonical_tag("abcd-efgh") == "ABCDEFGH"
    assert canonical_tag("oIlO 0000") == "0110" + "0000"
    assert normalize_text("  a\t\nb  ") == "a b"
    assert split_tag("hello【防伪码 ABCD-EFGH】") == ("hello", "ABCDEFGH")
    assert split_tag("hello [check tag: abcd efgh] ") == ("hello ", "abcdefgh")
    assert split_tag("hello") == ("hello", None)


@settings(max_examples=60, deadline=None)
@given(
    st.text(min_size=1, max_size=300).filter(lambda t: normalize_text(t) != ""),
    st.from_regex(r"[A-Za-z0-9]{1,20}", fullmatch=True),
)
def test_any_text_signed_verifies(text: str, recipient: str) -> None:
    """Whatever the text, signing then verifying the text as sent is valid."""
    a = auth(ManualClock(datetime(2026, 3, 2, tzinfo=UTC)))
    if split_tag(text)[1] is not None:
        return
    signed = a.sign(recipient, text)
    assert a.verify(recipient, signed.text).valid
