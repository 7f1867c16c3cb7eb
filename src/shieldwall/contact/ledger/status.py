"""What the customer's app shows: is the store contacting me now? A pure function of the ledger.

States, each with a machine-readable ``reason``:

- ``calling_now``  a contact from the store to this customer is live. With ``incoming`` (the
  number on the customer's screen), only when that number is the one a live contact uses.
- ``not_us``       the customer says a call is happening now (``incoming``) and no live contact
  from the store to them uses that number: the number is not the store's
  (``number_not_official``), it is the store's but the store is not calling this customer from
  it (``no_live_contact_from_number``: a forged caller id), or it is hidden (``hidden_number``:
  the store never calls with a hidden number). The answer is "hang up".
- ``recent``       no live contact, but one that started or ended within the recent window.
- ``none``         no contact from the store within the recent window.

Two agents calling the same customer at once are two live contacts: both are listed, each with
its own number, agent and codes, and an ``incoming`` number matches the one it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from shieldwall.contact.ledger.model import (
    CHANNEL_TEXT,
    IN_APP,
    REASON_TEXT,
    Channel,
    Contact,
)
from shieldwall.contact.ledger.numbers import ContactPoint

CALLING_NOW = "calling_now"
NOT_US = "not_us"
RECENT = "recent"
NONE = "none"


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the customer sees on screen: a parsed number, or a hidden caller id."""

    point: ContactPoint | None  # None: the caller id is hidden
    official: bool


@dataclass(frozen=True, slots=True)
class ContactView:
    """One contact as the app shows it (codes only while it is live)."""

    contact: Contact
    live: bool
    via_display: str
    agent_code: str | None = None  # the code the genuine agent will read out
    customer_code: str | None = None  # the code the customer reads to the agent

    def as_dict(self) -> dict[str, Any]:
        c = self.contact
        zh_reason, en_reason = REASON_TEXT[c.reason]
        return {
            "contact_id": c.contact_id,
            "live": self.live,
            "channel": c.channel.value,
            "from": c.via,
            "from_display": self.via_display,
            "agent": {"name": c.agent_name, "staff_no": c.agent_id},
            "reason": c.reason.value,
            "reason_text": {"zh": zh_reason, "en": en_reason},
            "order_id": c.order_id,
            "started_at": c.started_at.isoformat(),
            "ended_at": c.ended_at.isoformat() if c.ended_at else None,
            "agent_reads_code": self.agent_code,
            "customer_reads_code": self.customer_code,
        }


@dataclass(frozen=True, slots=True)
class Status:
    customer_id: str
    state: str
    reason: str
    checked_at: datetime
    message_zh: str
    message_en: str
    contacts: tuple[ContactView, ...] = ()
    incoming: Incoming | None = None
    incoming_display: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        incoming = None
        if self.incoming is not None:
            incoming = {
                "number": self.incoming.point.value if self.incoming.point else None,
                "display": self.incoming_display,
                "hidden": self.incoming.point is None,
                "official": self.incoming.official,
            }
        return {
            "customer_id": self.customer_id,
            "state": self.state,
            "reason": self.reason,
            "checked_at": self.checked_at.isoformat(),
            "message": {"zh": self.message_zh, "en": self.message_en},
            "incoming": incoming,
            "contacts": [v.as_dict() for v in self.contacts],
        }


Codes = Callable[[Contact], tuple[str | None, str | None]]
Display = Callable[[str], str]


def _agent(c: Contact) -> tuple[str, str]:
    if c.agent_name:
        return (
            f"客服{c.agent_name}（工号 {c.agent_id}）",
            f"agent {c.agent_name} (staff no. {c.agent_id})",
        )
    return f"客服（工号 {c.agent_id}）", f"an agent (staff no. {c.agent_id})"


def _describe(view: ContactView, now_words: bool) -> tuple[str, str]:
    c = view.contact
    agent_zh, agent_en = _agent(c)
    channel_zh, channel_en = CHANNEL_TEXT[c.channel]
    reason_zh, reason_en = REASON_TEXT[c.reason]
    if c.via == IN_APP:
        from_zh, from_en = "通过 App 内在线客服", "through in-app chat"
    else:
        from_zh = f"通过{channel_zh} {view.via_display}"
        from_en = f"by {channel_en} from {view.via_display}"
    about_zh = f"就订单 {c.order_id} 的{reason_zh}事宜" if c.order_id else f"就{reason_zh}事宜"
    about_en = f"about order {c.order_id} ({reason_en})" if c.order_id else f"about {reason_en}"
    when_zh, when_en = ("正在", "is contacting you now") if now_words else ("曾", "contacted you")
    zh = f"{agent_zh}{when_zh}{from_zh}，{about_zh}联系您。"
    en = f"{agent_en[0].upper()}{agent_en[1:]} {when_en} {from_en} {about_en}."
    # A 核验码 ("check code"), never a 验证码: customers are taught never to tell a 验证码.
    if view.agent_code:
        zh += f"客服会向您念出核验码 {view.agent_code}，念不出或念错请挂断。"
        en += f" The agent will read out the check code {view.agent_code}; if not, hang up."
    if view.customer_code:
        where_zh = "在 App 内" if c.via == IN_APP else f"用 {view.via_display} "
        where_en = "in the app" if c.via == IN_APP else f"from {view.via_display}"
        zh += (
            f"如这位{where_zh}联系您的客服请您核对身份，可将此码念给他：{view.customer_code}"
            "（仅限本次联系，不要告诉其他任何人）。"
        )
        en += (
            f" If this agent, contacting you {where_en}, asks you to confirm it is you, read"
            f" them {view.customer_code} (this contact only; tell no one else)."
        )
    return zh, en


NEVER_ASK_ZH = (
    "我们的客服不会索要短信验证码、银行卡号或密码，不会要求您添加QQ/微信、下载屏幕共享软件，"
    "也不会让您贷款或转账。"
)
NEVER_ASK_EN = (
    "Our staff never ask for SMS codes, card numbers or passwords, never move you to QQ/WeChat"
    " or a screen-sharing app, and never ask you to borrow or transfer money."
)


def contact_status(
    customer_id: str,
    contacts: Sequence[Contact],
    now: datetime,
    *,
    recent_window: timedelta,
    incoming: Incoming | None,
    codes: Codes,
    display: Display,
) -> Status:
    """Decide what the app says. ``contacts`` are this customer's, newest first or in any order;
    ``codes`` gives a live contact's (agent_reads, customer_reads) codes."""
    live: list[ContactView] = []
    recent: list[ContactView] = []
    for c in sorted(contacts, key=lambda x: x.started_at, reverse=True):
        if c.customer_id != customer_id or c.started_at > now:
            continue
        via = display(c.via) if c.via != IN_APP else IN_APP
        if c.is_live(now):
            agent_code, customer_code = codes(c)
            live.append(ContactView(c, True, via, agent_code, customer_code))
        elif c.live_until + recent_window > now:
            recent.append(ContactView(c, False, via))
    incoming_display = None
    if incoming is not None:
        incoming_display = display(incoming.point.value) if incoming.point else None
        return _with_incoming(customer_id, now, incoming, incoming_display, live, recent)
    if live:
        parts = [_describe(v, True) for v in live]
        zh = "我们正在联系您。" + "".join(p[0] for p in parts)
        en = "We are contacting you now. " + " ".join(p[1] for p in parts)
        return Status(customer_id, CALLING_NOW, "live_contact", now, zh, en, tuple(live + recent))
    if recent:
        parts = [_describe(v, False) for v in recent[:3]]
        zh = "我们最近联系过您，目前没有正在进行的联系。" + "".join(p[0] for p in parts)
        en = "We contacted you recently; nothing is in progress now. " + " ".join(
            p[1] for p in parts
        )
        return Status(customer_id, RECENT, "recent_contact", now, zh, en, tuple(recent))
    zh = "我们最近没有联系过您。如有人自称本店客服联系您，请挂断，并在此页面核实。" + NEVER_ASK_ZH
    en = (
        "We have not contacted you recently. If someone says they are calling from our store,"
        " hang up and check here. " + NEVER_ASK_EN
    )
    return Status(customer_id, NONE, "no_recent_contact", now, zh, en)


def _with_incoming(
    customer_id: str,
    now: datetime,
    incoming: Incoming,
    incoming_display: str | None,
    live: list[ContactView],
    recent: list[ContactView],
) -> Status:
    point = incoming.point
    matching = [v for v in live if point is not None and v.contact.via == point.value]
    if matching:
        parts = [_describe(v, True) for v in matching]
        zh = f"是的，{incoming_display} 是我们在联系您。" + "".join(p[0] for p in parts)
        en = f"Yes, {incoming_display} is us contacting you now. " + " ".join(p[1] for p in parts)
        others = [v for v in live if v not in matching]
        return Status(
            customer_id,
            CALLING_NOW,
            "number_matches_live_contact",
            now,
            zh,
            en,
            tuple(matching + others),
            incoming,
            incoming_display,
        )
    if point is None:
        reason = "hidden_number"
        why_zh, why_en = "我们不会用隐藏号码联系您。", "We never call with a hidden number."
    elif not incoming.official:
        reason = "number_not_official"
        why_zh = f"{incoming_display} 不是本店的号码。"
        why_en = f"{incoming_display} is not one of our numbers."
    else:
        reason = "no_live_contact_from_number"
        why_zh = f"{incoming_display} 是本店的号码，但我们此刻没有用它联系您：来电号码可能被伪造。"
        why_en = (
            f"{incoming_display} is one of our numbers, but we are not contacting you from it"
            " now: the caller id may be forged."
        )
    zh = "我们没有在联系您：请立即挂断。" + why_zh + NEVER_ASK_ZH
    en = "We have not called you: hang up. " + why_en + " " + NEVER_ASK_EN
    # The person on this line is not us: never show a code the customer could be talked into
    # reading out to them.
    live = [replace(v, customer_code=None) for v in live]
    if live:
        parts = [_describe(v, True) for v in live]
        zh += "另外，" + "".join(p[0] for p in parts)
        en += " Separately: " + " ".join(p[1] for p in parts)
    return Status(
        customer_id,
        NOT_US,
        reason,
        now,
        zh,
        en,
        tuple(live + recent),
        incoming,
        incoming_display,
    )


__all__ = [
    "CALLING_NOW",
    "NONE",
    "NOT_US",
    "RECENT",
    "Channel",
    "ContactView",
    "Incoming",
    "Status",
    "contact_status",
]
