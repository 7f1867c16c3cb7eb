"""(b) A courier outlet whose accounts query other outlets' waybills.

From the attack day, two couriers of one outlet open, during their shift, waybills of orders
that other outlets deliver (shipped or about to be): the real case's "look up any waybill"
abuse. Custody's default policy serves a waybill only to the assigned courier (and for a grace
period after delivery), so each attempt is refused (403, ``not_assigned``) and exposes nothing;
a served one would count as lost. The watch should still name the outlet's couriers.
"""

from __future__ import annotations

import functools
import random
from datetime import timedelta
from typing import TYPE_CHECKING

from shieldwall.sim.attacks.base import Attack, score_insider
from shieldwall.sim.errors import PrincipalSuspended
from shieldwall.sim.truth import GroundTruth

if TYPE_CHECKING:
    from shieldwall.sim.engine import Play

PER_HOUR = 10


def plant(play: Play, rng: random.Random) -> GroundTruth:
    w = play.world
    cfg = w.config
    outlet = rng.choice(sorted(w.outlet_provinces))
    crew = rng.sample(w.couriers_of(outlet), 2)
    start = cfg.t0 + timedelta(days=cfg.attack_day, hours=crew[0].shift_start + rng.uniform(1, 3))
    truth = GroundTruth(
        "outlet",
        f"courier outlet {outlet} queries other outlets' waybills",
        tuple(c.principal_id for c in crew),
        start,
        cfg.end,
        peers_role="courier",
    )
    truth.facts["outlet"] = outlet

    def peek(courier: str) -> None:
        now = play.now
        others = [
            o
            for o in play.placed[-3000:]
            if o.outlet != outlet and o.status_at(now) in ("paid", "shipped")
        ]
        if not others:
            return
        o = rng.choice(others[-500:])
        try:
            r = play.harness.get(
                f"/v1/orders/{o.order_id}",
                courier,
                params={"purpose": "delivery"},
                expect=(200, 403),
            )
        except PrincipalSuspended:
            truth.stop()
            raise
        if r.ok:
            truth.expose(o.customer_id, now)
        else:
            truth.refuse()

    for c in crew:
        for day in range(cfg.attack_day, cfg.days):
            t = max(start, cfg.t0 + timedelta(days=day, hours=c.shift_start))
            last = cfg.t0 + timedelta(days=day, hours=c.shift_start + c.shift_hours)
            while t < last:
                play.at(t, functools.partial(peek, c.principal_id))
                t += timedelta(seconds=rng.expovariate(PER_HOUR / 3600))
    truth.notes.append(
        (start, f"{', '.join(truth.principals)} start opening other outlets' waybills")
    )
    return truth


ATTACK = Attack("outlet", "courier outlet querying other outlets", plant, score_insider)
