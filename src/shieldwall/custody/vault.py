"""The vault: every read of customer data goes through here, is decided by the policy, rendered
in the view the policy allows, and audited before it is returned.

Reads decrypt only the fields the caller's view needs. Denials are audited too, with their
reasons, so an insider probing for customers leaves the same trail as one reading them.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import Clock, utc
from shieldwall.core.events import Action, Decision
from shieldwall.core.ids import new_id
from shieldwall.core.model import (
    OrderField,
    PiiField,
    Principal,
    Purpose,
    Relationship,
    Role,
    Ticket,
    View,
)
from shieldwall.custody import normalize
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.blind_index import INDEXED_FIELDS, Pseudonymizer
from shieldwall.custody.errors import AccessDenied, NotFound, RateLimited, ValidationError
from shieldwall.custody.lookup_limit import LookupLimit
from shieldwall.custody.policy import (
    AccessDecision,
    Policy,
    decide,
    decide_break_glass,
    decide_lookup,
    decide_reveal,
    describe,
)
from shieldwall.custody.ports import AlertSink, AuditSink, CustodyStore, CustodyTx, SealedOrder
from shieldwall.custody.relay import RelayNumbers
from shieldwall.custody.rendering import FieldValue, ViewRenderer, needs_plaintext
from shieldwall.custody.sealing import Sealer

MAX_ORDERS_LISTED = 50


@dataclass(frozen=True, slots=True)
class RecordView:
    """A customer or an order as one principal may see it, with the audit entry that logged it."""

    kind: str  # "customer" | "order"
    record_id: str
    fields: Mapping[str, FieldValue]
    reasons: tuple[str, ...]
    audit_seq: int
    customer_id: str | None = None
    ticket_id: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            self.kind + "_id": self.record_id,
            "fields": {k: {"view": v.view.value, "value": v.value} for k, v in self.fields.items()},
            "reasons": list(self.reasons),
            "audit_seq": self.audit_seq,
        }
        if self.customer_id is not None and self.kind == "order":
            out["customer_id"] = self.customer_id
        if self.ticket_id:
            out["ticket_id"] = self.ticket_id
        out.update(self.meta)
        return out


@dataclass(frozen=True, slots=True)
class Revealed:
    field: str
    value: str | None
    audit_seq: int


def parse_purpose(value: str | Purpose) -> Purpose:
    try:
        return Purpose(value)
    except ValueError:
        options = ", ".join(p.value for p in Purpose)
        raise ValidationError(
            f"unknown purpose; expected one of {options}", field="purpose"
        ) from None


class Vault:
    def __init__(
        self,
        store: CustodyStore,
        sealer: Sealer,
        pseudonyms: Pseudonymizer,
        policy: Policy,
        audit: AuditSink,
        alerts: AlertSink,
        relay: RelayNumbers,
        clock: Clock,
        *,
        region: str = "CN",
        courier_grace: timedelta = timedelta(hours=24),
        lookup_limit: LookupLimit | None = None,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.pseudonyms = pseudonyms
        self.renderer = ViewRenderer(pseudonyms)
        self.policy = policy
        self.audit = audit
        self.alerts = alerts
        self.relay = relay
        self.clock = clock
        self.region = region
        self.courier_grace = courier_grace
        self.lookup_limit = lookup_limit

    # -- reads -------------------------------------------------------------------------------

    def read_customer(
        self,
        principal: Principal,
        customer_id: str,
        purpose: Purpose | str,
        *,
        ticket_id: str | None = None,
        subject: str | None = None,
        reason: str | None = None,
        risky: bool = False,
        channel: str = "api",
    ) -> RecordView:
        purpose = parse_purpose(purpose)
        now = self.clock.now()
        with self.store.read() as tx:
            open_tickets: list[Ticket] | None = None
            if ticket_id is None and self._rule_kind(principal, purpose) == "ticket":
                # the usual agent read: the customer and the agent's open tickets in one query
                sealed, open_tickets = tx.customer_and_open_tickets(
                    customer_id, principal.principal_id
                )
            else:
                sealed = tx.get_customer(customer_id)
            if sealed is None:
                self._deny(
                    principal,
                    Action.READ,
                    purpose,
                    channel,
                    ("not_found",),
                    customer_ids=[customer_id],
                )
                raise NotFound(f"no customer {customer_id}", field="customer_id")
            rel, used_ticket, mismatch = self._relationship(
                tx, principal, purpose, customer_id, None, ticket_id, subject, now, open_tickets
            )
        decision = self._decide(principal, purpose, rel, reason, risky, mismatch)
        ids = [customer_id]
        if not decision.allowed:
            self._deny(
                principal,
                Action.READ,
                purpose,
                channel,
                decision.reasons,
                customer_ids=ids,
                ticket_id=ticket_id,
            )
            raise AccessDenied(describe(decision.reasons), decision.reasons)
        views = {f.value: v for f, v in decision.customer.items()}
        plain = self.sealer.open_customer(sealed, needs_plaintext(views))
        # A customer read names no order, so no courier binding: a relay phone is hidden.
        fields = self.renderer.record(views, plain)
        shown_id = (
            self.pseudonyms.token("customer", customer_id)
            if decision.pseudonymous_ids
            else customer_id
        )
        seq = self._allow(
            principal,
            Action.READ,
            purpose,
            channel,
            decision,
            ids,
            [],
            used_ticket,
            {f: v.view.value for f, v in fields.items()},
        )
        return RecordView(
            "customer", shown_id, fields, decision.reasons, seq, ticket_id=used_ticket
        )

    def read_order(
        self,
        principal: Principal,
        order_id: str,
        purpose: Purpose | str,
        *,
        ticket_id: str | None = None,
        subject: str | None = None,
        reason: str | None = None,
        risky: bool = False,
        channel: str = "api",
    ) -> RecordView:
        """An order as ``principal`` sees it: order fields plus the customer's delivery view."""
        purpose = parse_purpose(purpose)
        now = self.clock.now()
        with self.store.read() as tx:
            order = tx.get_order(order_id)
            if order is None:
                self._deny(
                    principal, Action.READ, purpose, channel, ("not_found",), order_ids=[order_id]
                )
                raise NotFound(f"no order {order_id}", field="order_id")
            rel, used_ticket, mismatch = self._relationship(
                tx, principal, purpose, order.customer_id, order, ticket_id, subject, now
            )
            decision = self._decide(principal, purpose, rel, reason, risky, mismatch)
            sealed = tx.get_customer(order.customer_id) if decision.allowed else None
        if not decision.allowed or sealed is None:
            self._deny(
                principal,
                Action.READ,
                purpose,
                channel,
                decision.reasons,
                customer_ids=[order.customer_id],
                order_ids=[order_id],
                ticket_id=ticket_id,
            )
            raise AccessDenied(describe(decision.reasons), decision.reasons)
        relay_number = None
        if decision.customer.get(PiiField.PHONE) is View.RELAY and principal.role is Role.COURIER:
            relay_number = self.relay.binding_for(principal.principal_id, order).relay_number
        views = {f.value: v for f, v in decision.customer.items()}
        plain = self.sealer.open_customer(sealed, needs_plaintext(views))
        # relay needs a courier's binding; anyone else gets nothing for the phone
        fields = self.renderer.record(views, plain, relay_number)
        fields.update(self._order_fields(order, decision))
        seq = self._allow(
            principal,
            Action.READ,
            purpose,
            channel,
            decision,
            [order.customer_id],
            [order_id],
            used_ticket,
            {f: v.view.value for f, v in fields.items()},
            extra={"order_status": order.status.value},
        )
        meta = {
            "status": order.status.value
            if decision.order.get(OrderField.STATUS) is not View.HIDDEN
            else None,
            "created_at": utc(order.created_at).isoformat(),
        }
        shown_customer = (
            self.pseudonyms.token("customer", order.customer_id)
            if decision.pseudonymous_ids
            else order.customer_id
        )
        return RecordView(
            "order", order_id, fields, decision.reasons, seq, shown_customer, used_ticket, meta
        )

    def reveal(
        self,
        principal: Principal,
        purpose: Purpose | str,
        field_name: str,
        *,
        reason: str | None,
        customer_id: str | None = None,
        order_id: str | None = None,
        ticket_id: str | None = None,
        subject: str | None = None,
        risky: bool = False,
        channel: str = "api",
    ) -> Revealed:
        """Show one field in clear, for a purpose and a reason; logged as a reveal."""
        purpose = parse_purpose(purpose)
        known = {f.value for f in PiiField} | {OrderField.DELIVERY_ADDRESS.value}
        if field_name not in known:
            raise ValidationError(f"must be one of {', '.join(sorted(known))}", field="field")
        if (customer_id is None) == (order_id is None):
            raise ValidationError(
                "give exactly one of customer_id and order_id", field="customer_id"
            )
        if field_name == OrderField.DELIVERY_ADDRESS.value and order_id is None:
            raise ValidationError("delivery_address is revealed through an order", field="order_id")
        now = self.clock.now()
        with self.store.read() as tx:
            order: SealedOrder | None = None
            if order_id is not None:
                order = tx.get_order(order_id)
                if order is None:
                    raise NotFound(f"no order {order_id}", field="order_id")
                customer_id = order.customer_id
            assert customer_id is not None  # noqa: S101 - checked above
            sealed = tx.get_customer(customer_id)
            if sealed is None:
                raise NotFound(f"no customer {customer_id}", field="customer_id")
            rel, used_ticket, mismatch = self._relationship(
                tx, principal, purpose, customer_id, order, ticket_id, subject, now
            )
        decision = decide_reveal(
            self.policy, principal, purpose, field_name, rel, reason=reason, risky=risky
        )
        if mismatch:
            decision = AccessDecision(False, (mismatch,))
        ids = [customer_id]
        orders = [order_id] if order_id else []
        extra = {"reason_given": "yes" if reason else "no", "reason_length": str(len(reason or ""))}
        if not decision.allowed:
            self._deny(
                principal,
                Action.REVEAL,
                purpose,
                channel,
                decision.reasons,
                customer_ids=ids,
                order_ids=orders,
                ticket_id=ticket_id,
                fields={field_name: "clear"},
            )
            raise AccessDenied(describe(decision.reasons), decision.reasons)
        if field_name == OrderField.DELIVERY_ADDRESS.value and order is not None:
            value = self.sealer.open_delivery_address(order)
        else:
            value = self.sealer.open_customer(sealed, [field_name])[field_name]
        seq = self._allow(
            principal,
            Action.REVEAL,
            purpose,
            channel,
            decision,
            ids,
            orders,
            used_ticket,
            {field_name: View.CLEAR.value},
            extra=extra,
        )
        return Revealed(field_name, value, seq)

    def break_glass(
        self, principal: Principal, customer_id: str, *, reason: str | None, channel: str = "api"
    ) -> RecordView:
        """Everything in clear in an emergency: allowed for the policy's roles, always alerted."""
        decision = decide_break_glass(self.policy, principal, reason)
        with self.store.read() as tx:
            sealed = tx.get_customer(customer_id)
        if sealed is None:
            raise NotFound(f"no customer {customer_id}", field="customer_id")
        if not decision.allowed:
            self._deny(
                principal,
                Action.BREAK_GLASS,
                Purpose.INVESTIGATION,
                channel,
                decision.reasons,
                customer_ids=[customer_id],
            )
            raise AccessDenied(describe(decision.reasons), decision.reasons)
        plain = self.sealer.open_customer(sealed, [f.value for f in PiiField])
        fields = {f.value: FieldValue(View.CLEAR, plain[f.value]) for f in PiiField}
        seq = self._allow(
            principal,
            Action.BREAK_GLASS,
            Purpose.INVESTIGATION,
            channel,
            decision,
            [customer_id],
            [],
            None,
            dict.fromkeys(fields, "clear"),
        )
        now = self.clock.now()
        self.alerts.raise_alert(
            Alert(
                alert_id=new_id("alr"),
                kind="break_glass",
                principal_id=principal.principal_id,
                severity=Severity.HIGH,
                score=1.0,
                reasons=(
                    Reason("break_glass", "break-glass access to a customer record in clear"),
                ),
                raised_at=now,
                first_at=now,
                last_at=now,
                customer_ids=(customer_id,),
                audit_seqs=(seq,),
            )
        )
        return RecordView("customer", customer_id, fields, decision.reasons, seq)

    def lookup(
        self,
        principal: Principal,
        purpose: Purpose | str,
        by: str,
        value: str,
        *,
        ticket_id: str | None = None,
        subject: str | None = None,
        reason: str | None = None,
        channel: str = "api",
    ) -> list[str]:
        """Ids of customers whose ``by`` (phone, email, national_id) is ``value``, as far as
        ``principal`` may know them; through the blind index only, nothing is decrypted.

        The role's rule for ``purpose`` scopes the answer (:func:`decide_lookup`): an agent
        names one of its open tickets and learns only whether the value is that ticket's
        customer's; the service names the logged-in customer (``subject``) likewise; an admin
        investigating (with a reason) finds any customer; couriers, partners and analysts are
        refused whatever the value. Admitted lookups count against the principal's rate limit.
        Every lookup, answered or refused, is audited with the value as its keyed blind index
        (``extra.value_bidx``), never in clear.
        """
        purpose = parse_purpose(purpose)
        if by not in INDEXED_FIELDS:
            raise ValidationError(f"must be one of {', '.join(INDEXED_FIELDS)}", field="by")
        extra = {"by": by}
        decision = decide_lookup(
            self.policy, principal, purpose, ticket_id=ticket_id, subject=subject, reason=reason
        )
        if not decision.allowed:
            self._deny(principal, Action.LOOKUP, purpose, channel, decision.reasons, extra=extra)
            raise AccessDenied(describe(decision.reasons), decision.reasons)
        wait = self.lookup_limit.admit(principal.principal_id) if self.lookup_limit else None
        if wait is not None:
            self._deny(principal, Action.LOOKUP, purpose, channel, ("rate_limited",), extra=extra)
            raise RateLimited(describe(("rate_limited",)), wait)
        try:
            normal = _NORMALIZE[by](value, self.region)
        except ValidationError:
            self._deny(principal, Action.LOOKUP, purpose, channel, ("invalid_value",), extra=extra)
            raise
        digest = self.sealer.index.digest(by, normal)
        extra["value_bidx"] = digest.hex()
        now = self.clock.now()
        with self.store.read() as tx:
            scope = self._rule_kind(principal, purpose)
            denied: str | None = None
            if scope == "ticket":  # decide_lookup made sure a ticket id was given
                ticket = tx.get_ticket(ticket_id or "")
                denied = _ticket_denial(ticket, principal, now)
                found = (
                    self._owned_by(tx, ticket.customer_id, by, digest)
                    if ticket is not None and denied is None
                    else []
                )
            elif scope == "self":  # decide_lookup made sure a subject was given
                found = self._owned_by(tx, subject or "", by, digest)
            else:
                found = tx.find_customers(by, digest)
        if denied:
            self._deny(
                principal,
                Action.LOOKUP,
                purpose,
                channel,
                (denied,),
                ticket_id=ticket_id,
                extra=extra,
            )
            raise AccessDenied(describe((denied,)), (denied,))
        self.audit.append(
            [
                access_event(
                    now,
                    principal,
                    Action.LOOKUP,
                    Decision.ALLOW,
                    f"{decision.reasons[0]},blind_index_match",
                    channel=channel,
                    purpose=purpose.value,
                    customer_ids=found,
                    ticket_id=ticket_id if scope == "ticket" else None,
                    extra={**extra, "matches": str(len(found))},
                )
            ]
        )
        return found

    def _owned_by(self, tx: CustodyTx, customer_id: str, by: str, digest: bytes) -> list[str]:
        """``[customer_id]`` if that customer's ``by`` index is ``digest``, else ``[]``."""
        sealed = tx.get_customer(customer_id)
        held = sealed.indexes.get(by) if sealed is not None else None
        return [customer_id] if held and hmac.compare_digest(held, digest) else []

    # -- helpers -----------------------------------------------------------------------------

    def _rule_kind(self, principal: Principal, purpose: Purpose) -> str | None:
        rule = self.policy.rule(principal.role, purpose)
        return rule.relationship if rule else None

    def _decide(
        self,
        principal: Principal,
        purpose: Purpose,
        rel: Relationship,
        reason: str | None,
        risky: bool,
        mismatch: str | None,
    ) -> AccessDecision:
        if mismatch:
            return AccessDecision(False, (mismatch,))
        return decide(self.policy, principal, purpose, rel, reason=reason, risky=risky)

    def _relationship(
        self,
        tx: CustodyTx,
        principal: Principal,
        purpose: Purpose,
        customer_id: str,
        order: SealedOrder | None,
        ticket_id: str | None,
        subject: str | None,
        now: datetime,
        open_tickets: list[Ticket] | None = None,
    ) -> tuple[Relationship, str | None, str | None]:
        """Gather only the facts the rule needs: (facts, ticket used, mismatch reason).
        ``open_tickets``: the principal's open tickets for the customer, when the caller has
        already read them (:meth:`CustodyTx.customer_and_open_tickets`)."""
        kind = self._rule_kind(principal, purpose)
        pid = principal.principal_id
        if kind == "ticket":
            if ticket_id is not None:
                ticket = tx.get_ticket(ticket_id)
                if ticket is None or ticket.agent_id != pid or ticket.customer_id != customer_id:
                    return Relationship(), None, "ticket_mismatch"
                if order is not None and ticket.order_id not in (None, order.order_id):
                    return Relationship(), None, "ticket_mismatch"
                candidates = [ticket]
            else:
                if open_tickets is None:
                    open_tickets = tx.open_tickets(pid, customer_id)
                candidates = [
                    t for t in open_tickets if order is None or t.order_id in (None, order.order_id)
                ]
            live = [t for t in candidates if t.status == "open" and utc(t.expires_at) > now]
            if live:
                return Relationship(open_ticket=True), live[0].ticket_id, None
            expired = any(t.status == "open" for t in candidates)
            return Relationship(ticket_expired=expired), None, None
        if kind == "assignment":
            if order is None:
                return Relationship(), None, "order_required"
            assigned = tx.assignments_for(pid, order.order_id)
            active = any(a.ended_at is None for a in assigned) and order.delivered_at is None
            grace = (
                bool(assigned)
                and order.delivered_at is not None
                and (utc(order.delivered_at) + self.courier_grace > now)
            )
            return Relationship(assignment_active=active, assignment_in_grace=grace), None, None
        if kind == "grant":
            fields: set[str] = set()
            for g in tx.grants_for(pid, customer_id):
                if g.expires_at is None or utc(g.expires_at) > now:
                    fields.update(g.fields)
            return Relationship(granted_fields=frozenset(fields)), None, None
        if kind == "self":
            return Relationship(is_self=subject is not None and subject == customer_id), None, None
        return Relationship(), None, None

    def _order_fields(self, order: SealedOrder, decision: AccessDecision) -> dict[str, FieldValue]:
        out: dict[str, FieldValue] = {}
        for f, v in decision.order.items():
            value: Any = None
            if v is View.HIDDEN:
                value = None
            elif f is OrderField.ITEMS:
                items = self.sealer.open_items(order)
                value = (
                    [{"sku": i.sku, "title": i.title, "quantity": i.quantity} for i in items]
                    if v is View.CLEAR
                    else f"{len(items)} item(s)"
                )
            elif f is OrderField.DELIVERY_ADDRESS:
                value = self.renderer.field(
                    "delivery_address", v, self.sealer.open_delivery_address(order)
                ).value
            elif f is OrderField.AMOUNT:
                value = order.amount_cents if v is View.CLEAR else _amount_band(order.amount_cents)
            elif f is OrderField.STATUS:
                value = order.status.value
            out[f.value] = FieldValue(v, value)
        return out

    def _deny(
        self,
        principal: Principal,
        action: Action,
        purpose: Purpose,
        channel: str,
        reasons: tuple[str, ...],
        *,
        customer_ids: list[str] | None = None,
        order_ids: list[str] | None = None,
        ticket_id: str | None = None,
        fields: Mapping[str, str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.audit.append(
            [
                access_event(
                    self.clock.now(),
                    principal,
                    action,
                    Decision.DENY,
                    ",".join(reasons),
                    channel=channel,
                    purpose=purpose.value,
                    customer_ids=customer_ids or [],
                    order_ids=order_ids or [],
                    fields=fields,
                    ticket_id=ticket_id,
                    extra=extra,
                )
            ]
        )

    def _allow(
        self,
        principal: Principal,
        action: Action,
        purpose: Purpose,
        channel: str,
        decision: AccessDecision,
        customer_ids: list[str],
        order_ids: list[str],
        ticket_id: str | None,
        fields: Mapping[str, str],
        extra: Mapping[str, str] | None = None,
    ) -> int:
        seqs = self.audit.append(
            [
                access_event(
                    self.clock.now(),
                    principal,
                    action,
                    Decision.ALLOW,
                    ",".join(decision.reasons),
                    channel=channel,
                    purpose=purpose.value,
                    customer_ids=customer_ids,
                    order_ids=order_ids,
                    fields=fields,
                    ticket_id=ticket_id,
                    extra=extra,
                )
            ]
        )
        return int(seqs[0])


_NORMALIZE: dict[str, Callable[[str, str], str]] = {
    "phone": normalize.phone,
    "email": lambda v, _region: normalize.email(v),
    "national_id": lambda v, _region: normalize.national_id(v),
}


def _ticket_denial(ticket: Ticket | None, principal: Principal, now: datetime) -> str | None:
    """Why a lookup may not run in this ticket's context, or None when it may."""
    if ticket is None or ticket.agent_id != principal.principal_id:
        return "ticket_mismatch"
    if ticket.status != "open" or utc(ticket.expires_at) <= now:
        return "ticket_expired"
    return None


def _amount_band(cents: int) -> str:
    """A masked amount: the order of magnitude, in yuan."""
    yuan = cents // 100
    if yuan < 100:
        return "<100"
    if yuan < 1000:
        return "100-999"
    if yuan < 10000:
        return "1000-9999"
    return ">=10000"
