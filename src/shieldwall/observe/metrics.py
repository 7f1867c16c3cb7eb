"""Prometheus metrics: what shieldwall counts, and how a scrape reads it.

One :class:`PrometheusMetrics` per process (:func:`process_metrics`) holds the counters; it is the
:class:`~shieldwall.core.telemetry.Telemetry` the composition root hands to capabilities.

Multi-process (uvicorn ``--workers N``): prometheus-client writes each process's values to files in
``PROMETHEUS_MULTIPROC_DIR`` when that variable is set before it is imported, and a scrape of any
worker sums them (:func:`exposition`). The directory must exist and be emptied before the server
starts (stale files of dead processes would be counted again).

Labels are our own vocabulary only. A label value that is not a short lower-case name
(:data:`NAME`) is replaced by ``other``, so no request or record value can become a label even if
a caller passed one by mistake; HTTP routes are labelled by their template
(``/v1/customers/{customer_id}``), never by the raw path.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from shieldwall.core.errors import ShieldwallError

NAME = re.compile(r"[a-z0-9_.:\-]{1,64}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Most routes answer in well under 5 ms; the default buckets start at 5 ms and would hide them.
# At most this many label combinations are cached per metric: callers pass names of our own (a
# handful), but a caller passing arbitrary strings by mistake must not grow a cache without end.
_CACHED_CHILDREN = 256
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _name(value: str) -> str:
    return value if NAME.fullmatch(value) else "other"


class PrometheusMetrics:
    """shieldwall's counters on one registry; a :class:`~shieldwall.core.telemetry.Telemetry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "shieldwall_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "shieldwall_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.decisions = Counter(
            "shieldwall_decisions",
            "Decisions taken, by decider (login, access.<action>) and outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.alerts = Counter(
            "shieldwall_alerts", "New alerts raised, by detector", ["detector"], registry=r
        )
        self.lag = Gauge(
            "shieldwall_queue_lag_seconds",
            "Age of the oldest message of the last batch a consumer fetched from its queue"
            " (0 when its last fetch found the queue empty)",
            ["queue"],
            registry=r,
            multiprocess_mode="livemax",
        )
        self.pending = Gauge(
            "shieldwall_queue_pending_messages",
            "Messages of its queue a consumer had not been handed yet, as of its last fetch",
            ["queue"],
            registry=r,
            multiprocess_mode="livemax",
        )
        self._children: dict[tuple[str, str, int], tuple[Callable[[], None], Histogram]] = {}
        # The ``inc`` of each (kind, outcome) child, and of each detector's: ``labels(...)`` checks
        # and joins its arguments under a lock on every call (about 3% of a stream worker's time
        # when it ran once per login decision). Only values that are names are cached (a value
        # passed by mistake is not kept in memory), at most _CACHED_CHILDREN per metric.
        self._decision_inc: dict[tuple[str, str], Callable[[], None]] = {}
        self._alert_inc: dict[str, Callable[[], None]] = {}

    # -- Telemetry ---------------------------------------------------------------------------

    def decision(self, kind: str, outcome: str) -> None:
        inc = self._decision_inc.get((kind, outcome))
        if inc is None:
            labels = (_name(kind), _name(outcome))
            inc = self.decisions.labels(*labels).inc
            if labels == (kind, outcome) and len(self._decision_inc) < _CACHED_CHILDREN:
                self._decision_inc[labels] = inc
        inc()

    def alert(self, detector: str) -> None:
        inc = self._alert_inc.get(detector)
        if inc is None:
            label = _name(detector)
            inc = self.alerts.labels(label).inc
            if label == detector and len(self._alert_inc) < _CACHED_CHILDREN:
                self._alert_inc[label] = inc
        inc()

    def queue_lag(self, queue: str, seconds: float) -> None:
        self.lag.labels(_name(queue)).set(max(0.0, seconds))

    def queue_pending(self, queue: str, messages: int) -> None:
        self.pending.labels(_name(queue)).set(max(0, messages))

    # -- HTTP --------------------------------------------------------------------------------

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request; ``route`` is a template or ``unmatched``."""
        key = (method if method in METHODS else "OTHER", route, status)
        child = self._children.get(key)
        if child is None:
            labels = (key[0], route, str(status))
            child = (self.requests.labels(*labels).inc, self.latency.labels(*labels))
            self._children[key] = child
        child[0]()
        child[1].observe(seconds)


_process: PrometheusMetrics | None = None
_process_lock = threading.Lock()


def process_metrics() -> PrometheusMetrics:
    """This process's metrics (prometheus-client's multi-process files are per process too)."""
    global _process  # noqa: PLW0603 - one set of counters per process, made on first use
    with _process_lock:
        if _process is None:
            _process = PrometheusMetrics()
        return _process


class AuditLogCollector:
    """The audit log's size and the age of its last signed checkpoint, read at scrape time
    (``shieldwall_audit_up`` is 0 when the database could not be read)."""

    def __init__(
        self,
        size: Callable[[], int],
        last_checkpoint: Callable[[], tuple[int, datetime] | None],
        now: Callable[[], datetime],
    ) -> None:
        self._size = size
        self._last_checkpoint = last_checkpoint
        self._now = now

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("shieldwall_audit_up", "1 when the audit log could be read")
        try:
            size = self._size()
            last = self._last_checkpoint()
        except ShieldwallError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "shieldwall_audit_log_entries", "Entries in the audit log", value=size
        )
        if last is not None:
            tree_size, signed_at = last
            yield GaugeMetricFamily(
                "shieldwall_audit_checkpoint_entries",
                "Entries covered by the last signed checkpoint",
                value=tree_size,
            )
            yield GaugeMetricFamily(
                "shieldwall_audit_checkpoint_age_seconds",
                "Seconds since the last signed checkpoint",
                value=max(0.0, (self._now() - signed_at).total_seconds()),
            )


class Exposition:
    """What a scrape returns: this process's (or, in multi-process mode, every live and dead
    worker's) metrics, then collectors read at scrape time (``extra``)."""

    def __init__(
        self,
        metrics: PrometheusMetrics,
        extra: Iterable[Collector] = (),
        multiprocess_dir: Path | None = None,
    ) -> None:
        self.metrics = metrics
        self.multiprocess_dir = multiprocess_dir
        self.extra = CollectorRegistry(auto_describe=False)
        if multiprocess_dir is None:
            ProcessCollector(registry=self.extra)  # CPU, memory, fds: meaningless summed
        for collector in extra:
            self.extra.register(collector)

    def render(self) -> bytes:
        if self.multiprocess_dir is not None:
            registry = CollectorRegistry()
            # prometheus-client's multiprocess module has no annotations
            MultiProcessCollector(registry, path=str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
        else:
            registry = self.metrics.registry
        return generate_latest(registry) + generate_latest(self.extra)

    def process_exited(self, pid: int) -> None:
        """Forget a worker's live gauges (the queue lag) when it stops."""
        if self.multiprocess_dir is not None:
            process_exited(pid, self.multiprocess_dir)


def process_exited(pid: int, multiprocess_dir: Path) -> None:
    """Remove process ``pid``'s live gauges (``livemax``: the queue lag and pending count) from
    the multi-process directory, so a scrape stops reporting a stopped process's last value."""
    mark_process_dead(pid, str(multiprocess_dir))  # type: ignore[no-untyped-call]
