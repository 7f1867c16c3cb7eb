"""Hand each new alert to every sink without making the request that raised it wait.

Each sink gets a bounded queue and a worker thread of its own, so a receiver that is down (and
retried with exponential backoff) delays only itself. The alert is in the database before it is
queued (:class:`NotifyingAlertStore` stores first), so a failed delivery loses nothing: the alert
is still listed by ``GET /v1/alerts``. A full queue drops the newest alert for that sink and logs
it; every failure is logged with the alert id, the sink's name and a short reason, never a
payload, a URL path or a secret.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from shieldwall.core.alerts import Alert
from shieldwall.trace.delivery.errors import DeliveryFailed
from shieldwall.trace.delivery.ports import AlertSink
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
    dropped: int = 0  # its queue was full
    queued: int = 0


class _SinkWorker:
    def __init__(
        self, sink: AlertSink, queue_size: int, backoff: Backoff, stopping: threading.Event
    ) -> None:
        self.sink = sink
        self.backoff = backoff
        self.stopping = stopping
        self.stats = SinkStats()
        self.queue: queue.Queue[Alert | None] = queue.Queue(maxsize=queue_size)
        self.thread = threading.Thread(
            target=self._run, name=f"alert-sink:{sink.name}", daemon=True
        )

    def offer(self, alert: Alert) -> None:
        try:
            self.queue.put_nowait(alert)
        except queue.Full:
            self.stats.dropped += 1
            log.warning(
                "alert %s not queued for %s: its queue is full (%d waiting)",
                alert.alert_id,
                self.sink.name,
                self.queue.maxsize,
            )

    def finish(self, deadline: float) -> bool:
        """Queue the end marker behind the waiting alerts; False if the queue stayed full."""
        try:
            self.queue.put(None, timeout=max(0.0, deadline - time.monotonic()))
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        while True:
            alert = self.queue.get()
            if alert is None:
                break
            self._deliver(alert)
        try:
            self.sink.close()
        except Exception as exc:  # closing must not raise out of a thread
            log.warning("closing alert sink %s failed: %s", self.sink.name, type(exc).__name__)

    def _deliver(self, alert: Alert) -> None:
        attempt = 0
        reason = ""
        while attempt < self.backoff.max_attempts:
            attempt += 1
            try:
                self.sink.deliver(alert)
            except DeliveryFailed as exc:
                reason, retryable = exc.reason, exc.retryable
            except Exception as exc:  # a sink's bug must not stop its thread
                # The type only: a message could quote the payload or the receiver's address.
                reason, retryable = f"unexpected {type(exc).__name__}", False
            else:
                self.stats.delivered += 1
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
            alert.alert_id,
            self.sink.name,
            attempt,
            reason,
        )


class AlertDispatcher:
    """Queues each alert for every sink; worker threads start with the first alert."""

    def __init__(
        self, sinks: Sequence[AlertSink], *, queue_size: int = 1000, backoff: Backoff | None = None
    ) -> None:
        self._stopping = threading.Event()
        self._workers = [
            _SinkWorker(s, queue_size, backoff or Backoff(), self._stopping) for s in sinks
        ]
        self._lock = threading.Lock()
        self._started = False
        self._closed = False

    @property
    def sinks(self) -> list[str]:
        return [w.sink.name for w in self._workers]

    def submit(self, alert: Alert) -> None:
        """Queue ``alert`` for every sink and return at once; never raises."""
        with self._lock:
            if self._closed:
                log.warning("alert %s raised after alert delivery closed", alert.alert_id)
                return
            if not self._started:
                for w in self._workers:
                    w.thread.start()
                self._started = True
        for w in self._workers:
            w.offer(alert)

    def stats(self) -> dict[str, dict[str, int]]:
        out = {}
        for w in self._workers:
            w.stats.queued = w.queue.qsize()
            out[w.sink.name] = asdict(w.stats)
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


def _close_quietly(sink: AlertSink) -> None:
    try:
        sink.close()
    except Exception as exc:  # shutting down: say so and go on
        log.warning("closing alert sink %s failed: %s", sink.name, type(exc).__name__)


class NotifyingAlertStore:
    """An :class:`AlertStore` that hands each new alert to the dispatcher once it is stored.

    Only new alerts are pushed; an open alert the insider watch grows is updated in place (the
    receiver reads its current state from the API by id).
    """

    def __init__(self, store: AlertStore, dispatcher: AlertDispatcher) -> None:
        self.store = store
        self.dispatcher = dispatcher

    def raise_alert(self, alert: Alert) -> None:
        self.store.raise_alert(alert)  # a storage error propagates: nothing was pushed
        self.dispatcher.submit(alert)

    def update_alert(self, alert: Alert) -> bool:
        return self.store.update_alert(alert)

    def open_alert(self, principal_id: str, kind: str) -> Alert | None:
        return self.store.open_alert(principal_id, kind)
