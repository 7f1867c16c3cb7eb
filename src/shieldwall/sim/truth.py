"""Ground truth: what each planted attack did, recorded as it happened.

An attack's plan (who, from when) is fixed when it is planted; what it *exposed* is recorded as
shieldwall answers: a read custody served is an exposure (first time per customer), a refused
one is an attempt that exposed nothing. Scoring compares this with what shieldwall reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class GroundTruth:
    attack: str  # module name: harvest, outlet, scam, ...
    title: str
    principals: tuple[str, ...]  # insiders behind it (empty for outsiders)
    start: datetime
    end: datetime
    peers_role: str = ""  # the role whose other members' alerts count as false alerts
    exposed: dict[str, datetime] = field(default_factory=dict)  # customer -> first exposure
    attempts: int = 0
    refused: int = 0
    stopped: int = 0  # attempts the API refused because the attacker had been suspended
    notes: list[tuple[datetime, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def expose(self, customer_id: str, at: datetime) -> None:
        self.attempts += 1
        self.exposed.setdefault(customer_id, at)

    def refuse(self) -> None:
        self.attempts += 1
        self.refused += 1

    def stop(self) -> None:
        """An attempt that never reached custody: the attacker's key was suspended."""
        self.attempts += 1
        self.stopped += 1

    def lost_before(self, t: datetime | None) -> int:
        """Customers exposed before ``t`` (all of them when ``t`` is None: never detected)."""
        if t is None:
            return len(self.exposed)
        return sum(1 for at in self.exposed.values() if at < t)
