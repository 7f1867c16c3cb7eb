"""Warning texts: both languages, both triggers, both channels; never ask for anything."""

from __future__ import annotations

import re

import pytest

from shieldwall.config import WarningSettings
from shieldwall.contact.warnings.model import TriggerKind
from shieldwall.contact.warnings.templates import render

SETTINGS = WarningSettings(hotline="950618")
# Phrases that would ask the customer to do or give something (other than check the app).
ASKS_ZH = (
    "请提供",
    "请回复",
    "回复",
    "点击",
    "链接",
    "请告知",
    "请输入",
    "请转账",
    "请下载",
    "扫码",
)
ASKS_EN = ("please provide", "reply with", "click", "link", "send us", "enter your", "download")


@pytest.mark.parametrize("kind", list(TriggerKind))
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_chinese_templates_never_ask(kind: TriggerKind, channel: str) -> None:
    """The Chinese text asks for nothing, names what we never do, and points to the status page."""
    r = render(kind, channel, "zh", "示例商城", SETTINGS)
    text = r.text.replace("无需回复", "")
    assert not any(a in text for a in ASKS_ZH), text
    assert not re.search(r"https?://|www\.|\.com|\.cn", r.text)
    assert SETTINGS.status_page_zh in r.text and "950618" in r.text
    assert "验证码" in r.text and "屏幕共享" in r.text and "转账" in r.text
    assert ("【示例商城】" in r.text) == (channel == "sms")
    assert (r.subject is not None) == (channel == "email")


@pytest.mark.parametrize("kind", list(TriggerKind))
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_english_templates_never_ask(kind: TriggerKind, channel: str) -> None:
    """The English text keeps the same rules."""
    r = render(kind, channel, "en", "Example Mall", SETTINGS)
    lowered = r.text.lower()
    assert not any(a in lowered for a in ASKS_EN), r.text
    assert not re.search(r"https?://|www\.", r.text)
    assert SETTINGS.status_page_en in r.text and "950618" in r.text
    assert "sms codes" in lowered and "screen-sharing" in lowered and "transfer" in lowered


def test_no_hotline_configured() -> None:
    """Without a configured hotline the text names no number at all."""
    r = render(TriggerKind.LEAK, "sms", "zh", "示例商城", WarningSettings())
    assert not re.search(r"\d{5,}", r.text)
