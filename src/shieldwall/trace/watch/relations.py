"""What explains an access: the relationships the watch learns from the log itself.

Custody already refuses reads without a ticket, an assignment or a grant; the watch asks the
next question, *who created that relationship*. Explanation-based auditing (Fabbri & LeFevre,
"Explanation-Based Auditing", VLDB 2011) calls an access explained when a chain of facts in the
database connects the record to the user (an appointment, a referral); accesses without one are
the ones worth a look. Here the facts are custody's own events:

- ``ticket_open`` by the ticketing system or an operator: an independent reason (the customer
  asked). Opened by the agent itself: explained only by a lookup that found this customer just
  before (an inbound call) or by a ticket the agent had for this customer earlier (a call-back);
  otherwise the agent made its own reason (:attr:`Basis.SELF`).
- ``assign`` with ``extra.courier_unit``: the outlets an order belongs to; a courier's read of
  an order of other outlets only is :attr:`Basis.OUTSIDE_UNIT`.
- ``lookup`` results: which callers an agent just found.
- denials for want of a relationship (``no_open_ticket``, ``not_assigned``, ...).
"""

from __future__ import annotations

from shieldwall.config import WatchSettings
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.trace.watch.model import LAPSED_DENIALS, RELATIONSHIP_DENIALS, Basis
from shieldwall.trace.watch.workingset import DAY_SECONDS, TicketFact, WorkingSet

MAX_TICKET_AGENTS = 8


class RelationIndex:
    """Learns relationship facts from events and explains accesses with them."""

    def __init__(self, ws: WorkingSet, settings: WatchSettings) -> None:
        self.ws = ws
        self.lookup_seconds = settings.lookup_window_minutes * 60
        self.history_seconds = settings.history_days * DAY_SECONDS
        self.ticket_seconds = settings.ticket_days * DAY_SECONDS
        self.exact = frozenset(settings.exact_lookup_keys)
        self.broad = settings.broad_matches

    # -- learning ------------------------------------------------------------------------------

    def learn_ticket_open(self, e: AccessEvent, ts: float) -> TicketFact | None:
        if e.decision is not Decision.ALLOW or not e.ticket_id or not e.customer_ids:
            return None
        agent = e.extra.get("agent") or e.actor
        customer = e.customer_ids[0]
        own = e.extra.get("self_opened") == "yes" or e.actor == agent
        if not own:
            basis = Basis.INDEPENDENT
        elif ts - self.ws.lookups.get((agent, customer), -1e18) <= self.lookup_seconds:
            basis = Basis.CONTACT
        elif ts - self.ws.served.get((agent, customer), -1e18) <= self.history_seconds:
            basis = Basis.HISTORY
        else:
            basis = Basis.SELF
        fact = TicketFact(agent, customer, basis.value, ts)
        self.ws.tickets[e.ticket_id] = fact
        self.ws.touch("t", e.ticket_id)
        self.ws.served[(agent, customer)] = ts
        self.ws.touch("s", (agent, customer))
        agents = [(a, t) for a, t in self.ws.ticket_agents.get(customer, []) if a != agent]
        self.ws.ticket_agents[customer] = [(agent, ts), *agents][:MAX_TICKET_AGENTS]
        self.ws.touch("c", customer)
        return fact

    def learn_ticket_close(self, e: AccessEvent) -> TicketFact | None:
        fact = self.ws.tickets.get(e.ticket_id or "")
        if fact is None or fact.closed:
            return None
        fact.closed = True
        self.ws.touch("t", e.ticket_id)
        return fact

    def learn_assign(self, e: AccessEvent, ts: float) -> None:
        unit = e.extra.get("courier_unit")
        if e.decision is not Decision.ALLOW or not unit:
            return
        for order in e.order_ids:
            outlets, _ = self.ws.orders.get(order, ([], 0.0))
            if unit not in outlets:
                outlets = [*outlets, unit]
            self.ws.orders[order] = (outlets, ts)
            self.ws.touch("o", order)

    def learn_lookup(self, e: AccessEvent, ts: float) -> None:
        if e.decision is not Decision.ALLOW or not self.is_exact_lookup(e):
            return
        for c in e.customer_ids:
            self.ws.lookups[(e.actor, c)] = ts
            self.ws.touch("l", (e.actor, c))

    def is_exact_lookup(self, e: AccessEvent) -> bool:
        """A lookup by an exact key with few matches (finding a caller), not a search."""
        by = e.extra.get("by", "")
        try:
            matches = int(e.extra.get("matches", len(e.customer_ids)))
        except ValueError:
            matches = len(e.customer_ids)
        return by in self.exact and matches <= self.broad

    # -- explaining ----------------------------------------------------------------------------

    def explain(self, e: AccessEvent, ts: float, unit: str | None) -> Basis:
        """Why ``e`` could happen: the relationship behind it, or its absence."""
        reasons = e.reason.split(",")
        if e.decision is Decision.DENY:
            return self._denied(e, reasons, unit, ts)
        if "via_ticket" in reasons:
            fact = self.ws.tickets.get(e.ticket_id or "")
            return Basis(fact.basis) if fact is not None else Basis.UNKNOWN
        if "via_grant" in reasons:
            return Basis.GRANT
        if "via_assignment" in reasons or "via_self" in reasons:
            return Basis.INDEPENDENT
        if e.action in (Action.LOOKUP, Action.EXPORT):
            return Basis.POLICY
        if e.role == "courier" and e.order_ids:
            return self._courier(e.order_ids, unit)
        if e.role == "agent" and e.customer_ids:
            return self._agent(e.actor, e.customer_ids, unit, ts)
        return Basis.POLICY

    def _denied(self, e: AccessEvent, reasons: list[str], unit: str | None, ts: float) -> Basis:
        """A denial for want of a relationship, unless one existed and ran out (a courier
        opening a waybill of its outlet after the grace period, an agent back on a customer it
        served): people come back to their work late, harvesters try records they never had."""
        if not RELATIONSHIP_DENIALS.intersection(reasons):
            return Basis.POLICY
        if LAPSED_DENIALS.intersection(reasons):
            return Basis.LAPSED
        if (
            e.role == "courier"
            and e.order_ids
            and self._courier(e.order_ids, unit) is Basis.INDEPENDENT
        ):
            return Basis.LAPSED
        if e.role == "agent" and any(
            ts - self.ws.served.get((e.actor, c), -1e18) <= self.history_seconds
            for c in e.customer_ids
        ):
            return Basis.LAPSED
        return Basis.DENIED

    def _courier(self, orders: tuple[str, ...], unit: str | None) -> Basis:
        known = [self.ws.orders[o][0] for o in orders if o in self.ws.orders]
        if not known:
            return Basis.UNASSIGNED
        return (
            Basis.INDEPENDENT if any(unit in outlets for outlets in known) else Basis.OUTSIDE_UNIT
        )

    def _agent(self, agent: str, customers: tuple[str, ...], unit: str | None, ts: float) -> Basis:
        best = Basis.UNASSIGNED
        for c in customers:
            if ts - self.ws.served.get((agent, c), -1e18) <= self.ticket_seconds:
                return Basis.INDEPENDENT
            for other, when in self.ws.ticket_agents.get(c, []):
                same = self.ws.directory.get(other, ("", None))[1] == unit and unit is not None
                if same and ts - when <= self.ticket_seconds:
                    best = Basis.TEAM
        return best
