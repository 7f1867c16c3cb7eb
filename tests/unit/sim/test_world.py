"""The simulated store: deterministic per seed, orders that move forward, outlets that cover it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shieldwall.sim.world import HOURLY, SimConfig, make_world

SMALL = SimConfig(seed=5, customers=300, days=3, attack_day=1)


def test_same_seed_same_world_other_seed_differs() -> None:
    """Two worlds from one seed are identical; another seed has other people and orders."""
    a, b = make_world(SMALL), make_world(SMALL)
    other = make_world(SimConfig(seed=6, customers=300, days=3, attack_day=1))
    key = lambda w: (  # noqa: E731 - a local shorthand
        [(c.customer_id, c.phone, c.national_id) for c in w.customers],
        [
            (o.order_id, o.customer_id, o.created, o.shipped, o.delivered, o.refunded, o.courier)
            for o in w.orders
        ],
        [s.principal_id for s in (*w.agents, *w.couriers)],
    )
    assert key(a) == key(b)
    assert key(a)[0] != key(other)[0] and key(a)[1] != key(other)[1]


def test_orders_move_forward_and_couriers_serve_their_outlet() -> None:
    """Every order is shipped before delivered (or refunded), and goes to a courier of the
    outlet that serves the customer's province."""
    w = make_world(SMALL)
    assert w.orders == sorted(w.orders, key=lambda o: o.created)
    statuses = set()
    for o in w.orders:
        if o.shipped is not None:
            assert o.created < o.shipped < (o.delivered or o.shipped + timedelta(days=9))
        if o.refunded is not None:
            assert o.refunded > o.created
        courier = next(c for c in w.couriers if c.principal_id == o.courier)
        assert courier.unit == o.outlet == w.outlet_for(o.customer_id)
        statuses.add(o.status_at(SMALL.end))
    assert {"delivered", "paid", "refunded"} <= statuses
    assert sorted(p for ps in w.outlet_provinces.values() for p in ps) == sorted(
        {p for ps in w.outlet_provinces.values() for p in ps}
    )  # an outlet per province, never two


def test_attack_day_defaults_to_the_third_day_or_the_second_of_three() -> None:
    """The attacks start after at least one benign day and leave at least one day after."""
    assert SimConfig().attack_day == 2 and SimConfig(days=3).attack_day == 1
    assert SimConfig(days=4).attack_day == 2 and SimConfig(days=4, attack_day=1).attack_day == 1


def test_rhythm_and_shifts() -> None:
    """Nights are quieter than the day; an evening shift runs past the day shift's end."""
    assert max(HOURLY[0:6]) < min(HOURLY[9:12])
    w = make_world(SMALL)
    assert {a.shift_start for a in w.agents} == {9, 14}
    late = next(a for a in w.agents if a.shift_start == 14)
    assert late.on_shift(22) and not late.on_shift(9)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"customers": 10}, "customers"),
        ({"days": 2}, "days"),
        ({"days": 4, "attack_day": 3}, "attack_day"),
        ({"attack_day": -1}, "attack_day"),
        ({"outlets": 1}, "teams and outlets"),
    ],
)
def test_bad_config_names_the_field(kw: dict[str, int], field: str) -> None:
    """A world too small to mean anything is refused, naming what is wrong."""
    with pytest.raises(ValueError, match=field):
        SimConfig(**kw)  # type: ignore[arg-type]
