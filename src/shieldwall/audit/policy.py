"""When a checkpoint must be signed: every ``every`` entries and every ``seconds`` of entries.

The rule is stated over the log's own content, so :func:`shieldwall.audit.log.verify` can check
that every checkpoint the rule demands exists, and a log rebuilt by someone without the signing
key fails even when every checkpoint was deleted with it:

- **count**: a checkpoint at every tree size that is a multiple of ``every``;
- **time**: before entry ``s`` is appended, if the earliest time among the entries no checkpoint
  covers yet (entries ``c`` to ``s - 1``, ``c`` the size of the last checkpoint) is ``seconds``
  or more before entry ``s``'s time, a checkpoint at size ``s``. (The earliest, not the first:
  concurrent appends may commit slightly out of time order.)

Entry times are those in the hashed entries, so a verifier needs no clock. An idle log leaves
its last entries uncovered until the next append or an on-demand checkpoint (the API signs one
every ``seconds`` while it runs, see :meth:`MerkleAuditLog.tick`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    every: int = 1000
    seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.every < 1 or self.seconds <= 0:
            raise ValueError("a checkpoint policy needs every >= 1 and seconds > 0")

    def due_by_count(self, size: int) -> bool:
        """Must a checkpoint be signed at tree ``size``?"""
        return size > 0 and size % self.every == 0

    def due_by_time(self, covered: int, earliest: datetime | None, seq: int, ts: datetime) -> bool:
        """Must a checkpoint at size ``seq`` be signed before appending entry ``seq`` (time
        ``ts``), when the last checkpoint covers ``covered`` entries and the entries after it
        have the earliest time ``earliest``?"""
        return (
            seq > covered
            and earliest is not None
            and ts - earliest >= timedelta(seconds=self.seconds)
        )
