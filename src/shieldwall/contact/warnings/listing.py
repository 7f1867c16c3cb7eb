"""The warnings outbox as a paged list (``GET /v1/warnings``, ``shieldwall warn outbox``).

Newest queued first by ``(created_at, notification_id)``, both fixed when a warning is
queued, with the keyset cursor every list shares (:mod:`shieldwall.core.paging`): a warning
queued while a client pages lands before its first page, and a status changing under it
(pending → sent) moves nothing. The filters apply to every page.
"""

from __future__ import annotations

from shieldwall.contact.warnings.model import Notification, NotificationStatus, Trigger
from shieldwall.contact.warnings.ports import OutboxStore
from shieldwall.core.paging import DEFAULT_LIMIT, Page, Position, fetch_page

WARNINGS_LISTING = "warnings"


def outbox_page(
    outbox: OutboxStore,
    *,
    trigger: Trigger | None = None,
    status: NotificationStatus | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[Notification]:
    """One page of the outbox, newest queued first; ``cursor`` is the previous page's
    ``next_cursor`` (:class:`~shieldwall.core.paging.InvalidCursor` for one this list did not
    issue, a limit outside 1-500 refused as every list refuses it)."""
    with outbox.read() as tx:
        return fetch_page(
            WARNINGS_LISTING,
            limit,
            cursor,
            lambda n, after: tx.newest(trigger=trigger, status=status, limit=n, after=after),
            lambda w: Position(w.created_at, w.notification_id),
        )
