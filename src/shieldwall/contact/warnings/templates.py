"""Warning texts in Chinese and English, per trigger and channel.

Rules every template keeps (and ``tests/unit/contact/warnings/test_templates.py`` checks):

- it asks the customer for nothing: no reply, no code, no link to click, no number to call back
  other than the store's own hotline when one is configured;
- it names the scripts scammers use, and what the store never does;
- it tells the customer how to check a call: the contact-status page in the app;
- it carries no personal data (no name, no order details): the message tag (防伪码) appended at
  send time proves it is genuine.
"""

from __future__ import annotations

from dataclasses import dataclass

from shieldwall.config import WarningSettings
from shieldwall.contact.warnings.model import TriggerKind


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str | None
    text: str


_NEVER_ZH = (
    "本店不会索要短信验证码、银行卡号或密码，不会让您添加QQ/微信、下载屏幕共享软件，"
    "也不会让您贷款、转账或“验证流水”。"
)
_NEVER_EN = (
    "We never ask for SMS codes, card numbers or passwords, never move you to QQ/WeChat or a"
    " screen-sharing app, and never ask you to borrow or transfer money."
)
_SCRIPTS_ZH = "以“订单异常”“快递丢失理赔”“退款”“误开会员将自动扣费”等理由"
_SCRIPTS_EN = (
    'about a "problem with your order", "compensation for a lost parcel", a "refund" or a'
    ' "membership opened by mistake that will charge you"'
)
_OPENING_ZH = {
    TriggerKind.LEAK: "您在本店的部分订单信息可能已被不法分子获取。",
    TriggerKind.CAMPAIGN: "近期有诈骗团伙冒充本店售后客服联系顾客，您可能是他们的目标。",
}
_OPENING_EN = {
    TriggerKind.LEAK: "Some of your order details with us may have reached criminals.",
    TriggerKind.CAMPAIGN: (
        "Scammers are contacting our customers pretending to be our after-sales service,"
        " and you may be one of their targets."
    ),
}


def render(
    kind: TriggerKind, channel: str, locale: str, store: str, s: WarningSettings
) -> Rendered:
    """The subject (e-mail only) and text of a warning."""
    if locale == "zh":
        hotline = f"本店官方客服电话：{s.hotline}。" if s.hotline else ""
        body = (
            f"{_OPENING_ZH[kind]}如有人自称本店客服，{_SCRIPTS_ZH}联系您，请直接挂断。"
            f"{_NEVER_ZH}接到自称本店的来电时，可在{s.status_page_zh}查看是否真是本店在联系您。"
            f"{hotline}本消息无需回复。"
        )
        if channel == "sms":
            return Rendered(None, f"【{store}】安全提醒：{body}")
        return Rendered(f"【{store}】安全提醒：谨防冒充客服诈骗", f"您好：\n\n{body}\n\n{store}")
    hotline = f" Our official hotline is {s.hotline}." if s.hotline else ""
    body = (
        f"{_OPENING_EN[kind]} If someone says they are our customer service and contacts you"
        f" {_SCRIPTS_EN}, hang up. {_NEVER_EN} To check whether a call really is from us, open"
        f" {s.status_page_en}.{hotline} No reply is needed."
    )
    if channel == "sms":
        return Rendered(None, f"[{store}] Security notice: {body}")
    return Rendered(
        f"[{store}] Security notice: beware of fake customer service",
        f"Hello,\n\n{body}\n\n{store}",
    )
