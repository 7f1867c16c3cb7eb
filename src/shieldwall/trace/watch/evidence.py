"""An alert's evidence that holds up: each audit entry with its RFC 6962 inclusion proof.

For every sequence number an alert names, fetch the entry from the log, recompute its leaf hash
from its content, and check the inclusion proof against the root of the log as it is now. A
reviewer who keeps a signed checkpoint can check the same proofs independently
(``shieldwall audit proof``); an entry edited after the fact fails here.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shieldwall.audit.errors import AuditError
from shieldwall.audit.merkle import leaf_hash, verify_inclusion
from shieldwall.core.alerts import Alert
from shieldwall.core.events import AccessEvent, AuditRecord


class ProofSource(Protocol):
    """The audit log's reading side (``MerkleAuditLog`` implements it)."""

    def size(self) -> int: ...

    def entry(self, seq: int) -> AuditRecord: ...

    def root(self, tree_size: int) -> bytes: ...

    def inclusion_proof(
        self, seq: int, tree_size: int | None = None
    ) -> tuple[int, list[bytes], bytes]: ...


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    seq: int
    event: AccessEvent | None  # None: the entry could not be read (the database was edited)
    leaf_hash: bytes
    proof: tuple[bytes, ...]
    content_matches: bool  # the entry's content hashes to the leaf the log committed
    included: bool  # the proof puts that leaf at ``seq`` in the tree of ``tree_size``

    problem: str | None = None  # why the entry could not be proved, when it could not

    @property
    def verified(self) -> bool:
        return self.content_matches and self.included

    def entry_dict(self) -> dict[str, object] | None:
        return self.event.to_dict() if self.event is not None else None


@dataclass(frozen=True, slots=True)
class AlertEvidence:
    tree_size: int
    root_hash: bytes
    entries: tuple[ProvenEntry, ...]
    omitted: int  # entries the alert names beyond ``limit``

    @property
    def verified(self) -> bool:
        return all(e.verified for e in self.entries)


def prove(log: ProofSource, seqs: Sequence[int], *, limit: int = 50) -> AlertEvidence:
    """Fetch and check the first ``limit`` entries of ``seqs`` against the current tree."""
    size = log.size()
    root = log.root(size)
    wanted = [s for s in seqs if 0 <= s < size][:limit]
    entries = []
    for seq in wanted:
        try:
            record = log.entry(seq)
            _, proof, leaf = log.inclusion_proof(seq, size)
        except AuditError as exc:
            # An edited or deleted entry is evidence that failed, not a crash.
            entries.append(ProvenEntry(seq, None, b"", (), False, False, exc.reason))
            continue
        entries.append(
            ProvenEntry(
                seq,
                record.event,
                leaf,
                tuple(proof),
                leaf_hash(record.event.canonical_bytes(seq)) == leaf,
                verify_inclusion(leaf, seq, size, proof, root),
            )
        )
    return AlertEvidence(size, root, tuple(entries), max(0, len(seqs) - len(wanted)))


def prove_alert(log: ProofSource, alert: Alert, *, limit: int = 50) -> AlertEvidence:
    return prove(log, alert.audit_seqs, limit=limit)


def evidence_json(ev: AlertEvidence) -> dict[str, Any]:
    """The one JSON form of evidence (API and CLI); hashes in base64, as everywhere in audit."""

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return {
        "tree_size": ev.tree_size,
        "root_hash": b64(ev.root_hash),
        "verified": ev.verified,
        "omitted": ev.omitted,
        "entries": [
            {
                "seq": e.seq,
                "entry": e.entry_dict(),
                "leaf_hash": b64(e.leaf_hash),
                "proof": [b64(p) for p in e.proof],
                "verified": e.verified,
                **({"problem": e.problem} if e.problem else {}),
            }
            for e in ev.entries
        ],
    }
