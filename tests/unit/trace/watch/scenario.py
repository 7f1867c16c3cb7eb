"""A small hand-made store for detector tests: a few teams and outlets working some days, then
one principal doing one thing. Events have custody's shape (see custody/vault.py, relations.py).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Alert
from shieldwall.core.events import AccessEvent, Action, AuditRecord, Decision
from shieldwall.sim.access.views import (
    ADMIN_CUSTOMER,
    AGENT_CUSTOMER,
    AGENT_ORDER,
    ALL_CLEAR,
    COURIER_ORDER,
    PARTNER_CUSTOMER,
)
from shieldwall.storage.watch_state_memory import MemoryAlertStore, MemoryWatchState
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.ports import WatchState

# Day 0 starts at local midnight, 2026-03-02 in Shanghai (UTC+8).
T0 = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
SYSTEM = ("svc-ticketing", "service", "crm")
DISPATCH = ("svc-dispatch", "service", "logistics")


def at(day: int, hour: float) -> datetime:
    """Local ``hour`` (may pass 24) of ``day``."""
    return T0 + timedelta(days=day, hours=hour)


@dataclass
class Scenario:
    """Builds a time-ordered stream of access events."""

    seed: int = 1
    events: list[AccessEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._ids = itertools.count(1)

    def _next(self) -> int:
        return next(self._ids)

    def customer(self) -> str:
        """A random customer id out of a million (benign work does not walk through ids)."""
        return f"C{self.rng.randrange(1, 1_000_000):07d}"

    def add(
        self,
        ts: datetime,
        actor: str,
        role: str,
        unit: str | None,
        action: Action,
        *,
        decision: Decision = Decision.ALLOW,
        reason: str = "",
        purpose: str | None = None,
        customers: tuple[str, ...] = (),
        orders: tuple[str, ...] = (),
        fields: Mapping[str, str] | None = None,
        ticket: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.events.append(
            AccessEvent(
                ts=ts,
                actor=actor,
                role=role,
                unit=unit,
                action=action,
                decision=decision,
                reason=reason,
                purpose=purpose,
                customer_ids=customers,
                order_ids=orders,
                fields=fields or {},
                ticket_id=ticket,
                extra=extra or {},
            )
        )

    # -- agents --------------------------------------------------------------------------------

    def ticket(
        self,
        agent: str,
        team: str,
        customer: str,
        ts: datetime,
        *,
        own: bool = False,
        lookup: bool = False,
        order: str | None = None,
        status: str = "delivered",
        close: bool = True,
        reveal: bool = False,
    ) -> str:
        """One ticket as custody logs it: opened, read, maybe the order, a reveal, closed."""
        tid = f"tkt_{self._next():06d}"
        if lookup:
            self.add(
                ts - timedelta(seconds=60),
                agent,
                "agent",
                team,
                Action.LOOKUP,
                reason="blind_index_match",
                purpose="after_sales",
                customers=(customer,),
                extra={"by": "phone", "matches": "1"},
            )
        opener = (agent, "agent", team) if own or lookup else SYSTEM
        self.add(
            ts - timedelta(seconds=30),
            *opener,
            Action.TICKET_OPEN,
            reason="ticket_opened",
            customers=(customer,),
            orders=(order,) if order else (),
            ticket=tid,
            extra={"agent": agent, "self_opened": "yes" if opener[0] == agent else "no"},
        )
        self.add(
            ts,
            agent,
            "agent",
            team,
            Action.READ,
            reason="via_ticket",
            purpose="after_sales",
            customers=(customer,),
            fields=AGENT_CUSTOMER,
            ticket=tid,
        )
        if order:
            self.add(
                ts + timedelta(seconds=40),
                agent,
                "agent",
                team,
                Action.READ,
                reason="via_ticket",
                purpose="after_sales",
                customers=(customer,),
                orders=(order,),
                fields=AGENT_ORDER,
                ticket=tid,
                extra={"order_status": status},
            )
        if reveal:
            self.add(
                ts + timedelta(seconds=90),
                agent,
                "agent",
                team,
                Action.REVEAL,
                reason="via_ticket,reveal_with_reason",
                purpose="after_sales",
                customers=(customer,),
                fields={"phone": "clear"},
                ticket=tid,
                extra={"reason_given": "yes", "reason_length": "30"},
            )
        if close:
            self.add(
                ts + timedelta(minutes=5),
                agent,
                "agent",
                team,
                Action.TICKET_CLOSE,
                reason="ticket_closed",
                customers=(customer,),
                ticket=tid,
            )
        return tid

    def agent_day(
        self,
        agent: str,
        team: str,
        day: int,
        *,
        tickets: int = 12,
        start: float = 9.0,
        hours: float = 8.0,
        undelivered: float = 0.3,
        reveal: float = 0.15,
        own: float = 0.0,
    ) -> None:
        """A normal day: ``tickets`` tickets spread over the shift, from a large customer pool."""
        for i in range(tickets):
            ts = at(day, start + hours * i / tickets) + timedelta(minutes=self.rng.uniform(0, 20))
            c = self.customer()
            status = "shipped" if self.rng.random() < undelivered else "delivered"
            self.ticket(
                agent,
                team,
                c,
                ts,
                own=self.rng.random() < own,
                order=f"O{self.rng.randrange(10**7):08d}",
                status=status,
                reveal=self.rng.random() < reveal,
            )

    def team(self, team: str, members: int, days: Iterable[int], **kw: float) -> list[str]:
        names = [f"{team}-a{i}" for i in range(members)]
        for day in days:
            for name in names:
                self.agent_day(name, team, day, **kw)
        return names

    # -- couriers ------------------------------------------------------------------------------

    def delivery(self, courier: str, outlet: str, order: str, customer: str, ts: datetime) -> None:
        self.add(
            ts,
            *DISPATCH,
            Action.ASSIGN,
            reason="courier_assigned",
            customers=(customer,),
            orders=(order,),
            extra={"courier": courier, "courier_unit": outlet},
        )
        self.courier_read(courier, outlet, order, customer, ts + timedelta(minutes=10))

    def courier_read(
        self,
        courier: str,
        outlet: str,
        order: str,
        customer: str,
        ts: datetime,
        *,
        decision: Decision = Decision.ALLOW,
        reason: str = "via_assignment",
    ) -> None:
        self.add(
            ts,
            courier,
            "courier",
            outlet,
            Action.READ,
            decision=decision,
            reason=reason if decision is Decision.ALLOW else "not_assigned",
            purpose="delivery",
            customers=(customer,),
            orders=(order,),
            fields=COURIER_ORDER if decision is Decision.ALLOW else {},
            extra={"order_status": "shipped"} if decision is Decision.ALLOW else {},
        )

    def outlet(self, outlet: str, couriers: int, days: Iterable[int], per_day: int = 15) -> None:
        for day in days:
            for k in range(couriers):
                name = f"{outlet}-c{k}"
                for i in range(per_day):
                    n = self._next()
                    ts = at(day, 8 + 10 * i / per_day)
                    self.delivery(name, outlet, f"O{n:08d}", f"C{n:07d}", ts)

    # -- others --------------------------------------------------------------------------------

    def admin_read(self, admin: str, customer: str, ts: datetime) -> None:
        self.add(
            ts,
            admin,
            "admin",
            "security",
            Action.READ,
            reason="via_none",
            purpose="investigation",
            customers=(customer,),
            fields=ADMIN_CUSTOMER,
        )

    def partner_read(self, partner: str, customer: str, ts: datetime) -> None:
        self.add(
            ts,
            partner,
            "partner",
            f"{partner}-co",
            Action.READ,
            reason="via_grant",
            purpose="partner_fulfilment",
            customers=(customer,),
            fields=PARTNER_CUSTOMER,
        )

    def break_glass(self, who: str, role: str, unit: str, customer: str, ts: datetime) -> None:
        self.add(
            ts,
            who,
            role,
            unit,
            Action.BREAK_GLASS,
            reason="break_glass",
            purpose="investigation",
            customers=(customer,),
            fields=ALL_CLEAR,
        )

    def records(self) -> list[AuditRecord]:
        ordered = sorted(self.events, key=lambda e: e.ts)
        return [AuditRecord(i, e, b"") for i, e in enumerate(ordered)]


def run(
    scenario: Scenario,
    settings: WatchSettings | None = None,
    *,
    state: WatchState | None = None,
    batch: int = 500,
) -> tuple[Watch, MemoryAlertStore]:
    """Stream the scenario through a watch; return it and its alerts."""
    store = MemoryAlertStore()
    watch = Watch(settings or WatchSettings(), state or MemoryWatchState(), store)
    records = scenario.records()
    for i in range(0, len(records), batch):
        watch.process(records[i : i + batch])
    return watch, store


def alerts_for(store: MemoryAlertStore, principal: str, kind: str | None = None) -> list[Alert]:
    return [
        a for a in store.list() if a.principal_id == principal and (kind is None or a.kind == kind)
    ]
