"""Subject names under one prefix, and the insider-watch partition of a principal.

With prefix ``p`` (``nats.prefix``, default ``shieldwall``):

- in:  ``p.logins.attempts``, ``p.logins.outcomes``, ``p.access``, ``p.scam.reports``
- out: ``p.decisions.<login|outcome|access|scam>`` (one message per event), or with
  ``nats.decisions = "batch"`` ``p.decisions.batch.<login|outcome|access|scam>`` (one message per
  fetched batch); ``p.alerts``, ``p.deadletter``
- the insider watch's feed: ``p.watch.<partition>`` (0 to N-1)

One stream captures ``p.>``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shieldwall.intake.events import Kind


@dataclass(frozen=True, slots=True)
class Subjects:
    prefix: str

    @property
    def all(self) -> str:
        return f"{self.prefix}.>"

    def inbound(self, kind: Kind) -> str:
        return f"{self.prefix}.{kind.value}"

    def decisions(self, kind: Kind) -> str:
        return f"{self.prefix}.decisions.{kind.decision}"

    def decisions_batch(self, kind: Kind) -> str:
        return f"{self.prefix}.decisions.batch.{kind.decision}"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}.alerts"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}.deadletter"

    def watch(self, partition: int) -> str:
        return f"{self.prefix}.watch.{partition}"


def partition_of(principal_id: str, partitions: int) -> int:
    """The watch partition of ``principal_id`` among ``partitions``: BLAKE2b of the id, mod N.

    Stable across processes and Python versions (unlike ``hash``, which is salted per process),
    so every relay sends a principal's records to the same partition.
    """
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    digest = hashlib.blake2b(principal_id.encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % partitions
