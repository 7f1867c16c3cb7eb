"""The watch's own types: how an access is explained, what a detector sees, what it finds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shieldwall.core.alerts import Reason
from shieldwall.core.events import AccessEvent, Action, Decision

ACCESS_ACTIONS = frozenset(
    {Action.READ, Action.LOOKUP, Action.REVEAL, Action.EXPORT, Action.BREAK_GLASS}
)
# Denials that mean "you have no relationship with this record" (custody/policy.py).
RELATIONSHIP_DENIALS = frozenset(
    {
        "no_open_ticket",
        "ticket_expired",
        "ticket_mismatch",
        "not_assigned",
        "assignment_ended",
        "no_grant",
        "not_self",
        "order_required",
    }
)
# Of those, the ones that say a relationship existed and has run out.
LAPSED_DENIALS = frozenset({"ticket_expired", "assignment_ended"})
UNDELIVERED = frozenset({"paid", "shipped"})


class Basis(StrEnum):
    """What explains an access (explanation-based auditing, Fabbri & LeFevre 2011)."""

    INDEPENDENT = "independent"  # a ticket from the ticketing system, a dispatcher's assignment
    GRANT = "grant"  # a release granted these records to this partner
    CONTACT = "contact"  # the agent opened the ticket right after finding the caller by phone
    HISTORY = "history"  # the agent opened the ticket for a customer it served before
    TEAM = "team"  # no own relationship, but a teammate holds a ticket for this customer
    SELF = "self"  # the agent opened the ticket itself with nothing before it
    OUTSIDE_UNIT = "outside_unit"  # the order belongs to other outlets only
    UNASSIGNED = "unassigned"  # no relationship known at all
    DENIED = "denied"  # custody refused it for want of a relationship
    LAPSED = "lapsed"  # refused, but the principal did have a relationship that ran out
    POLICY = "policy"  # the policy needs no relationship (analytics, investigation)
    UNKNOWN = "unknown"  # the relationship predates what the watch has seen

    @property
    def unrelated(self) -> bool:
        return self in (Basis.OUTSIDE_UNIT, Basis.UNASSIGNED, Basis.DENIED)


@dataclass(slots=True)
class Observation:
    """One access as a detector sees it: the event, its place in time and its explanation."""

    seq: int
    event: AccessEvent
    day: int  # local calendar day number
    hour: int  # local hour of day
    basis: Basis
    allowed: bool
    customers: tuple[str, ...]
    new_customers: tuple[str, ...] = ()  # first access to these customers today

    @property
    def principal(self) -> str:
        return self.event.actor

    @property
    def role(self) -> str:
        return self.event.role

    @property
    def action(self) -> Action:
        return self.event.action

    @property
    def denied(self) -> bool:
        return self.event.decision is Decision.DENY


@dataclass(frozen=True, slots=True)
class Finding:
    """A detector's verdict on a principal after one access: score over threshold, reasons."""

    kind: str
    principal_id: str
    score: float
    reasons: tuple[Reason, ...]
    at: datetime
    details: Mapping[str, str] = field(default_factory=dict)
    exposed: int = 0  # distinct customers behind the finding in the window
