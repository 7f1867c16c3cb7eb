"""Keyset pagination: a page of a list and the opaque cursor to the next page.

Every list shieldwall serves is ordered newest first by an immutable ``(timestamp, id)`` pair
(an alert's ``raised_at`` and ``alert_id``, a release's ``created_at`` and ``release_id``...).
A page ends at a :class:`Position`; the next page is the rows strictly after it in that order
(``WHERE (at, id) < (:at, :id)``), not an offset, so rows inserted between two requests never
shift a page: newer rows land before the first page, and no row is served twice or skipped.

The cursor is the URL-safe base64 (unpadded) of the JSON ``[listing, at, id]``. It carries only
what the page already showed (an item's own time and id) and the listing's name, so a cursor
from one list is refused by another; nothing in it is secret, so it is not signed. A cursor
that does not decode is :class:`InvalidCursor` (``field="cursor"``, answered 422).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from shieldwall.core.errors import ShieldwallError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_CHARS = 512  # a cursor is well under 200 characters; longer input is refused unread


class InvalidCursor(ShieldwallError):
    """A cursor that this list did not issue (garbled, truncated, from another list)."""

    code = "invalid_input"

    def __init__(self, reason: str = "is not a cursor this list issued") -> None:
        super().__init__(reason, field="cursor")


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the last item's sort time (UTC) and id."""

    at: datetime
    key: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page; ``next_cursor`` is ``None`` on the last page."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(listing: str, position: Position) -> str:
    raw = json.dumps([listing, position.at.astimezone(UTC).isoformat(), position.key])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(listing: str, cursor: str | None) -> Position | None:
    """The position ``cursor`` names in ``listing`` (``None`` for no cursor: the first page)."""
    if cursor is None:
        return None
    if not cursor or len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, at, key = json.loads(raw.decode())
        when = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidCursor() from None
    if name != listing or not isinstance(key, str) or when.tzinfo is None:
        raise InvalidCursor()
    try:
        return Position(when.astimezone(UTC), key)
    except OverflowError:  # an offset that pushes the date out of range
        raise InvalidCursor() from None


def check_limit(limit: int) -> int:
    """``limit`` if it is within 1..MAX_LIMIT, else the error the caller sees."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ShieldwallError(
            f"must be between 1 and {MAX_LIMIT}", field="limit", code="invalid_input"
        )
    return limit


def page_of(
    listing: str, rows: Sequence[T], limit: int, position_of: Callable[[T], Position]
) -> Page[T]:
    """A page from up to ``limit + 1`` rows read after the cursor: the extra row, when there is
    one, only tells that another page follows."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items, encode_cursor(listing, position_of(items[-1])) if more and items else None)


def fetch_page(
    listing: str,
    limit: int,
    cursor: str | None,
    fetch: Callable[[int, Position | None], Sequence[T]],
    position_of: Callable[[T], Position],
) -> Page[T]:
    """One page of a list read from storage: ``cursor`` decoded for ``listing`` (else
    :class:`InvalidCursor`), ``limit`` checked (1..MAX_LIMIT), then ``fetch(limit + 1, after)``
    asked for the rows strictly after the cursor, newest first; the extra row only tells that
    another page follows. The one place every stored list pages, so they all refuse the same
    input the same way (a bad cursor before a bad limit)."""
    after = decode_cursor(listing, cursor)
    rows = fetch(check_limit(limit) + 1, after)
    return page_of(listing, rows, limit, position_of)


# The sort time of a list whose items have no time of their own (principals): the order is
# then by id alone, still newest-first's descending keyset order.
NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def page_after(
    listing: str,
    rows: Sequence[T],
    limit: int,
    cursor: str | None,
    position_of: Callable[[T], Position],
) -> Page[T]:
    """A page of a list held whole in memory (a short list: principals, official numbers):
    the same keyset contract as a database page. ``rows`` in any order; they are served by
    ``(at, key)`` descending, the page after ``cursor`` strictly, so a row added between two
    requests never shifts a page."""
    check_limit(limit)
    after = decode_cursor(listing, cursor)
    ordered = sorted(rows, key=lambda r: _sort_key(position_of(r)), reverse=True)
    if after is not None:
        mark = _sort_key(after)
        ordered = [r for r in ordered if _sort_key(position_of(r)) < mark]
    return page_of(listing, ordered[: limit + 1], limit, position_of)


def _sort_key(p: Position) -> tuple[datetime, str]:
    return (p.at.astimezone(UTC), p.key)
