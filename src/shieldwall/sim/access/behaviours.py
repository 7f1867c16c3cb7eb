"""Benign work in the access world, one function per role and day, each with the look-alikes
a detector must not confuse with an attack (see the package docstring for the list)."""

from __future__ import annotations

import math
import random
from collections import deque
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from shieldwall.core.model import OrderStatus
from shieldwall.sim.access.attacks import AttackKind
from shieldwall.sim.access.store import after_sale, undelivered
from shieldwall.sim.access.timing import DAY, HOUR, MINUTE, poisson, working_hours
from shieldwall.sim.access.views import ANALYST_EXPORT

if TYPE_CHECKING:
    from shieldwall.sim.access.attacks import AttackPlan
    from shieldwall.sim.access.emitter import EventEmitter
    from shieldwall.sim.access.staff import Staff
    from shieldwall.sim.access.world import AccessWorld


def orders_day(world: AccessWorld, out: EventEmitter, day: int, rng: random.Random) -> None:
    st = world.store
    lo, hi = day * DAY, (day + 1) * DAY
    svc_orders, dispatch = world.services["orders"], world.services["dispatch"]

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
        courier = world.couriers[int(st.o_courier[jj])]
        t = float(st.o_assigned[jj])
        handover = float(st.o_delivered[jj])
        if st.o_reroute[jj] >= 0:  # the first courier fails; another outlet delivers
            second = world.couriers[int(st.o_reroute[jj])]
            handover = float(st.o_failed_at[jj])
            t2 = float(st.o_reroute_at[jj])
            out.assign(dispatch, t2, jj, second)
            out.courier_read(second, t2 + rng.uniform(60, 1800), jj)
        out.assign(dispatch, t, jj, courier)
        out.courier_read(courier, t + rng.uniform(60, 1800), jj)
        if rng.random() < 0.6:
            out.courier_read(courier, max(t + 120, handover - rng.uniform(60, 1800)), jj)
        if rng.random() < 0.04:  # a question after delivery, within the grace period
            later = working_hours(handover + rng.uniform(HOUR, 20 * HOUR), 8, 20, rng)
            out.courier_read(courier, later, jj)
        if rng.random() < 0.005:  # too late: the grace period is over
            late = handover + grace + rng.uniform(HOUR, 30 * HOUR)
            out.courier_read(courier, late, jj, late=world.config.courier_rule == "assignment")


def agent_day(world: AccessWorld, out: EventEmitter, s: Staff, day: int) -> None:
    if not s.works(world.weekday(day)):
        return
    rng = random.Random(f"{world.seed}/agent/{s.pid}/{day}")
    surge = 2.0 if world.surge.get(s.principal.unit or "") == day else 1.0
    shift_start = day * DAY + s.shift.start * HOUR
    span = s.shift.hours * HOUR - 30 * MINUTE
    n = poisson(rng, s.rate * s.shift.hours * surge * (0.75 if s.shift.start >= 20 else 1.0))
    plan = world.plan_for(s.pid, AttackKind.REVEAL_HAPPY)
    for t in sorted(shift_start + rng.uniform(0, span) for _ in range(n)):
        happy = plan is not None and t >= plan.start
        ticket(world, out, s, t, rng, reveal_all=plan if happy else None)


def ticket(
    world: AccessWorld,
    out: EventEmitter,
    s: Staff,
    t: float,
    rng: random.Random,
    *,
    reveal_all: AttackPlan | None,
) -> None:
    st = world.store
    if s.speciality == "outreach" and rng.random() < 0.5:
        outreach_call(world, out, s, t, rng, reveal_all)
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
        order = st.recent_order(rng, t, undelivered)
    elif topic < want[0] + want[1]:
        order = st.recent_order(rng, t, after_sale)
    else:
        order = None
    history = world.history.setdefault(s.pid, deque(maxlen=60))
    how = rng.random()
    opener = s.principal
    if how < 0.05 and history:  # a call-back to a customer this agent handled before
        c = rng.choice(history)
        order = None
    elif how < 0.06:  # a proactive call about a delayed order: nothing but the order
        order = st.recent_order(rng, t, undelivered)
        c = int(st.o_customer[order])
    else:
        c = int(st.o_customer[order]) if order is not None else rng.randrange(len(st.region))
        if how < 0.30:  # an inbound call: the agent finds the caller by phone
            if rng.random() < 0.04:  # a caller who is not a customer
                out.lookup(s.principal, t - 90, (), by="phone")
            out.lookup(s.principal, t - 60, (c,), by="phone")
        else:
            opener = world.services["ticketing"]
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
        if s.works(world.weekday(int(later // DAY))):
            out.read_customer(s.principal, later, c, tid, deny=True, why="ticket_expired")
    if rng.random() < 0.88:
        out.ticket_close(s.principal, t + rng.uniform(3 * MINUTE, 45 * MINUTE), c, tid)


def outreach_call(
    world: AccessWorld,
    out: EventEmitter,
    s: Staff,
    t: float,
    rng: random.Random,
    reveal_all: AttackPlan | None,
) -> None:
    """A proactive call about a late order: a self-opened ticket, the order, often the phone."""
    j = world.store.recent_order(rng, t, undelivered)
    c = int(world.store.o_customer[j])
    tid = out.ticket_open(s.principal, t, c, j, s.principal)
    out.read_order(s.principal, t + rng.uniform(5, 60), j, tid)
    if rng.random() < 0.5:
        out.read_customer(s.principal, t + rng.uniform(30, 120), c, tid)
    if reveal_all is not None:
        out.reveal(s.principal, t + rng.uniform(60, 300), c, "phone", tid, truth=reveal_all.truth)
        if rng.random() < 0.6:
            out.reveal(s.principal, t + 320, c, "address", tid, truth=reveal_all.truth)
    elif rng.random() < 0.3:
        out.reveal(s.principal, t + rng.uniform(60, 300), c, "phone", tid)
    if rng.random() < 0.8:
        out.ticket_close(s.principal, t + rng.uniform(3 * MINUTE, 20 * MINUTE), c, tid)


def analyst_day(world: AccessWorld, out: EventEmitter, s: Staff, day: int) -> None:
    if not s.works(world.weekday(day)):
        return
    rng = random.Random(f"{world.seed}/analyst/{s.pid}/{day}")
    base = day * DAY + s.shift.start * HOUR
    for _ in range(poisson(rng, s.rate)):
        t = base + rng.uniform(0, s.shift.hours * HOUR)
        if rng.random() < 0.5:
            out.analyst_read(s.principal, t, rng.randrange(len(world.store.region)), None)
        else:
            j = world.store.recent_order(rng, t)
            out.analyst_read(s.principal, t, int(world.store.o_customer[j]), j)
    if rng.random() < 0.08:  # a pseudonymous extract for a dashboard, a recorded release
        t = base + rng.uniform(HOUR, 6 * HOUR)
        release = f"rel_{world.seed:03d}{day:03d}{s.pid[-3:]}x"
        for _ in range(rng.randint(1, 5)):
            ids = rng.sample(range(len(world.store.region)), 1000)
            out.export(s.principal, t, ids, ANALYST_EXPORT, truth=None, release=release)
            t += rng.uniform(5, 60)


def admin_day(world: AccessWorld, out: EventEmitter, s: Staff, day: int) -> None:
    if not s.works(world.weekday(day)):
        return
    rng = random.Random(f"{world.seed}/admin/{s.pid}/{day}")
    base = day * DAY + s.shift.start * HOUR
    if rng.random() < 0.25:  # an investigation: customers of related orders
        n = min(300, max(3, int(rng.lognormvariate(math.log(25), 0.9))))
        t = base + rng.uniform(0, 4 * HOUR)
        hours = rng.uniform(1, 4) * HOUR
        first = world.store.recent_order(rng, t)
        for k in range(n):
            j = max(0, first - k * rng.randint(1, 40))  # orders placed before this one
            when = t + hours * k / n + rng.uniform(0, 60)
            out.admin_read(s.principal, when, int(world.store.o_customer[j]), j)
            if rng.random() < 0.1:
                out.reveal(s.principal, when + 30, int(world.store.o_customer[j]), "phone", None)
    if rng.random() < 0.01:
        t = base + rng.uniform(0, 8 * HOUR)
        out.break_glass(s.principal, t, rng.randrange(len(world.store.region)), truth=None)


def partner_day(world: AccessWorld, out: EventEmitter, s: Staff, day: int) -> None:
    if not s.works(world.weekday(day)):
        return
    rng = random.Random(f"{world.seed}/partner/{s.pid}/{day}")
    n = min(3000, max(20, int(s.rate * rng.lognormvariate(0, 0.3))))
    ids = rng.sample(range(len(world.store.region)), n)
    base = day * DAY + 8.5 * HOUR
    release = f"rel_{world.seed:03d}{day:03d}{s.pid[-3:]}"
    for k in range(0, n, 500):
        out.grant(
            world.services["releases"], base + k / 100, s.principal, ids[k : k + 500], release
        )
    for c in ids:
        if rng.random() < 0.9:
            out.partner_read(s.principal, base + HOUR + rng.uniform(0, 8 * HOUR), c)
