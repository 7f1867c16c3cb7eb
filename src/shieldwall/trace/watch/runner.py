"""Running the watch over the audit log: catch up from a cursor, then follow every append.

Two ways in, one processing path:

- **catch-up** (:meth:`WatchRunner.catch_up`): read the log from the saved cursor with
  ``read(after_seq)``, a page at a time, saving the cursor after each page. ``shieldwall watch
  run`` does this, then keeps polling for new entries.
- **in process** (:meth:`WatchRunner.start`): the audit log calls :meth:`WatchRunner.on_append`
  after every commit; it only appends the records to a bounded buffer, so a request never waits
  for a detector. A worker thread takes the buffer every ``drain_seconds`` and fills any gap
  (records appended by another worker, or dropped because the buffer was full) from the log.

Only the holder of the lease processes (see :mod:`.ports`): with the in-process default state
it is always this process; with Redis, exactly one worker of the service at a time, and another
takes over from the shared state and cursor when it stops renewing.

Restarts resume: the cursor is durable (SQL); a durable state remembers the last sequence it
applied. A state that starts empty (the in-process default after a restart) is rebuilt by
replaying, without alerting, the ``baseline_days + window_days`` of log before the cursor.
Processing is idempotent by sequence number, so a crash between saving state and cursor
re-reads a page but counts nothing twice.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import timedelta

from shieldwall.core.events import AuditRecord
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.ports import AuditSource, CursorStore, WatchState

log = logging.getLogger(__name__)
LIVE_CHUNK = 64  # records processed between yields of the interpreter lock, in process
Progress = Callable[[int], None]


def _no_progress(n: int) -> None:
    return None


class WatchRunner:
    def __init__(
        self,
        watch: Watch,
        source: AuditSource,
        cursors: CursorStore,
        state: WatchState,
        *,
        name: str = "insider-watch",
        owner: str | None = None,
    ) -> None:
        self.watch = watch
        self.source = source
        self.cursors = cursors
        self.state = state
        self.name = name
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        s = watch.settings
        self.page = s.batch_size
        self.lease_seconds = s.lease_seconds
        self.poll_seconds = s.poll_seconds
        self.drain_seconds = s.drain_seconds
        self.buffer_size = s.queue_size
        self._buffer: deque[Sequence[AuditRecord]] = deque()
        self._busy = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = False
        self._leading = False
        self._last_renew = 0.0
        self._unsaved = 0
        self._saved_at = 0.0
        self.dropped = 0
        self.errors = 0

    # -- lease and start-up --------------------------------------------------------------------

    def lead(self) -> bool:
        """Hold the lease (renewing it at most every third of its life); True while leading."""
        now = time.monotonic()
        if self._leading and now - self._last_renew < self.lease_seconds / 3:
            return True
        self._leading = self.state.acquire(self.owner, self.lease_seconds)
        self._last_renew = now
        return self._leading

    def prepare(self, progress: Progress = _no_progress) -> bool:
        """Take the lease and bring the state to the cursor; False if another worker leads."""
        if not self.lead():
            self._ready = False
            return False
        if self._ready:
            return True
        self.watch.load()
        cursor = self.cursors.load(self.name)
        applied = self.watch.last_seq
        if applied < 0 and cursor >= 0:
            self._warm_up(cursor, progress)
        elif applied < cursor:
            self._replay(applied, cursor, progress)
        self._ready = True
        return True

    def _warm_up(self, cursor: int, progress: Progress) -> None:
        """Rebuild an empty state from the days of log before the cursor, raising nothing."""
        s = self.watch.settings
        span = timedelta(days=s.baseline_days + s.window_days)
        end_ts = self.source.entry(cursor).event.ts
        lo, hi = 0, cursor  # first seq whose time is within the span before the cursor
        while lo < hi:
            mid = (lo + hi) // 2
            if self.source.entry(mid).event.ts < end_ts - span:
                lo = mid + 1
            else:
                hi = mid
        self.watch.ws.last_seq = lo - 1
        self._replay(lo - 1, cursor, progress)

    def _replay(self, after: int, until: int, progress: Progress) -> None:
        while after < until:
            records = self.source.read(after, min(self.page, until - after))
            if not records:
                break
            self.watch.process(records, quiet=True)
            after = records[-1].seq
            progress(len(records))

    # -- catch-up ------------------------------------------------------------------------------

    def catch_up(self, progress: Progress = _no_progress, until: int | None = None) -> int:
        """Process the log from where the watch stands to ``until`` (default: the head)."""
        if not self.prepare():
            return 0
        done = 0
        while not self._stop.is_set():
            after = self.watch.last_seq
            limit = self.page if until is None else min(self.page, until - after)
            if limit <= 0:
                break
            records = self.source.read(after, limit)
            if not records:
                break
            self.watch.process(records)
            self.cursors.save(self.name, self.watch.last_seq)
            done += len(records)
            progress(len(records))
            if not self.lead():
                break
        return done

    def pending(self) -> int:
        """How many log entries the watch has not processed yet."""
        return max(
            0, self.source.size() - 1 - max(self.watch.last_seq, self.cursors.load(self.name))
        )

    def follow(self, stop: threading.Event, progress: Progress = _no_progress) -> None:
        """Catch up, then keep polling the log for new entries until ``stop`` is set."""
        while not stop.is_set():
            if self.catch_up(progress) == 0:
                stop.wait(self.poll_seconds)

    # -- in process ----------------------------------------------------------------------------

    def on_append(self, records: Sequence[AuditRecord]) -> None:
        """The audit log's listener: buffer the records and return at once (never blocks).

        Appending to a deque wakes no thread: waking the worker on every append made each
        masked read about 2 ms slower on a busy two-core host (every wake-up is a hand-over
        of the interpreter lock). The worker instead takes the buffer every ``drain_seconds``.
        """
        if len(self._buffer) >= self.buffer_size:
            self.dropped += len(records)  # the worker reads them back from the log
            return
        self._buffer.append(records)

    def start(self) -> None:
        """Start the worker thread that processes what :meth:`on_append` buffers."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._work, name="insider-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the buffered work, save the cursor, give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._leading:
            self.cursors.save(self.name, self.watch.last_seq)
            self.state.release(self.owner)
            self._leading = False
        self._ready = False  # another worker may move the shared state on; reload next time
        self._stop.clear()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until everything buffered so far is processed (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._buffer and not self._busy:
                return True
            time.sleep(0.005)
        return False

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every entry appended to the log so far is processed, by the worker thread
        (when started) or, when no thread runs, here; False if ``timeout`` ran out first.

        Unlike :meth:`drain` this also covers records the buffer dropped and a batch the worker
        has taken but not finished: the simulator calls it before asking what was raised.
        """
        deadline = time.monotonic() + timeout
        target = self.source.size() - 1
        if self._thread is None:
            self.catch_up(until=target)
            return self.watch.last_seq >= target
        while time.monotonic() < deadline:
            if self.watch.last_seq >= target and not self._busy:
                return True
            time.sleep(0.002)
        return False

    def _work(self) -> None:
        idle_since = time.monotonic()
        while not self._stop.wait(self.drain_seconds):
            records = self._take()
            now = time.monotonic()
            if not records and now - idle_since < self.poll_seconds:
                continue
            idle_since = now
            self._run(records)
        self._run(self._take())  # on stop: what is buffered, best effort

    def _take(self) -> list[AuditRecord]:
        records: list[AuditRecord] = []
        self._busy = bool(self._buffer)
        while self._buffer:
            records.extend(self._buffer.popleft())
        return records

    def _run(self, records: list[AuditRecord]) -> None:
        try:
            self._process(bool(records), records)
        except Exception:  # the watch must outlive a bad record or a storage hiccup
            self.errors += 1
            log.exception("insider watch: processing failed; will retry from the log")
            self._ready = False
        finally:
            self._busy = False

    def _process(self, woken: bool, records: list[AuditRecord]) -> None:
        if not self.prepare():
            return  # another worker leads; it reads these records from the log
        records.sort(key=lambda r: r.seq)
        records = [r for r in records if r.seq > self.watch.last_seq]
        first = records[0].seq if records else None
        if first is None:
            if not woken and self.pending():  # idle: others may have appended
                self.catch_up()
            return
        if first > self.watch.last_seq + 1:  # a gap: fill it from the log first
            self.catch_up(until=first - 1)
        records = [r for r in records if r.seq > self.watch.last_seq]
        if records and records[0].seq == self.watch.last_seq + 1:
            for i in range(0, len(records), LIVE_CHUNK):
                self.watch.process(records[i : i + LIVE_CHUNK])
                time.sleep(0)  # let request threads have the interpreter between chunks
        self._unsaved += len(records)
        now = time.monotonic()
        if self._unsaved >= self.page or now - self._saved_at >= self.poll_seconds * 5:
            self.cursors.save(self.name, self.watch.last_seq)
            self._unsaved = 0
            self._saved_at = now
