"""The Merkle audit log: durable appends with group commit, signed checkpoints, proofs, verify.

Appends from many threads are committed together: the first thread to arrive becomes the
leader, waits ``linger`` seconds for others (a commit delay, as PostgreSQL's ``commit_delay``),
takes every event queued so far, writes them and the tree nodes they complete in one
transaction, and wakes the others; if more arrived meanwhile, the oldest of them leads the next
commit (a leader never works on for others after its own events are durable, which would hold
its request hostage under load). :meth:`MerkleAuditLog.append` returns only once its events
are committed. Several processes can append to one database: the head row is locked in each
transaction and a process whose view of the tree is stale reloads its frontier first.

Checkpoints (signed tree heads, Ed25519) are written every ``checkpoint_every`` entries and on
demand. A checkpoint is the log's promise: any later change to an entry at or below its size
makes verification fail. An attacker who can write the database can still cut entries *after*
the last checkpoint that someone outside kept; export checkpoints to a witness
(``shieldwall audit checkpoint --out``) and verify against it (``--trusted``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shieldwall.audit import merkle
from shieldwall.audit.errors import AuditError, ProofError
from shieldwall.audit.ports import AuditReadTx, AuditStore, Checkpoint, EntryRow
from shieldwall.core.clock import Clock
from shieldwall.core.events import AccessEvent, AuditRecord

CHECKPOINT_ORIGIN = "shieldwall-audit/1"


class CheckpointSigner:
    """Signs and checks tree heads with Ed25519 (a 32-byte seed from the keyring)."""

    def __init__(self, seed: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(seed[:32])
        self.public_key = self._key.public_key()
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]
        self.public_bytes = raw

    @staticmethod
    def message(tree_size: int, root_hash: bytes, ts: datetime) -> bytes:
        """The signed text: origin, size, base64 root and time, one per line (a C2SP-style note)."""
        root = base64.b64encode(root_hash).decode()
        return f"{CHECKPOINT_ORIGIN}\n{tree_size}\n{root}\n{ts.isoformat()}\n".encode()

    def sign(self, tree_size: int, root_hash: bytes, ts: datetime) -> Checkpoint:
        sig = self._key.sign(self.message(tree_size, root_hash, ts))
        return Checkpoint(tree_size, root_hash, ts, self.key_id, sig)

    def check(self, cp: Checkpoint) -> bool:
        return verify_checkpoint(self.public_key, cp)


def verify_checkpoint(public_key: Ed25519PublicKey, cp: Checkpoint) -> bool:
    try:
        public_key.verify(cp.signature, CheckpointSigner.message(cp.tree_size, cp.root_hash, cp.ts))
    except InvalidSignature:
        return False
    return True


@dataclass
class _Pending:
    events: Sequence[AccessEvent]
    done: threading.Event
    seqs: list[int] | None = None
    error: BaseException | None = None


Listener = Callable[[Sequence[AuditRecord]], None]


class MerkleAuditLog:
    """Implements custody's ``AuditSink`` and trace's access-event source."""

    def __init__(
        self,
        store: AuditStore,
        signer: CheckpointSigner,
        clock: Clock,
        *,
        checkpoint_every: int = 1000,
        linger: float = 0.0,
        max_batch: int = 512,
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock
        self.checkpoint_every = checkpoint_every
        self.linger = linger
        self.max_batch = max_batch
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._leader = False
        self._listeners: list[Listener] = []

    # -- appending ---------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with every batch of records after it commits (in this process)."""
        self._listeners.append(listener)

    def append(self, events: Sequence[AccessEvent]) -> list[int]:
        """Append events durably; return their sequence numbers once committed."""
        if not events:
            return []
        mine = _Pending(events, threading.Event())
        with self._queue_lock:
            self._queue.append(mine)
            lead = not self._leader
            if lead:
                self._leader = True
        if lead:
            self._lead()
        while True:
            mine.done.wait()
            if mine.seqs is not None or mine.error is not None:
                break
            # The previous leader handed the lead to this waiter (the oldest in the queue).
            mine.done.clear()
            self._lead()
        if mine.error is not None:
            raise mine.error
        assert mine.seqs is not None  # noqa: S101 - set by the leader with no error
        return mine.seqs

    def _lead(self) -> None:
        """Commit one batch (the queue, this leader's own events in it), then hand the lead to
        the oldest waiter if more arrived, so that no request waits on other requests' commits
        after its own is durable."""
        if self.linger and len(self._queue) < self.max_batch:
            # Commit delay: let concurrent appenders join this commit (one commit per batch
            # instead of one per request is what makes durable appends cheap).
            time.sleep(self.linger)
        with self._queue_lock:
            batch, self._queue = self._queue, []
        try:
            records = self._commit([e for p in batch for e in p.events])
        except BaseException as exc:  # every waiter learns of the failure
            for p in batch:
                p.error = exc
            records = []
        else:
            i = 0
            for p in batch:
                p.seqs = [r.seq for r in records[i : i + len(p.events)]]
                i += len(p.events)
        with self._queue_lock:
            if self._queue:
                self._queue[0].done.set()  # the oldest waiter leads the next batch
            else:
                self._leader = False
        for p in batch:
            p.done.set()
        if records:
            for listener in self._listeners:
                listener(records)

    def _commit(self, events: Sequence[AccessEvent]) -> list[AuditRecord]:
        with self.store.write() as tx:
            size, edge = tx.lock_head()
            frontier = merkle.Frontier(size, [edge[i : i + 32] for i in range(0, len(edge), 32)])
            rows, nodes, records = [], [], []
            for event in events:
                seq = frontier.size
                body = event.canonical_bytes(seq)
                lh = merkle.leaf_hash(body)
                nodes.extend(frontier.append(lh))
                rows.append(EntryRow(seq, event.ts, event.actor, event.action.value, body, lh))
                records.append(AuditRecord(seq, event, lh))
            tx.append(rows, nodes, frontier.size, b"".join(frontier.edge))
            if frontier.size // self.checkpoint_every > size // self.checkpoint_every:
                tx.add_checkpoint(
                    self.signer.sign(frontier.size, frontier.root(), self.clock.now())
                )
        return records

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint of the log as it is now (or return the latest if nothing changed)."""
        with self.store.write() as tx:
            size, _ = tx.lock_head()
            latest = tx.latest_checkpoint()
            if latest is not None and latest.tree_size == size:
                return latest
            cp = self.signer.sign(size, merkle.root(tx, size), self.clock.now())
            tx.add_checkpoint(cp)
            return cp

    # -- reading -----------------------------------------------------------------------------

    def size(self) -> int:
        with self.store.read() as tx:
            return tx.head()

    def latest_checkpoint(self) -> Checkpoint | None:
        with self.store.read() as tx:
            return tx.latest_checkpoint()

    def read(self, after_seq: int, limit: int = 1000) -> list[AuditRecord]:
        """Records with seq > ``after_seq`` in order (trace reads the log through this)."""
        with self.store.read() as tx:
            rows = tx.entries(after_seq + 1, after_seq + 1 + limit)
        return [_record(r) for r in rows]

    def entry(self, seq: int) -> AuditRecord:
        with self.store.read() as tx:
            rows = tx.entries(seq, seq + 1)
        if not rows:
            raise ProofError(f"no audit entry {seq}", field="seq")
        return _record(rows[0])

    def inclusion_proof(
        self, seq: int, tree_size: int | None = None
    ) -> tuple[int, list[bytes], bytes]:
        """(tree size, proof, leaf hash) showing entry ``seq`` in the tree of ``tree_size``."""
        with self.store.read() as tx:
            size = tx.head() if tree_size is None else tree_size
            if not 0 <= seq < size <= tx.head():
                raise ProofError("need 0 <= seq < tree_size <= log size", field="seq")
            rows = tx.entries(seq, seq + 1)
            return size, merkle.inclusion_proof(tx, seq, size), rows[0].leaf_hash

    def consistency_proof(
        self, old_size: int, new_size: int | None = None
    ) -> tuple[int, list[bytes]]:
        with self.store.read() as tx:
            size = tx.head() if new_size is None else new_size
            if not 0 < old_size <= size <= tx.head():
                raise ProofError("need 0 < first <= second <= log size", field="first")
            return size, merkle.consistency_proof(tx, old_size, size)

    def root(self, tree_size: int) -> bytes:
        with self.store.read() as tx:
            if not 0 <= tree_size <= tx.head():
                raise ProofError("tree size beyond the log", field="tree_size")
            return merkle.root(tx, tree_size)


def _record(row: EntryRow) -> AuditRecord:
    data = json.loads(row.body)
    data.pop("seq", None)
    return AuditRecord(row.seq, AccessEvent.from_dict(data), row.leaf_hash)


# -- verification ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by :func:`verify`; ``seq`` is the first entry it concerns, if known."""

    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.seq}: " if self.seq is not None else ""
        return where + self.problem


@dataclass(frozen=True, slots=True)
class VerifyReport:
    entries: int
    checkpoints: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(
    store: AuditStore,
    public_key: Ed25519PublicKey,
    *,
    trusted: Iterable[Checkpoint] = (),
    progress: Callable[[int], None] = lambda n: None,
    max_findings: int = 20,
) -> VerifyReport:
    """Check every entry, node, checkpoint signature and trusted checkpoint; name what is wrong.

    Detects an edited entry (its hash no longer matches), a deleted one (a gap, or fewer rows
    than the head says), an inserted or moved one (a row whose body names another position),
    rewritten hashes (the recomputed tree disagrees with a signed checkpoint) and forged
    checkpoints (bad signature).
    """
    findings: list[Finding] = []

    def found(seq: int | None, problem: str) -> bool:
        findings.append(Finding(seq, problem))
        return len(findings) >= max_findings

    with store.read() as tx:
        head = tx.head()
        checkpoints = sorted([*tx.checkpoints(), *trusted], key=lambda c: c.tree_size)
        for cp in checkpoints:
            if not verify_checkpoint(public_key, cp):
                found(None, f"checkpoint at size {cp.tree_size} has an invalid signature")
        by_size: dict[int, list[Checkpoint]] = {}
        for cp in checkpoints:
            by_size.setdefault(cp.tree_size, []).append(cp)
        frontier = merkle.Frontier()
        expected = 0
        last_good = 0  # size of the last checkpoint the recomputed tree matched
        for row in _rows(tx):
            while expected < row.seq:
                if found(expected, "is missing (deleted)"):
                    return VerifyReport(expected, len(checkpoints), tuple(findings))
                frontier.append(merkle.EMPTY_ROOT)
                expected += 1
            if row.seq < expected:
                if found(row.seq, "appears twice or out of order (inserted)"):
                    break
                continue
            recomputed = merkle.leaf_hash(row.body)
            claimed_seq = _body_seq(row.body)
            if claimed_seq != row.seq:
                what = (
                    "was moved from position" if claimed_seq is not None else "has no position; was"
                )
                if found(row.seq, f"{what} {claimed_seq} (reordered or inserted)"):
                    break
            elif recomputed != row.leaf_hash:
                # The content changed but its stored hash did not: name the entry, and keep the
                # stored hash in the tree so the checkpoint check speaks only of rewritten hashes.
                if found(row.seq, "was changed: its content no longer matches its hash"):
                    break
                recomputed = row.leaf_hash
            frontier.append(recomputed)
            expected += 1
            progress(1)
            for cp in by_size.get(expected, []):
                if frontier.root() == cp.root_hash:
                    last_good = cp.tree_size
                else:
                    found(
                        last_good,
                        f"entries {last_good}..{cp.tree_size - 1} do not match the signed"
                        f" checkpoint at size {cp.tree_size} (rewritten along with their hashes)",
                    )
        if expected < head:
            for seq in range(expected, min(head, expected + max_findings)):
                if found(seq, "is missing (deleted from the end)"):
                    break
        elif expected > head:
            found(head, "entries beyond the committed head (inserted)")
        for cp in checkpoints:
            if cp.tree_size > expected:
                found(expected, f"checkpoint at size {cp.tree_size} covers entries that are gone")
    return VerifyReport(expected, len(checkpoints), tuple(findings))


def _rows(tx: AuditReadTx) -> Iterable[EntryRow]:
    return tx.iter_entries()


def _body_seq(body: bytes) -> int | None:
    try:
        value = json.loads(body).get("seq")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def checkpoint_to_json(cp: Checkpoint) -> dict[str, object]:
    return {
        "origin": CHECKPOINT_ORIGIN,
        "tree_size": cp.tree_size,
        "root_hash": base64.b64encode(cp.root_hash).decode(),
        "timestamp": cp.ts.isoformat(),
        "key_id": cp.key_id,
        "signature": base64.b64encode(cp.signature).decode(),
    }


def checkpoint_from_json(doc: object) -> Checkpoint:
    if not isinstance(doc, dict):
        raise AuditError("a checkpoint must be a JSON object", field="checkpoint")
    try:
        return Checkpoint(
            tree_size=int(doc["tree_size"]),
            root_hash=base64.b64decode(doc["root_hash"], validate=True),
            ts=datetime.fromisoformat(doc["timestamp"]),
            key_id=str(doc["key_id"]),
            signature=base64.b64decode(doc["signature"], validate=True),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise AuditError(f"not a shieldwall checkpoint: {exc}", field="checkpoint") from None
