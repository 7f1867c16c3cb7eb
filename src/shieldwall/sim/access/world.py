"""The access world put together: :class:`WorldConfig` (its size and shape) and
:class:`AccessWorld` (the roster, the store, the planted attacks, and the event stream)."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

from shieldwall.core.events import AccessEvent
from shieldwall.core.model import Principal
from shieldwall.sim.access import behaviours
from shieldwall.sim.access.attacks import AttackKind, AttackPlan, AttackTruth, attack_day, plant
from shieldwall.sim.access.emitter import EventEmitter
from shieldwall.sim.access.staff import Staff, hire
from shieldwall.sim.access.store import Store
from shieldwall.sim.access.timing import DAY


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


class AccessWorld:
    """The principals, the store, the planted attacks, and the stream of access events."""

    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self.seed = config.seed
        offset = timezone(timedelta(hours=config.utc_offset_hours))
        self.t0 = datetime(
            config.start.year, config.start.month, config.start.day, tzinfo=offset
        ).astimezone(UTC)
        roster = hire(config, random.Random(f"{config.seed}/staff"))
        self.agents = roster.agents
        self.teams = roster.teams
        self.outlets = roster.outlets
        self.couriers = roster.couriers
        self.analysts = roster.analysts
        self.admins = roster.admins
        self.partners = roster.partners
        self.services = roster.services
        self.store = Store(config, self.outlets, self.couriers)
        self.plans: list[AttackPlan] = plant(self, random.Random(f"{config.seed}/attacks"))
        self.attacks: list[AttackTruth] = [p.truth for p in self.plans]
        # State the day's work carries over: each agent's recent customers (call-backs), the
        # ticket counter, and each team's surge day.
        self.history: dict[str, deque[int]] = {}
        self.tickets = itertools.count(1)
        self.surge: dict[str, int] = {}
        srng = random.Random(f"{config.seed}/surge")
        for team in self.teams:
            self.surge[team] = srng.randrange(config.days)

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

    def ts(self, t: float) -> datetime:
        """The UTC time of ``t`` local seconds since the world's start."""
        return self.t0 + timedelta(seconds=t)

    def weekday(self, day: int) -> int:
        return (self.config.start.weekday() + day) % 7

    def plan_for(self, pid: str, kind: AttackKind) -> AttackPlan | None:
        """The plan of ``kind`` that ``pid`` leads, if any."""
        for p in self.plans:
            if p.kind is kind and p.who[0].pid == pid:
                return p
        return None

    # -- the stream --------------------------------------------------------------------------

    def events(self) -> Iterator[AccessEvent]:
        """Every access event of the world, in time order; deterministic for the seed."""
        heap: list[tuple[float, int, AccessEvent]] = []
        counter = itertools.count()
        end = self.config.days * DAY

        for day in range(self.config.days):
            day_start = day * DAY
            out = EventEmitter(self, heap, counter, day_start, end)
            rng = random.Random(f"{self.seed}/day/{day}")
            behaviours.orders_day(self, out, day, rng)
            for s in self.agents:
                behaviours.agent_day(self, out, s, day)
            for s in self.analysts:
                behaviours.analyst_day(self, out, s, day)
            for s in self.admins:
                behaviours.admin_day(self, out, s, day)
            for s in self.partners:
                behaviours.partner_day(self, out, s, day)
            for plan in self.plans:
                attack_day(self, out, plan, day)
            limit = (day + 1) * DAY
            while heap and heap[0][0] < limit:
                yield heapq.heappop(heap)[2]
        while heap and heap[0][0] < end:
            yield heapq.heappop(heap)[2]
