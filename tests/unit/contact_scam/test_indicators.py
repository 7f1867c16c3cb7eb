"""Indicator extraction: each kind, obfuscations, Luhn, tokens, malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.contact.scam.indicators import IndicatorExtractor, Kind
from shieldwall.contact.scam.normalize import normalize
from shieldwall.contact.scam.tokens import Tokenizer, luhn_valid
from tests.unit.contact_scam.conftest import SECRETS

EX = IndicatorExtractor(Tokenizer.from_secrets(SECRETS))  # for property tests (built once)
CARD = "6222021234567890128"  # 19 digits, Luhn-valid
CARD16 = "4111111111111111"


def values(ex: IndicatorExtractor, text: str, kind: Kind) -> list[str]:
    return ex.extract(normalize(text)).values(kind)


def test_luhn_known_answers() -> None:
    """The Luhn check accepts known valid numbers and rejects one-digit changes."""
    assert luhn_valid(CARD16) and luhn_valid(CARD) and luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112") and not luhn_valid("79927398710")
    assert not luhn_valid("41111x1111111111")


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("点击http://evil.top/claim填写信息", Kind.URL, ["http://evil.top/claim"]),
        ("点击http://evil.top/claim填写信息", Kind.DOMAIN, ["evil.top"]),
        ("访问 refund.shieldmart.com.claim-center.xyz 领取", Kind.DOMAIN, ["claim-center.xyz"]),
        ("登录 kf-shieldmart.com/tk/ab12 办理", Kind.URL, ["http://kf-shieldmart.com/tk/ab12"]),
        ("打开 www.京东.com/x", Kind.DOMAIN, ["xn--xhq9m.com"]),
        ("https://xn--shieldmrt-m2a.com/a", Kind.DOMAIN, ["xn--shieldmrt-m2a.com"]),
        ("http://jd.com@evil.top/x", Kind.DOMAIN, ["evil.top"]),  # userinfo trick
        ("https://115.29.48.12:8080/refund", Kind.DOMAIN, ["115.29.48.12"]),
        ("请访问 j d . c o m", Kind.DOMAIN, ["jd.com"]),
        ("shieldmart-refund[.]top", Kind.DOMAIN, ["shieldmart-refund.top"]),
        ("mail kefu@shieldmart-refund.top", Kind.EMAIL, ["kefu@shieldmart-refund.top"]),
        ("邮箱 12345678@qq.com", Kind.QQ, ["12345678"]),
        ("加QQ:123456789 办理", Kind.QQ, ["123456789"]),
        ("扣扣 一二三四五六七八", Kind.QQ, ["12345678"]),
        ("售后QQ吗?987654", Kind.QQ, ["987654"]),
        ("加一下我的微信kf_service88办理", Kind.WECHAT, ["kf_service88"]),
        ("add WeChat refund_desk7 now", Kind.WECHAT, ["refund_desk7"]),
        ("微信号:abcdefg", Kind.WECHAT, ["abcdefg"]),
        ("Follow us on WeChat for delivery updates", Kind.WECHAT, []),  # a word, not an id
        ("Telegram with our agent @refund_desk7", Kind.TELEGRAM, ["refund_desk7"]),
        ("支付宝账号 13812345678", Kind.ALIPAY, ["13812345678"]),
        ("输入会议号 123 456 789 进入", Kind.MEETING_ID, ["123456789"]),
        ("meeting ID: 8812 3456 77", Kind.MEETING_ID, ["8812345677"]),
        ("拨打 13812345678 联系", Kind.PHONE, ["+8613812345678"]),
        ("座机010-62345678", Kind.PHONE, ["+861062345678"]),
        ("热线400-606-5500", Kind.PHONE, ["+864006065500"]),
        ("call +1 646 555 0142 now", Kind.PHONE, ["+16465550142"]),
        ("１３８ １２３４ ５６７８", Kind.PHONE, ["+8613812345678"]),
        ("客服95588为您服务", Kind.SHORT_NUMBER, ["95588"]),
        ("实付¥1,299.50", Kind.AMOUNT, ["CNY 1299.50"]),
        ("赔偿300元", Kind.AMOUNT, ["CNY 300.00"]),
        ("pay $49.99 today", Kind.AMOUNT, ["USD 49.99"]),
        ("下载向日葵和ToDesk", Kind.SCREEN_SHARE_APP, ["Sunlogin", "ToDesk"]),
        (
            "install AnyDesk and share your screen",
            Kind.SCREEN_SHARE_APP,
            ["AnyDesk", "screen sharing"],
        ),
        ("打开腾讯会议共享屏幕", Kind.SCREEN_SHARE_APP, ["Tencent Meeting", "screen sharing"]),
    ],
)
def test_each_kind(
    extractor: IndicatorExtractor, text: str, kind: Kind, expected: list[str]
) -> None:
    """Every indicator kind is found, canonicalized, in its usual spellings."""
    assert values(extractor, text, kind) == expected


def test_card_numbers_are_tokenized_never_clear(extractor: IndicatorExtractor) -> None:
    """A Luhn-valid card becomes a keyed token with its last four digits; the digits are gone."""
    spaced = " ".join(CARD[i : i + 4] for i in range(0, len(CARD), 4))
    result = extractor.extract(normalize(f"请转到安全账户 {spaced} 或 {CARD16}"))
    cards = result.of(Kind.BANK_CARD)
    assert [c.detail for c in cards] == ["0128", "1111"]
    token = Tokenizer.from_secrets(SECRETS).token(Kind.BANK_CARD, CARD)
    assert cards[0].value == token and token.startswith("tok_")
    assert CARD not in repr(result) and CARD16 not in repr(result)
    assert not result.of(Kind.PHONE)  # the digits were not also read as phone numbers


def test_card_failing_luhn_is_rejected_in_context(extractor: IndicatorExtractor) -> None:
    """A card-like number after 卡号 that fails Luhn is reported as rejected, not as a card."""
    result = extractor.extract(normalize("卡号 6222021234567890123"))
    assert not result.of(Kind.BANK_CARD)
    assert [r.reason for r in result.rejected] == ["card-like number fails Luhn"]


def test_order_numbers_are_tokenized(extractor: IndicatorExtractor) -> None:
    """Order and tracking numbers are the victim's data: tokens, with the last four digits."""
    result = extractor.extract(normalize("订单号 1234567890123 运单号 SF123456789012"))
    order = result.of(Kind.ORDER_NUMBER)
    tracking = result.of(Kind.TRACKING_NUMBER)
    assert order and order[0].value.startswith("tok_") and order[0].detail == "0123"
    assert tracking and tracking[0].value.startswith("tok_")
    assert "1234567890123" not in repr(result)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "malformed URL (invalid IPv6 host)"),
        ("http://a..b.com/x", "invalid host label"),
        ("http://xn--zz.com/x", "invalid punycode label"),
        ("http://host.com:99999/x", "malformed URL (port out of range)"),
        ("http://intranet/x", "no known public suffix"),
        ("http://" + "a" * 64 + ".com/", "invalid host label"),
        ("http://" + ("a" * 60 + ".") * 5 + "com/", "host name longer than 253 characters"),
        ("http://-bad-.com/", "invalid host label"),
        ("http://999.1.1.1/", "invalid IP address"),
        ("http://com.cn/", "host is a public suffix"),
        ("http://" + "x" * 3000 + ".com", "URL longer than 2048 characters"),
    ],
)
def test_malformed_urls_are_rejected_with_a_reason(
    extractor: IndicatorExtractor, url: str, reason: str
) -> None:
    """A malformed URL yields a rejection with its reason, no indicator, and no exception."""
    result = extractor.extract(normalize(f"点击 {url} 办理"))
    assert not result.of(Kind.URL)
    assert reason in [r.reason for r in result.rejected]


def test_idn_garbage_is_rejected(extractor: IndicatorExtractor) -> None:
    """A Unicode host that IDNA (UTS 46) refuses is rejected, not passed on."""
    result = extractor.extract(normalize("http://exa\u0301\u200dmple\u0378.com/x"))
    assert not result.of(Kind.DOMAIN)
    assert result.rejected


def test_prose_is_not_a_domain(extractor: IndicatorExtractor) -> None:
    """Dotted prose without a known suffix is not a domain; sentences are not either."""
    text = normalize("Hello.world e.g. Mr.Smith version 1.2.3 Sale ends soon. Shop now")
    assert not extractor.extract(text).of(Kind.DOMAIN)


def test_link_field_without_scheme(extractor: IndicatorExtractor) -> None:
    """A reported link without a scheme is read as http."""
    assert extractor.link("shieldmart-refund.top/claim").values(Kind.URL) == [
        "http://shieldmart-refund.top/claim"
    ]


def test_huge_text_extracts(extractor: IndicatorExtractor) -> None:
    """A 20,000-character text with indicators at both ends is handled whole."""
    text = "加QQ 12345678 " + "退款" * 10_000 + " 加微信kf_service88"
    result = extractor.extract(normalize(text))
    assert result.values(Kind.QQ) == ["12345678"] and result.values(Kind.WECHAT) == ["kf_service88"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_extraction_never_raises(text: str) -> None:
    """Extraction returns a result for any text whatsoever."""
    result = EX.extract(normalize(text))
    for ind in result.indicators:
        assert 0 <= ind.span[0] <= ind.span[1]


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("http://s.[]:@%xn--0123456789abc.com/?#中文点-_ ")),
        max_size=120,
    )
)
def test_extraction_never_raises_on_url_like_text(text: str) -> None:
    """Extraction survives text made of URL syntax characters (brackets, ports, punycode)."""
    EX.extract(normalize(text))
    EX.link(text)
