"""Relationships that open access: tickets (agent <-> customer), courier assignments, order
status changes that end them, and partner grants (written by trace's releases)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from shieldwall.core.clock import Clock, utc
from shieldwall.core.events import Action, Decision
from shieldwall.core.ids import new_id
from shieldwall.core.model import Assignment, Grant, OrderStatus, PiiField, Principal, Role, Ticket
from shieldwall.custody import normalize
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.errors import AccessDenied, Conflict, NotFound, ValidationError
from shieldwall.custody.ports import CustodyStore, CustodyTx, OutboxAuditSink

GRANTABLE = frozenset({f.value for f in PiiField} | {"items", "delivery_address", "status"})
ORDER_FLOW = {
    OrderStatus.PAID: {OrderStatus.SHIPPED, OrderStatus.REFUNDED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED, OrderStatus.REFUNDED},
    OrderStatus.DELIVERED: {OrderStatus.REFUNDED},
    OrderStatus.REFUNDED: set(),
}


class Relations:
    def __init__(
        self,
        store: CustodyStore,
        audit: OutboxAuditSink,
        clock: Clock,
        *,
        ticket_ttl: timedelta,
        relay_grace: timedelta,
    ) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self.ticket_ttl = ticket_ttl
        self.relay_grace = relay_grace

    # -- tickets -----------------------------------------------------------------------------

    def open_ticket(
        self,
        agent_id: str,
        customer_id: str,
        order_id: str | None = None,
        *,
        actor: Principal = OPERATOR,
        channel: str = "cli",
        ttl: timedelta | None = None,
    ) -> Ticket:
        """Open a ticket. Agents may open tickets only for themselves (flagged ``self_opened``)."""
        if actor.role is Role.AGENT and actor.principal_id != agent_id:
            raise AccessDenied("agents may open tickets only for themselves", ["not_own_ticket"])
        if actor.role not in (Role.ADMIN, Role.SERVICE, Role.AGENT):
            raise AccessDenied("this role may not open tickets", ["role_not_allowed"])
        now = self.clock.now()
        with self.store.write() as tx:
            agent = _principal(tx, agent_id, "agent_id")
            if agent.role is not Role.AGENT:
                raise ValidationError("is not an agent", field="agent_id")
            if not agent.active:
                raise ValidationError("is deactivated", field="agent_id")
            if not tx.existing_customer_ids([customer_id]):
                raise NotFound(f"no customer {customer_id}", field="customer_id")
            if order_id is not None:
                order = tx.get_order(order_id)
                if order is None:
                    raise NotFound(f"no order {order_id}", field="order_id")
                if order.customer_id != customer_id:
                    raise ValidationError("belongs to another customer", field="order_id")
            ticket = Ticket(
                new_id("tkt"),
                agent_id,
                customer_id,
                order_id,
                "open",
                now,
                now + (ttl or self.ticket_ttl),
            )
            tx.insert_ticket(ticket)
            staged = tx.stage_audit(
                [
                    access_event(
                        now,
                        actor,
                        Action.TICKET_OPEN,
                        Decision.ALLOW,
                        "ticket_opened",
                        channel=channel,
                        customer_ids=[customer_id],
                        order_ids=[order_id] if order_id else [],
                        ticket_id=ticket.ticket_id,
                        extra={
                            "agent": agent_id,
                            "self_opened": "yes" if actor.principal_id == agent_id else "no",
                        },
                    )
                ]
            )
        self.audit.log_staged(staged)
        return ticket

    def close_ticket(
        self, ticket_id: str, *, actor: Principal = OPERATOR, channel: str = "cli"
    ) -> Ticket:
        now = self.clock.now()
        with self.store.write() as tx:
            ticket = tx.get_ticket(ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
            if actor.role is Role.AGENT and actor.principal_id != ticket.agent_id:
                raise AccessDenied("agents may close only their own tickets", ["not_own_ticket"])
            if ticket.status != "open":
                raise Conflict("the ticket is already closed", field="ticket_id")
            tx.close_ticket(ticket_id, now)
            staged = tx.stage_audit(
                [
                    access_event(
                        now,
                        actor,
                        Action.TICKET_CLOSE,
                        Decision.ALLOW,
                        "ticket_closed",
                        channel=channel,
                        customer_ids=[ticket.customer_id],
                        ticket_id=ticket_id,
                    )
                ]
            )
        self.audit.log_staged(staged)
        return Ticket(
            ticket.ticket_id,
            ticket.agent_id,
            ticket.customer_id,
            ticket.order_id,
            "closed",
            ticket.opened_at,
            ticket.expires_at,
            now,
        )

    def get_ticket(self, ticket_id: str) -> Ticket:
        with self.store.read() as tx:
            ticket = tx.get_ticket(ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
        return ticket

    # -- couriers and order status -----------------------------------------------------------

    def assign_courier(
        self, courier_id: str, order_id: str, *, actor: Principal = OPERATOR, channel: str = "cli"
    ) -> Assignment:
        now = self.clock.now()
        with self.store.write() as tx:
            courier = _principal(tx, courier_id, "courier_id")
            if courier.role is not Role.COURIER:
                raise ValidationError("is not a courier", field="courier_id")
            order = tx.get_order(order_id)
            if order is None:
                raise NotFound(f"no order {order_id}", field="order_id")
            if order.status in (OrderStatus.DELIVERED, OrderStatus.REFUNDED):
                raise Conflict(f"the order is already {order.status.value}", field="order_id")
            if any(a.ended_at is None for a in tx.assignments_for(courier_id, order_id)):
                raise Conflict("the courier is already assigned to this order", field="order_id")
            assignment = Assignment(new_id("asg"), courier_id, order_id, now)
            tx.insert_assignment(assignment)
            staged = tx.stage_audit(
                [
                    access_event(
                        now,
                        actor,
                        Action.ASSIGN,
                        Decision.ALLOW,
                        "courier_assigned",
                        channel=channel,
                        customer_ids=[order.customer_id],
                        order_ids=[order_id],
                        extra={"courier": courier_id, "courier_unit": courier.unit or ""},
                    )
                ]
            )
        self.audit.log_staged(staged)
        return assignment

    def set_order_status(
        self,
        order_id: str,
        status: OrderStatus | str,
        *,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> OrderStatus:
        """Move an order along paid -> shipped -> delivered (or refunded).

        Delivery ends courier assignments and starts the grace period of their relay numbers.
        """
        try:
            new = OrderStatus(status)
        except ValueError:
            raise ValidationError("unknown status", field="status") from None
        now = self.clock.now()
        with self.store.write() as tx:
            order = tx.get_order(order_id)
            if order is None:
                raise NotFound(f"no order {order_id}", field="order_id")
            if new not in ORDER_FLOW[order.status]:
                raise Conflict(
                    f"cannot go from {order.status.value} to {new.value}", field="status"
                )
            tx.set_order_status(order_id, new, now)
            if new in (OrderStatus.DELIVERED, OrderStatus.REFUNDED):
                tx.end_assignments(order_id, now)
                tx.expire_relay_bindings(order_id, now + self.relay_grace)
            staged = tx.stage_audit(
                [
                    access_event(
                        now,
                        actor,
                        Action.ORDER_STATUS,
                        Decision.ALLOW,
                        f"status_{new.value}",
                        channel=channel,
                        customer_ids=[order.customer_id],
                        order_ids=[order_id],
                        extra={"order_status": new.value},
                    )
                ]
            )
        self.audit.log_staged(staged)
        return new

    # -- grants ------------------------------------------------------------------------------

    def grant(
        self,
        partner_id: str,
        customer_ids: Iterable[str],
        fields: Iterable[str],
        *,
        release_id: str | None = None,
        expires_at: datetime | None = None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> list[Grant]:
        """Let a partner read ``fields`` of these customers (a release does this)."""
        wanted = tuple(sorted(set(fields)))
        bad = [f for f in wanted if f not in GRANTABLE]
        if bad or not wanted:
            raise ValidationError(f"must be among {', '.join(sorted(GRANTABLE))}", field="fields")
        ids = [normalize.record_id(c) for c in customer_ids]
        now = self.clock.now()
        if expires_at is not None and utc(expires_at) <= now:
            raise ValidationError("must be in the future", field="expires_at")
        with self.store.write() as tx:
            partner = _principal(tx, partner_id, "partner_id")
            if partner.role is not Role.PARTNER:
                raise ValidationError("is not a partner", field="partner_id")
            missing = set(ids) - tx.existing_customer_ids(ids)
            if missing:
                raise NotFound(f"{len(missing)} customer id(s) do not exist", field="customer_ids")
            grants = [
                Grant(new_id("grt"), partner_id, c, wanted, release_id, now, expires_at)
                for c in ids
            ]
            tx.insert_grants(grants)
            staged = tx.stage_audit(
                [
                    access_event(
                        now,
                        actor,
                        Action.GRANT,
                        Decision.ALLOW,
                        "release_grant",
                        channel=channel,
                        customer_ids=ids,
                        fields=dict.fromkeys(wanted, "granted"),
                        extra={"partner": partner_id, "release": release_id or ""},
                    )
                ]
            )
        self.audit.log_staged(staged)
        return grants


def _principal(tx: CustodyTx, principal_id: str, field: str) -> Principal:
    record = tx.get_principal(principal_id)
    if record is None:
        raise NotFound(f"no principal {principal_id}", field=field)
    return record.principal
