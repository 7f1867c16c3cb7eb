"""The Merkle audit log: durable appends with group commit, signed checkpoints, proofs, verify.

Appends from many threads are committed together: the first thread to arrive becomes the
leader, waits ``linger`` seconds for others (a commit delay, as PostgreSQL's ``commit_delay``),
takes every event queued so far, writes them and the tree nodes they complete in one
transaction, and wakes the others; if more arrived meanwhile, the oldest of them leads the next
commit (a leader never works on for others after its own events are durable, which would hold
its request hostage under load). :meth:`MerkleAuditLog.append` returns only once its events
are committed and on disk: the commit itself may return before the disk has it, so that the
head row is not locked across a disk flush, and the store's ``flush`` waits for the disk after
the lead is handed on. Several processes can append to one database: the head row is locked in
each transaction and a process whose view of the tree is stale reloads its frontier first.

Checkpoints (C2SP signed notes, Ed25519; :mod:`.checkpoint`) are signed inside the commit
whenever the :class:`~shieldwall.audit.policy.CheckpointPolicy` demands one (every N entries,
every T seconds of entries) and on demand, then published outside the database
(:mod:`.witness`). :func:`verify` fails when a demanded checkpoint is missing, when the log
disagrees with any checkpoint (stored or witnessed), when it is shorter than a witnessed one,
and when the columns kept beside an entry disagree with its hashed body.

Every mutation (an import, a ticket, a grant, a principal's key or status, a release, a
registered contact) stages its events in the outbox inside the data's own transaction; right
after the commit the mutating caller moves its own events into the log with
:meth:`MerkleAuditLog.log_staged`, and the services run :meth:`MerkleAuditLog.flush_outbox` at
start for whatever a crash left staged. Both log and remove in one transaction, so no committed
mutation goes without its entry and none is logged twice.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shieldwall.audit import merkle
from shieldwall.audit.checkpoint import CheckpointSigner, CheckpointVerifier
from shieldwall.audit.errors import ProofError, UnreadableEntry
from shieldwall.audit.policy import CheckpointPolicy
from shieldwall.audit.ports import AuditReadTx, AuditStore, AuditWriteTx, Checkpoint, EntryRow
from shieldwall.audit.witness import CheckpointPublisher, publish_all
from shieldwall.core.clock import Clock
from shieldwall.core.events import AccessEvent, AuditRecord

__all__ = ["CheckpointSigner", "CheckpointVerifier", "MerkleAuditLog", "verify"]

log = logging.getLogger(__name__)

OUTBOX_BATCH = 5000


@dataclass
class _Pending:
    events: Sequence[AccessEvent]
    done: threading.Event
    seqs: list[int] | None = None
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class _Cover:
    """What this process knows of the last checkpoint when the log had ``size`` entries: it
    covers ``covered`` entries; ``oldest`` is the earliest time among the entries after it."""

    size: int
    covered: int
    oldest: datetime | None


Listener = Callable[[Sequence[AuditRecord]], None]


class MerkleAuditLog:
    """Implements custody's ``AuditSink`` and trace's access-event source."""

    def __init__(
        self,
        store: AuditStore,
        signer: CheckpointSigner,
        clock: Clock,
        *,
        policy: CheckpointPolicy | None = None,
        publishers: Sequence[CheckpointPublisher] = (),
        linger: float = 0.0,
        max_batch: int = 512,
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock
        self.policy = policy or CheckpointPolicy()
        self.publishers = list(publishers)
        self.linger = linger
        self.max_batch = max_batch
        self.publish_failures: list[str] = []
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._leader = False
        self._listeners: list[Listener] = []
        self._cover: _Cover | None = None

    @property
    def checkpoint_every(self) -> int:
        return self.policy.every

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
        """Commit one batch (the queue, this leader's own events in it), hand the lead to the
        oldest waiter if more arrived, then wait for the batch to reach the disk.

        The commit does not wait for the disk (:meth:`AuditStore.write_deferred`), so the head
        row is locked for a few round trips rather than a disk flush: the next batch, this
        process's or another worker's, commits while this one is flushed, and flushes from
        several batches share one write of the server's log. No request returns, no listener
        hears and no checkpoint is published before :meth:`AuditStore.flush` has returned:
        appends stay durable before they are acknowledged. A server that dies between the
        commit and the flush loses this batch and every later one (its journal is written in
        order), and every waiting request gets the error.
        """
        if self.linger and len(self._queue) < self.max_batch:
            # Commit delay: let concurrent appenders join this commit (one commit per batch
            # instead of one per request is what makes durable appends cheap).
            time.sleep(self.linger)
        with self._queue_lock:
            batch, self._queue = self._queue, []
        records: list[AuditRecord] = []
        signed: list[Checkpoint] = []
        failure: BaseException | None = None
        try:
            records, signed = self._commit([e for p in batch for e in p.events])
        except BaseException as exc:  # every waiter learns of the failure
            failure = exc
        with self._queue_lock:
            if self._queue:
                self._queue[0].done.set()  # the oldest waiter leads the next batch
            else:
                self._leader = False
        if failure is None:
            try:
                self.store.flush()
            except BaseException as exc:
                failure = exc
        if failure is not None:
            for p in batch:
                p.error = failure
            records = []
        else:
            self._publish(signed)
            i = 0
            for p in batch:
                p.seqs = [r.seq for r in records[i : i + len(p.events)]]
                i += len(p.events)
        for p in batch:
            p.done.set()
        if records:
            for listener in self._listeners:
                listener(records)

    def _commit(self, events: Sequence[AccessEvent]) -> tuple[list[AuditRecord], list[Checkpoint]]:
        """Commit ``events`` without waiting for the disk; return their records and the
        checkpoints signed on the way (to publish once flushed)."""
        with self.store.write_deferred() as tx:
            records, signed, cover = self._append_locked(tx, events)
        self._cover = cover  # only once committed: a rolled-back cover would under-sign
        return records, signed

    def _append_locked(
        self, tx: AuditWriteTx, events: Sequence[AccessEvent]
    ) -> tuple[list[AuditRecord], list[Checkpoint], _Cover]:
        """Append ``events`` in ``tx`` (head locked here), signing the checkpoints the policy
        demands on the way; return the records, the checkpoints and the new cover."""
        size, edge = tx.lock_head()
        frontier = merkle.Frontier(size, [edge[i : i + 32] for i in range(0, len(edge), 32)])
        covered, oldest = self._load_cover(tx, size)
        policy, now = self.policy, self.clock.now()
        rows, nodes, records, signed = [], [], [], []
        for event in events:
            seq = frontier.size
            if policy.due_by_time(covered, oldest, seq, event.ts):
                signed.append(self.signer.sign(seq, frontier.root(), now))
                covered, oldest = seq, None
            oldest = event.ts if oldest is None else min(oldest, event.ts)
            body = event.canonical_bytes(seq)
            lh = merkle.leaf_hash(body)
            nodes.extend(frontier.append(lh))
            rows.append(EntryRow(seq, event.ts, event.actor, event.action.value, body, lh))
            records.append(AuditRecord(seq, event, lh))
            if policy.due_by_count(frontier.size):
                signed.append(self.signer.sign(frontier.size, frontier.root(), now))
                covered, oldest = frontier.size, None
        tx.append(rows, nodes, frontier.size, b"".join(frontier.edge))
        for cp in signed:
            tx.add_checkpoint(cp)
        return records, signed, _Cover(frontier.size, covered, oldest)

    def _load_cover(self, tx: AuditWriteTx, size: int) -> tuple[int, datetime | None]:
        """The last checkpoint's size and the earliest time among the entries after it. From
        memory when this process wrote the head last; else from the database. A stale cover (a
        checkpoint signed meanwhile elsewhere) holds more entries, so an earlier time: it only
        makes this process sign early, never late."""
        cover = self._cover
        if cover is not None and cover.size == size:
            return cover.covered, cover.oldest
        latest = tx.latest_checkpoint()
        covered = min(latest.tree_size, size) if latest is not None else 0
        return covered, tx.earliest_ts(covered) if covered < size else None

    def _publish(self, signed: Sequence[Checkpoint]) -> None:
        """Publish after the commit: a witnessed checkpoint of a tree that was rolled back
        would make every later verification fail."""
        for cp in signed:
            failures = publish_all(self.publishers, cp)
            for failure in failures:
                log.warning("audit checkpoint %d not published: %s", cp.tree_size, failure)
            self.publish_failures.extend(failures)

    def flush_outbox(self) -> list[int]:
        """Move events staged in other transactions (the outbox) into the log; return their
        sequence numbers. Each batch is appended and removed from the outbox in one
        transaction, so an event is logged exactly once even if this process dies midway."""
        seqs: list[int] = []
        with self.store.read() as rtx:
            if not rtx.staged(1):
                return seqs  # the usual case: no write lock taken at start-up
        while True:
            with self.store.write() as tx:
                tx.lock_head()  # before reading the outbox: another process may be draining it
                staged = tx.staged(OUTBOX_BATCH)
                if not staged:
                    break
                self._cover = None  # another transaction order: reload the cover
                records, signed, cover = self._append_locked(tx, [e for _, e in staged])
                tx.unstage([i for i, _ in staged])
            self._cover = cover
            self._publish(signed)
            seqs.extend(r.seq for r in records)
            for listener in self._listeners:
                listener(records)
        return seqs

    def log_staged(self, ids: Sequence[int]) -> list[int | None]:
        """Log the events a committed transaction staged under these outbox ids (a mutation's,
        right after its commit); return each one's sequence number, in the order of ``ids``.

        Only these ids are taken, in one transaction with their removal from the outbox, so
        concurrent callers each get the numbers of their own entries. None stands for an event
        another process logged first (its start-up :meth:`flush_outbox` drained the outbox
        between the caller's commit and this call): it is in the log all the same, and on
        return every one of ``ids`` is durably logged."""
        if not ids:
            return []
        seq_of: dict[int, int] = {}
        with self.store.write() as tx:
            tx.lock_head()  # before reading the outbox: another process may be draining it
            staged = tx.staged_by_id(ids)
            if staged:
                self._cover = None  # another transaction order: reload the cover
                records, signed, cover = self._append_locked(tx, [e for _, e in staged])
                tx.unstage([i for i, _ in staged])
        if staged:
            self._cover = cover
            self._publish(signed)
            seq_of = {i: r.seq for (i, _), r in zip(staged, records, strict=True)}
            for listener in self._listeners:
                listener(records)
        return [seq_of.get(i) for i in ids]

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint of the log as it is now (or return the latest if nothing changed)."""
        with self.store.write() as tx:
            size, _ = tx.lock_head()
            latest = tx.latest_checkpoint()
            if latest is not None and latest.tree_size == size:
                return latest
            cp = self.signer.sign(size, merkle.root(tx, size), self.clock.now())
            tx.add_checkpoint(cp)
        self._cover = None
        self._publish([cp])
        return cp

    def tick(self) -> Checkpoint | None:
        """Sign a checkpoint if an uncovered entry is ``policy.seconds`` old by the clock (an
        idle log's tail); the API calls this periodically."""
        with self.store.read() as tx:
            size = tx.head()
            latest = tx.latest_checkpoint()
            covered = latest.tree_size if latest is not None else 0
            oldest = tx.earliest_ts(covered) if covered < size else None
        if oldest is None or self.clock.now() - oldest < timedelta(seconds=self.policy.seconds):
            return None
        return self.checkpoint()

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
            if not rows:
                raise ProofError(f"audit entry {seq} is missing (deleted?)", field="seq")
            try:
                return size, merkle.inclusion_proof(tx, seq, size), rows[0].leaf_hash
            except LookupError:
                raise ProofError(
                    f"the log's tree nodes for entry {seq} are missing (deleted?)", field="seq"
                ) from None

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
    """The record a row holds; :class:`UnreadableEntry` if its body is not an entry (the
    database was edited), so callers report a failed entry instead of crashing."""
    try:
        data = json.loads(row.body)
        data.pop("seq", None)
        event = AccessEvent.from_dict(data)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UnreadableEntry(
            f"audit entry {row.seq} is not a valid entry (edited in the database?)", field="seq"
        ) from None
    return AuditRecord(row.seq, event, row.leaf_hash)


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
    verifier: CheckpointVerifier,
    *,
    policy: CheckpointPolicy | None = None,
    trusted: Iterable[Checkpoint] = (),
    progress: Callable[[int], None] = lambda n: None,
    max_findings: int = 20,
) -> VerifyReport:
    """Check every entry, node, checkpoint signature and trusted checkpoint; name what is wrong.

    ``trusted`` are checkpoints kept outside the database (the witness). Detects an edited
    entry (its hash no longer matches), a deleted one (a gap, or fewer rows than the head says),
    an inserted or moved one (a row whose body names another position), a rewritten ``ts``,
    ``actor`` or ``action`` column (it disagrees with the hashed body), rewritten hashes (the
    recomputed tree disagrees with a signed checkpoint), forged checkpoints (bad signature), a
    log shorter than a checkpoint (cut tail, restored backup), a checkpoint that ``policy``
    demands and that is missing (a log rebuilt without the signing key), and stored tree nodes
    that do not prove the latest trusted checkpoint consistent with the log now.
    """
    findings: list[Finding] = []

    def found(seq: int | None, problem: str) -> bool:
        findings.append(Finding(seq, problem))
        return len(findings) >= max_findings

    kept = list(trusted)
    with store.read() as tx:
        head = tx.head()
        checkpoints = sorted([*tx.checkpoints(), *kept], key=lambda c: c.tree_size)
        for cp in checkpoints:
            if not verifier.check(cp):
                found(None, f"checkpoint at size {cp.tree_size} has an invalid signature")
        by_size: dict[int, list[Checkpoint]] = {}
        for cp in checkpoints:
            by_size.setdefault(cp.tree_size, []).append(cp)
        frontier = merkle.Frontier()
        expected = 0
        last_good = 0  # size of the last checkpoint the recomputed tree matched
        covered, earliest = 0, None  # the checkpoint policy's state, as the signer kept it
        # Checkpoints signed before the policy (no note) cover what came before it.
        policy_from = max((c.tree_size for c in checkpoints if c.note is None), default=0)
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
            body = _body(row.body)
            claimed_seq = body.get("seq") if body is not None else None
            if not isinstance(claimed_seq, int) or claimed_seq != row.seq:
                shown = claimed_seq if isinstance(claimed_seq, int) else None
                what = "was moved from position" if shown is not None else "has no position; was"
                if found(row.seq, f"{what} {shown} (reordered or inserted)"):
                    break
            elif recomputed != row.leaf_hash:
                # The content changed but its stored hash did not: name the entry, and keep the
                # stored hash in the tree so the checkpoint check speaks only of rewritten hashes.
                if found(row.seq, "was changed: its content no longer matches its hash"):
                    break
                recomputed = row.leaf_hash
            ts = _body_ts(body)
            for column in _disagreeing_columns(row, body, ts):
                if found(row.seq, f"its {column} column disagrees with the hashed entry"):
                    return VerifyReport(expected, len(checkpoints), tuple(findings))
            if policy is not None and ts is not None and row.seq >= policy_from:
                if policy.due_by_time(covered, earliest, row.seq, ts):
                    found(
                        row.seq,
                        f"no checkpoint at size {row.seq}: one is due {policy.seconds:g} s"
                        " after the earliest uncovered entry (missing or log rebuilt)",
                    )
                    covered, earliest = row.seq, None
                earliest = ts if earliest is None else min(earliest, ts)
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
            if policy is not None and expected > policy_from:
                if expected in by_size:
                    covered, earliest = expected, None
                elif policy.due_by_count(expected):
                    found(
                        None,
                        f"no checkpoint at size {expected}: one is due every {policy.every}"
                        " entries (missing or log rebuilt)",
                    )
                    covered, earliest = expected, None
        if expected < head:
            for seq in range(expected, min(head, expected + max_findings)):
                if found(seq, "is missing (deleted from the end)"):
                    break
        elif expected > head:
            found(head, "entries beyond the committed head (inserted)")
        for cp in checkpoints:
            if cp.tree_size > expected:
                found(
                    expected,
                    f"checkpoint at size {cp.tree_size} covers entries that are gone"
                    " (cut tail or restored backup)",
                )
                break
        if kept and not findings:
            _check_nodes(tx, max(kept, key=lambda c: c.tree_size), head, frontier, found)
    return VerifyReport(expected, len(checkpoints), tuple(findings))


def _check_nodes(
    tx: AuditReadTx,
    cp: Checkpoint,
    head: int,
    frontier: merkle.Frontier,
    found: Callable[[int | None, str], bool],
) -> None:
    """Do the stored nodes (which every served proof is built from) prove the trusted
    checkpoint consistent with the log now?"""
    if not 0 < cp.tree_size <= head:
        return
    try:
        proof = merkle.consistency_proof(tx, cp.tree_size, head)
    except LookupError:
        found(None, "the stored tree nodes are incomplete")
        return
    if not merkle.verify_consistency(cp.tree_size, head, cp.root_hash, frontier.root(), proof):
        found(
            None,
            f"the stored tree nodes do not prove the witnessed checkpoint at size"
            f" {cp.tree_size} consistent with the log (rewritten nodes)",
        )


def _body(raw: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _body_ts(body: dict[str, object] | None) -> datetime | None:
    value = body.get("ts") if body is not None else None
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _disagreeing_columns(
    row: EntryRow, body: dict[str, object] | None, ts: datetime | None
) -> list[str]:
    """The columns kept beside the body (for queries by actor and time) that disagree with it."""
    if body is None:
        return ["body"]
    wrong = []
    if ts is None or ts != row.ts:
        wrong.append("ts")
    if body.get("actor") != row.actor:
        wrong.append("actor")
    if body.get("action") != row.action:
        wrong.append("action")
    return wrong


def _rows(tx: AuditReadTx) -> Iterable[EntryRow]:
    return tx.iter_entries()


def checkpoint_to_json(cp: Checkpoint) -> dict[str, object]:
    """The API's view of a checkpoint: its fields (hashes in base64) and the signed note."""
    return {
        "tree_size": cp.tree_size,
        "root_hash": b64(cp.root_hash),
        "timestamp": cp.ts.isoformat(),
        "key_id": cp.key_id,
        "signature": b64(cp.signature),
        "note": cp.note,
    }


def b64(raw: bytes) -> str:
    """The one encoding of hashes in the API, the CLI and proof files (standard base64, as in
    the checkpoint note and RFC 6962 tooling)."""
    return base64.b64encode(raw).decode()
