"""The write buffer that the database and Redis decision histories share.

``buffer`` (1: every call writes) lets a busy process write its events in batches: they are
written when ``buffer`` are pending, when the first pending one has waited ``linger_seconds``
(checked at the next call), before the history answers a read, and at :meth:`flush`
(``Services.close``). Until then other processes do not see them, and a crash loses them (a
display history: the decisions themselves are not affected). A write that fails keeps its
events pending for the next try.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from shieldwall.guard.risk.history import DecisionEvent


class BufferedWrites(ABC):
    """Subclasses write a batch in :meth:`_write`; readers call :meth:`flush` first."""

    def __init__(
        self,
        *,
        buffer: int = 1,
        linger_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if buffer < 1 or linger_seconds < 0:
            raise ValueError("buffer must be at least 1 and linger_seconds not negative")
        self._buffer = buffer
        self._linger = linger_seconds
        self._monotonic = monotonic
        self._pending: list[DecisionEvent] = []
        self._since = 0.0
        self._lock = threading.Lock()

    def record(self, events: Sequence[DecisionEvent]) -> None:
        if not events:
            return
        with self._lock:
            if not self._pending:
                self._since = self._monotonic()
            self._pending.extend(events)
            if (
                len(self._pending) >= self._buffer
                or self._monotonic() - self._since >= self._linger
            ):
                self._flush_locked()

    def flush(self) -> None:
        """Write the pending events now (nothing is pending without a buffer)."""
        with self._lock:
            self._flush_locked()

    def _drop_pending(self) -> None:
        with self._lock:
            self._pending = []

    def _flush_locked(self) -> None:
        events, self._pending = self._pending, []
        if not events:
            return
        try:
            self._write(events)
        except BaseException:
            self._pending = events + self._pending  # kept for the next try
            raise

    @abstractmethod
    def _write(self, events: Sequence[DecisionEvent]) -> None:
        """Write one batch (atomically where the backend can)."""
