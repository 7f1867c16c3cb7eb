"""Sending the outbox: highest score first, within rate limits, retried with backoff, dead-lettered
when it keeps failing.

One run claims a batch of due notifications (status ``sending``, attempts + 1) in a short write
transaction, sends them outside it, and records each outcome:

- delivered: ``sent``;
- a retryable failure (network, timeout, HTTP 408/425/429/5xx, SMTP 4xx): back to ``pending``
  with the next attempt after ``backoff_seconds * 2^(attempts-1)`` (capped at
  ``backoff_cap_seconds``); after ``max_attempts`` attempts, ``dead``;
- a permanent failure (HTTP 4xx, SMTP 5xx, no address on file): ``dead`` at once.

Rate limits count notifications whose latest attempt started in the last minute / hour, over
all dispatchers (the count and the claim share one locked transaction). A notification retried
within the same window counts once there; backoff keeps retries rarer than that.

A run stopped by an error of ours (storage, keys, a misconfigured sender) puts the notification
it was sending back with a backoff and the rest of its batch back untried. A dispatcher that
dies mid-send leaves rows in ``sending``; after ``lease_seconds`` the next run puts them back in
the queue. Delivery is therefore at least once: the webhook carries the
notification id as ``Idempotency-Key`` so the gateway can drop a repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shieldwall.config import WarningSettings
from shieldwall.contact.ledger.messages import MessageAuthenticator
from shieldwall.contact.warnings.model import Notification, NotificationStatus
from shieldwall.contact.warnings.ports import OutboxStore, Outgoing, Sender, SendFailed
from shieldwall.contact.warnings.templates import render
from shieldwall.core.clock import Clock
from shieldwall.core.errors import ShieldwallError

BATCH = 50
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    """Ignore progress."""


@dataclass(frozen=True, slots=True)
class DispatchReport:
    sent: int
    retried: int
    dead: int
    released: int  # stale claims put back in the queue
    rate_limited: bool
    due_left: int
    next_due: datetime | None


def backoff(attempts: int, base: float, cap: float) -> timedelta:
    """Exponential: base, 2·base, 4·base, ... capped; ``attempts`` counts the failed one."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


class Dispatcher:
    def __init__(
        self,
        outbox: OutboxStore,
        senders: Mapping[str, Sender],
        tags: MessageAuthenticator,
        clock: Clock,
        settings: WarningSettings,
        store_name: str,
    ) -> None:
        self.outbox = outbox
        self.senders = dict(senders)
        self.tags = tags
        self.clock = clock
        self.settings = settings
        self.store_name = store_name

    def budget(self, tx_attempted: Callable[[datetime], int], now: datetime) -> int:
        s = self.settings
        return min(s.per_minute - tx_attempted(now - MINUTE), s.per_hour - tx_attempted(now - HOUR))

    def run(self, limit: int | None = None, progress: Progress = _no_progress) -> DispatchReport:
        """Send due notifications until none is due, the rate limit is reached or ``limit``
        have been attempted."""
        s = self.settings
        sent = retried = dead = released = attempted = 0
        limited = False
        while limit is None or attempted < limit:
            now = self.clock.now()
            with self.outbox.write() as tx:
                tx.lock()
                released += tx.release_stale(
                    now - timedelta(seconds=s.lease_seconds), s.max_attempts, now
                )
                room = self.budget(tx.attempted_since, now)
                if room <= 0:
                    limited = tx.due_pending(now) > 0
                    break
                want = min(room, BATCH, limit - attempted if limit is not None else BATCH)
                claimed = tx.claim_due(now, want)
            if not claimed:
                break
            for k, n in enumerate(claimed):
                try:
                    outcome = self._deliver(n)
                except BaseException:
                    with self.outbox.write() as tx:
                        tx.unclaim([m.notification_id for m in claimed[k + 1 :]])
                    raise
                sent += outcome == "sent"
                retried += outcome == "retry"
                dead += outcome == "dead"
                progress(1)
            attempted += len(claimed)
        now = self.clock.now()
        with self.outbox.read() as tx:
            due_left = tx.due_pending(now)
            next_due = tx.next_due()
        return DispatchReport(sent, retried, dead, released, limited, due_left, next_due)

    def _deliver(self, n: Notification) -> str:
        s = self.settings
        sender = self.senders.get(n.channel)
        now = self.clock.now()
        if sender is None:
            self._finish(n, NotificationStatus.DEAD, now, error=f"no_sender_for_{n.channel}")
            return "dead"
        rendered = render(n.trigger.kind, n.channel, n.locale, self.store_name, s)
        signed = self.tags.sign(n.customer_id, rendered.text)
        message = Outgoing(
            notification_id=n.notification_id,
            customer_id=n.customer_id,
            channel=n.channel,
            locale=n.locale,
            subject=rendered.subject,
            text=signed.text,
            trigger=str(n.trigger),
        )
        try:
            sender.send(message)
        except ShieldwallError as exc:
            # Our own failure (storage, keys, audit): the run stops; this one is retried later.
            now = self.clock.now()
            wait = backoff(n.attempts, s.backoff_seconds, s.backoff_cap_seconds)
            self._finish(n, NotificationStatus.PENDING, now, next_at=now + wait, error=exc.code)
            raise
        except SendFailed as failure:
            now = self.clock.now()
            if failure.retryable and n.attempts < s.max_attempts:
                wait = backoff(n.attempts, s.backoff_seconds, s.backoff_cap_seconds)
                self._finish(
                    n, NotificationStatus.PENDING, now, next_at=now + wait, error=failure.code
                )
                return "retry"
            self._finish(n, NotificationStatus.DEAD, now, error=failure.code)
            return "dead"
        self._finish(n, NotificationStatus.SENT, self.clock.now())
        return "sent"

    def _finish(
        self,
        n: Notification,
        status: NotificationStatus,
        at: datetime,
        *,
        next_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        with self.outbox.write() as tx:
            tx.finish(n.notification_id, status, at=at, next_attempt_at=next_at, error=error)
