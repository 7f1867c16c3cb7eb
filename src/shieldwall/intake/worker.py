"""``shieldwall worker``: the event intake's NATS JetStream consumer.

One durable pull consumer per inbound subject (``<consumer>-logins-attempts`` and so on, explicit
acks, shared by every worker process: JetStream hands each message to one of them). A worker
fetches up to ``nats.batch`` messages, validates them, runs the batch through
:class:`~.service.Intake` in a thread, publishes the decisions, and only then acknowledges the
batch: at-least-once delivery, idempotent processing. Decisions go out one of two ways
(``nats.decisions``):

- ``per_event`` (the default): one message per event on ``p.decisions.<kind>``, ``Nats-Msg-Id``
  ``<kind>:<event_id>``: a redelivery's decision is dropped as a duplicate within the stream's
  window, and carries the same result outside it.
- ``batch``: one message per fetched batch on ``p.decisions.batch.<kind>``,
  ``{"kind", "decisions": [...]}`` with the per-event bodies in the batch's order (split into
  several messages when one would pass the server's payload limit), ``Nats-Msg-Id``
  ``batch:<kind>:<digest of the event ids>``. A redelivered event is in a later batch message
  again, answered ``duplicate`` with its first result; readers key decisions by event id.

- A message that does not validate is acknowledged into ``p.deadletter`` with its kind, its
  stream sequence, its ``event_id`` when it has a well-formed one, and the reason (the field
  and the kind of problem, never a value). So is an event the service rejects, after its
  decision.
- A batch that fails (the database away) is negatively acknowledged with a delay and retried;
  a message delivered ``max_deliver`` times without success is dead-lettered with
  ``processing_failed``.
- SIGTERM or SIGINT: the worker stops fetching, finishes and acknowledges the batch in hand,
  and exits 0.

Per fetch, whatever the queue, the worker reports to its
:class:`~shieldwall.core.telemetry.Telemetry` (the queue named as its subject without the
prefix: ``logins.attempts``, ``access``, ``watch.0``) the batch's lag, the age of its first
message by the intake's clock against the time the stream stored it (the stream sequence and
time JetStream puts in each message's ack subject; a pull request is answered with the
consumer's redeliveries first, then new messages in stream order, so the first is the oldest
but for redeliveries queued out of order or falling due mid-batch), and the consumer's pending
count as of the last message; both 0 when a fetch found nothing. Two ack-subject parses a
batch, not one an event (docs/operations.md, "Metrics").

With ``--watch`` the worker also runs insider-watch partition ``I`` of ``N`` over
``p.watch.I`` and publishes the alerts it raises to ``p.alerts``, as the NATS alert sink does
(:func:`~shieldwall.trace.delivery.ports.notice_body`, ``Nats-Msg-Id`` the alert id); the
worker of partition 0 also runs the relay from the audit log (:mod:`.watchfeed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError

from shieldwall.config import NatsSettings
from shieldwall.core.alerts import Alert
from shieldwall.core.collector import prepare_collector
from shieldwall.core.errors import ShieldwallError
from shieldwall.core.events import AuditRecord
from shieldwall.core.telemetry import NULL_TELEMETRY, Telemetry
from shieldwall.intake.errors import BadEvent
from shieldwall.intake.events import Event, Kind, event_id_of, parse_event
from shieldwall.intake.pull import BatchPuller
from shieldwall.intake.service import EventResult, Intake
from shieldwall.intake.subjects import Subjects
from shieldwall.intake.watchfeed import (
    FeedEntry,
    decode_entry,
    encode_record,
    entries_between,
    split,
)
from shieldwall.trace.delivery.ports import AlertEvent, notice_body
from shieldwall.trace.watch.ports import AuditSource, CursorStore
from shieldwall.trace.watch.runner import WatchRunner

log = logging.getLogger(__name__)

RELAY_CURSOR = "watch-relay"
# Room left in a batch message for the envelope and the headers under the server's max_payload.
_ENVELOPE_BYTES = 4096
_encode = msgspec.json.Encoder().encode


def consumer_name(settings: NatsSettings, kind: Kind) -> str:
    return f"{settings.consumer}-{kind.value.replace('.', '-')}"


def watch_consumer_name(settings: NatsSettings, partition: int, partitions: int) -> str:
    return f"{settings.consumer}-watch-{partition}of{partitions}"


async def ensure_stream(js: JetStreamContext, settings: NatsSettings) -> None:
    """Create the stream capturing ``<prefix>.>`` when it does not exist."""
    subjects = Subjects(settings.prefix)
    try:
        await js.stream_info(settings.stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=settings.stream,
                subjects=[subjects.all],
                max_age=settings.max_age_hours * 3600,
                duplicate_window=settings.duplicate_window_seconds,
            )
        )


@dataclass
class WatchPartition:
    """Insider-watch partition ``partition`` of ``partitions``, run by this worker.

    ``alerts`` is the list the runner's alert store appends each newly raised alert to (the
    :class:`~.watchfeed.AlertTap` of :func:`~shieldwall.wiring.partition_watch` holds that very
    list); :meth:`take_alerts` empties it in place after each batch.
    """

    runner: WatchRunner
    partition: int
    partitions: int
    alerts: list[Alert] = field(default_factory=list)

    def take_alerts(self) -> list[Alert]:
        """The alerts raised since the last call. The list is emptied, never replaced: the tap
        keeps appending to the object it was given, so a new list would never see another
        alert (the watch raised them in the database and none reached ``p.alerts``)."""
        taken = self.alerts[:]
        self.alerts.clear()
        return taken


@dataclass
class Relay:
    """The audit log's relay to the watch partitions (run by one worker). ``last_sent`` holds
    the sequence number of the last entry sent to each partition (each message's ``prev``)."""

    log: AuditSource
    cursors: CursorStore
    partitions: int
    page: int = 1000
    last_sent: dict[int, int] = field(default_factory=dict)


@dataclass
class WorkerStats:
    processed: int = 0
    duplicates: int = 0
    rejected: int = 0
    deadlettered: int = 0
    retried: int = 0
    watched: int = 0
    watched_from_log: int = 0  # of those, read from the log: their messages were not yet in
    relayed: int = 0
    alerts: int = 0


class IntakeWorker:
    """Consumes the inbound subjects until :meth:`stop`; see the module docstring."""

    def __init__(
        self,
        intake: Intake,
        settings: NatsSettings,
        *,
        kinds: Sequence[Kind] = tuple(Kind),
        watch: WatchPartition | None = None,
        relay: Relay | None = None,
        poll_seconds: float = 0.5,
        telemetry: Telemetry = NULL_TELEMETRY,
    ) -> None:
        self.intake = intake
        self.telemetry = telemetry
        self.settings = settings
        self.subjects = Subjects(settings.prefix)
        self.kinds = tuple(kinds)
        self.watch = watch
        self.relay = relay
        self.poll_seconds = poll_seconds
        self.stats = WorkerStats()
        self._stop = asyncio.Event()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    def stop(self) -> None:
        """Stop fetching; the batches in hand are finished and acknowledged."""
        self._stop.set()

    async def run(self, *, install_signals: bool = False) -> WorkerStats:
        if install_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
        nc = await nats.connect(
            self.settings.address, name="shieldwall-worker", max_reconnect_attempts=-1
        )
        self._nc, self._js = nc, nc.jetstream()
        try:
            await ensure_stream(self._js, self.settings)
            log.info(
                "worker consuming stream %s, subjects %s%s%s",
                self.settings.stream,
                ", ".join(self.subjects.inbound(k) for k in self.kinds) or "none",
                "" if self.watch is None else f", watch partition {self.watch.partition}",
                "" if self.relay is None else ", relaying the audit log",
            )
            loops: list[Awaitable[None]] = [self._consume(kind) for kind in self.kinds]
            if self.watch is not None:
                loops.append(self._consume_watch(self.watch))
            if self.relay is not None:
                loops.append(self._relay(self.relay))
            await asyncio.gather(*loops)
        finally:
            # Every batch in hand is acknowledged by now; flush those acks and leave (a drain
            # would wait for pull subscriptions that no longer fetch).
            with contextlib.suppress(Exception):
                await nc.flush(timeout=5)
            await nc.close()
        st = self.stats
        log.info(
            "worker stopped: %d processed, %d duplicates, %d rejected, %d dead-lettered,"
            " %d retried",
            st.processed,
            st.duplicates,
            st.rejected,
            st.deadlettered,
            st.retried,
        )
        return self.stats

    # -- inbound events -----------------------------------------------------------------------

    async def _pull(
        self,
        subject: str,
        durable: str,
        queue: str,
        handle: Callable[[list[Msg]], Awaitable[None]],
    ) -> None:
        assert self._js is not None  # noqa: S101 - set by run()
        s = self.settings
        sub = await self._js.pull_subscribe(
            subject,
            durable=durable,
            stream=s.stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=s.ack_wait_seconds,
                max_deliver=s.max_deliver,
                max_ack_pending=max(20_000, 4 * s.batch),
            ),
        )
        # The consumer exists now; its batches come through a puller of our own (no task per
        # message, see pull.py), not through this subscription's fetch.
        await sub.unsubscribe()
        assert self._nc is not None  # noqa: S101 - set by run()
        puller = BatchPuller(self._nc, s.stream, durable)
        await puller.start()
        try:
            while not self._stop.is_set():
                msgs = await puller.fetch(s.batch, s.fetch_seconds)
                self.report_fetch(queue, msgs)
                if msgs:
                    await handle(msgs)
        finally:
            await puller.stop()

    def report_fetch(self, queue: str, msgs: Sequence[Msg]) -> None:
        """The fetched batch's lag and the consumer's pending count (see the module docstring;
        once a batch, whatever its size)."""
        if not msgs:
            self.telemetry.queue_lag(queue, 0.0)
            self.telemetry.queue_pending(queue, 0)
            return
        stored = msgs[0].metadata.timestamp
        self.telemetry.queue_lag(queue, (self.intake.clock.now() - stored).total_seconds())
        self.telemetry.queue_pending(queue, msgs[-1].metadata.num_pending)

    async def _consume(self, kind: Kind) -> None:
        async def handle(msgs: list[Msg]) -> None:
            await self.handle(kind, msgs)

        await self._pull(
            self.subjects.inbound(kind), consumer_name(self.settings, kind), kind.value, handle
        )

    async def handle(self, kind: Kind, msgs: Sequence[Msg]) -> None:
        """Validate, process, publish decisions, acknowledge (one fetched batch)."""
        good: list[tuple[Msg, Event]] = []
        for msg in msgs:
            try:
                good.append((msg, parse_event(kind, msg.data)))
            except BadEvent as exc:
                await self._deadletter(kind, msg, exc.code, exc.field, exc.reason)
                await msg.ack()
        if not good:
            return
        try:
            results = await asyncio.to_thread(self.intake.process, kind, [e for _, e in good])
        except ShieldwallError as exc:
            log.warning("intake %s: batch of %d failed (%s); retrying", kind.value, len(good), exc)
            await self._retry(kind, [m for m, _ in good], exc.code)
            return
        except Exception as exc:  # a bug must not stop the worker; the type only (no values)
            log.error("intake %s: batch failed with %s", kind.value, type(exc).__name__)
            await self._retry(kind, [m for m, _ in good], "processing_failed")
            return
        await self._publish_results(kind, [m for m, _ in good], results)

    async def _publish_results(
        self, kind: Kind, msgs: Sequence[Msg], results: Sequence[EventResult]
    ) -> None:
        assert self._js is not None  # noqa: S101 - set by run()
        if self.settings.decisions == "batch":
            await self._publish_batch(kind, results)
        else:
            subject = self.subjects.decisions(kind)
            for r in results:
                await self._js.publish_async(
                    subject,
                    _encode({"kind": kind.decision, **r.to_dict()}),
                    headers={"Nats-Msg-Id": f"{kind.decision}:{r.event_id}"},
                )
        for msg, r in zip(msgs, results, strict=True):
            if r.status == "rejected":
                self.stats.rejected += 1
                await self._deadletter(kind, msg, r.code or "rejected", r.field, r.reason or "")
            elif r.status == "duplicate":
                self.stats.duplicates += 1
            else:
                self.stats.processed += 1
        await self._js.publish_async_completed()
        for msg in msgs:
            await msg.ack()

    async def _publish_batch(self, kind: Kind, results: Sequence[EventResult]) -> None:
        """The batch's decisions in as few messages as the server's payload limit allows."""
        assert self._nc is not None  # noqa: S101 - set by run()
        limit = max(self._nc.max_payload - _ENVELOPE_BYTES, 1024)
        parts: list[bytes] = []
        ids: list[str] = []
        size = 0
        for r in results:
            part = _encode(r.to_dict())
            if parts and size + len(part) + 1 > limit:
                await self._publish_decisions(kind, parts, ids)
                parts, ids, size = [], [], 0
            parts.append(part)
            ids.append(r.event_id or "")
            size += len(part) + 1
        if parts:
            await self._publish_decisions(kind, parts, ids)

    async def _publish_decisions(self, kind: Kind, parts: list[bytes], ids: list[str]) -> None:
        assert self._js is not None  # noqa: S101 - set by run()
        body = b'{"kind":' + _encode(kind.decision) + b',"decisions":[' + b",".join(parts) + b"]}"
        # The same events in the same order give the same id: JetStream drops a whole repeat
        # within its duplicate window (a redelivered batch whose first answer was published).
        digest = hashlib.blake2b("\n".join(ids).encode(), digest_size=16).hexdigest()
        await self._js.publish_async(
            self.subjects.decisions_batch(kind),
            body,
            headers={"Nats-Msg-Id": f"batch:{kind.decision}:{digest}"},
        )

    async def _retry(self, kind: Kind, msgs: Sequence[Msg], code: str) -> None:
        for msg in msgs:
            if msg.metadata.num_delivered >= self.settings.max_deliver:
                await self._deadletter(
                    kind, msg, "processing_failed", None, f"failed {code} on every delivery"
                )
                await msg.ack()
            else:
                self.stats.retried += 1
                await msg.nak(delay=self.settings.retry_seconds)

    async def _deadletter(
        self, kind: Kind, msg: Msg, code: str, where: str | None, reason: str
    ) -> None:
        assert self._js is not None  # noqa: S101 - set by run()
        self.stats.deadlettered += 1
        body: dict[str, Any] = {
            "kind": kind.value,
            "subject": msg.subject,
            "stream_seq": msg.metadata.sequence.stream,
            "event_id": event_id_of(msg.data),
            "code": code,
            "field": where,
            "reason": reason,
        }
        await self._js.publish(
            self.subjects.deadletter, json.dumps(body, separators=(",", ":")).encode()
        )

    # -- insider watch --------------------------------------------------------------------------

    async def _consume_watch(self, wp: WatchPartition) -> None:
        async def handle(msgs: list[Msg]) -> None:
            await self.handle_watch(wp, msgs)

        name = watch_consumer_name(self.settings, wp.partition, wp.partitions)
        await self._pull(self.subjects.watch(wp.partition), name, f"watch.{wp.partition}", handle)

    async def handle_watch(self, wp: WatchPartition, msgs: Sequence[Msg]) -> None:
        assert self._js is not None  # noqa: S101 - set by run()
        entries = [decode_entry(m.data) for m in msgs]
        try:
            done = await asyncio.to_thread(self._watch_batch, wp, entries)
        except ShieldwallError as exc:
            log.warning("insider watch partition %d: %s; retrying", wp.partition, exc)
            for msg in msgs:
                await msg.nak(delay=self.settings.retry_seconds)
            return
        if not done:  # another worker holds this partition's lease: let it have them
            for msg in msgs:
                await msg.nak(delay=self.settings.retry_seconds)
            return
        raised = wp.take_alerts()
        for alert in raised:
            event = AlertEvent.raised(alert)
            await self._js.publish_async(
                self.subjects.alerts, notice_body(event), headers={"Nats-Msg-Id": event.key}
            )
        self.stats.alerts += len(raised)
        await self._js.publish_async_completed()
        for msg in msgs:
            await msg.ack()

    def _watch_batch(self, wp: WatchPartition, entries: list[FeedEntry]) -> bool:
        """Apply a batch in sequence order; False if another worker holds the lease.

        An entry whose ``prev`` the watch has not applied (or does not know) has entries of
        this partition before it still to come: a worker died holding their messages, or they
        were put back with a delay, and JetStream hands newer messages out before it
        redelivers those. They are read from the log and applied first; skipping them when
        they came would lose them for good.
        """
        runner = wp.runner
        if not runner.prepare():
            return False
        todo: list[AuditRecord] = []
        last = runner.watch.last_seq
        for entry in sorted(entries, key=lambda e: e.record.seq):
            seq = entry.record.seq
            if seq <= last:
                continue  # applied already: a redelivery
            if entry.prev is None or entry.prev > last:
                missing = entries_between(runner.source, last, seq, runner.page)
                todo.extend(missing)
                self.stats.watched_from_log += len(missing)
            todo.append(entry.record)
            last = seq
        before = runner.watch.processed
        runner.watch.process(todo)
        runner.cursors.save(runner.name, runner.watch.last_seq)
        self.stats.watched += runner.watch.processed - before
        return True

    async def _relay(self, relay: Relay) -> None:
        assert self._js is not None  # noqa: S101 - set by run()
        cursor = await asyncio.to_thread(relay.cursors.load, RELAY_CURSOR)
        while not self._stop.is_set():
            records = await asyncio.to_thread(relay.log.read, cursor, relay.page)
            if not records:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.poll_seconds)
                continue
            for partition, record in split(records, relay.partitions):
                prev = relay.last_sent.get(partition)
                relay.last_sent[partition] = record.seq
                await self._js.publish_async(
                    self.subjects.watch(partition),
                    encode_record(record, prev),
                    headers={"Nats-Msg-Id": f"audit:{record.seq}:{partition}"},
                )
            await self._js.publish_async_completed()
            cursor = records[-1].seq
            await asyncio.to_thread(relay.cursors.save, RELAY_CURSOR, cursor)
            self.stats.relayed += len(records)


def run_worker(worker: IntakeWorker) -> WorkerStats:
    """Run ``worker`` until SIGTERM or SIGINT; returns its counts (after
    :func:`~shieldwall.core.collector.prepare_collector`)."""
    prepare_collector()
    return asyncio.run(worker.run(install_signals=True))
