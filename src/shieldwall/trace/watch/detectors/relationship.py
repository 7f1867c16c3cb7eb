"""Access with no relationship, and relationships the principal made for itself."""

from __future__ import annotations

from typing import ClassVar

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Reason
from shieldwall.core.events import Action
from shieldwall.trace.watch.detectors.base import DetectorContext, pct, rate_test
from shieldwall.trace.watch.model import Basis, Finding, Observation

RELATED_ROLES = frozenset({"agent", "courier", "partner"})
RECORD_ACTIONS = frozenset({Action.READ, Action.REVEAL, Action.BREAK_GLASS})


class NoRelationship:
    """Attempts on customers the principal has no relationship with, against its peers.

    Counts distinct customers behind custody's relationship denials (``no_open_ticket``,
    ``not_assigned``, ...) and behind allowed reads the watch cannot tie to the principal's
    unit: a courier opening waybills of other outlets only (outlets learnt from ``assign``
    events), an agent reading a customer no one in its team holds a ticket for (when the policy
    lets agents read without one).
    """

    kind: ClassVar[str] = "no_relationship"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if obs.action not in RECORD_ACTIONS or obs.role not in RELATED_ROLES:
            return None
        if not obs.basis.unrelated:
            return None
        today = ctx.today()
        today.bump(f"norel_{obs.basis.value}")
        if not today.mark("norel", obs.customers):
            return None
        ctx.evidence(self.kind, obs.customers)
        test = rate_test(ctx, "norel", "try")
        if test is None or test.score < self.threshold:
            return None
        parts = []
        for basis, words in (
            (Basis.DENIED, "refused by custody for want of a ticket, assignment or grant"),
            (Basis.OUTSIDE_UNIT, "orders of other outlets only"),
            (Basis.UNASSIGNED, "with no relationship the watch knows of"),
        ):
            n = ctx.window(f"norel_{basis.value}")
            if n:
                parts.append(f"{n} {words}")
        reasons = [
            Reason(
                "no_relationship",
                f"{test.k} of {test.n} customers tried {test.span} had no"
                f" relationship with this principal ({pct(test.k / max(test.n, 1))};"
                f" peers {pct(test.peer)})",
            ),
            Reason("no_relationship_detail", "; ".join(parts)),
        ]
        return ctx.finding(self.kind, test.score, reasons, exposed=test.k)


class Harvesting:
    """Customers reached through tickets the agent opened itself with nothing before them.

    An inbound call explains a self-opened ticket (a lookup found the caller just before), so
    does a call-back (an earlier ticket for the same customer); a ticket with neither is a
    reason the agent made up. Harvesters work this way: a fresh ticket per record, one look,
    often the phone in clear, and the ticket never closed. The score is the higher of two tests
    against the peers: the share of customers reached this way, and the share of such tickets
    left open (outreach teams open their own tickets all day, but close them).
    """

    kind: ClassVar[str] = "harvesting"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if obs.basis is not Basis.SELF or not obs.allowed or obs.action not in RECORD_ACTIONS:
            return None
        today = ctx.today()
        if not today.mark("self", obs.customers):
            return None
        ctx.evidence(self.kind, obs.customers)
        share = rate_test(ctx, "self", "cust")
        if share is None:
            return None
        # Outreach teams open their own tickets all day but close them; a harvester does not.
        unclosed = rate_test(ctx, "tk_self_left", "tk_self")
        score = max(share.score, unclosed.score if unclosed is not None else 0.0)
        if score < self.threshold:
            return None
        looks = ctx.window("acc") / max(ctx.window("cust"), 1)
        reasons = []
        if share.score >= self.threshold:
            reasons.append(
                Reason(
                    "self_made_relationship",
                    f"{share.k} of {share.n} customers {share.span} were reached"
                    f" through tickets the agent opened itself with no call or earlier contact"
                    f" ({pct(share.k / max(share.n, 1))}; peers {pct(share.peer)})",
                )
            )
        opened, left = ctx.window("tk_self"), ctx.window("tk_self_left")
        peers_left = ctx.peer_rate("tk_self_left", "tk_self")
        reasons.append(
            Reason(
                "no_follow_up",
                f"{left} of {opened} such tickets left open"
                f" (peers leave {pct(peers_left) if peers_left is not None else '?'});"
                f" {looks:.1f} looks per customer",
            )
        )
        return ctx.finding(self.kind, score, reasons, exposed=share.k)
