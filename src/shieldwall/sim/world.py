"""The simulated store: customers, their orders over time, and the people who work on them.

Deterministic for a seed: :func:`make_world` draws everything from one ``random.Random``;
two seeds give different people, orders, teams and attackers. Nothing here talks to
shieldwall; :mod:`.engine` imports the world through the API and plays it out.

- **customers** from :class:`~shieldwall.sim.people.PeopleFactory` (zh_CN names, valid ID
  numbers, CN mobiles, addresses whose province matches the ID's area code);
- **orders**: a history of delivered orders before the first day, then new orders every day
  (more in the evening), each paid at once, shipped the next working hours, delivered one to
  three days later; 4% refunded before shipping and 2% after delivery;
- **agents** in customer-service teams with day or evening shifts, **couriers** in outlets that
  each serve a set of provinces, **analysts**, **partners**, the security team (**admin**)
  and the store's systems (**service**: the store app, the ticketing system, the dispatcher).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from shieldwall.core.model import Customer
from shieldwall.sim.people import PeopleFactory

LOCAL = timezone(timedelta(hours=8))
# The store's time zone, named wherever the report shows a local time (China keeps no summer
# time, so the fixed offset above is the zone's offset all year).
LOCAL_ZONE = "Asia/Shanghai"
# Display names the partners are registered under (fictional firms), so a report names them.
PARTNER_NAMES = (
    "快达物流 Kuaida Logistics",
    "优选营销 Youxuan Marketing",
    "鸿运仓储 Hongyun Storage",
)
# Relative activity by local hour: quiet at night, busy late morning, afternoon and evening.
HOURLY = (
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.2, 0.45, 0.8, 1.0, 1.2, 1.2,
    1.0, 1.0, 1.1, 1.1, 1.0, 0.9, 0.9, 1.1, 1.3, 1.3, 1.0, 0.5,
)  # fmt: skip
ADMIN = "sec-lead"
APP = "store-app"
TICKETING = "ticketing"
DISPATCH = "dispatch"
SERVICES = (APP, TICKETING, DISPATCH)


@dataclass(frozen=True)
class SimConfig:
    """The size and shape of a simulated world, and which attacks to plant."""

    seed: int = 7
    customers: int = 3000
    days: int = 6
    start: date = date(2026, 3, 2)  # a Monday
    teams: int = 3
    agents_per_team: int = 5
    outlets: int = 4
    couriers_per_outlet: int = 4
    analysts: int = 3
    partners: int = 3
    contacts_per_customer_day: float = 0.04  # tickets the store's customers open
    min_tickets_per_agent_day: float = 4.0  # a small store's agents still work
    orders_per_customer_day: float = 0.02
    history_orders_per_customer: float = 0.3
    analyst_reads_per_day: int = 30
    attack_day: int = 0  # 0: day 3 (index 2), or day 2 in a world of three days
    # Every attack runs by default; one whose endpoints this build lacks is reported "not run".
    attacks: tuple[str, ...] = ("harvest", "outlet", "partner", "stuffing", "scam", "victims")
    # The security team suspends a principal as soon as it sees a high or critical alert on it
    # (``POST /v1/principals/{id}/suspend``); off by default, to show what detection alone does.
    respond: bool = False

    def __post_init__(self) -> None:
        if self.attack_day == 0:
            object.__setattr__(self, "attack_day", max(1, min(2, self.days - 2)))
        if self.customers < 200:
            raise ValueError("customers: a world needs at least 200 customers")
        if self.days < 3:
            raise ValueError("days: a world needs at least 3 days (a baseline, then attacks)")
        if not 1 <= self.attack_day < self.days - 1:
            raise ValueError("attack_day: must leave a benign first day and a day after")
        if self.agents_per_team < 2 or self.couriers_per_outlet < 2 or self.outlets < 2:
            raise ValueError("teams and outlets need at least two members; two outlets")

    @property
    def t0(self) -> datetime:
        """Local midnight of the first day, in UTC."""
        return datetime.combine(self.start, datetime.min.time(), LOCAL).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return self.t0 + timedelta(days=self.days)


@dataclass(frozen=True)
class Staff:
    principal_id: str
    role: str
    unit: str
    shift_start: int = 9  # local hour
    shift_hours: int = 9
    display_name: str | None = None

    def on_shift(self, local_hour: int) -> bool:
        end = self.shift_start + self.shift_hours
        return self.shift_start <= local_hour < end or local_hour + 24 < end


@dataclass
class Order:
    order_id: str
    customer_id: str
    created: datetime
    amount_cents: int
    title: str
    shipped: datetime | None = None
    delivered: datetime | None = None
    refunded: datetime | None = None
    outlet: str = ""
    courier: str = ""

    def status_at(self, t: datetime) -> str:
        if self.refunded is not None and self.refunded <= t:
            return "refunded"
        if self.delivered is not None and self.delivered <= t:
            return "delivered"
        if self.shipped is not None and self.shipped <= t:
            return "shipped"
        return "paid"


@dataclass
class World:
    config: SimConfig
    customers: list[Customer]
    province: dict[str, str]  # customer id -> two-digit province code
    orders: list[Order]
    agents: list[Staff]
    couriers: list[Staff]
    analysts: list[Staff]
    partners: list[Staff]
    outlet_provinces: dict[str, frozenset[str]]
    by_id: dict[str, Customer] = field(init=False)
    orders_of: dict[str, list[Order]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {c.customer_id: c for c in self.customers}
        self.orders_of = {}
        for o in self.orders:
            self.orders_of.setdefault(o.customer_id, []).append(o)

    def outlet_for(self, customer_id: str) -> str:
        p = self.province[customer_id]
        for outlet, provinces in self.outlet_provinces.items():
            if p in provinces:
                return outlet
        raise KeyError(p)  # every province is served (make_world)

    def phone_index(self) -> dict[str, str]:
        """Phone (as +86..., and as the bare national number) -> customer id."""
        out = {}
        for c in self.customers:
            out[c.phone] = out[c.phone.removeprefix("+86")] = c.customer_id
        return out

    def couriers_of(self, outlet: str) -> list[Staff]:
        return [c for c in self.couriers if c.unit == outlet]


ITEMS = (
    ("华为 Mate 60 手机", 549900),
    ("小米空气净化器", 89900),
    ("美的电饭煲", 39900),
    ("李宁跑鞋", 45900),
    ("三只松鼠坚果礼盒", 12900),
    ("海尔冰箱", 329900),
    ("安踏运动外套", 29900),
    ("戴森吹风机", 299900),
)


def _order_times(rng: random.Random, created: datetime) -> tuple[datetime, datetime]:
    ship = created + timedelta(hours=rng.uniform(14, 30))
    deliver = ship + timedelta(hours=rng.uniform(20, 70))
    return ship, deliver


def make_order(rng: random.Random, n: int, customer_id: str, created: datetime) -> Order:
    title, price = rng.choice(ITEMS)
    o = Order(f"O{n:07d}", customer_id, created, price, title)
    o.shipped, o.delivered = _order_times(rng, created)
    r = rng.random()
    if r < 0.04:  # refunded before it ships
        o.refunded = created + timedelta(hours=rng.uniform(1, 12))
        o.shipped = o.delivered = None
    elif r < 0.06:  # returned after delivery
        o.refunded = o.delivered + timedelta(days=rng.uniform(1, 3))
    return o


def _arrival(rng: random.Random, day_start: datetime) -> datetime:
    """A time in the day drawn from the hourly rhythm."""
    hour = rng.choices(range(24), weights=HOURLY)[0]
    return day_start + timedelta(hours=hour, seconds=rng.uniform(0, 3600))


def make_world(config: SimConfig) -> World:
    rng = random.Random(config.seed)
    people = PeopleFactory(config.seed)
    customers = people.customers(config.customers)
    province = {c.customer_id: (c.national_id or "11")[:2] for c in customers}
    t0 = config.t0
    orders: list[Order] = []
    n = 0
    for c in customers:  # history: delivered orders in the past 60 days
        k = int(config.history_orders_per_customer) + (
            rng.random() < config.history_orders_per_customer % 1
        )
        for _ in range(k):
            n += 1
            created = t0 - timedelta(days=rng.uniform(6, 60))
            orders.append(make_order(rng, n, c.customer_id, created))
    for c in rng.sample(customers, k=max(1, config.customers // 25)):  # in flight at the start
        n += 1
        orders.append(make_order(rng, n, c.customer_id, t0 - timedelta(hours=rng.uniform(2, 60))))
    daily = config.customers * config.orders_per_customer_day
    for day in range(config.days):
        day_start = t0 + timedelta(days=day)
        for _ in range(max(1, round(rng.gauss(daily, daily**0.5)))):
            n += 1
            c = rng.choice(customers)
            orders.append(make_order(rng, n, c.customer_id, _arrival(rng, day_start)))
    orders.sort(key=lambda o: o.created)

    agents = []
    for t in range(config.teams):
        start = 9 if t % 2 == 0 else 14
        for a in range(config.agents_per_team):
            agents.append(Staff(f"agent-{t + 1}{a + 1:02d}", "agent", f"cs-team-{t + 1}", start, 9))
    provinces = sorted(set(province.values()) | {f"{p}" for p in _ALL_PROVINCES})
    rng.shuffle(provinces)
    outlet_provinces = {
        f"outlet-{o + 1}": frozenset(provinces[o :: config.outlets]) for o in range(config.outlets)
    }
    couriers = [
        Staff(f"courier-{o + 1}{k + 1:02d}", "courier", f"outlet-{o + 1}", 7, 11)
        for o in range(config.outlets)
        for k in range(config.couriers_per_outlet)
    ]
    analysts = [Staff(f"analyst-{k + 1}", "analyst", "bi", 10, 8) for k in range(config.analysts)]
    partners = [
        Staff(
            f"partner-{k + 1}",
            "partner",
            f"partner-org-{k + 1}",
            8,
            12,
            PARTNER_NAMES[k] if k < len(PARTNER_NAMES) else f"合作方 Partner {k + 1}",
        )
        for k in range(config.partners)
    ]
    world = World(
        config, customers, province, orders, agents, couriers, analysts, partners, outlet_provinces
    )
    for o in orders:
        o.outlet = world.outlet_for(o.customer_id)
        pool = world.couriers_of(o.outlet)
        o.courier = rng.choice(pool).principal_id
    return world


_ALL_PROVINCES = (
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65",
)  # fmt: skip
