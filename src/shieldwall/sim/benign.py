"""Benign work with a day-night rhythm: what a detector must not mistake for an attack.

- **tickets**: customers contact the store (4% of them a day, at least four tickets per agent),
  more in the late morning and evening (:data:`~shieldwall.sim.world.HOURLY`), while agents are
  on shift to take them; the ticketing system opens a ticket for an agent on
  shift (80%), or routes an inbound call with its ticket and the agent checks the caller's
  number within it (15%), or the agent calls back a customer it served before (5%). The
  agent reads the customer and the order, reveals the phone with a reason now and then
  (8%), and closes the ticket within the half hour. One ticket in twenty is a genuine
  outbound call: the agent registers it in the contact ledger first and the customer, wary,
  checks the app (``GET /v1/me/contact-status``) while the phone rings.
- **couriers** open their waybills after the dispatcher assigns them (in
  :class:`~shieldwall.sim.engine.Play`).
- **analysts** read orders pseudonymously in office hours.
"""

from __future__ import annotations

from datetime import timedelta

from shieldwall.sim.engine import Action, Play, poisson
from shieldwall.sim.harness import HOTLINE
from shieldwall.sim.world import APP, HOURLY, TICKETING, Staff

REVEAL_REASON = "客户要求核对收货电话，来电核实"


def schedule(play: Play) -> None:
    cfg = play.world.config
    rng = play.rng
    agents = play.world.agents
    daily = max(
        cfg.customers * cfg.contacts_per_customer_day, len(agents) * cfg.min_tickets_per_agent_day
    )
    # Contacts follow the hourly rhythm, weighted by who is on shift to take them.
    weight = [HOURLY[h] * sum(a.on_shift(h) for a in agents) for h in range(24)]
    total = sum(weight)
    for day in range(cfg.days):
        for hour in range(24):
            on = [a for a in agents if a.on_shift(hour)]
            if not on:
                continue
            start = cfg.t0 + timedelta(days=day, hours=hour)
            for _ in range(poisson(rng, daily * weight[hour] / total)):
                at = start + timedelta(seconds=rng.uniform(0, 3600))
                play.at(at, _ticket(play, rng.choice(on)))
        for analyst in play.world.analysts:
            for _ in range(cfg.analyst_reads_per_day):
                at = cfg.t0 + timedelta(
                    days=day, hours=analyst.shift_start + rng.uniform(0, analyst.shift_hours)
                )
                play.at(at, _analyst_read(play, analyst))


def _pick_customer(play: Play) -> tuple[str, str | None]:
    """A customer who would contact the store now: mostly one with a recent order."""
    rng, w, now = play.rng, play.world, play.now
    if rng.random() < 0.75:
        recent = play.placed[-400:]
        if recent and recent[-1].created >= now - timedelta(days=10):
            o = rng.choice([o for o in recent if o.created >= now - timedelta(days=10)])
            return o.customer_id, o.order_id
    c = rng.choice(w.customers)
    mine = play.orders_of(c.customer_id)
    return c.customer_id, (mine[-1].order_id if mine else None)


def _ticket(play: Play, agent: Staff) -> Action:
    def run() -> None:
        h, rng = play.harness, play.rng
        me = agent.principal_id
        if me in h.suspended:  # the ticketing system routes no case to a suspended agent
            return
        served = play.served.setdefault(me, [])
        kind = rng.random()
        if kind < 0.05 and served:
            cid = rng.choice(served)
            mine = play.orders_of(cid)
            oid = mine[-1].order_id if mine else None
            opener = me
        else:
            cid, oid = _pick_customer(play)
            opener = TICKETING
        body = {"agent_id": me, "customer_id": cid}
        if oid is not None:
            body["order_id"] = oid
        ticket = h.post("/v1/tickets", opener, body).body["ticket_id"]
        if opener == TICKETING and kind < 0.20:
            # An inbound call: the ticketing system routes it with its ticket; the agent checks
            # that the caller's number is the customer's (a lookup within the ticket).
            h.post(
                "/v1/customers/lookup",
                me,
                {
                    "by": "phone",
                    "value": play.world.by_id[cid].phone,
                    "purpose": "after_sales",
                    "ticket_id": ticket,
                },
            )
        served.append(cid)
        params = {"purpose": "after_sales", "ticket_id": ticket}
        h.get(f"/v1/customers/{cid}", me, params=params)
        if oid is not None:
            h.get(f"/v1/orders/{oid}", me, params=params)
        if rng.random() < 0.08:
            h.post(
                f"/v1/customers/{cid}/reveal",
                me,
                {
                    "field": "phone",
                    "purpose": "after_sales",
                    "reason": REVEAL_REASON,
                    "ticket_id": ticket,
                },
            )
        if rng.random() < 0.05:  # a genuine outbound call, registered before dialling
            h.post(
                "/v1/contacts",
                me,
                {"customer_id": cid, "channel": "call", "reason": "after_sales", "via": HOTLINE},
            )
            if rng.random() < 0.5:
                status = h.get(
                    "/v1/me/contact-status", APP, params={"subject": cid, "incoming": HOTLINE}
                ).body
                play.genuine_checks.append({"customer_id": cid, "state": status.get("state")})
        close_at = play.now + timedelta(minutes=rng.uniform(3, 25))
        play.at(close_at, lambda: h.post(f"/v1/tickets/{ticket}/close", me))

    return run


def _analyst_read(play: Play, analyst: Staff) -> Action:
    def run() -> None:
        o = play.rng.choice(play.placed[-2000:])
        play.harness.get(
            f"/v1/orders/{o.order_id}", analyst.principal_id, params={"purpose": "analytics"}
        )

    return run
