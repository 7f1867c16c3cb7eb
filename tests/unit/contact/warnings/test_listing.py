"""The outbox a page at a time (SQLite and PostgreSQL): newest queued first, each warning once,
ties in time by id, filters on every page, and the cursors every list refuses refused here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from shieldwall.contact.warnings.listing import outbox_page
from shieldwall.contact.warnings.model import Notification, NotificationStatus, Trigger
from shieldwall.contact.warnings.planner import make_trigger
from shieldwall.core.errors import ShieldwallError
from shieldwall.core.paging import InvalidCursor, Position, encode_cursor
from tests.unit.contact.warnings.conftest import World, warnings_for


def _all_pages(
    world: World,
    limit: int,
    trigger: Trigger | None = None,
    status: NotificationStatus | None = None,
) -> list[list[Notification]]:
    outbox = world.services.contact_ledger.outbox
    pages: list[list[Notification]] = []
    cursor = None
    while True:
        page = outbox_page(outbox, trigger=trigger, status=status, limit=limit, cursor=cursor)
        pages.append(page.items)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_pages_hold_every_warning_once_newest_queued_first(world: World) -> None:
    """Four warnings for leak-1, three for leak-2 a second later: pages of 2 (2, 2, 2, 1) hold
    the seven once each, leak-2's first; ties in time by notification id, descending."""
    planner, _ = warnings_for(world)
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(i) for i in (1, 2, 3, 4)]))
    world.clock.advance(1)
    planner.enqueue(planner.plan_leak("leak-2", [world.cid(i) for i in (5, 6, 7)]))

    pages = _all_pages(world, 2)
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    served = [n for p in pages for n in p]
    assert len({n.notification_id for n in served}) == 7
    assert [str(n.trigger) for n in served] == ["leak:leak-2"] * 3 + ["leak:leak-1"] * 4
    assert {n.customer_id for n in served[:3]} == {world.cid(i) for i in (5, 6, 7)}
    for group in (served[:3], served[3:]):
        ids = [n.notification_id for n in group]
        assert ids == sorted(ids, reverse=True)


def test_filters_apply_to_every_page(world: World) -> None:
    """By trigger and by status, in pages of 1: exactly the matching warnings, once each."""
    planner, dispatcher = warnings_for(world, per_minute=2)
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(i) for i in (1, 2, 3)]))
    planner.enqueue(planner.plan_leak("leak-2", [world.cid(i) for i in (4, 5)]))
    assert dispatcher.run().sent == 2  # the rate limit stops it there

    leak_2 = _all_pages(world, 1, trigger=make_trigger("leak", "leak-2"))
    assert sorted(n.customer_id for p in leak_2 for n in p) == [world.cid(4), world.cid(5)]
    sent = _all_pages(world, 1, status=NotificationStatus.SENT)
    assert [len(p) for p in sent] == [1, 1]
    assert {n.status for p in sent for n in p} == {NotificationStatus.SENT}
    pending = _all_pages(world, 1, status=NotificationStatus.PENDING)
    assert [len(p) for p in pending] == [1, 1, 1]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode_cursor("alerts", Position(datetime(2026, 3, 2, tzinfo=UTC), "alr_1")),
    ],
)
def test_a_cursor_this_list_did_not_issue_is_refused(world: World, cursor: str) -> None:
    """Garbage, or another list's cursor: InvalidCursor naming ``cursor``."""
    with pytest.raises(InvalidCursor) as err:
        outbox_page(world.services.contact_ledger.outbox, cursor=cursor)
    assert err.value.field == "cursor"


def test_a_limit_out_of_range_is_refused(world: World) -> None:
    """501 (the most is 500): the error every list gives, naming ``limit``."""
    with pytest.raises(ShieldwallError) as err:
        outbox_page(world.services.contact_ledger.outbox, limit=501)
    assert err.value.field == "limit"


def test_the_migrated_outbox_has_the_listing_index(world: World) -> None:
    """Migration cl0002 indexes the outbox in the listing's order, on both databases."""
    indexes = inspect(world.services.engine).get_indexes("contact_outbox")
    listing = [i for i in indexes if i["name"] == "ix_contact_outbox_listing"]
    assert [i["column_names"] for i in listing] == [["created_at", "notification_id"]]
