"""A store's access world: who reads which customers, when and why, with planted insider attacks.

Pure and deterministic per seed, no database: :class:`AccessWorld` builds a store (customer ids
with a province, orders moving paid -> shipped -> delivered or refunded) and the principals who
work on it, then :meth:`AccessWorld.events` streams the access events custody would append
(:class:`~shieldwall.core.events.AccessEvent`, the same actions, reasons, views and ``extra``
keys), one simulated day at a time in time order, so a 1M-customer, 1,000-principal fortnight
never sits in memory at once.

Benign behaviour, each with the look-alikes a detector must not confuse with an attack:

- **agents** (teams with day, evening or night shifts and a speciality): tickets opened by the
  ticketing system, or by the agent after finding an inbound caller by phone, or as a call-back
  to an earlier customer; reads of the customer and the order, repeat looks, reveals of the phone
  with a reason, closing the ticket; a few denials (expired tickets, a mistyped id); team surge
  days with twice the tickets.
- **couriers** (in outlets, each outlet serving provinces): the dispatcher assigns the orders that
  reach the outlet, the courier opens each waybill once or twice, a few after delivery; 1% of
  orders are re-routed to a second outlet.
- **analysts**: pseudonymous reads, and pseudonymous exports of thousands of rows.
- **admins** (security team): investigations over dozens to hundreds of related customers with
  a reason, a few reveals, a rare break-glass.
- **partners**: a morning grant of hundreds to thousands of customers, each read once that day.

Planted attacks (:class:`AttackKind`) run from a start time to the end of the world, on top of
the attacker's normal work; :class:`AttackTruth` records who, from when, and every customer the
attack exposed (first exposure time), so an evaluation can count what was taken before the
first alert. Denied attempts expose nothing.

Time runs in local time (UTC+8 by default) from local midnight of ``WorldConfig.start``;
events carry UTC timestamps.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.model import OrderStatus, Principal, Role

DAY = 86_400.0
HOUR = 3_600.0
MINUTE = 60.0

# Province-level divisions (GB/T 2260 two-digit codes) weighted by 2020 census population
# (millions), so customers, outlets and region searches have a realistic geography.
PROVINCES: tuple[tuple[str, float], ...] = (
    ("11", 21.9), ("12", 13.9), ("13", 74.6), ("14", 34.9), ("15", 24.0), ("21", 42.6),
    ("22", 24.1), ("23", 31.9), ("31", 24.9), ("32", 84.7), ("33", 64.6), ("34", 61.0),
    ("35", 41.5), ("36", 45.2), ("37", 101.5), ("41", 99.4), ("42", 57.8), ("43", 66.4),
    ("44", 126.0), ("45", 50.1), ("46", 10.1), ("50", 32.1), ("51", 83.7), ("52", 38.6),
    ("53", 47.2), ("54", 3.6), ("61", 39.5), ("62", 25.0), ("63", 5.9), ("64", 7.2),
    ("65", 25.9),
)  # fmt: skip

# The views custody's default policy serves (see custody/default_policy.yaml).
_M, _C, _H = "masked", "clear", "hidden"
AGENT_CUSTOMER = {"name": _M, "phone": _M, "email": _M, "address": _M, "national_id": _H}
AGENT_ORDER = AGENT_CUSTOMER | {
    "items": _C,
    "delivery_address": _M,
    "amount": _C,
    "status": _C,
}
COURIER_ORDER = {
    "name": _M,
    "phone": "relay",
    "email": _H,
    "address": _H,
    "national_id": _H,
    "items": _H,
    "delivery_address": _C,
    "amount": _H,
    "status": _C,
}
PSEUDO = "pseudonym"
ANALYST_CUSTOMER = {
    "name": PSEUDO,
    "phone": PSEUDO,
    "email": PSEUDO,
    "address": _M,
    "national_id": _H,
}
ANALYST_ORDER = ANALYST_CUSTOMER | {
    "items": _C,
    "delivery_address": _M,
    "amount": _C,
    "status": _C,
}
ADMIN_CUSTOMER = {"name": _M, "phone": _M, "email": _M, "address": _M, "national_id": _M}
PARTNER_CUSTOMER = {"name": _C, "phone": _C, "email": _H, "address": _C, "national_id": _H}
ALL_CLEAR = dict.fromkeys(("name", "phone", "email", "address", "national_id"), _C)
ADMIN_EXPORT = {"name": _M, "phone": _M, "address": _M}
ANALYST_EXPORT = {"name": PSEUDO, "phone": PSEUDO, "address": _M}


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


@dataclass(frozen=True, slots=True)
class WorldConfig:
    """The size and shape of a world. ``principals`` counts people and partners, not services."""

    seed: int = 1
    customers: int = 1_000_000
    principals: int = 1_000
    days: int = 14
    start: date = date(2026, 3, 2)  # a Monday
    utc_offset_hours: int = 8
    attacks: tuple[AttackKind, ...] = tuple(AttackKind)
    attackers_per_kind: int = 1
    first_attack_day: int = 1
    last_attack_day: int | None = None  # default: days - 4
    # "assignment": custody's default rule, a courier opening another outlet's waybill is denied
    # (not_assigned). "open": couriers may open any waybill (the real case's system), allowed.
    courier_rule: Literal["assignment", "open"] = "assignment"
    deliveries_per_courier_day: float = 38.0

    def __post_init__(self) -> None:
        if self.customers < 1000 or self.principals < 60 or self.days < 2:
            raise ValueError("a world needs >= 1000 customers, >= 60 principals, >= 2 days")
        last = self.days - 4 if self.last_attack_day is None else self.last_attack_day
        if self.attacks and not 0 <= self.first_attack_day <= last < self.days:
            raise ValueError("need 0 <= first_attack_day <= last_attack_day < days")


@dataclass(frozen=True, slots=True)
class Shift:
    """A working shift in local hours; ``start + hours`` may run past midnight."""

    start: float
    hours: float

    def covers(self, local_hour: float) -> bool:
        end = self.start + self.hours
        return self.start <= local_hour < end or local_hour + 24 < end


@dataclass(frozen=True, slots=True)
class Staff:
    """A simulated principal: the custody principal plus how it works."""

    principal: Principal
    shift: Shift
    days_off: frozenset[int]  # weekdays 0 (Monday) .. 6
    rate: float  # role-specific intensity (tickets/hour, reads/day, ...)
    reveal_p: float = 0.0
    speciality: str = ""

    @property
    def pid(self) -> str:
        return self.principal.principal_id

    def works(self, weekday: int) -> bool:
        return weekday not in self.days_off


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


class Store:
    """Customer ids with a province and an outlet; orders with their status timeline.

    Orders are numbered in creation order; times are local seconds since the world's start.
    """

    def __init__(self, config: WorldConfig, outlets: list[str], couriers: list[Staff]) -> None:
        rng = np.random.default_rng([config.seed, 1])
        n = config.customers
        self.width = max(6, len(str(n + 1)))
        weights = np.array([w for _, w in PROVINCES])
        self.region: npt.NDArray[np.int8] = rng.choice(
            len(PROVINCES), size=n, p=weights / weights.sum()
        ).astype(np.int8)
        self.outlets = outlets
        # Each province is served by the outlets placed in it, or by one fixed other outlet.
        placed: dict[int, list[int]] = {}
        for i, name in enumerate(outlets):
            placed.setdefault(_province_index(name.split("-")[1]), []).append(i)
        serve = np.zeros(n, dtype=np.int16)
        for p in range(len(PROVINCES)):
            members = np.flatnonzero(self.region == p)
            pool = placed.get(p) or [p % len(outlets)]
            serve[members] = np.array(pool, dtype=np.int16)[members % len(pool)]
        self.outlet_of_customer = serve
        self._by_region = [np.flatnonzero(self.region == p) for p in range(len(PROVINCES))]
        self._orders(config, rng, couriers)

    # -- customers ---------------------------------------------------------------------------

    def customer_id(self, index: int) -> str:
        return f"C{index + 1:0{self.width}d}"

    def customer_index(self, customer_id: str) -> int:
        return int(customer_id[1:]) - 1

    def province(self, index: int) -> str:
        return PROVINCES[int(self.region[index])][0]

    def customers_in_province(self, province: int) -> npt.NDArray[np.intp]:
        return self._by_region[province]

    # -- orders ------------------------------------------------------------------------------

    def order_id(self, index: int) -> str:
        return f"O{index + 1:08d}"

    def _orders(self, config: WorldConfig, rng: np.random.Generator, couriers: list[Staff]) -> None:
        per_day = max(50, int(len(couriers) * config.deliveries_per_courier_day))
        history = 12
        total_days = history + config.days
        # Shoppers buy from 08:00 to midnight, most in the evening.
        hour_w = np.array(
            [0.3] * 7 + [1, 2, 3, 3.5, 3.5, 4, 4, 3.5, 3.5, 3.5, 4, 4.5, 5, 6, 6, 5, 3]
        )
        counts = rng.poisson(per_day, size=total_days)
        created = np.concatenate(
            [
                (d - history) * DAY
                + rng.choice(24, size=c, p=hour_w / hour_w.sum()) * HOUR
                + rng.uniform(0, HOUR, size=c)
                for d, c in enumerate(counts)
            ]
        )
        created.sort()
        m = created.size
        self.o_created = created
        self.o_customer = rng.integers(0, config.customers, size=m).astype(np.int32)
        self.o_outlet = self.outlet_of_customer[self.o_customer]
        self.o_amount = (rng.lognormal(np.log(180), 0.9, size=m) * 100).astype(np.int64)
        refund_early = rng.random(m) < 0.03
        shipped = created + rng.uniform(4 * HOUR, 36 * HOUR, size=m)
        shipped[refund_early] = np.nan
        arrive = shipped + rng.uniform(12 * HOUR, 60 * HOUR, size=m)
        self.o_shipped = shipped
        self.o_assigned = np.full(m, np.nan)
        self.o_delivered = np.full(m, np.nan)
        self.o_courier = np.full(m, -1, dtype=np.int32)
        self.o_reroute = np.full(m, -1, dtype=np.int32)  # second courier after a re-route
        self.o_reroute_at = np.full(m, np.nan)
        self.o_failed_at = np.full(m, np.nan)  # the first courier's failed attempt
        self.o_refunded = np.full(m, np.nan)
        self.o_refunded[refund_early] = created[refund_early] + rng.uniform(
            HOUR, 24 * HOUR, size=int(refund_early.sum())
        )
        by_outlet: dict[int, list[int]] = {}
        for i, c in enumerate(couriers):
            by_outlet.setdefault(self.outlets.index(c.principal.unit or ""), []).append(i)
        prng = random.Random(f"{config.seed}/orders")
        for j in range(m):
            if math.isnan(arrive[j]):
                continue
            k, when = _assign(prng, couriers, by_outlet[int(self.o_outlet[j])], arrive[j], config)
            self.o_courier[j] = k
            self.o_assigned[j] = when
            delivered = when + prng.uniform(0.5 * HOUR, 8 * HOUR)
            if prng.random() < 0.01:  # failed delivery, re-routed to another outlet
                other = prng.randrange(len(self.outlets))
                if other != int(self.o_outlet[j]) and other in by_outlet:
                    k2, when2 = _assign(prng, couriers, by_outlet[other], delivered + HOUR, config)
                    self.o_failed_at[j] = delivered
                    self.o_reroute[j] = k2
                    self.o_reroute_at[j] = when2
                    delivered = when2 + prng.uniform(HOUR, 8 * HOUR)
            self.o_delivered[j] = delivered
            if prng.random() < 0.02:
                self.o_refunded[j] = delivered + prng.uniform(DAY, 7 * DAY)

    def status_at(self, j: int, t: float) -> OrderStatus:
        if self.o_refunded[j] <= t:
            return OrderStatus.REFUNDED
        if self.o_delivered[j] <= t:
            return OrderStatus.DELIVERED
        if self.o_shipped[j] <= t:
            return OrderStatus.SHIPPED
        return OrderStatus.PAID

    def recent_order(
        self, rng: random.Random, t: float, want: Callable[[OrderStatus], bool] | None = None
    ) -> int:
        """A random order created in the 14 days before ``t`` whose status at ``t`` is wanted."""
        lo = int(np.searchsorted(self.o_created, t - 14 * DAY))
        hi = max(lo + 1, int(np.searchsorted(self.o_created, t)))
        j = rng.randrange(lo, hi)
        for _ in range(30):
            if want is None or want(self.status_at(j, t)):
                return j
            j = rng.randrange(lo, hi)
        return j


def _province_index(code: str) -> int:
    for i, (c, _) in enumerate(PROVINCES):
        if c == code:
            return i
    raise ValueError(code)


def _assign(
    rng: random.Random, couriers: list[Staff], pool: list[int], arrive: float, config: WorldConfig
) -> tuple[int, float]:
    """The courier of ``pool`` who takes an order reaching the outlet at ``arrive``, and when."""
    t = arrive
    for _ in range(10):
        day = math.floor(t / DAY)
        hour = (t - day * DAY) / HOUR
        if hour >= 19:
            day, hour = day + 1, 8.0
        elif hour < 8:
            hour = 8.0
        weekday = (config.start.weekday() + day) % 7
        working = [k for k in pool if couriers[k].works(weekday)]
        if working:
            return rng.choice(working), day * DAY + hour * HOUR + rng.uniform(0, 20 * MINUTE)
        t = (day + 1) * DAY + 8 * HOUR
    return pool[0], t


# -- the world ----------------------------------------------------------------------------------

_UNDELIVERED = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED})


def _undelivered(s: OrderStatus) -> bool:
    return s in _UNDELIVERED


def _after_sale(s: OrderStatus) -> bool:
    return s in (OrderStatus.DELIVERED, OrderStatus.REFUNDED)


class AccessWorld:
    """The principals, the store, the planted attacks, and the stream of access events."""

    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self.seed = config.seed
        offset = timezone(timedelta(hours=config.utc_offset_hours))
        self.t0 = datetime(
            config.start.year, config.start.month, config.start.day, tzinfo=offset
        ).astimezone(UTC)
        self._staff(random.Random(f"{config.seed}/staff"))
        self.store = Store(config, self.outlets, self.couriers)
        self.attacks: list[AttackTruth] = []
        self._plans: list[_Plan] = []
        self._plant(random.Random(f"{config.seed}/attacks"))
        self._history: dict[str, deque[int]] = {}
        self._tickets = itertools.count(1)
        self._surge: dict[str, int] = {}
        srng = random.Random(f"{config.seed}/surge")
        for team in self.teams:
            self._surge[team] = srng.randrange(config.days)

    # -- setup -------------------------------------------------------------------------------

    def _staff(self, rng: random.Random) -> None:
        n = self.config.principals
        n_couriers = round(n * 0.32)
        n_analysts = max(3, round(n * 0.05))
        n_admins = max(3, round(n * 0.03))
        n_partners = max(2, round(n * 0.03))
        n_agents = n - n_couriers - n_analysts - n_admins - n_partners
        self.agents: list[Staff] = []
        self.teams: list[str] = []
        team_size = 15
        shifts = {"day": Shift(9, 9), "evening": Shift(13, 9), "night": Shift(21, 9)}
        for t in range(math.ceil(n_agents / team_size)):
            team = f"cs-team-{t + 1:02d}"
            self.teams.append(team)
            kind = rng.choices(list(shifts), weights=(60, 25, 15))[0]
            # Every fifth team calls customers whose orders are late: it opens its own tickets
            # on paid-but-undelivered orders all day, which is what a harvester does too.
            speciality = (
                "outreach" if t % 5 == 2 else rng.choice(("delivery", "aftersale", "presale"))
            )
            team_reveal = rng.uniform(0.08, 0.25)
            for _ in range(team_size):
                if len(self.agents) == n_agents:
                    break
                i = len(self.agents) + 1
                base = shifts[kind]
                shift = Shift(base.start + rng.choice((-1, 0, 0, 0, 1)), base.hours)
                # An outreach agent on loan to another team: the declared unit misleads.
                mine = "outreach" if rng.random() < 0.02 else speciality
                self.agents.append(
                    Staff(
                        Principal(f"agent-{i:04d}", Role.AGENT, team),
                        shift,
                        frozenset(rng.sample(range(7), 2)),
                        rate=rng.lognormvariate(math.log(4.5), 0.3),
                        reveal_p=min(0.6, team_reveal * rng.lognormvariate(0, 0.3)),
                        speciality=mine,
                    )
                )
        weights = [w for _, w in PROVINCES]
        n_outlets = max(3, math.ceil(n_couriers / 8))
        self.outlets = []
        for o in range(n_outlets):
            code = PROVINCES[rng.choices(range(len(PROVINCES)), weights=weights)[0]][0]
            self.outlets.append(f"outlet-{code}-{o + 1:03d}")
        self.couriers = [
            Staff(
                Principal(f"courier-{i + 1:04d}", Role.COURIER, self.outlets[i % n_outlets]),
                Shift(8, 12),
                frozenset({rng.randrange(7)}),
                rate=1.0,
            )
            for i in range(n_couriers)
        ]
        weekend = frozenset({5, 6})
        self.analysts = [
            Staff(
                Principal(f"analyst-{i + 1:03d}", Role.ANALYST, f"bi-{i % 3 + 1}"),
                Shift(10, 9),
                weekend,
                rate=rng.lognormvariate(math.log(80), 0.6),
            )
            for i in range(n_analysts)
        ]
        self.admins = [
            Staff(
                Principal(f"admin-{i + 1:03d}", Role.ADMIN, "security"),
                Shift(rng.choice((9, 10, 14)), 9),
                frozenset(rng.sample(range(7), 2)),
                rate=1.0,
            )
            for i in range(n_admins)
        ]
        self.partners = [
            Staff(
                Principal(f"partner-{i + 1:03d}", Role.PARTNER, f"partner-co-{i + 1:03d}"),
                Shift(9, 9),
                weekend,
                rate=rng.lognormvariate(math.log(300), 0.8),
            )
            for i in range(n_partners)
        ]
        self.services = {
            name: Principal(f"svc-{name}", Role.SERVICE, unit)
            for name, unit in (
                ("ticketing", "crm"),
                ("dispatch", "logistics"),
                ("orders", "oms"),
                ("releases", "releases"),
            )
        }

    @property
    def staff(self) -> list[Staff]:
        return [*self.agents, *self.couriers, *self.analysts, *self.admins, *self.partners]

    @property
    def principals(self) -> list[Principal]:
        """Every principal, services included."""
        return [s.principal for s in self.staff] + list(self.services.values())

    @property
    def principal_days(self) -> int:
        """People and partners times days: the denominator of false alerts per principal-day."""
        return len(self.staff) * self.config.days

    @property
    def end(self) -> datetime:
        return self.t0 + timedelta(days=self.config.days)

    def _plant(self, rng: random.Random) -> None:
        cfg = self.config
        last = cfg.days - 4 if cfg.last_attack_day is None else cfg.last_attack_day
        taken: set[str] = set()
        pools = {
            Role.AGENT: self.agents,
            Role.COURIER: self.couriers,
            Role.ADMIN: self.admins,
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
                truth = AttackTruth(kind, tuple(s.pid for s in who), self._ts(start))
                self.attacks.append(truth)
                self._plans.append(_Plan(kind, who, start, truth, rng.random()))

    def _ts(self, t: float) -> datetime:
        return self.t0 + timedelta(seconds=t)

    # -- the stream --------------------------------------------------------------------------

    def events(self) -> Iterator[AccessEvent]:
        """Every access event of the world, in time order; deterministic for the seed."""
        heap: list[tuple[float, int, AccessEvent]] = []
        counter = itertools.count()
        end = self.config.days * DAY

        for day in range(self.config.days):
            day_start = day * DAY
            out = _Out(self, heap, counter, day_start, end)
            rng = random.Random(f"{self.seed}/day/{day}")
            self._orders_day(out, day, rng)
            for s in self.agents:
                self._agent_day(out, s, day)
            for s in self.analysts:
                self._analyst_day(out, s, day)
            for s in self.admins:
                self._admin_day(out, s, day)
            for s in self.partners:
                self._partner_day(out, s, day)
            for plan in self._plans:
                self._attack_day(out, plan, day)
            limit = (day + 1) * DAY
            while heap and heap[0][0] < limit:
                yield heapq.heappop(heap)[2]
        while heap and heap[0][0] < end:
            yield heapq.heappop(heap)[2]

    def _weekday(self, day: int) -> int:
        return (self.config.start.weekday() + day) % 7

    # -- couriers and the order pipeline -----------------------------------------------------

    def _orders_day(self, out: _Out, day: int, rng: random.Random) -> None:
        st = self.store
        lo, hi = day * DAY, (day + 1) * DAY
        svc_orders, dispatch = self.services["orders"], self.services["dispatch"]

        def in_day(a: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
            return np.flatnonzero((a >= lo) & (a < hi))

        for j in in_day(st.o_shipped):
            out.status(svc_orders, st.o_shipped[j], int(j), OrderStatus.SHIPPED)
        for j in in_day(st.o_refunded):
            out.status(svc_orders, st.o_refunded[j], int(j), OrderStatus.REFUNDED)
        for j in in_day(st.o_delivered):
            out.status(svc_orders, st.o_delivered[j], int(j), OrderStatus.DELIVERED)
        grace = 24 * HOUR
        for j in in_day(st.o_assigned):
            jj = int(j)
            courier = self.couriers[int(st.o_courier[jj])]
            t = float(st.o_assigned[jj])
            handover = float(st.o_delivered[jj])
            if st.o_reroute[jj] >= 0:  # the first courier fails; another outlet delivers
                second = self.couriers[int(st.o_reroute[jj])]
                handover = float(st.o_failed_at[jj])
                t2 = float(st.o_reroute_at[jj])
                out.assign(dispatch, t2, jj, second)
                out.courier_read(second, t2 + rng.uniform(60, 1800), jj)
            out.assign(dispatch, t, jj, courier)
            out.courier_read(courier, t + rng.uniform(60, 1800), jj)
            if rng.random() < 0.6:
                out.courier_read(courier, max(t + 120, handover - rng.uniform(60, 1800)), jj)
            if rng.random() < 0.04:  # a question after delivery, within the grace period
                later = _working_hours(handover + rng.uniform(HOUR, 20 * HOUR), 8, 20, rng)
                out.courier_read(courier, later, jj)
            if rng.random() < 0.005:  # too late: the grace period is over
                late = handover + grace + rng.uniform(HOUR, 30 * HOUR)
                out.courier_read(courier, late, jj, late=self.config.courier_rule == "assignment")

    # -- agents --------------------------------------------------------------------------------

    def _agent_day(self, out: _Out, s: Staff, day: int) -> None:
        if not s.works(self._weekday(day)):
            return
        rng = random.Random(f"{self.seed}/agent/{s.pid}/{day}")
        surge = 2.0 if self._surge.get(s.principal.unit or "") == day else 1.0
        shift_start = day * DAY + s.shift.start * HOUR
        span = s.shift.hours * HOUR - 30 * MINUTE
        n = _poisson(rng, s.rate * s.shift.hours * surge * (0.75 if s.shift.start >= 20 else 1.0))
        plan = self._plan_for(s.pid, AttackKind.REVEAL_HAPPY)
        for t in sorted(shift_start + rng.uniform(0, span) for _ in range(n)):
            happy = plan is not None and t >= plan.start
            self._ticket(out, s, t, rng, reveal_all=plan if happy else None)

    def _ticket(
        self, out: _Out, s: Staff, t: float, rng: random.Random, *, reveal_all: _Plan | None
    ) -> None:
        st = self.store
        if s.speciality == "outreach" and rng.random() < 0.5:
            self._outreach_call(out, s, t, rng, reveal_all)
            return
        topic = rng.random()
        want = {
            "delivery": (0.7, 0.2),
            "aftersale": (0.2, 0.65),
            "presale": (0.2, 0.2),
            "outreach": (0.6, 0.2),
        }[s.speciality]
        order: int | None
        if topic < want[0]:
            order = st.recent_order(rng, t, _undelivered)
        elif topic < want[0] + want[1]:
            order = st.recent_order(rng, t, _after_sale)
        else:
            order = None
        history = self._history.setdefault(s.pid, deque(maxlen=60))
        how = rng.random()
        opener = s.principal
        if how < 0.05 and history:  # a call-back to a customer this agent handled before
            c = rng.choice(history)
            order = None
        elif how < 0.06:  # a proactive call about a delayed order: nothing but the order
            order = st.recent_order(rng, t, _undelivered)
            c = int(st.o_customer[order])
        else:
            c = int(st.o_customer[order]) if order is not None else rng.randrange(len(st.region))
            if how < 0.30:  # an inbound call: the agent finds the caller by phone
                if rng.random() < 0.04:  # a caller who is not a customer
                    out.lookup(s.principal, t - 90, (), by="phone")
                out.lookup(s.principal, t - 60, (c,), by="phone")
            else:
                opener = self.services["ticketing"]
        opened = t - 30 if opener is s.principal else t - rng.uniform(60, 4 * HOUR)
        tid = out.ticket_open(opener, max(out.day_start, opened), c, order, s.principal)
        history.append(c)
        if rng.random() < 0.004:  # a mistyped id: no ticket for that customer
            out.read_customer(s.principal, t + 2, rng.randrange(len(st.region)), None, deny=True)
        out.read_customer(s.principal, t + rng.uniform(5, 120), c, tid)
        if order is not None:
            out.read_order(s.principal, t + rng.uniform(30, 300), order, tid)
        if rng.random() < 0.35:  # a second look later in the conversation
            if order is not None and rng.random() < 0.5:
                out.read_order(s.principal, t + rng.uniform(300, 2400), order, tid)
            else:
                out.read_customer(s.principal, t + rng.uniform(300, 2400), c, tid)
        if reveal_all is not None:
            when = t + rng.uniform(60, 600)
            if rng.random() < 0.95:
                out.reveal(s.principal, when, c, "phone", tid, truth=reveal_all.truth)
            if rng.random() < 0.6:
                out.reveal(s.principal, when + 20, c, "address", tid, truth=reveal_all.truth)
            if rng.random() < 0.1:
                out.reveal(s.principal, when + 40, c, "national_id", tid, deny=True)
        elif rng.random() < s.reveal_p:
            what = "phone" if rng.random() < 0.8 else "address"
            out.reveal(s.principal, t + rng.uniform(60, 900), c, what, tid)
        if rng.random() < 0.01:  # back to a ticket that has expired
            later = t + 3 * DAY + rng.uniform(0, HOUR)
            if s.works(self._weekday(int(later // DAY))):
                out.read_customer(s.principal, later, c, tid, deny=True, why="ticket_expired")
        if rng.random() < 0.88:
            out.ticket_close(s.principal, t + rng.uniform(3 * MINUTE, 45 * MINUTE), c, tid)

    def _outreach_call(
        self, out: _Out, s: Staff, t: float, rng: random.Random, reveal_all: _Plan | None
    ) -> None:
        """A proactive call about a late order: a self-opened ticket, the order, often the phone."""
        j = self.store.recent_order(rng, t, _undelivered)
        c = int(self.store.o_customer[j])
        tid = out.ticket_open(s.principal, t, c, j, s.principal)
        out.read_order(s.principal, t + rng.uniform(5, 60), j, tid)
        if rng.random() < 0.5:
            out.read_customer(s.principal, t + rng.uniform(30, 120), c, tid)
        if reveal_all is not None:
            out.reveal(
                s.principal, t + rng.uniform(60, 300), c, "phone", tid, truth=reveal_all.truth
            )
            if rng.random() < 0.6:
                out.reveal(s.principal, t + 320, c, "address", tid, truth=reveal_all.truth)
        elif rng.random() < 0.3:
            out.reveal(s.principal, t + rng.uniform(60, 300), c, "phone", tid)
        if rng.random() < 0.8:
            out.ticket_close(s.principal, t + rng.uniform(3 * MINUTE, 20 * MINUTE), c, tid)

    # -- analysts, admins, partners -----------------------------------------------------------

    def _analyst_day(self, out: _Out, s: Staff, day: int) -> None:
        if not s.works(self._weekday(day)):
            return
        rng = random.Random(f"{self.seed}/analyst/{s.pid}/{day}")
        base = day * DAY + s.shift.start * HOUR
        for _ in range(_poisson(rng, s.rate)):
            t = base + rng.uniform(0, s.shift.hours * HOUR)
            if rng.random() < 0.5:
                out.analyst_read(s.principal, t, rng.randrange(len(self.store.region)), None)
            else:
                j = self.store.recent_order(rng, t)
                out.analyst_read(s.principal, t, int(self.store.o_customer[j]), j)
        if rng.random() < 0.08:  # a pseudonymous extract for a dashboard, a recorded release
            t = base + rng.uniform(HOUR, 6 * HOUR)
            release = f"rel_{self.seed:03d}{day:03d}{s.pid[-3:]}x"
            for _ in range(rng.randint(1, 5)):
                ids = rng.sample(range(len(self.store.region)), 1000)
                out.export(s.principal, t, ids, ANALYST_EXPORT, truth=None, release=release)
                t += rng.uniform(5, 60)

    def _admin_day(self, out: _Out, s: Staff, day: int) -> None:
        if not s.works(self._weekday(day)):
            return
        rng = random.Random(f"{self.seed}/admin/{s.pid}/{day}")
        base = day * DAY + s.shift.start * HOUR
        if rng.random() < 0.25:  # an investigation: customers of related orders
            n = min(300, max(3, int(rng.lognormvariate(math.log(25), 0.9))))
            t = base + rng.uniform(0, 4 * HOUR)
            hours = rng.uniform(1, 4) * HOUR
            first = self.store.recent_order(rng, t)
            for k in range(n):
                j = max(0, first - k * rng.randint(1, 40))  # orders placed before this one
                when = t + hours * k / n + rng.uniform(0, 60)
                out.admin_read(s.principal, when, int(self.store.o_customer[j]), j)
                if rng.random() < 0.1:
                    out.reveal(s.principal, when + 30, int(self.store.o_customer[j]), "phone", None)
        if rng.random() < 0.01:
            t = base + rng.uniform(0, 8 * HOUR)
            out.break_glass(s.principal, t, rng.randrange(len(self.store.region)), truth=None)

    def _partner_day(self, out: _Out, s: Staff, day: int) -> None:
        if not s.works(self._weekday(day)):
            return
        rng = random.Random(f"{self.seed}/partner/{s.pid}/{day}")
        n = min(3000, max(20, int(s.rate * rng.lognormvariate(0, 0.3))))
        ids = rng.sample(range(len(self.store.region)), n)
        base = day * DAY + 8.5 * HOUR
        release = f"rel_{self.seed:03d}{day:03d}{s.pid[-3:]}"
        for k in range(0, n, 500):
            out.grant(
                self.services["releases"], base + k / 100, s.principal, ids[k : k + 500], release
            )
        for c in ids:
            if rng.random() < 0.9:
                out.partner_read(s.principal, base + HOUR + rng.uniform(0, 8 * HOUR), c)

    # -- attacks -------------------------------------------------------------------------------

    def _plan_for(self, pid: str, kind: AttackKind) -> _Plan | None:
        for p in self._plans:
            if p.kind is kind and p.who[0].pid == pid:
                return p
        return None

    def _attack_day(self, out: _Out, plan: _Plan, day: int) -> None:
        if (day + 1) * DAY <= plan.start or plan.kind is AttackKind.REVEAL_HAPPY:
            return
        rng = random.Random(f"{self.seed}/attack/{plan.kind.value}/{plan.who[0].pid}/{day}")
        st = self.store
        lead = plan.who[0]
        working = lead.works(self._weekday(day))
        shift_lo = max(plan.start, day * DAY + lead.shift.start * HOUR)
        shift_hi = day * DAY + (lead.shift.start + lead.shift.hours - 0.5) * HOUR

        def times(rate_per_hour: float, lo: float, hi: float) -> list[float]:
            if hi <= lo:
                return []
            n = _poisson(rng, rate_per_hour * (hi - lo) / HOUR)
            return sorted(rng.uniform(lo, hi) for _ in range(n))

        kind = plan.kind
        if kind in (AttackKind.TICKET_HARVEST, AttackKind.SLOW_HARVEST):
            if not working:
                return
            rate = (8 + 8 * plan.u) if kind is AttackKind.TICKET_HARVEST else (2 + 1.5 * plan.u)
            for t in times(rate, shift_lo, shift_hi):
                self._harvest_one(out, plan, t, rng)
        elif kind is AttackKind.OFF_HOURS:
            if rng.random() > 0.6 and day * DAY > plan.start:
                return
            lo = max(plan.start, day * DAY + rng.uniform(0.3, 2.5) * HOUR)
            for t in times(25 + 15 * plan.u, lo, lo + rng.uniform(1, 2) * HOUR):
                self._harvest_one(out, plan, t, rng)
        elif kind is AttackKind.OUTLET_CROSS:
            for who in plan.who:
                if not who.works(self._weekday(day)):
                    continue
                lo = max(plan.start, day * DAY + who.shift.start * HOUR)
                for t in times(4 + 6 * plan.u, lo, lo + 8 * HOUR):
                    j = st.recent_order(rng, t, lambda s: s is OrderStatus.SHIPPED)
                    if st.outlets[int(st.o_outlet[j])] == who.principal.unit:
                        continue
                    enforced = self.config.courier_rule == "assignment"
                    out.courier_read(who, t, j, late=enforced, truth=plan.truth)
        elif kind is AttackKind.ENUMERATION:
            if not working:
                return
            if plan.cursor < 0:
                plan.cursor = rng.randrange(len(st.region) // 2)
            for t in times(40 + 60 * plan.u, shift_lo, min(shift_hi, shift_lo + 3 * HOUR)):
                plan.cursor += 1 if rng.random() < 0.9 else rng.randint(2, 4)
                out.admin_read(
                    lead.principal, t, plan.cursor % len(st.region), None, truth=plan.truth
                )
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

    def _harvest_one(self, out: _Out, plan: _Plan, t: float, rng: random.Random) -> None:
        """One record taken the way a harvesting agent takes it: a self-opened ticket on an
        order that is paid but not yet delivered, a look at the order and the customer, often
        the phone in clear, and the ticket left open."""
        st = self.store
        j = st.recent_order(rng, t, _undelivered if rng.random() < 0.9 else None)
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


@dataclass(slots=True)
class _Plan:
    kind: AttackKind
    who: list[Staff]
    start: float
    truth: AttackTruth
    u: float  # the attack's own intensity draw in [0, 1)
    cursor: int = -1


def _working_hours(t: float, start: int, end: int, rng: random.Random) -> float:
    """``t``, or the next working morning when ``t`` falls outside ``start``-``end`` local."""
    day = math.floor(t / DAY)
    hour = (t - day * DAY) / HOUR
    if start <= hour < end:
        return t
    if hour >= end:
        day += 1
    return day * DAY + (start + rng.uniform(0, 2)) * HOUR


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above 50)."""
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class _Out:
    """Builds events the way custody does and queues them; records what attacks expose."""

    def __init__(
        self,
        world: AccessWorld,
        heap: list[tuple[float, int, AccessEvent]],
        counter: Iterator[int],
        day_start: float,
        end: float,
    ) -> None:
        self.w = world
        self.st = world.store
        self.heap = heap
        self.counter = counter
        self.day_start = day_start
        self.end = end

    def _push(
        self,
        t: float,
        who: Principal,
        action: Action,
        *,
        decision: Decision = Decision.ALLOW,
        reason: str,
        purpose: str | None = None,
        customers: tuple[str, ...] = (),
        orders: tuple[str, ...] = (),
        fields: Mapping[str, str] | None = None,
        ticket: str | None = None,
        extra: Mapping[str, str] | None = None,
        truth: AttackTruth | None = None,
    ) -> None:
        t = max(t, self.day_start)
        if t >= self.end:
            return
        ts = self.w._ts(t)
        event = AccessEvent(
            ts=ts,
            actor=who.principal_id,
            role=who.role.value,
            unit=who.unit,
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
        heapq.heappush(self.heap, (t, next(self.counter), event))
        if truth is not None and decision is Decision.ALLOW:
            for c in customers:
                truth.expose(ts, c)

    def cid(self, c: int) -> str:
        return self.st.customer_id(c)

    def status(self, who: Principal, t: float, j: int, status: OrderStatus) -> None:
        self._push(
            t,
            who,
            Action.ORDER_STATUS,
            reason=f"status_{status.value}",
            customers=(self.cid(int(self.st.o_customer[j])),),
            orders=(self.st.order_id(j),),
            extra={"order_status": status.value},
        )

    def assign(self, who: Principal, t: float, j: int, courier: Staff) -> None:
        self._push(
            t,
            who,
            Action.ASSIGN,
            reason="courier_assigned",
            customers=(self.cid(int(self.st.o_customer[j])),),
            orders=(self.st.order_id(j),),
            extra={"courier": courier.pid, "courier_unit": courier.principal.unit or ""},
        )

    def courier_read(
        self,
        courier: Staff,
        t: float,
        j: int,
        *,
        late: bool = False,
        truth: AttackTruth | None = None,
    ) -> None:
        c = self.cid(int(self.st.o_customer[j]))
        o = self.st.order_id(j)
        if late:
            self._push(
                t,
                courier.principal,
                Action.READ,
                decision=Decision.DENY,
                reason="not_assigned",
                purpose="delivery",
                customers=(c,),
                orders=(o,),
            )
            return
        self._push(
            t,
            courier.principal,
            Action.READ,
            reason="via_none" if self.w.config.courier_rule == "open" else "via_assignment",
            purpose="delivery",
            customers=(c,),
            orders=(o,),
            fields=COURIER_ORDER,
            extra={"order_status": self.st.status_at(j, t).value},
            truth=truth,
        )

    def ticket_open(self, who: Principal, t: float, c: int, j: int | None, agent: Principal) -> str:
        tid = f"tkt_{self.w.seed:04d}{next(self.w._tickets):09d}"
        self._push(
            t,
            who,
            Action.TICKET_OPEN,
            reason="ticket_opened",
            customers=(self.cid(c),),
            orders=(self.st.order_id(j),) if j is not None else (),
            ticket=tid,
            extra={
                "agent": agent.principal_id,
                "self_opened": "yes" if who.principal_id == agent.principal_id else "no",
            },
        )
        return tid

    def ticket_close(self, who: Principal, t: float, c: int, tid: str) -> None:
        self._push(
            t,
            who,
            Action.TICKET_CLOSE,
            reason="ticket_closed",
            customers=(self.cid(c),),
            ticket=tid,
        )

    def lookup(
        self,
        who: Principal,
        t: float,
        found: tuple[int, ...] | list[int],
        *,
        by: str,
        truth: AttackTruth | None = None,
    ) -> None:
        self._push(
            t,
            who,
            Action.LOOKUP,
            reason="blind_index_match",
            purpose="after_sales",
            customers=tuple(self.cid(c) for c in found),
            extra={"by": by, "matches": str(len(found))},
            truth=truth,
        )

    def read_customer(
        self,
        who: Principal,
        t: float,
        c: int,
        tid: str | None,
        *,
        deny: bool = False,
        why: str = "no_open_ticket",
        truth: AttackTruth | None = None,
    ) -> None:
        if deny:
            self._push(
                t,
                who,
                Action.READ,
                decision=Decision.DENY,
                reason=why,
                purpose="after_sales",
                customers=(self.cid(c),),
                ticket=tid,
            )
            return
        self._push(
            t,
            who,
            Action.READ,
            reason="via_ticket",
            purpose="after_sales",
            customers=(self.cid(c),),
            fields=AGENT_CUSTOMER,
            ticket=tid,
            truth=truth,
        )

    def read_order(
        self,
        who: Principal,
        t: float,
        j: int,
        tid: str | None,
        *,
        deny: bool = False,
        truth: AttackTruth | None = None,
    ) -> None:
        c = self.cid(int(self.st.o_customer[j]))
        o = self.st.order_id(j)
        if deny:
            self._push(
                t,
                who,
                Action.READ,
                decision=Decision.DENY,
                reason="no_open_ticket",
                purpose="after_sales",
                customers=(c,),
                orders=(o,),
            )
            return
        self._push(
            t,
            who,
            Action.READ,
            reason="via_ticket",
            purpose="after_sales",
            customers=(c,),
            orders=(o,),
            fields=AGENT_ORDER,
            ticket=tid,
            extra={"order_status": self.st.status_at(j, t).value},
            truth=truth,
        )

    def reveal(
        self,
        who: Principal,
        t: float,
        c: int,
        what: str,
        tid: str | None,
        *,
        deny: bool = False,
        truth: AttackTruth | None = None,
    ) -> None:
        purpose = "investigation" if who.role is Role.ADMIN else "after_sales"
        base = "via_none" if who.role is Role.ADMIN else "via_ticket"
        self._push(
            t,
            who,
            Action.REVEAL,
            decision=Decision.DENY if deny else Decision.ALLOW,
            reason="field_not_revealable" if deny else f"{base},reveal_with_reason",
            purpose=purpose,
            customers=(self.cid(c),),
            fields={what: "clear"},
            ticket=tid,
            extra={"reason_given": "yes", "reason_length": "24"},
            truth=truth,
        )

    def analyst_read(self, who: Principal, t: float, c: int, j: int | None) -> None:
        self._push(
            t,
            who,
            Action.READ,
            reason="via_none",
            purpose="analytics",
            customers=(self.cid(c),),
            orders=(self.st.order_id(j),) if j is not None else (),
            fields=ANALYST_ORDER if j is not None else ANALYST_CUSTOMER,
            extra={"order_status": self.st.status_at(j, t).value} if j is not None else None,
        )

    def admin_read(
        self, who: Principal, t: float, c: int, j: int | None, truth: AttackTruth | None = None
    ) -> None:
        self._push(
            t,
            who,
            Action.READ,
            reason="via_none",
            purpose="investigation",
            customers=(self.cid(c),),
            orders=(self.st.order_id(j),) if j is not None else (),
            fields=ADMIN_CUSTOMER,
            extra={"order_status": self.st.status_at(j, t).value} if j is not None else None,
            truth=truth,
        )

    def break_glass(self, who: Principal, t: float, c: int, *, truth: AttackTruth | None) -> None:
        self._push(
            t,
            who,
            Action.BREAK_GLASS,
            reason="break_glass",
            purpose="investigation",
            customers=(self.cid(c),),
            fields=ALL_CLEAR,
            truth=truth,
        )

    def export(
        self,
        who: Principal,
        t: float,
        ids: list[int],
        fields: Mapping[str, str],
        *,
        truth: AttackTruth | None,
        release: str = "",
    ) -> None:
        self._push(
            t,
            who,
            Action.EXPORT,
            reason="export",
            purpose="analytics" if who.role is Role.ANALYST else "investigation",
            customers=tuple(self.cid(c) for c in ids),
            fields=fields,
            extra={"rows": str(len(ids)), "release": release},
            truth=truth,
        )

    def grant(
        self, who: Principal, t: float, partner: Principal, ids: list[int], release: str
    ) -> None:
        self._push(
            t,
            who,
            Action.GRANT,
            reason="release_grant",
            customers=tuple(self.cid(c) for c in ids),
            fields={"address": "granted", "name": "granted", "phone": "granted"},
            extra={"partner": partner.principal_id, "release": release},
        )

    def partner_read(self, who: Principal, t: float, c: int) -> None:
        self._push(
            t,
            who,
            Action.READ,
            reason="via_grant",
            purpose="partner_fulfilment",
            customers=(self.cid(c),),
            fields=PARTNER_CUSTOMER,
        )
