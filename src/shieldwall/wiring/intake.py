"""The event intake and the partitioned insider watch, over services already assembled (the
intake worker and the batch HTTP routes).
"""

from __future__ import annotations

from collections.abc import Callable

from shieldwall.core.alerts import Alert
from shieldwall.intake.service import Intake
from shieldwall.intake.watchfeed import AlertTap, PartitionSource
from shieldwall.storage.intake_repo import SqlProcessedEvents
from shieldwall.storage.trace_watch_repo import SqlCursorStore
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.runner import WatchRunner
from shieldwall.wiring.root import Services
from shieldwall.wiring.state import watch_state


def build_intake(svc: Services) -> Intake:
    """The event intake over assembled services (the worker and the batch HTTP routes)."""
    return Intake(
        svc.risk,
        svc.audit,
        svc.custody.principals.get,
        svc.scam,
        SqlProcessedEvents(svc.engine),
        svc.clock,
        count_once=svc.settings.guard.risk.once_ttl_seconds > 0,
    )


def partition_watch(
    svc: Services, partition: int, partitions: int, on_raise: Callable[[Alert], None]
) -> WatchRunner:
    """Insider-watch partition ``partition`` of ``partitions``: its own state (Redis keys under
    the partition's name when ``state_backend`` is ``redis``), cursor and lease, reading the
    audit log through the partition's filter when it warms up."""
    settings = svc.settings
    name = f"p{partition}of{partitions}"
    state = watch_state(settings, partition=name)
    alerts = AlertTap(svc.raising_alerts, on_raise)  # pushed to the sinks, as the API does
    watch = Watch(settings.trace.watch, state, alerts, clock=svc.clock)
    return WatchRunner(
        watch,
        PartitionSource(svc.audit, partition, partitions),
        SqlCursorStore(svc.engine, svc.clock),
        state,
        name=f"insider-watch.{name}",
    )
