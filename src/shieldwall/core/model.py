"""Domain types shared by every capability: roles, purposes, views, people and orders.

Values of these types may hold plaintext personal data *in memory only*; storage keeps the
sensitive fields encrypted and nothing here is ever logged or put in an error message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What kind of principal acts: the first axis of the policy."""

    AGENT = "agent"  # customer-service agent
    COURIER = "courier"  # delivery staff, in an outlet
    PARTNER = "partner"  # outside company receiving releases
    ANALYST = "analyst"  # internal analytics
    ADMIN = "admin"  # security and risk team
    SERVICE = "service"  # a store system acting for a logged-in customer or a batch job
    MONITOR = "monitor"  # a metrics scraper: reads /metrics, no customer data, no other route


class Purpose(StrEnum):
    """Why a principal reads: the second axis of the policy."""

    AFTER_SALES = "after_sales"
    DELIVERY = "delivery"
    PARTNER_FULFILMENT = "partner_fulfilment"
    ANALYTICS = "analytics"
    INVESTIGATION = "investigation"
    ACCOUNT_SELF = "account_self"


class View(StrEnum):
    """How one field is shown, from most to least revealing."""

    CLEAR = "clear"
    MASKED = "masked"  # 138****5678, 张*, address to district level
    RELAY = "relay"  # a virtual number instead of the phone (privacy waybill)
    PSEUDONYM = "pseudonym"  # a stable keyed token: joinable, not reversible
    HIDDEN = "hidden"


class PiiField(StrEnum):
    """The customer fields custody encrypts."""

    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    NATIONAL_ID = "national_id"


class OrderField(StrEnum):
    """Order fields under policy; ``items`` and ``delivery_address`` are encrypted."""

    ITEMS = "items"
    DELIVERY_ADDRESS = "delivery_address"
    AMOUNT = "amount"
    STATUS = "status"


class OrderStatus(StrEnum):
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class Principal:
    """Someone or something that reads customer data, authenticated by an API key."""

    principal_id: str
    role: Role
    unit: str | None = None  # team or delivery outlet
    display_name: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer in plaintext, as imported or after decryption. Never persisted like this."""

    customer_id: str
    name: str
    phone: str  # E.164
    email: str | None = None
    address: str | None = None
    national_id: str | None = None

    def field(self, name: PiiField) -> str | None:
        return getattr(self, name.value)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class OrderItem:
    sku: str
    title: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True, slots=True)
class Order:
    """An order in plaintext (items and delivery address decrypted)."""

    order_id: str
    customer_id: str
    items: tuple[OrderItem, ...]
    amount_cents: int
    status: OrderStatus
    created_at: datetime
    delivery_address: str | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    refunded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A customer-service ticket: the relationship that lets an agent read a customer."""

    ticket_id: str
    agent_id: str
    customer_id: str
    order_id: str | None
    status: str  # "open" | "closed"
    opened_at: datetime
    expires_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """A courier assigned to deliver an order."""

    assignment_id: str
    courier_id: str
    order_id: str
    assigned_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Grant:
    """What a release granted a partner: these fields of this customer, until ``expires_at``."""

    grant_id: str
    partner_id: str
    customer_id: str
    fields: tuple[str, ...]
    release_id: str | None
    granted_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Relationship:
    """Facts about how a principal relates to a record, gathered before a policy decision."""

    open_ticket: bool = False
    ticket_expired: bool = False
    assignment_active: bool = False
    assignment_in_grace: bool = False
    granted_fields: frozenset[str] = field(default_factory=frozenset)
    is_self: bool = False
