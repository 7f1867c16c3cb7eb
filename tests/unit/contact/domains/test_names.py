"""Parsing observed domains and URLs; every bad input gets a clear reason."""

from __future__ import annotations

import pytest

from shieldwall.contact.domains.errors import InvalidObservedName
from shieldwall.contact.domains.names import parse_observed


def test_plain_domain_is_normalised() -> None:
    """Case and a trailing dot do not matter."""
    name = parse_observed("  WWW.JD.COM.  ")
    assert name.host == "www.jd.com" and name.labels == ("www", "jd", "com")
    assert not name.is_idn and name.userinfo == ""


@pytest.mark.parametrize(
    ("line", "host", "userinfo"),
    [
        ("https://jd.com/refund?x=1", "jd.com", ""),
        ("http://user:pw@jd.com:8443/", "jd.com", "user:pw"),
        ("jd.com/path", "jd.com", ""),
        ("http:\\\\jd.com\\x", "jd.com", ""),
        ("https://jd.com@evil.xyz/login", "evil.xyz", "jd.com"),
    ],
)
def test_urls_give_their_host(line: str, host: str, userinfo: str) -> None:
    """The host is taken from URLs (backslashes read as slashes, userinfo kept apart)."""
    name = parse_observed(line)
    assert (name.host, name.userinfo) == (host, userinfo)


def test_punycode_is_decoded() -> None:
    """xn-- labels are shown as Unicode so homoglyphs can be judged."""
    name = parse_observed("xn--80ak6aa92e.com")
    assert name.host == "аррӏе.com" and name.is_idn


def test_unicode_dots_and_invisible_characters() -> None:
    """Ideographic full stops split labels; zero-width characters are removed and reported."""
    assert parse_observed("京东。com").labels == ("京东", "com")
    name = parse_observed("pay\u200bpal.com")
    assert name.host == "paypal.com" and name.invisible


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", "empty line"),
        ("localhost", "single label"),
        ("192.168.1.1", "IP address"),
        ("http://[::1]/", "IP address"),
        ("http://[::1", "unclosed"),
        ("jd..com", "empty label"),
        ("j d.com", "not allowed"),
        ("jd\x00.com", "not allowed"),
        ("a" * 64 + ".com", "longer than 63"),
        (("a" * 60 + ".") * 5 + "com", "longer than 253"),
        ("xn--zz.com", "not valid punycode"),
        ("xn--.com", "not valid punycode"),
        ("http:///path", "no host"),
        ("http://jd.com:port/", "port is not a number"),
        ("jd.123", "numeric top-level"),
        ("京\u2028东.com", "not allowed"),
    ],
)
def test_bad_input_is_refused_with_a_reason(line: str, reason: str) -> None:
    """Each kind of bad line raises InvalidObservedName naming what is wrong."""
    with pytest.raises(InvalidObservedName) as caught:
        parse_observed(line)
    assert reason in caught.value.reason
