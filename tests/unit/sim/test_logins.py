"""The login traffic generator: deterministic per seed, time-ordered, with the promised
benign habits and attacks."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import replace

from shieldwall.guard.risk.network import AsnTable
from shieldwall.sim.logins import (
    CLASSIC_ATTACKS,
    AttackKind,
    LoginWorld,
    WorldConfig,
    personal_guesses,
    sha1_hex,
)

SMALL = WorldConfig(customers=300, days=4.0, warmup_days=3.0)


def test_same_seed_same_world_other_seed_other_world() -> None:
    """Two worlds of one seed are equal event for event; another seed differs."""
    a = LoginWorld(4, SMALL).events()
    assert a == LoginWorld(4, SMALL).events()
    assert a != LoginWorld(5, SMALL).events()


def test_events_are_in_time_order_with_every_attack_after_warmup() -> None:
    """Sorted by time; every attack kind present, all after the warm-up; benign throughout."""
    world = LoginWorld(4, SMALL)
    events = world.events()
    assert all(x.ts <= y.ts for x, y in itertools.pairwise(events))
    kinds = Counter(e.actor for e in events)
    assert set(kinds) == {"benign", *(k.value for k in CLASSIC_ATTACKS)}
    warm_end = SMALL.start.timestamp() + SMALL.warmup_days * 86_400
    assert all(e.ts.timestamp() >= warm_end for e in events if e.is_attack)
    assert any(e.ts.timestamp() < warm_end for e in events if not e.is_attack)


def test_benign_habits() -> None:
    """Benign customers mostly succeed; some fail first (forgotten passwords, mistyped names);
    carrier-NAT addresses are shared by many accounts; every address is in the ASN sample."""
    world = LoginWorld(4, SMALL)
    benign = [e for e in world.events() if not e.is_attack]
    ok = sum(e.correct for e in benign) / len(benign)
    assert 0.85 < ok < 0.99
    assert any(not e.account_known for e in benign)
    per_ip: defaultdict[str, set[str]] = defaultdict(set)
    for e in benign:
        per_ip[e.ip].add(e.account)
    assert max(len(v) for v in per_ip.values()) >= 5  # NAT and offices
    table = AsnTable.load(None)
    assert all(table.origin(e.ip).asn != 0 for e in benign)


def test_attack_shapes() -> None:
    """Stuffing comes from two addresses; botnet addresses try at most three times; the
    targeted attack aims at one account; spraying reuses few passwords; some pairs work."""
    world = LoginWorld(4, SMALL)
    by_kind: defaultdict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for e in world.events():
        by_kind[e.actor].append(e)
    assert len({e.ip for e in by_kind["stuffing"]}) <= 2
    assert max(Counter(e.ip for e in by_kind["botnet"]).values()) <= 3
    assert len({e.account for e in by_kind["targeted"]}) == 1
    assert len({e.password_sha1 for e in by_kind["spraying"]}) == 3
    assert any(e.correct for e in by_kind["stuffing"] + by_kind["botnet"])
    reused = {sha1_hex(c.password) for c in world.customers if c.reused}
    assert reused <= world.breached


def test_replay_json_has_the_documented_fields() -> None:
    """as_json gives the replay format; optional fields are left out when missing."""
    e = LoginWorld(4, SMALL).events()[0]
    row = e.as_json()
    assert {"ts", "account", "ip", "password_sha1", "success", "account_known"} <= set(row)
    assert ("device_id" in row) == (e.device_id is not None)


def test_targeted_personal_is_opt_in_and_guesses_from_the_victims_data() -> None:
    """Off by default; when on, forty victims get three to eight guesses each, every guess from
    its own address, and a guess is right only for customers whose password is personal."""
    assert AttackKind.TARGETED_PERSONAL not in WorldConfig().attacks
    cfg = replace(SMALL, attacks=(AttackKind.TARGETED_PERSONAL,), personal_share=0.5)
    world = LoginWorld(4, cfg)
    events = [e for e in world.events() if e.actor == "targeted_personal"]
    per_victim = Counter(e.account for e in events)
    assert len(per_victim) == min(40, cfg.customers)
    assert all(3 <= n <= 8 for n in per_victim.values())
    assert len({e.ip for e in events}) > 0.9 * len(events)
    right = {e.account for e in events if e.correct}
    assert right and all(world.by_account[a].extra.get("personal") == "1" for a in right)
    c = world.customers[0]
    assert personal_guesses(c)[0] == c.extra["birth"].replace("-", "")  # YYYYMMDD first
