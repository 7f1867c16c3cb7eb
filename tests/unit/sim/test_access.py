"""The access-world simulator: deterministic, time-ordered, faithful to custody's events."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from shieldwall.core.events import Action, Decision
from shieldwall.sim.access.attacks import AttackKind
from shieldwall.sim.access.world import AccessWorld, WorldConfig

SMALL = WorldConfig(seed=7, customers=5_000, principals=80, days=6)


@pytest.fixture(scope="module")
def world_events() -> tuple[AccessWorld, list]:  # type: ignore[type-arg]
    world = AccessWorld(SMALL)
    return world, list(world.events())


def test_same_seed_same_stream() -> None:
    """Two worlds from one seed emit identical events; another seed differs."""
    a = list(itertools.islice(AccessWorld(SMALL).events(), 3000))
    b = list(itertools.islice(AccessWorld(SMALL).events(), 3000))
    c = list(
        itertools.islice(
            AccessWorld(WorldConfig(seed=8, customers=5_000, principals=80, days=6)).events(), 3000
        )
    )
    assert a == b
    assert a != c


def test_events_are_in_time_order_and_inside_the_world(world_events) -> None:  # type: ignore[no-untyped-def]
    """Timestamps never go back and stay within [start, start + days)."""
    world, events = world_events
    times = [e.ts for e in events]
    assert times == sorted(times)
    assert world.t0 <= times[0] and times[-1] < world.end


def test_every_attack_is_planted_with_ground_truth(world_events) -> None:  # type: ignore[no-untyped-def]
    """Each attack kind has a principal, a start inside the world, and exposures after it."""
    world, events = world_events
    assert {a.kind for a in world.attacks} == set(AttackKind)
    actors = {e.actor for e in events}
    for truth in world.attacks:
        assert set(truth.principals) <= actors
        assert world.t0 <= truth.start < world.end
        assert all(ts >= truth.start for ts, _ in truth.exposed)
        if truth.kind is not AttackKind.OUTLET_CROSS:  # denied under custody's default rule
            assert truth.exposed, truth.kind


def test_exposures_are_allowed_accesses_by_the_attacker(world_events) -> None:  # type: ignore[no-untyped-def]
    """Every exposed customer appears in an allowed event of the attacker at that time."""
    world, events = world_events
    seen: dict[str, set[tuple[object, str]]] = {}
    for e in events:
        if e.decision is Decision.ALLOW:
            for c in e.customer_ids:
                seen.setdefault(e.actor, set()).add((e.ts, c))
    for truth in world.attacks:
        mine = set().union(*(seen.get(p, set()) for p in truth.principals))
        assert all((ts, c) in mine for ts, c in truth.exposed)


def test_benign_shape_matches_custody(world_events) -> None:  # type: ignore[no-untyped-def]
    """Order reads carry order_status; assignments name the courier's outlet; no PII anywhere."""
    _, events = world_events
    kinds = Counter(e.action for e in events)
    assert kinds[Action.READ] > kinds[Action.TICKET_OPEN] > 0
    for e in events:
        if e.action is Action.READ and e.order_ids and e.decision is Decision.ALLOW:
            assert e.extra["order_status"] in {"paid", "shipped", "delivered", "refunded"}
        if e.action is Action.ASSIGN:
            assert e.extra["courier_unit"].startswith("outlet-")
        assert all(c.startswith("C") and c[1:].isdigit() for c in e.customer_ids)


def test_open_courier_rule_lets_the_outlet_attack_expose_records() -> None:
    """With couriers free to open any waybill, the outlet attack exposes other outlets' orders."""
    cfg = WorldConfig(
        seed=3,
        customers=5_000,
        principals=80,
        days=6,
        attacks=(AttackKind.OUTLET_CROSS,),
        courier_rule="open",
    )
    world = AccessWorld(cfg)
    for _ in world.events():
        pass
    assert world.attacks[0].exposed


def test_bad_sizes_are_refused() -> None:
    """Too small a world, or an attack window outside it, is a ValueError."""
    with pytest.raises(ValueError, match="world needs"):
        WorldConfig(customers=10)
    with pytest.raises(ValueError, match="first_attack_day"):
        WorldConfig(days=5, first_attack_day=4, last_attack_day=2)
