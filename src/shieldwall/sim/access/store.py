"""The store the world's principals work on: customer ids with a province and an outlet, and
orders with their status timeline (paid -> shipped -> delivered or refunded) and couriers."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from shieldwall.core.model import OrderStatus
from shieldwall.sim.access.timing import DAY, HOUR, MINUTE

if TYPE_CHECKING:
    from shieldwall.sim.access.staff import Staff
    from shieldwall.sim.access.world import WorldConfig

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
            placed.setdefault(province_index(name.split("-")[1]), []).append(i)
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
            k, when = assign_courier(
                prng, couriers, by_outlet[int(self.o_outlet[j])], arrive[j], config
            )
            self.o_courier[j] = k
            self.o_assigned[j] = when
            delivered = when + prng.uniform(0.5 * HOUR, 8 * HOUR)
            if prng.random() < 0.01:  # failed delivery, re-routed to another outlet
                other = prng.randrange(len(self.outlets))
                if other != int(self.o_outlet[j]) and other in by_outlet:
                    k2, when2 = assign_courier(
                        prng, couriers, by_outlet[other], delivered + HOUR, config
                    )
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


def province_index(code: str) -> int:
    for i, (c, _) in enumerate(PROVINCES):
        if c == code:
            return i
    raise ValueError(code)


def assign_courier(
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


UNDELIVERED = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED})


def undelivered(s: OrderStatus) -> bool:
    """Paid or shipped: the orders a harvester and an outreach team both look for."""
    return s in UNDELIVERED


def after_sale(s: OrderStatus) -> bool:
    """Delivered or refunded: what after-sale tickets are about."""
    return s in (OrderStatus.DELIVERED, OrderStatus.REFUNDED)
