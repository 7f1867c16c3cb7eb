"""Who to warn first: an explainable score from 0 to 100.

Scammers who bought leaked order data call first about orders that are fresh in the customer's
mind: a parcel on its way ("your parcel was lost, we will compensate you three times"), a
recent delivery ("the goods were faulty, we will refund you") and a recent refund ("your
refund failed, we need to verify your account"). The score adds points for each such fact; every
point comes with a :class:`Signal` saying which order and how long ago, so an operator can read
why a customer is near the top.

===================  ======  ===========================================================
signal               points  when
===================  ======  ===========================================================
in_leaked_set          40    the customer is in the suspected leak
campaign_target        40    the campaign reached or targeted the customer
recently_targeted      10    ... within ``recently_targeted_days``
in_transit             20    an order is shipped and not delivered ("parcel lost")
recent_refund          20    an order was refunded within ``refund_window_days``
recently_delivered     15    an order was delivered within ``delivery_window_days``
recent_order         5..20   newest order within ``recent_order_days`` (newer: more)
high_value_order        5    one of those orders is worth ``high_value_cents`` or more
===================  ======  ===========================================================

The score is the sum, capped at 100. Ties are broken by the most recent order activity, then by
customer id, so a plan is the same every time it is computed on the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from shieldwall.config import WarningSettings
from shieldwall.contact.warnings.model import Candidate, Signal, Trigger, TriggerKind
from shieldwall.core.clock import utc
from shieldwall.core.model import OrderStatus
from shieldwall.custody.ports import SealedOrder

MEMBERSHIP = 40.0
RECENTLY_TARGETED = 10.0
IN_TRANSIT = 20.0
RECENT_REFUND = 20.0
RECENTLY_DELIVERED = 15.0
RECENT_ORDER_MAX = 20.0
RECENT_ORDER_MIN = 5.0
HIGH_VALUE = 5.0
CAP = 100.0


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86_400
    if days < 1:
        return "today"
    return f"{days:.0f} day{'s' if round(days) != 1 else ''} ago"


def last_activity(orders: Sequence[SealedOrder]) -> datetime | None:
    """The latest created/shipped/delivered/refunded time among ``orders``."""
    times = [
        utc(t)
        for o in orders
        for t in (o.created_at, o.shipped_at, o.delivered_at, o.refunded_at)
        if t is not None
    ]
    return max(times, default=None)


class Prioritizer:
    def __init__(self, settings: WarningSettings) -> None:
        self.s = settings

    def horizon(self, now: datetime) -> datetime:
        """The earliest time an order fact can still add points (what to load orders since)."""
        longest = max(
            self.s.recent_order_days, self.s.delivery_window_days, self.s.refund_window_days
        )
        return now - timedelta(days=longest)

    def score(
        self,
        trigger: Trigger,
        customer_id: str,
        orders: Sequence[SealedOrder],
        now: datetime,
        first_seen: datetime | None = None,
    ) -> Candidate:
        s = self.s
        signals: list[Signal] = []
        if trigger.kind is TriggerKind.LEAK:
            signals.append(Signal("in_leaked_set", MEMBERSHIP, f"in the suspected leak {trigger}"))
        else:
            signals.append(Signal("campaign_target", MEMBERSHIP, f"targeted by {trigger}"))
            if first_seen is not None and now - utc(first_seen) <= timedelta(
                days=s.recently_targeted_days
            ):
                signals.append(
                    Signal(
                        "recently_targeted",
                        RECENTLY_TARGETED,
                        f"first seen in the campaign {_days(now - utc(first_seen))}",
                    )
                )
        relevant: list[SealedOrder] = []
        transit = [o for o in orders if o.status is OrderStatus.SHIPPED]
        if transit:
            o = max(transit, key=lambda x: utc(x.shipped_at or x.created_at))
            shipped = utc(o.shipped_at or o.created_at)
            signals.append(
                Signal(
                    "in_transit",
                    IN_TRANSIT,
                    f"order {o.order_id} shipped {_days(now - shipped)}, not delivered yet"
                    " ('parcel lost' scripts)",
                )
            )
            relevant.append(o)
        refunded = [
            o
            for o in orders
            if o.refunded_at is not None
            and now - utc(o.refunded_at) <= timedelta(days=s.refund_window_days)
        ]
        if refunded:
            o = max(refunded, key=lambda x: utc(x.refunded_at or x.created_at))
            signals.append(
                Signal(
                    "recent_refund",
                    RECENT_REFUND,
                    f"order {o.order_id} refunded {_days(now - utc(o.refunded_at or now))}"
                    " ('refund' scripts)",
                )
            )
            relevant.append(o)
        delivered = [
            o
            for o in orders
            if o.delivered_at is not None
            and o.status is OrderStatus.DELIVERED
            and now - utc(o.delivered_at) <= timedelta(days=s.delivery_window_days)
        ]
        if delivered:
            o = max(delivered, key=lambda x: utc(x.delivered_at or x.created_at))
            signals.append(
                Signal(
                    "recently_delivered",
                    RECENTLY_DELIVERED,
                    f"order {o.order_id} delivered {_days(now - utc(o.delivered_at or now))}",
                )
            )
            relevant.append(o)
        window = timedelta(days=s.recent_order_days)
        fresh = [o for o in orders if timedelta(0) <= now - utc(o.created_at) <= window]
        if fresh:
            o = max(fresh, key=lambda x: utc(x.created_at))
            age = now - utc(o.created_at)
            points = max(RECENT_ORDER_MIN, round(RECENT_ORDER_MAX * (1 - age / window), 1))
            signals.append(
                Signal("recent_order", points, f"order {o.order_id} placed {_days(age)}")
            )
            relevant.append(o)
        rich = [o for o in relevant if o.amount_cents >= s.high_value_cents]
        if rich:
            o = max(rich, key=lambda x: x.amount_cents)
            signals.append(
                Signal(
                    "high_value_order",
                    HIGH_VALUE,
                    f"order {o.order_id} is worth {s.high_value_cents / 100:,.0f} or more",
                )
            )
        total = min(CAP, sum(x.points for x in signals))
        return Candidate(customer_id, round(total, 1), tuple(signals))
