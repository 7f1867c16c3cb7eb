"""Hand each new alert (and each escalation) to every sink without making the request that
raised it wait, and never lose one to a crash.

Each sink gets a bounded queue and a worker thread of its own, so a receiver that is down (and
retried with exponential backoff) delays only itself. With an outbox (the SQL alert store),
every event is first a row per sink written in the transaction that stored the alert or its
escalation; a delivery marks its row done. Whatever a process did not deliver (it crashed with
events queued, its retries ran out, its queue was full) stays pending, and
:meth:`AlertDispatcher.redeliver` (at start, then every ``redeliver_interval``) claims the rows
due and queues them again. A row is due ``lease`` after it was written or last claimed, so a
live process's own tries are not doubled by another's flush. The same rounds remove rows
delivered longer ago than the retention (:meth:`AlertDispatcher.prune`), so the outbox does
not grow without end. Receivers de-duplicate on the
event's key (``Idempotency-Key``), so the rare re-send after a lost acknowledgement is harmless:
delivery is at least once, and once as the receiver sees it.

Every failure is logged with the alert id, the sink's name and a short reason, never a
payload, a URL path or a secret.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta

from shieldwall.core.alerts import Alert
from shieldwall.core.clock import Clock
from shieldwall.trace.delivery.errors import DeliveryFailed
from shieldwall.trace.delivery.ports import (
    RAISED,
    AlertEvent,
    AlertSink,
    DeliveryOutbox,
    EscalatingAlertStore,
    sink_ids,
)
from shieldwall.trace.watch.ports import AlertStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    """``max_attempts`` tries in all; before try n+1 wait ``first * 2**(n-1)``, capped."""

    max_attempts: int = 6
    first_seconds: float = 1.0
    max_seconds: float = 60.0

    def delay(self, failures: int) -> float:
        """The wait after the ``failures``-th failed try (1, 2, ...)."""
        return min(self.max_seconds, self.first_seconds * 2.0 ** (failures - 1))


@dataclass(slots=True)
class SinkStats:
    """What one sink did since the process started."""

    delivered: int = 0
    failed: int = 0  # gave up after the last try, or on a reason not worth retrying
    retried: int = 0
    dropped: int = 0  # its queue was full (the outbox, if any, re-sends it later)
    queued: int = 0
    redelivered: int = 0  # pending outbox rows queued again (after a restart, a failure)


@dataclass(frozen=True, slots=True)
class Redelivery:
    """How the outbox is flushed: rows due ``lease_seconds`` after they were written or last
    claimed, looked for every ``interval_seconds``, at most ``batch`` at a time. Each round
    also removes rows delivered more than ``keep_delivered_seconds`` ago, ``batch`` rows per
    transaction and at most ``prune_batches`` transactions a round (a backlog is worked off
    over the next rounds instead of holding up the re-sends)."""

    lease_seconds: float = 300.0
    interval_seconds: float = 60.0
    batch: int = 500
    keep_delivered_seconds: float = 7 * 86_400.0
    prune_batches: int = 100


class _SinkWorker:
    def __init__(
        self,
        sink: AlertSink,
        sink_id: str,
        queue_size: int,
        backoff: Backoff,
        stopping: threading.Event,
        outbox: DeliveryOutbox | None,
        clock: Clock | None,
    ) -> None:
        self.sink = sink
        self.sink_id = sink_id
        self.backoff = backoff
        self.stopping = stopping
        self.outbox = outbox
        self.clock = clock
        self.stats = SinkStats()
        self.queue: queue.Queue[AlertEvent | None] = queue.Queue(maxsize=queue_size)
        self.in_hand: set[str] = set()  # keys queued or being tried: a flush skips them
        self.lock = threading.Lock()
        self.thread = threading.Thread(
            target=self._run, name=f"alert-sink:{sink.name}", daemon=True
        )

    def offer(self, event: AlertEvent) -> bool:
        with self.lock:
            if event.key in self.in_hand:
                return False
            self.in_hand.add(event.key)
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            with self.lock:
                self.in_hand.discard(event.key)
            self.stats.dropped += 1
            log.warning(
                "alert %s not queued for %s: its queue is full (%d waiting)",
                _label(event),
                self.sink.name,
                self.queue.maxsize,
            )
            return False
        return True

    def finish(self, deadline: float) -> bool:
        """Queue the end marker behind the waiting alerts; False if the queue stayed full."""
        try:
            self.queue.put(None, timeout=max(0.0, deadline - time.monotonic()))
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        while True:
            event = self.queue.get()
            if event is None:
                break
            try:
                self._deliver(event)
            finally:
                with self.lock:
                    self.in_hand.discard(event.key)
        try:
            self.sink.close()
        except Exception as exc:  # closing must not raise out of a thread
            log.warning("closing alert sink %s failed: %s", self.sink.name, type(exc).__name__)

    def _deliver(self, event: AlertEvent) -> None:
        attempt = 0
        reason = ""
        while attempt < self.backoff.max_attempts:
            attempt += 1
            try:
                self.sink.deliver(event)
            except DeliveryFailed as exc:
                reason, retryable = exc.reason, exc.retryable
            except Exception as exc:  # a sink's bug must not stop its thread
                # The type only: a message could quote the payload or the receiver's address.
                reason, retryable = f"unexpected {type(exc).__name__}", False
            else:
                self.stats.delivered += 1
                self._mark(event)
                return
            if not retryable or attempt >= self.backoff.max_attempts:
                break
            if self.stopping.wait(self.backoff.delay(attempt)):
                reason += "; shutting down, no more retries"
                break
            self.stats.retried += 1
        self.stats.failed += 1
        log.warning(
            "alert %s not delivered to %s after %d attempt(s): %s",
            _label(event),
            self.sink.name,
            attempt,
            reason,
        )

    def _mark(self, event: AlertEvent) -> None:
        if self.outbox is None or self.clock is None:
            return
        try:
            self.outbox.mark_delivered(event.key, self.sink_id, self.clock.now())
        except Exception as exc:  # the row stays pending: re-sent later, de-duplicated there
            log.warning(
                "alert %s delivered to %s but not marked so: %s",
                event.alert.alert_id,
                self.sink.name,
                type(exc).__name__,
            )


class AlertDispatcher:
    """Queues each event for every sink; worker threads start with the first event.

    With an ``outbox`` (and its ``clock``) deliveries are marked there and
    :meth:`redeliver` re-queues what is pending; without one this is the in-memory queue alone.
    """

    def __init__(
        self,
        sinks: Sequence[AlertSink],
        *,
        queue_size: int = 1000,
        backoff: Backoff | None = None,
        outbox: DeliveryOutbox | None = None,
        clock: Clock | None = None,
        redelivery: Redelivery | None = None,
    ) -> None:
        if outbox is not None and clock is None:
            raise ValueError("an outbox needs a clock")
        self._stopping = threading.Event()
        ids = sink_ids([s.name for s in sinks])
        self._workers = [
            _SinkWorker(s, i, queue_size, backoff or Backoff(), self._stopping, outbox, clock)
            for s, i in zip(sinks, ids, strict=True)
        ]
        self._by_id = {w.sink_id: w for w in self._workers}
        self._outbox = outbox
        self._clock = clock
        self._redelivery = redelivery or Redelivery()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._started = False
        self._closed = False
        self._flusher: threading.Thread | None = None
        self._flush_stop = threading.Event()

    @property
    def sinks(self) -> list[str]:
        """The sinks' outbox names (their labels, ``#2`` after a repeat)."""
        return [w.sink_id for w in self._workers]

    def submit(self, alert: Alert | AlertEvent) -> None:
        """Queue the event (an :class:`Alert` alone: its raise) for every sink and return at
        once; never raises."""
        event = alert if isinstance(alert, AlertEvent) else AlertEvent.raised(alert)
        if not self._start_workers(event.alert.alert_id):
            return
        for w in self._workers:
            w.offer(event)

    def _start_workers(self, alert_id: str) -> bool:
        with self._lock:
            if self._closed:
                log.warning("alert %s raised after alert delivery closed", alert_id)
                return False
            if not self._started:
                for w in self._workers:
                    w.thread.start()
                self._started = True
        return True

    def redeliver(self) -> int:
        """Claim the outbox rows due now and queue each for its sink (rows of a sink no longer
        configured are left as they are); the number queued. Without an outbox, 0."""
        if self._outbox is None or self._clock is None:
            return 0
        lease = timedelta(seconds=self._redelivery.lease_seconds)
        queued = 0
        with self._flush_lock:  # one flush at a time in this process
            while True:
                claimed = self._outbox.claim_due(self._clock.now(), lease, self._redelivery.batch)
                for row in claimed:
                    worker = self._by_id.get(row.sink)
                    if worker is None or not self._start_workers(row.event.alert.alert_id):
                        continue
                    if worker.offer(row.event):
                        worker.stats.redelivered += 1
                        queued += 1
                if len(claimed) < self._redelivery.batch:
                    return queued

    def prune(self) -> int:
        """Remove the outbox rows delivered longer ago than ``keep_delivered_seconds``, in
        batches (see :class:`Redelivery`); the number removed. Without an outbox, 0."""
        if self._outbox is None or self._clock is None:
            return 0
        r = self._redelivery
        before = self._clock.now() - timedelta(seconds=r.keep_delivered_seconds)
        removed = 0
        with self._flush_lock:
            for _ in range(r.prune_batches):
                n = self._outbox.prune_delivered(before, r.batch)
                removed += n
                if n < r.batch:
                    break
        return removed

    def start_redelivery(self) -> None:
        """Flush the outbox now and then every ``interval_seconds`` on a daemon thread, and
        prune its delivered rows after each flush, until :meth:`close` (a process that serves
        alerts calls this once at start)."""
        if self._outbox is None:
            return
        with self._lock:
            if self._closed or self._flusher is not None:
                return
            self._flusher = threading.Thread(
                target=self._flush_forever, name="alert-outbox", daemon=True
            )
            self._flusher.start()

    def _flush_forever(self) -> None:
        while True:
            try:
                self.redeliver()
            except Exception as exc:  # the database is down: try again next round
                log.warning("alert outbox flush failed: %s", type(exc).__name__)
            try:
                self.prune()
            except Exception as exc:  # the same: the rows wait for the next round
                log.warning("alert outbox pruning failed: %s", type(exc).__name__)
            if self._flush_stop.wait(self._redelivery.interval_seconds):
                return

    def stats(self) -> dict[str, dict[str, int]]:
        out = {}
        for w in self._workers:
            w.stats.queued = w.queue.qsize()
            out[w.sink_id] = asdict(w.stats)
        return out

    def close(self, timeout: float = 10.0) -> None:
        """Let the queued alerts go out for up to ``timeout`` seconds, retries included; then
        stop retrying and leave what is left (the workers are daemon threads) with a log line.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            started = self._started
        self._flush_stop.set()  # no more flushes; the queues drain as before
        if not started:
            for w in self._workers:
                _close_quietly(w.sink)
            return
        deadline = time.monotonic() + timeout
        for w in self._workers:
            w.finish(deadline)
        for w in self._workers:
            w.thread.join(max(0.0, deadline - time.monotonic()))
        self._stopping.set()  # whoever is still waiting to retry gives up now
        for w in self._workers:
            if w.thread.is_alive():
                log.warning(
                    "alert sink %s still busy at shutdown; about %d alert(s) may not go out",
                    w.sink.name,
                    w.queue.qsize(),  # the one in hand plus those queued, less the end marker
                )


def _label(event: AlertEvent) -> str:
    """How a log line names an event: the alert id, and an escalation's step after it."""
    if event.type == RAISED:
        return event.alert.alert_id
    return f"{event.alert.alert_id} ({event.type} to {event.severity.value})"


def _close_quietly(sink: AlertSink) -> None:
    try:
        sink.close()
    except Exception as exc:  # shutting down: say so and go on
        log.warning("closing alert sink %s failed: %s", sink.name, type(exc).__name__)


class NotifyingAlertStore:
    """An :class:`AlertStore` that hands each new alert to the dispatcher once it is stored,
    and each escalation once the update that crossed the severity is stored.

    An open alert the insider watch grows is updated in place; it is pushed again
    (``alert.escalated``) only when the update raises its severity above every severity it had
    (so once per severity step), and only by a store that keeps the outbox
    (:class:`~.ports.EscalatingAlertStore`).
    """

    def __init__(self, store: AlertStore | EscalatingAlertStore, dispatcher: AlertDispatcher):
        self.store = store
        self.dispatcher = dispatcher

    def raise_alert(self, alert: Alert) -> None:
        self.store.raise_alert(alert)  # a storage error propagates: nothing was pushed
        self.dispatcher.submit(AlertEvent.raised(alert))

    def update_alert(self, alert: Alert) -> bool:
        if not isinstance(self.store, EscalatingAlertStore):
            return self.store.update_alert(alert)
        updated, crossed = self.store.update_alert_escalating(alert)
        if crossed is not None:
            self.dispatcher.submit(AlertEvent.escalated(alert, crossed))
        return updated

    def open_alert(self, principal_id: str, kind: str) -> Alert | None:
        return self.store.open_alert(principal_id, kind)
