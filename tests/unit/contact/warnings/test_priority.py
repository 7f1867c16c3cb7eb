"""Who to warn first: each signal, its points and its explanation; the order of a plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shieldwall.config import WarningSettings
from shieldwall.contact.warnings.model import Trigger, TriggerKind
from shieldwall.contact.warnings.priority import Prioritizer, last_activity
from shieldwall.core.model import OrderStatus
from shieldwall.custody.ports import SealedOrder

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
LEAK = Trigger(TriggerKind.LEAK, "leak-1")
CAMPAIGN = Trigger(TriggerKind.CAMPAIGN, "camp-7")
P = Prioritizer(WarningSettings())


def order(
    oid: str,
    status: OrderStatus,
    created_days: float,
    *,
    shipped: float | None = None,
    delivered: float | None = None,
    refunded: float | None = None,
    cents: int = 9_900,
) -> SealedOrder:
    def ago(days: float | None) -> datetime | None:
        return None if days is None else NOW - timedelta(days=days)

    created = ago(created_days)
    assert created is not None
    return SealedOrder(
        order_id=oid,
        customer_id="C1",
        items_ct=b"",
        delivery_address_ct=None,
        amount_cents=cents,
        status=status,
        created_at=created,
        key_version=1,
        paid_at=created,
        shipped_at=ago(shipped),
        delivered_at=ago(delivered),
        refunded_at=ago(refunded),
    )


def codes(
    trigger: Trigger, orders: list[SealedOrder], first_seen: datetime | None = None
) -> dict[str, float]:
    cand = P.score(trigger, "C1", orders, NOW, first_seen)
    return {s.code: s.points for s in cand.signals}


def test_membership_alone() -> None:
    """A leaked customer with no recent orders scores the membership points only."""
    cand = P.score(LEAK, "C1", [order("O1", OrderStatus.DELIVERED, 200, delivered=190)], NOW)
    assert cand.score == 40 and [s.code for s in cand.signals] == ["in_leaked_set"]
    assert "leak:leak-1" in cand.signals[0].detail


def test_parcel_in_transit() -> None:
    """A shipped, undelivered order adds the 'parcel lost' points, whatever its age."""
    got = codes(LEAK, [order("O1", OrderStatus.SHIPPED, 60, shipped=58)])
    assert got == {"in_leaked_set": 40, "in_transit": 20}


def test_recent_delivery_and_refund_windows() -> None:
    """Deliveries count for 14 days, refunds for 30."""
    assert "recently_delivered" in codes(
        LEAK, [order("O1", OrderStatus.DELIVERED, 40, delivered=13)]
    )
    assert "recently_delivered" not in codes(
        LEAK, [order("O1", OrderStatus.DELIVERED, 40, delivered=15)]
    )
    assert "recent_refund" in codes(LEAK, [order("O1", OrderStatus.REFUNDED, 60, refunded=29)])
    assert "recent_refund" not in codes(LEAK, [order("O1", OrderStatus.REFUNDED, 60, refunded=31)])


def test_recent_order_points_fall_with_age() -> None:
    """A newer order earns more, from 20 points today to 5 at the end of the window."""
    today = codes(LEAK, [order("O1", OrderStatus.PAID, 0)])["recent_order"]
    mid = codes(LEAK, [order("O1", OrderStatus.PAID, 15)])["recent_order"]
    late = codes(LEAK, [order("O1", OrderStatus.PAID, 29)])["recent_order"]
    assert today == 20 and mid == 10 and late == 5
    assert "recent_order" not in codes(LEAK, [order("O1", OrderStatus.PAID, 31)])


def test_high_value_needs_a_relevant_order() -> None:
    """An expensive order counts only when it is one of the recent or in-flight ones."""
    rich_old = order("O1", OrderStatus.DELIVERED, 300, delivered=290, cents=800_000)
    assert "high_value_order" not in codes(LEAK, [rich_old])
    rich_new = order("O2", OrderStatus.SHIPPED, 2, shipped=1, cents=800_000)
    got = codes(LEAK, [rich_old, rich_new])
    assert got["high_value_order"] == 5
    cand = P.score(LEAK, "C1", [rich_new], NOW)
    detail = next(s.detail for s in cand.signals if s.code == "high_value_order")
    assert "8,000" not in detail  # the threshold is named, not the amount


def test_campaign_recency_and_cap() -> None:
    """A campaign target seen this week gets the recency points; the total never exceeds 100."""
    orders = [
        order("O1", OrderStatus.SHIPPED, 1, shipped=0.5, cents=500_000),
        order("O2", OrderStatus.REFUNDED, 5, refunded=2),
        order("O3", OrderStatus.DELIVERED, 6, delivered=3),
    ]
    got = codes(CAMPAIGN, orders, NOW - timedelta(days=2))
    assert set(got) == {
        "campaign_target",
        "recently_targeted",
        "in_transit",
        "recent_refund",
        "recently_delivered",
        "recent_order",
        "high_value_order",
    }
    assert P.score(CAMPAIGN, "C1", orders, NOW, NOW - timedelta(days=2)).score == 100
    assert "recently_targeted" not in codes(CAMPAIGN, orders, NOW - timedelta(days=8))


def test_details_explain_without_personal_data() -> None:
    """Every detail names an order id and an age, and says which script it fears."""
    cand = P.score(LEAK, "C1", [order("O9", OrderStatus.SHIPPED, 3, shipped=2)], NOW)
    transit = next(s for s in cand.signals if s.code == "in_transit")
    assert (
        transit.detail == "order O9 shipped 2 days ago, not delivered yet ('parcel lost' scripts)"
    )


def test_last_activity() -> None:
    """The latest of every order timestamp, or None without orders."""
    o = order("O1", OrderStatus.REFUNDED, 10, shipped=9, delivered=7, refunded=1)
    assert last_activity([o]) == NOW - timedelta(days=1)
    assert last_activity([]) is None
