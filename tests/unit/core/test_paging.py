"""page_after: the keyset contract over a list held in memory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.core.errors import ShieldwallError
from shieldwall.core.paging import (
    InvalidCursor,
    Position,
    encode_cursor,
    fetch_page,
    page_after,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)
Row = tuple[int, str]  # (minutes after T0, id)
FetchRows = Callable[[int, Position | None], list[Row]]


def pos(r: Row) -> Position:
    return Position(T0 + timedelta(minutes=r[0]), r[1])


rows_st = st.lists(
    st.tuples(st.integers(0, 5), st.text("abc", min_size=1, max_size=3)),
    unique_by=lambda r: r[1],
    max_size=30,
)


def walk(rows: list[Row], limit: int) -> list[list[Row]]:
    pages, cursor = [], None
    while True:
        page = page_after("t", rows, limit, cursor, pos)
        pages.append(page.items)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


@given(rows_st, st.integers(1, 7))
def test_paging_through_serves_each_row_once_newest_first(rows: list[Row], limit: int) -> None:
    """Concatenated pages are the rows by (time, id) descending; no page is over the limit and
    only the last page has no cursor."""
    pages = walk(rows, limit)
    flat = [r for p in pages for r in p]
    assert flat == sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)
    assert all(len(p) <= limit for p in pages)
    assert all(len(p) == limit for p in pages[:-1])


@given(rows_st, rows_st, st.integers(1, 5))
def test_rows_added_after_the_first_page_do_not_shift_later_pages(
    rows: list[Row], added: list[Row], limit: int
) -> None:
    """Newer rows (later times) land before the first page; the rest is unchanged."""
    first = page_after("t", rows, limit, None, pos)
    if first.next_cursor is None:
        return
    newer = [(m + 10, "n" + k) for m, k in added]
    rest = page_after("t", rows + newer, 500, first.next_cursor, pos)
    expected = sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)[limit:]
    assert rest.items == expected


def test_a_cursor_of_another_list_or_garbage_is_refused() -> None:
    other = encode_cursor("alerts", Position(T0, "a"))
    for bad in (other, "%%%", ""):
        with pytest.raises(InvalidCursor) as exc:
            page_after("t", [(0, "a")], 1, bad, pos)
        assert exc.value.field == "cursor"
    with pytest.raises(ShieldwallError) as err:
        page_after("t", [(0, "a")], 0, None, pos)
    assert err.value.field == "limit"


def _stored(rows: list[Row], asked: list[tuple[int, Position | None]]) -> FetchRows:
    """A fake table: rows strictly after the position, (time, id) descending, ``n`` of them;
    each call is recorded."""

    def fetch(n: int, after: Position | None) -> list[Row]:
        asked.append((n, after))
        ordered = sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)
        if after is not None:
            ordered = [r for r in ordered if (pos(r).at, r[1]) < (after.at, after.key)]
        return ordered[:n]

    return fetch


@given(rows_st, st.integers(1, 7))
def test_fetch_page_walks_a_stored_list_like_page_after(rows: list[Row], limit: int) -> None:
    """A list paged by ``fetch_page`` over storage serves the same pages as the same rows held
    in memory, asking storage for one row more than the page each time."""
    asked: list[tuple[int, Position | None]] = []
    fetch = _stored(rows, asked)
    pages, cursor = [], None
    while True:
        page = fetch_page("t", limit, cursor, fetch, pos)
        pages.append(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == walk(rows, limit)
    assert {n for n, _ in asked} == {limit + 1}
    assert asked[0][1] is None


def test_fetch_page_refuses_a_bad_cursor_or_limit_before_reading() -> None:
    """A cursor of another list or a limit outside 1..500 is refused with its field, and
    storage is never asked."""
    asked: list[tuple[int, Position | None]] = []
    fetch = _stored([(0, "a")], asked)
    with pytest.raises(InvalidCursor) as exc:
        fetch_page("t", 1, encode_cursor("alerts", Position(T0, "a")), fetch, pos)
    assert exc.value.field == "cursor"
    for limit in (0, 501):
        with pytest.raises(ShieldwallError) as err:
            fetch_page("t", limit, None, fetch, pos)
        assert err.value.field == "limit"
    assert asked == []
