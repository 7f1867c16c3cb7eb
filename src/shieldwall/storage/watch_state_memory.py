"""In-process implementations of the watch's ports: state, cursor and alerts.

:class:`MemoryWatchState` is the default state: the watch's working set *is* the state, so
nothing is written back unless ``durable=True`` (then records are kept serialized in a dict,
which exercises the same write-back and load path as Redis, in tests). The lease is always
granted: one process, one watch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace

from shieldwall.core.alerts import Alert


class MemoryWatchState:
    def __init__(self, *, durable: bool = False) -> None:
        self._durable = durable
        self._items: dict[str, bytes] = {}

    @property
    def durable(self) -> bool:
        return self._durable

    def load_all(self) -> Iterator[tuple[str, bytes]]:
        yield from list(self._items.items())

    def put_many(self, items: Mapping[str, bytes], ttl_seconds: int) -> None:
        self._items.update(items)

    def acquire(self, owner: str, ttl_seconds: float) -> bool:
        return True

    def release(self, owner: str) -> None:
        return None

    def __len__(self) -> int:
        return len(self._items)


class MemoryCursorStore:
    def __init__(self) -> None:
        self._seqs: dict[str, int] = {}

    def load(self, name: str) -> int:
        return self._seqs.get(name, -1)

    def save(self, name: str, seq: int) -> None:
        self._seqs[name] = seq


class MemoryAlertStore:
    """Alerts in a dict, in raise order (the evaluation harness and unit tests use it)."""

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self._lock = threading.Lock()

    def raise_alert(self, alert: Alert) -> None:
        with self._lock:
            self.alerts[alert.alert_id] = alert

    def update_alert(self, alert: Alert) -> bool:
        with self._lock:
            current = self.alerts.get(alert.alert_id)
            if current is None or current.status != "open":
                return False
            self.alerts[alert.alert_id] = alert
            return True

    def open_alert(self, principal_id: str, kind: str) -> Alert | None:
        with self._lock:
            for a in self.alerts.values():
                if a.principal_id == principal_id and a.kind == kind and a.status == "open":
                    return a
        return None

    def close(self, alert_id: str) -> None:
        with self._lock:
            self.alerts[alert_id] = replace(self.alerts[alert_id], status="closed")

    def list(self) -> list[Alert]:
        with self._lock:
            return list(self.alerts.values())
