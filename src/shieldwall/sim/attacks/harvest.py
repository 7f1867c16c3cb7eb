"""(a) An agent harvests customers beyond its tickets.

From the attack day, in its own shift, the agent opens a ticket for itself on a customer it has
no call from, paid-but-undelivered orders first (a fresh order is what a refund scam needs),
reads the customer and the order, reveals the phone in clear with a made-up reason, and leaves
the ticket open: about a dozen customers an hour on top of its normal work. Custody serves every
read (the agent holds a ticket); what leaves is the phone in clear, so a customer counts as lost
at the first successful reveal.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from shieldwall.sim.attacks.base import Attack, score_insider
from shieldwall.sim.errors import PrincipalSuspended
from shieldwall.sim.truth import GroundTruth

if TYPE_CHECKING:
    from shieldwall.sim.engine import Play

PER_HOUR = 12
KNEW = ("phone", "items")  # what the leak gives a scammer: the phone in clear, the order
REASON = "客户来电要求核实收货信息"


def plant(play: Play, rng: random.Random) -> GroundTruth:
    w = play.world
    cfg = w.config
    agent = rng.choice([a for a in w.agents if a.shift_start == 9])
    start = cfg.t0 + timedelta(days=cfg.attack_day, hours=agent.shift_start + rng.uniform(0.5, 2))
    truth = GroundTruth(
        "harvest",
        "agent harvests customers beyond its tickets",
        (agent.principal_id,),
        start,
        cfg.end,
        peers_role="agent",
    )
    taken: set[str] = set()
    me = agent.principal_id

    def take() -> None:
        now = play.now
        pending = [
            o for o in play.placed if o.status_at(now) == "paid" and o.customer_id not in taken
        ]
        oid: str | None
        if pending:
            o = rng.choice(pending)
            cid, oid = o.customer_id, o.order_id
        else:
            cid = rng.choice(w.customers).customer_id
            mine = play.orders_of(cid)
            oid = mine[-1].order_id if mine else None
        taken.add(cid)
        h = play.harness
        body = {"agent_id": me, "customer_id": cid} | ({"order_id": oid} if oid else {})
        try:
            ticket = h.post("/v1/tickets", me, body).body["ticket_id"]
        except PrincipalSuspended:
            truth.stop()  # a customer it would have taken, had its key still worked
            raise
        params = {"purpose": "after_sales", "ticket_id": ticket}
        h.get(f"/v1/customers/{cid}", me, params=params)
        if oid is not None:
            h.get(f"/v1/orders/{oid}", me, params=params)
        r = h.post(
            f"/v1/customers/{cid}/reveal",
            me,
            {"field": "phone", "purpose": "after_sales", "reason": REASON, "ticket_id": ticket},
            expect=(200, 403),
        )
        if r.ok:
            truth.expose(cid, now)
        else:
            truth.refuse()

    for day in range(cfg.attack_day, cfg.days):
        first = (
            start
            if day == cfg.attack_day
            else cfg.t0 + timedelta(days=day, hours=agent.shift_start)
        )
        last = cfg.t0 + timedelta(days=day, hours=agent.shift_start + agent.shift_hours)
        t = first
        while t < last:
            play.at(t, take)
            t += timedelta(seconds=rng.expovariate(PER_HOUR / 3600))
    truth.notes.append((start, f"{me} starts opening its own tickets and revealing phones"))
    return truth


ATTACK = Attack("harvest", "agent harvesting beyond tickets", plant, score_insider)
