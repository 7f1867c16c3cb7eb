"""The ledger's records: genuine outbound contacts, and the words used to describe them.

A :class:`Contact` names the customer by id only: the ledger holds no phone number or address
of a customer. ``via`` is the store's own number or address the contact was made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    CALL = "call"
    SMS = "sms"
    CHAT = "chat"  # in-app chat: no number; ``via`` is "app"
    EMAIL = "email"

    @property
    def is_message(self) -> bool:
        """SMS and e-mail are sent, not held: they have no end, only a short "now" window."""
        return self in (Channel.SMS, Channel.EMAIL)


IN_APP = "app"


class Verification(StrEnum):
    """Which one-time codes a contact carries.

    ``agent_reads``: the app shows a code and the genuine agent reads it out (proves the caller
    is the store). ``customer_reads``: the app shows a code the customer reads to the agent, who
    checks it (proves the person on the line holds the customer's logged-in app).
    """

    NONE = "none"
    AGENT_READS = "agent_reads"
    CUSTOMER_READS = "customer_reads"
    BOTH = "both"

    @property
    def agent_reads(self) -> bool:
        return self in (Verification.AGENT_READS, Verification.BOTH)

    @property
    def customer_reads(self) -> bool:
        return self in (Verification.CUSTOMER_READS, Verification.BOTH)


class ContactReason(StrEnum):
    DELIVERY = "delivery"
    REFUND = "refund"
    RETURN = "return"
    AFTER_SALES = "after_sales"
    PAYMENT = "payment"
    ACCOUNT_SECURITY = "account_security"
    ORDER_CONFIRMATION = "order_confirmation"
    SURVEY = "survey"
    OTHER = "other"


REASON_TEXT: dict[ContactReason, tuple[str, str]] = {
    ContactReason.DELIVERY: ("配送", "delivery"),
    ContactReason.REFUND: ("退款", "refund"),
    ContactReason.RETURN: ("退货", "return"),
    ContactReason.AFTER_SALES: ("售后服务", "after-sales service"),
    ContactReason.PAYMENT: ("支付", "payment"),
    ContactReason.ACCOUNT_SECURITY: ("账户安全", "account security"),
    ContactReason.ORDER_CONFIRMATION: ("订单确认", "order confirmation"),
    ContactReason.SURVEY: ("服务回访", "follow-up survey"),
    ContactReason.OTHER: ("其他事项", "another matter"),
}

CHANNEL_TEXT: dict[Channel, tuple[str, str]] = {
    Channel.CALL: ("电话", "call"),
    Channel.SMS: ("短信", "SMS"),
    Channel.CHAT: ("App 内在线客服", "in-app chat"),
    Channel.EMAIL: ("邮件", "e-mail"),
}


@dataclass(frozen=True, slots=True)
class Contact:
    """One genuine outbound contact as registered by the store's systems.

    It is *live* from ``started_at`` until it ends: ``ended_at`` when the agent hung up,
    otherwise ``expires_at`` (start + the longest a call, chat or message counts as "now").
    ``code_salt`` is a random value the verification codes are derived from; the codes
    themselves are never stored (see :mod:`.codes`).
    """

    contact_id: str
    customer_id: str
    agent_id: str
    agent_name: str | None  # masked display name, e.g. "李*"
    channel: Channel
    via: str  # canonical official number / sender id / address, or "app"
    reason: ContactReason
    order_id: str | None
    started_at: datetime
    expires_at: datetime
    verification: Verification
    created_by: str
    ended_at: datetime | None = None
    code_salt: bytes | None = None
    code_attempts: int = 0
    code_verified_at: datetime | None = None

    @property
    def live_until(self) -> datetime:
        if self.ended_at is not None and self.ended_at < self.expires_at:
            return self.ended_at
        return self.expires_at

    def is_live(self, now: datetime) -> bool:
        return self.started_at <= now < self.live_until
