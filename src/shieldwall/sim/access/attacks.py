"""The insider attacks the world can plant: what each is, who carries it out, its ground truth
(every customer it exposed, first exposure time), and the work it does on each day."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from shieldwall.core.model import OrderStatus, Role
from shieldwall.sim.access.store import PROVINCES, undelivered
from shieldwall.sim.access.timing import DAY, HOUR, poisson
from shieldwall.sim.access.views import ADMIN_EXPORT

if TYPE_CHECKING:
    from shieldwall.sim.access.emitter import EventEmitter
    from shieldwall.sim.access.staff import Staff
    from shieldwall.sim.access.world import AccessWorld


class AttackKind(StrEnum):
    """The insider attacks the world can plant."""

    TICKET_HARVEST = "ticket_harvest"  # an agent self-opens tickets on paid-undelivered orders
    SLOW_HARVEST = "slow_harvest"  # the same at a few records an hour, over days
    OUTLET_CROSS = "outlet_cross"  # an outlet's couriers open other outlets' waybills
    ENUMERATION = "enumeration"  # an admin reads customer ids in sequence
    PHONE_SWEEP = "phone_sweep"  # an agent looks up a run of phone numbers
    REGION_SEARCH = "region_search"  # an agent searches customers by province
    REVEAL_HAPPY = "reveal_happy"  # an agent reveals phone and address on every ticket
    OFF_HOURS = "off_hours"  # a day-shift agent harvests between midnight and 5 a.m.
    BULK_EXPORT = "bulk_export"  # an admin exports masked rows with no release
    BREAK_GLASS = "break_glass"  # an agent breaks the glass on customers with no ticket


ATTACKER_ROLE: Mapping[AttackKind, Role] = {
    AttackKind.TICKET_HARVEST: Role.AGENT,
    AttackKind.SLOW_HARVEST: Role.AGENT,
    AttackKind.OUTLET_CROSS: Role.COURIER,
    AttackKind.ENUMERATION: Role.ADMIN,
    AttackKind.PHONE_SWEEP: Role.AGENT,
    AttackKind.REGION_SEARCH: Role.AGENT,
    AttackKind.REVEAL_HAPPY: Role.AGENT,
    AttackKind.OFF_HOURS: Role.AGENT,
    AttackKind.BULK_EXPORT: Role.ADMIN,
    AttackKind.BREAK_GLASS: Role.AGENT,
}


@dataclass(slots=True)
class AttackTruth:
    """Ground truth of one planted attack: who, from when, and what it exposed."""

    kind: AttackKind
    principals: tuple[str, ...]
    start: datetime
    exposed: list[tuple[datetime, str]] = field(default_factory=list)  # first exposure, in order
    _seen: set[str] = field(default_factory=set, repr=False)

    def expose(self, when: datetime, customer_id: str) -> None:
        if customer_id not in self._seen:
            self._seen.add(customer_id)
            self.exposed.append((when, customer_id))

    @property
    def customers(self) -> frozenset[str]:
        return frozenset(self._seen)

    def exposed_before(self, when: datetime) -> int:
        """How many customers the attack had exposed at or before ``when``."""
        return sum(1 for ts, _ in self.exposed if ts <= when)


@dataclass(slots=True)
class AttackPlan:
    """An attack as planted: its kind, its principals (the lead first), when it starts in local
    seconds, its ground truth, its own intensity draw, and a cursor some attacks keep."""

    kind: AttackKind
    who: list[Staff]
    start: float
    truth: AttackTruth
    u: float  # the attack's own intensity draw in [0, 1)
    cursor: int = -1


def plant(world: AccessWorld, rng: random.Random) -> list[AttackPlan]:
    """The attacks of ``world.config``, each on principals no other attack uses, in order."""
    cfg = world.config
    last = cfg.days - 4 if cfg.last_attack_day is None else cfg.last_attack_day
    taken: set[str] = set()
    plans: list[AttackPlan] = []
    pools = {
        Role.AGENT: world.agents,
        Role.COURIER: world.couriers,
        Role.ADMIN: world.admins,
    }
    for kind in cfg.attacks:
        for _ in range(cfg.attackers_per_kind):
            role = ATTACKER_ROLE[kind]
            pool = [s for s in pools[role] if s.pid not in taken]
            if kind is AttackKind.OFF_HOURS:
                pool = [s for s in pool if 8 <= s.shift.start <= 10] or pool
            if not pool:
                continue
            who = [rng.choice(pool)]
            if kind is AttackKind.OUTLET_CROSS:
                mates = [
                    s
                    for s in pool
                    if s.principal.unit == who[0].principal.unit and s.pid != who[0].pid
                ]
                who += rng.sample(mates, min(len(mates), rng.randint(1, 2)))
            taken.update(s.pid for s in who)
            day = rng.randint(cfg.first_attack_day, last)
            hour = who[0].shift.start + rng.uniform(0.5, who[0].shift.hours - 1.5)
            if kind is AttackKind.OFF_HOURS:
                hour = rng.uniform(0.5, 2.0)
            start = day * DAY + hour * HOUR
            truth = AttackTruth(kind, tuple(s.pid for s in who), world.ts(start))
            plans.append(AttackPlan(kind, who, start, truth, rng.random()))
    return plans


def attack_day(world: AccessWorld, out: EventEmitter, plan: AttackPlan, day: int) -> None:
    """The attack's work on ``day`` (nothing before it starts; reveal-happy rides on tickets)."""
    if (day + 1) * DAY <= plan.start or plan.kind is AttackKind.REVEAL_HAPPY:
        return
    rng = random.Random(f"{world.seed}/attack/{plan.kind.value}/{plan.who[0].pid}/{day}")
    st = world.store
    lead = plan.who[0]
    working = lead.works(world.weekday(day))
    shift_lo = max(plan.start, day * DAY + lead.shift.start * HOUR)
    shift_hi = day * DAY + (lead.shift.start + lead.shift.hours - 0.5) * HOUR

    def times(rate_per_hour: float, lo: float, hi: float) -> list[float]:
        if hi <= lo:
            return []
        n = poisson(rng, rate_per_hour * (hi - lo) / HOUR)
        return sorted(rng.uniform(lo, hi) for _ in range(n))

    kind = plan.kind
    if kind in (AttackKind.TICKET_HARVEST, AttackKind.SLOW_HARVEST):
        if not working:
            return
        rate = (8 + 8 * plan.u) if kind is AttackKind.TICKET_HARVEST else (2 + 1.5 * plan.u)
        for t in times(rate, shift_lo, shift_hi):
            harvest_one(world, out, plan, t, rng)
    elif kind is AttackKind.OFF_HOURS:
        if rng.random() > 0.6 and day * DAY > plan.start:
            return
        lo = max(plan.start, day * DAY + rng.uniform(0.3, 2.5) * HOUR)
        for t in times(25 + 15 * plan.u, lo, lo + rng.uniform(1, 2) * HOUR):
            harvest_one(world, out, plan, t, rng)
    elif kind is AttackKind.OUTLET_CROSS:
        for who in plan.who:
            if not who.works(world.weekday(day)):
                continue
            lo = max(plan.start, day * DAY + who.shift.start * HOUR)
            for t in times(4 + 6 * plan.u, lo, lo + 8 * HOUR):
                j = st.recent_order(rng, t, lambda s: s is OrderStatus.SHIPPED)
                if st.outlets[int(st.o_outlet[j])] == who.principal.unit:
                    continue
                enforced = world.config.courier_rule == "assignment"
                out.courier_read(who, t, j, late=enforced, truth=plan.truth)
    elif kind is AttackKind.ENUMERATION:
        if not working:
            return
        if plan.cursor < 0:
            plan.cursor = rng.randrange(len(st.region) // 2)
        for t in times(40 + 60 * plan.u, shift_lo, min(shift_hi, shift_lo + 3 * HOUR)):
            plan.cursor += 1 if rng.random() < 0.9 else rng.randint(2, 4)
            out.admin_read(lead.principal, t, plan.cursor % len(st.region), None, truth=plan.truth)
    elif kind is AttackKind.PHONE_SWEEP:
        if not working:
            return
        for t in times(40 + 40 * plan.u, shift_lo, shift_hi):
            if rng.random() < 0.1:
                c = rng.randrange(len(st.region))
                out.lookup(lead.principal, t, (c,), by="phone", truth=plan.truth)
                tid = out.ticket_open(lead.principal, t + 20, c, None, lead.principal)
                out.read_customer(lead.principal, t + 40, c, tid, truth=plan.truth)
            else:
                out.lookup(lead.principal, t, (), by="phone")
    elif kind is AttackKind.REGION_SEARCH:
        if not working:
            return
        province = int(plan.u * len(PROVINCES))
        pool = st.customers_in_province(province)
        for t in times(3 + 3 * plan.u, shift_lo, shift_hi):
            found = [int(x) for x in rng.sample(list(pool[:5000]), min(len(pool), 40))]
            out.lookup(lead.principal, t, found, by="region", truth=plan.truth)
            for k, c in enumerate(found[: rng.randint(2, 6)]):
                tid = out.ticket_open(lead.principal, t + 30 + k * 40, c, None, lead.principal)
                out.read_customer(lead.principal, t + 45 + k * 40, c, tid, truth=plan.truth)
    elif kind is AttackKind.BULK_EXPORT:
        if not working or plan.cursor >= 3:
            return
        plan.cursor = max(plan.cursor, 0) + 1
        t = shift_lo + rng.uniform(0, HOUR)
        for _ in range(rng.randint(4, 12)):
            ids = rng.sample(range(len(st.region)), rng.randint(200, 800))
            out.export(lead.principal, t, ids, ADMIN_EXPORT, truth=plan.truth)
            t += rng.uniform(60, 600)
    elif kind is AttackKind.BREAK_GLASS:
        if not working:
            return
        for t in times(0.4 + 0.4 * plan.u, shift_lo, shift_hi):
            c = rng.randrange(len(st.region))
            out.break_glass(lead.principal, t, c, truth=plan.truth)


def harvest_one(
    world: AccessWorld, out: EventEmitter, plan: AttackPlan, t: float, rng: random.Random
) -> None:
    """One record taken the way a harvesting agent takes it: a self-opened ticket on an
    order that is paid but not yet delivered, a look at the order and the customer, often
    the phone in clear, and the ticket left open."""
    st = world.store
    j = st.recent_order(rng, t, undelivered if rng.random() < 0.9 else None)
    c = int(st.o_customer[j])
    who = plan.who[0].principal
    if rng.random() < 0.1:  # tries without a ticket first
        out.read_order(who, t - 15, j, None, deny=True)
    tid = out.ticket_open(who, t, c, j, who)
    out.read_order(who, t + rng.uniform(5, 40), j, tid, truth=plan.truth)
    if rng.random() < 0.7:
        out.read_customer(who, t + rng.uniform(40, 80), c, tid, truth=plan.truth)
    if rng.random() < 0.4:
        out.reveal(who, t + rng.uniform(80, 120), c, "phone", tid, truth=plan.truth)
