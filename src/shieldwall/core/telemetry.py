"""What capabilities report for operators to count, without knowing how it is counted.

Capabilities call a :class:`Telemetry` they were given; the composition root passes the
Prometheus one (:mod:`shieldwall.observe.metrics`), tests and tools the :data:`NULL_TELEMETRY`.
Every argument is a name from our own vocabulary (a decision kind and outcome, a detector, a queue),
never a value from a request or a record: these become metric labels.
"""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def decision(self, kind: str, outcome: str) -> None:
        """A decision was taken: ``kind`` names the decider (``login``, ``access``), ``outcome``
        what it decided (``allow``, ``challenge``, ``deny``)."""
        ...

    def alert(self, detector: str) -> None:
        """A new alert was raised by ``detector`` (the alert's kind)."""
        ...

    def queue_lag(self, queue: str, seconds: float) -> None:
        """How long the oldest message of the batch the consumer of ``queue`` just fetched
        waited in the queue, in seconds (0 when a fetch found the queue empty)."""
        ...

    def queue_pending(self, queue: str, messages: int) -> None:
        """How many messages of ``queue`` its consumer had not been handed yet, as of the
        batch it just fetched (0 when a fetch found the queue empty)."""
        ...


class NullTelemetry:
    """Counts nothing (the CLI's one-shot commands, unit tests)."""

    def decision(self, kind: str, outcome: str) -> None:
        return None

    def alert(self, detector: str) -> None:
        return None

    def queue_lag(self, queue: str, seconds: float) -> None:
        return None

    def queue_pending(self, queue: str, messages: int) -> None:
        return None


NULL_TELEMETRY = NullTelemetry()
