"""The official-contact ledger: the store registers every genuine outbound contact, the
customer's app asks whether the store is contacting them, agents and customers prove who is
on the line with one-time codes.

Who may do what:

- register a contact: role ``service`` (naming the agent) or ``agent`` (only as themselves);
- end it, read it, verify a customer's code: the service, or the agent the contact belongs to;
- ask the status: the store app (role ``service``) on behalf of its logged-in customer, the
  way custody's ``account_self`` reads work (the app names the customer as ``subject``).

Every contact must use one of the store's registered numbers, sender ids or e-mail domains of
a kind that fits the channel (a call from a hotline or outbound number, an SMS from a sender
id or hotline, an e-mail from a registered domain, a chat from the app). The ledger stores
customer ids, never a customer's number or address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from shieldwall.config import LedgerSettings
from shieldwall.contact.ledger.codes import AGENT_READS, CUSTOMER_READS, CodeBook, new_salt
from shieldwall.contact.ledger.errors import Conflict, Forbidden, InvalidInput, NotFound
from shieldwall.contact.ledger.model import (
    IN_APP,
    Channel,
    Contact,
    ContactReason,
    Verification,
)
from shieldwall.contact.ledger.numbers import (
    KIND_FORMS,
    Form,
    NumberBook,
    NumberCheck,
    NumberKind,
    OfficialNumber,
    parse_point,
    registrable,
)
from shieldwall.contact.ledger.ports import Directory, LedgerStore
from shieldwall.contact.ledger.status import Incoming, Status, contact_status
from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.ids import new_id
from shieldwall.core.model import Principal, Role
from shieldwall.custody import masking
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.ports import OutboxAuditSink

HIDDEN = frozenset({"hidden", "unknown", "private", "anonymous"})
MAX_LISTED = 50
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")

# Which registered kinds may carry which channel.
CHANNEL_KINDS: dict[Channel, frozenset[NumberKind]] = {
    Channel.CALL: frozenset({NumberKind.HOTLINE, NumberKind.OUTBOUND}),
    Channel.SMS: frozenset({NumberKind.SMS_SENDER, NumberKind.HOTLINE}),
    Channel.EMAIL: frozenset({NumberKind.EMAIL_DOMAIN}),
    Channel.CHAT: frozenset(),
}


def record_id(value: str | None, field: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidInput("must be 1-64 letters, digits or _ . : -", field=field)
    return value


E = TypeVar("E", Channel, ContactReason, Verification, NumberKind)


def _enum(cls: type[E], value: str | E, field: str) -> E:
    try:
        return cls(value)
    except ValueError:
        options = ", ".join(m.value for m in cls)
        raise InvalidInput(f"must be one of {options}", field=field) from None


@dataclass(frozen=True, slots=True)
class Registered:
    """A new contact and the code its agent reads out (None when it carries none)."""

    contact: Contact
    agent_code: str | None


@dataclass(frozen=True, slots=True)
class Verified:
    """``reason``: ``verified``, ``wrong_code``, ``attempts_exhausted``, ``code_used`` or
    ``expired``."""

    verified: bool
    reason: str
    attempts_left: int


class NumberRegistry:
    """Registering the store's numbers (admin) and checking any number (everyone)."""

    def __init__(self, store: LedgerStore, book: NumberBook, clock: Clock) -> None:
        self.store = store
        self.book = book
        self.clock = clock

    def add(
        self, actor: Principal, number: str, kind: NumberKind | str, label: str | None = None
    ) -> OfficialNumber:
        if actor.role is not Role.ADMIN:
            raise Forbidden("only admins register official numbers", ["role_not_allowed"])
        kind = _enum(NumberKind, kind, "kind")
        point = parse_point(
            number, self.book.region, field="number", max_wildcards=self.book.max_wildcards
        )
        if point.form is Form.EMAIL:
            raise InvalidInput("register the e-mail domain, not an address", field="number")
        if point.form not in KIND_FORMS[kind]:
            raise InvalidInput(
                f"a {point.form.value.replace('_', ' ')} cannot be registered as {kind.value}",
                field="number",
            )
        if point.form is Form.DOMAIN and registrable(point.value) is None:
            raise InvalidInput(
                "is a public suffix; register a domain the store owns", field="number"
            )
        if label is not None:
            label = " ".join(label.split())
            if not label or len(label) > 100:
                raise InvalidInput("must be 1-100 characters", field="label")
        entry = OfficialNumber(
            point.value,
            point.form,
            kind,
            label,
            point.pattern,
            self.clock.now(),
            actor.principal_id,
        )
        with self.store.write() as tx:
            if not tx.insert_number(entry):
                raise Conflict(f"{point.value} is registered already", field="number")
        self.book.invalidate()
        return entry

    def list(self) -> list[OfficialNumber]:
        with self.store.read() as tx:
            return tx.list_numbers()

    def check(self, number: str) -> NumberCheck:
        return self.book.check(number, "number")


class Ledger:
    def __init__(
        self,
        store: LedgerStore,
        numbers: NumberBook,
        directory: Directory,
        codes: CodeBook,
        clock: Clock,
        settings: LedgerSettings,
        audit: OutboxAuditSink,
    ) -> None:
        self.audit = audit
        self.store = store
        self.numbers = numbers
        self.directory = directory
        self.codes = codes
        self.clock = clock
        self.settings = settings
        self.recent_window = timedelta(hours=settings.recent_window_hours)
        self.max_duration = {
            Channel.CALL: timedelta(minutes=settings.max_call_minutes),
            Channel.CHAT: timedelta(minutes=settings.max_chat_minutes),
            Channel.SMS: timedelta(minutes=settings.message_live_minutes),
            Channel.EMAIL: timedelta(minutes=settings.message_live_minutes),
        }
        self.lookback = self.recent_window + max(self.max_duration.values())

    # -- registering -------------------------------------------------------------------------

    def register(
        self,
        actor: Principal,
        *,
        customer_id: str,
        channel: Channel | str,
        reason: ContactReason | str,
        via: str | None = None,
        agent_id: str | None = None,
        order_id: str | None = None,
        verification: Verification | str | None = None,
        audit_channel: str = "api",
    ) -> Registered:
        """Record a genuine contact starting now; call it before the agent dials."""
        agent = self._agent_for(actor, agent_id)
        customer_id = record_id(customer_id, "customer_id")
        channel = _enum(Channel, channel, "channel")
        reason = _enum(ContactReason, reason, "reason")
        mode = self._verification(channel, verification)
        via_value = self._official_via(channel, via)
        if order_id is not None:
            order_id = record_id(order_id, "order_id")
            owner = self.directory.order_customer(order_id)
            if owner is None:
                raise InvalidInput("no such order", field="order_id")
            if owner != customer_id:
                raise InvalidInput("is not an order of this customer", field="order_id")
        if not self.directory.customer_exists(customer_id):
            raise InvalidInput("no such customer", field="customer_id")
        now = self.clock.now()
        # A registered contact makes a call look genuine to the customer: only an agent who is
        # working this customer's case (an open custody ticket) may be the one calling.
        if self.settings.require_ticket and not self.directory.has_open_ticket(
            agent.principal_id, customer_id, now
        ):
            raise Forbidden("the agent holds no open ticket for this customer", ["no_ticket"])
        contact = Contact(
            contact_id=new_id("ctc"),
            customer_id=customer_id,
            agent_id=agent.principal_id,
            agent_name=masking.name(agent.display_name) if agent.display_name else None,
            channel=channel,
            via=via_value,
            reason=reason,
            order_id=order_id,
            started_at=now,
            expires_at=now + self.max_duration[channel],
            verification=mode,
            created_by=actor.principal_id,
            code_salt=new_salt() if mode is not Verification.NONE else None,
        )
        # In the audit log too: a contact makes a call look genuine to the customer, so who
        # registered which contact must be as tamper-evident as who read which record. Staged
        # in the contact's own transaction: no committed contact goes without its entry.
        event = access_event(
            now,
            actor,
            Action.CONTACT,
            Decision.ALLOW,
            "contact_registered",
            channel=audit_channel,
            customer_ids=[customer_id],
            order_ids=[order_id] if order_id else [],
            extra={
                "contact_id": contact.contact_id,
                "agent_id": contact.agent_id,
                "contact_channel": channel.value,
                "via": via_value,
                "reason": reason.value,
            },
        )
        with self.store.write() as tx:
            tx.insert_contact(contact)
            staged = tx.stage_audit([event])
        self.audit.log_staged(staged)
        agent_code, _ = self._codes(contact)
        return Registered(contact, agent_code)

    def _agent_for(self, actor: Principal, agent_id: str | None) -> Principal:
        if actor.role is Role.AGENT:
            if agent_id not in (None, actor.principal_id):
                raise Forbidden("agents register contacts only as themselves", ["not_self"])
            return actor
        if actor.role is not Role.SERVICE:
            raise Forbidden(
                "contacts are registered by the service or agents", ["role_not_allowed"]
            )
        agent_id = record_id(agent_id, "agent_id")
        agent = self.directory.principal(agent_id)
        if agent is None or not agent.active:
            raise InvalidInput("no such active principal", field="agent_id")
        if agent.role is not Role.AGENT:
            raise InvalidInput("is not an agent", field="agent_id")
        return agent

    def _verification(self, channel: Channel, value: Verification | str | None) -> Verification:
        if value is None:
            return Verification.NONE if channel.is_message else Verification.AGENT_READS
        mode = _enum(Verification, value, "verification")
        if channel.is_message and mode is not Verification.NONE:
            raise InvalidInput("codes are read out on calls and chats only", field="verification")
        return mode

    def _official_via(self, channel: Channel, via: str | None) -> str:
        if channel is Channel.CHAT:
            if via not in (None, IN_APP):
                raise InvalidInput("a chat happens in the app; leave via empty", field="via")
            return IN_APP
        if via is None:
            raise InvalidInput("is required for a call, SMS or e-mail", field="via")
        check = self.numbers.check(via, "via")
        if channel is Channel.EMAIL and check.point.form is not Form.EMAIL:
            raise InvalidInput("must be the sender's e-mail address", field="via")
        if channel is not Channel.EMAIL and check.point.form in (Form.EMAIL, Form.DOMAIN):
            raise InvalidInput(f"must be a number for a {channel.value}", field="via")
        if channel is Channel.CALL and check.point.form is Form.ALPHA_ID:
            raise InvalidInput("must be a phone number or short code for a call", field="via")
        if check.entry is None:
            raise InvalidInput("is not one of the store's official numbers", field="via")
        if check.entry.kind not in CHANNEL_KINDS[channel]:
            raise InvalidInput(
                f"is registered as {check.entry.kind.value}, not for a {channel.value}",
                field="via",
            )
        return check.point.value

    # -- one contact -------------------------------------------------------------------------

    def _load(self, actor: Principal, contact_id: str) -> Contact:
        contact_id = record_id(contact_id, "contact_id")
        with self.store.read() as tx:
            contact = tx.get_contact(contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id}", field="contact_id")
        self._may_handle(actor, contact)
        return contact

    @staticmethod
    def _may_handle(actor: Principal, contact: Contact) -> None:
        if actor.role in (Role.SERVICE, Role.ADMIN):
            return
        if actor.role is Role.AGENT and actor.principal_id == contact.agent_id:
            return
        raise Forbidden("this contact belongs to another agent", ["not_own_contact"])

    def get(self, actor: Principal, contact_id: str) -> tuple[Contact, str | None]:
        """A contact and, while it is live, the code its agent reads out."""
        contact = self._load(actor, contact_id)
        code = self._codes(contact)[0] if contact.is_live(self.clock.now()) else None
        return contact, code

    def end(self, actor: Principal, contact_id: str) -> Contact:
        """The agent hung up or the chat closed; ending twice is harmless."""
        contact = self._load(actor, contact_id)
        if contact.channel.is_message:
            raise Conflict("an SMS or e-mail has no end", field="contact_id")
        if contact.ended_at is not None:
            return contact
        now = self.clock.now()
        with self.store.write() as tx:
            tx.end_contact(contact.contact_id, now)
        return replace(contact, ended_at=now)

    def verify(self, actor: Principal, contact_id: str, code: str) -> Verified:
        """Check the code the customer read out. Malformed input costs no attempt; a wrong
        code costs one; the code is spent after success or ``code_max_attempts`` failures."""
        contact = self._load(actor, contact_id)
        if not contact.verification.customer_reads or contact.code_salt is None:
            raise Conflict("this contact carries no code for the customer to read", field="code")
        submitted = self.codes.normalize(code, "code")
        limit = self.settings.code_max_attempts
        now = self.clock.now()
        with self.store.write() as tx:
            fresh = tx.get_contact(contact.contact_id)
            assert fresh is not None  # noqa: S101 - read a moment ago; contacts are never deleted
            if not fresh.is_live(now):
                return Verified(False, "expired", max(0, limit - fresh.code_attempts))
            if fresh.code_verified_at is not None:
                return Verified(False, "code_used", 0)
            used = tx.take_code_attempt(fresh.contact_id, limit)
            if used is None:
                return Verified(False, "attempts_exhausted", 0)
            left = limit - used
            if self.codes.matches(
                CUSTOMER_READS, fresh.contact_id, fresh.code_salt or b"", submitted
            ):
                tx.mark_code_verified(fresh.contact_id, now)
                return Verified(True, "verified", left)
        return Verified(False, "wrong_code", left)

    def _codes(self, contact: Contact) -> tuple[str | None, str | None]:
        salt = contact.code_salt
        if salt is None:
            return None, None
        mode = contact.verification
        agent = self.codes.code(AGENT_READS, contact.contact_id, salt) if mode.agent_reads else None
        customer = None
        if mode.customer_reads and contact.code_verified_at is None:
            customer = self.codes.code(CUSTOMER_READS, contact.contact_id, salt)
        return agent, customer

    # -- the app's question ------------------------------------------------------------------

    def status(self, customer_id: str, incoming: str | None = None) -> Status:
        """Is the store contacting this customer? See :mod:`.status` for the answers."""
        customer_id = record_id(customer_id, "subject")
        seen = None
        if incoming is not None:
            if incoming.strip().lower() in HIDDEN:
                seen = Incoming(None, official=False)
            else:
                check = self.numbers.check(incoming, "incoming")
                seen = Incoming(check.point, check.official)
        now = self.clock.now()
        with self.store.read() as tx:
            contacts = tx.contacts_of(customer_id, now - self.lookback, MAX_LISTED)
        return contact_status(
            customer_id,
            contacts,
            now,
            recent_window=self.recent_window,
            incoming=seen,
            codes=self._codes,
            display=self._display,
        )

    def _display(self, value: str) -> str:
        return display(value, self.numbers.region)


@lru_cache(maxsize=4096)
def display(value: str, region: str) -> str:
    """A canonical number as a person in ``region`` reads it (cached: the set is small)."""
    try:
        return parse_point(value, region).display(region)
    except InvalidInput:
        return value


def as_of(contact: Contact, now: datetime) -> str:
    """``live``, ``ended`` or ``expired``: a contact's state for listings."""
    if contact.is_live(now):
        return "live"
    return "ended" if contact.ended_at is not None else "expired"


def contact_json(c: Contact, now: datetime, agent_code: str | None = None) -> dict[str, Any]:
    """A contact for the store's systems (never includes the code the customer reads)."""
    return {
        "contact_id": c.contact_id,
        "state": as_of(c, now),
        "customer_id": c.customer_id,
        "agent_id": c.agent_id,
        "agent_name": c.agent_name,
        "channel": c.channel.value,
        "via": c.via,
        "reason": c.reason.value,
        "order_id": c.order_id,
        "started_at": c.started_at.isoformat(),
        "live_until": c.live_until.isoformat(),
        "ended_at": c.ended_at.isoformat() if c.ended_at else None,
        "verification": c.verification.value,
        "agent_reads_code": agent_code,
        "customer_code_verified": c.code_verified_at is not None,
    }
