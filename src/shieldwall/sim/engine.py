"""Playing a world out against shieldwall: a timeline of actions at simulated times.

:class:`Play` holds the world, the :class:`~shieldwall.sim.harness.Harness` and one priority
queue of ``(time, order, action)``. :meth:`Play.run` pops actions in time order, sets the manual
clock to each action's time and runs it; an action talks to shieldwall only through the
harness (HTTP API, CLI). Benign work (:mod:`.benign`) and each planted attack
(:mod:`.attacks`) schedule their actions on the same timeline, so they interleave as they would
in a store.

The security team (:meth:`Play.review`) looks at ``GET /v1/alerts`` every few simulated hours,
as a person would, and for an alert that names customers queues warnings to them with
``shieldwall warn plan --leak alert-ID --file ids.json`` (and, after a leaked file is traced to
a partner, to the customers of that partner's release: :meth:`Play.warn`). A customer counts as
warned from that simulated moment: the simulation has no SMS gateway, so "warned" means "queued
to be warned". With ``respond`` each sitting also hands the alerts to the
:class:`~shieldwall.sim.respond.Responder` (cases, containment, notices, claims).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shieldwall.sim.errors import PrincipalSuspended, SimulationError
from shieldwall.sim.harness import HOTLINE, SMS_SENDER, Harness
from shieldwall.sim.truth import GroundTruth
from shieldwall.sim.world import ADMIN, LOCAL, SERVICES, Order, World

if TYPE_CHECKING:
    from shieldwall.sim.respond import Responder

Action = Callable[[], object]
Progress = Callable[[datetime], None]
IMPORT_BATCH = 5000
REVIEW_HOURS = (9, 13, 17, 21)  # local hours the security team looks at new alerts


@dataclass
class Seen:
    """An alert as the security team saw it through the API, and when (simulated time)."""

    alert: dict[str, Any]
    seen_at: datetime


@dataclass
class Play:
    world: World
    harness: Harness
    rng: random.Random
    queue: list[tuple[datetime, int, Action]] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)
    alerts: dict[str, Seen] = field(default_factory=dict)
    warned: dict[str, datetime] = field(default_factory=dict)  # customer -> first queued
    warn_runs: list[dict[str, Any]] = field(default_factory=list)
    genuine_checks: list[dict[str, Any]] = field(default_factory=list)
    served: dict[str, list[str]] = field(default_factory=dict)  # agent -> customers served
    timeline: list[tuple[datetime, str, str]] = field(default_factory=list)  # (t, kind, text)
    truths: dict[str, GroundTruth] = field(default_factory=dict)
    placed: list[Order] = field(default_factory=list)  # orders shieldwall knows, by creation
    known: set[str] = field(default_factory=set)
    suspended_at: dict[str, datetime] = field(default_factory=dict)  # principal -> when
    responder: Responder | None = None  # with ``respond``: the team's cases, notices, claims

    def orders_of(self, customer_id: str) -> list[Order]:
        """The customer's orders shieldwall knows of, oldest first."""
        return [o for o in self.world.orders_of.get(customer_id, []) if o.order_id in self.known]

    @property
    def now(self) -> datetime:
        return self.harness.clock.now()

    def at(self, t: datetime, action: Action) -> None:
        heapq.heappush(self.queue, (t, next(self.counter), action))

    def note(self, kind: str, text: str) -> None:
        self.timeline.append((self.now, kind, text))

    def run(self, until: datetime, progress: Progress | None = None) -> None:
        while self.queue and self.queue[0][0] <= until:
            t, _, action = heapq.heappop(self.queue)
            if t > self.now:
                self.harness.clock.set(t)
            if progress is not None:
                progress(t)
            # The API refused a suspended principal: the action it was part of ends there.
            with contextlib.suppress(PrincipalSuspended):
                action()
        self.harness.clock.set(max(self.now, until))

    # -- setting the store up ------------------------------------------------------------------

    def setup(self) -> None:
        """Principals, official numbers, customers and the orders placed before day one."""
        h, w = self.harness, self.world
        h.bootstrap_admin(ADMIN, "security")
        for pid in SERVICES:
            h.add_principal(pid, "service", "store-systems", ADMIN)
        for s in (*w.agents, *w.couriers, *w.analysts, *w.partners):
            h.add_principal(s.principal_id, s.role, s.unit, ADMIN, s.display_name)
        h.post("/v1/numbers", ADMIN, {"number": HOTLINE, "kind": "hotline", "label": "客服热线"})
        h.post("/v1/numbers", ADMIN, {"number": SMS_SENDER, "kind": "sms_sender", "label": "短信"})
        rows = [
            {
                "customer_id": c.customer_id,
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "address": c.address,
                "national_id": c.national_id,
            }
            for c in w.customers
        ]
        for i in range(0, len(rows), IMPORT_BATCH):
            body = {"customers": rows[i : i + IMPORT_BATCH]}
            r = h.post("/v1/customers:import", "store-app", body)
            if not r.body["committed"]:
                raise SimulationError(f"customer import rejected: {r.body['errors'][:3]}")
        t0 = w.config.t0
        self.import_orders([o for o in w.orders if o.created < t0])
        for o in w.orders:
            if o.created >= t0:
                continue
            self.schedule_lifecycle(o, after=t0)
        self.schedule_imports()

    def order_row(self, o: Order, now: datetime) -> dict[str, Any]:
        c = self.world.by_id[o.customer_id]
        status = o.status_at(now)
        row: dict[str, Any] = {
            "order_id": o.order_id,
            "customer_id": o.customer_id,
            "items": [
                {
                    "sku": f"SKU-{o.amount_cents}",
                    "title": o.title,
                    "quantity": 1,
                    "unit_price_cents": o.amount_cents,
                }
            ],
            "amount_cents": o.amount_cents,
            "status": status,
            "created_at": o.created.isoformat(),
            "paid_at": o.created.isoformat(),
            "delivery_address": c.address,
        }
        for key, when in (
            ("shipped_at", o.shipped),
            ("delivered_at", o.delivered),
            ("refunded_at", o.refunded),
        ):
            if when is not None and when <= now:
                row[key] = when.isoformat()
        return row

    def import_orders(self, orders: list[Order]) -> None:
        now = self.now
        for i in range(0, len(orders), IMPORT_BATCH):
            body = {"orders": [self.order_row(o, now) for o in orders[i : i + IMPORT_BATCH]]}
            r = self.harness.post("/v1/orders:import", "store-app", body)
            if not r.body["committed"]:
                raise SimulationError(f"order import rejected: {r.body['errors'][:3]}")
        self.placed.extend(orders)
        self.known.update(o.order_id for o in orders)

    def schedule_imports(self) -> None:
        """New orders reach shieldwall from the store every hour, then move along."""
        w = self.world
        hours = w.config.days * 24
        buckets: dict[int, list[Order]] = {}
        for o in w.orders:
            if o.created >= w.config.t0:
                hour = int((o.created - w.config.t0).total_seconds() // 3600)
                buckets.setdefault(hour, []).append(o)
        for hour in range(hours):
            batch = buckets.get(hour)
            if not batch:
                continue
            t = w.config.t0 + timedelta(hours=hour + 1)

            def sync(batch: list[Order] = batch) -> None:
                self.import_orders(batch)
                for o in batch:
                    self.schedule_lifecycle(o, after=self.now)

            self.at(t, sync)

    def schedule_lifecycle(self, o: Order, after: datetime) -> None:
        """Shipping (the dispatcher assigns a courier of the outlet), the courier's looks at the
        waybill, delivery, refunds: each a call at its time."""
        h = self.harness
        end = self.world.config.end
        if o.shipped is not None and after <= o.shipped < end:
            shipped = o.shipped

            def ship() -> None:
                if o.courier not in h.suspended:  # dispatch gives a suspended courier nothing
                    h.post(
                        "/v1/assignments",
                        "dispatch",
                        {"courier_id": o.courier, "order_id": o.order_id},
                    )
                h.post(f"/v1/orders/{o.order_id}/status", "dispatch", {"status": "shipped"})

            self.at(shipped, ship)
            self.at(shipped + timedelta(minutes=self.rng.uniform(20, 180)), self.courier_look(o))
        if o.delivered is not None and after <= o.delivered < end:
            before = o.delivered - timedelta(minutes=self.rng.uniform(30, 150))
            if before > (o.shipped or after):
                self.at(before, self.courier_look(o))
            self.at(
                o.delivered,
                lambda: h.post(
                    f"/v1/orders/{o.order_id}/status", "dispatch", {"status": "delivered"}
                ),
            )
        if o.refunded is not None and after <= o.refunded < end:
            self.at(
                o.refunded,
                lambda: h.post(
                    f"/v1/orders/{o.order_id}/status", "store-app", {"status": "refunded"}
                ),
            )

    def courier_look(self, o: Order) -> Action:
        def look() -> None:
            self.harness.get(
                f"/v1/orders/{o.order_id}",
                o.courier,
                params={"purpose": "delivery"},
                expect=(200, 403),
            )

        return look

    # -- the security team ---------------------------------------------------------------------

    def schedule_reviews(self, after_days: int = 0) -> None:
        """The team's sittings every day, and ``after_days`` more days of them after the end
        (with ``respond``: the work on cases and claims goes on after the attacks)."""
        cfg = self.world.config
        for day in range(cfg.days + after_days):
            for hour in REVIEW_HOURS:
                self.at(cfg.t0 + timedelta(days=day, hours=hour), self.review)
        self.at(cfg.end - timedelta(seconds=1), self.review)

    def review(self) -> None:
        """Read new alerts through the API; warn the customers they name (CLI ``warn plan``)."""
        h = self.harness
        h.settle()
        listed = h.get_all("/v1/alerts", ADMIN)
        for a in listed:
            seen = self.alerts.get(a["alert_id"])
            if seen is None:
                self.alerts[a["alert_id"]] = Seen(a, self.now)
                self.note("alert", f"{a['kind']} on {a['principal_id']} ({a['severity']})")
            else:
                seen.alert = a
            self.warn_for(a)
        if self.responder is not None:  # cases, containment, notices, claims
            self.responder.sitting(listed)

    def warn_for(self, alert: dict[str, Any]) -> None:
        if alert["severity"] != "low":
            self.warn(alert["customer_ids"], f"alert-{alert['alert_id']}")

    def warn(self, customer_ids: Iterable[str], leak: str) -> None:
        """Queue warnings to these customers for the leak ``leak`` (``shieldwall warn plan``);
        each customer counts as warned from now, once."""
        ids = sorted(set(customer_ids) - self.warned.keys())
        if not ids:
            return
        path = self.harness.home / "sim-warn.json"
        path.write_text(json.dumps(ids), encoding="utf-8")
        try:
            self.warn_plan(["--leak", leak, "--file", str(path)], leak, asked=len(ids))
        finally:
            path.unlink()

    def warn_plan(self, source: list[str], label: str, asked: int | None = None) -> None:
        """``shieldwall warn plan SOURCE``: each customer it queues counts as warned from now
        (the first time)."""
        out = self.harness.cli_json("warn", "plan", *source, "--channel", "sms", "--top", "0")
        queued = {c["customer_id"] for c in out["candidates"]} if out["queued"] else set()
        for cid in sorted(queued):
            self.warned.setdefault(cid, self.now)
        n = len(out["candidates"]) if asked is None else asked
        self.warn_runs.append({"at": self.now, "leak": label, "asked": n, "queued": out["queued"]})
        self.note("warn", f"{out['queued']} customers queued for a warning")


def local_hour(t: datetime) -> int:
    return t.astimezone(LOCAL).hour


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; the rates here are small."""
    if lam <= 0:
        return 0
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def spread(rng: random.Random, start: datetime, n: int, seconds: float) -> Iterable[datetime]:
    return sorted(start + timedelta(seconds=rng.uniform(0, seconds)) for _ in range(n))
