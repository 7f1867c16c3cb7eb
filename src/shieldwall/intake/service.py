"""The intake service: a batch of validated events of one kind in, one result per event out.

Used by the NATS worker and by the batch HTTP routes alike. What is idempotent, exactly:

- **access** (record reads): the processed-event row and the audit entry are written in one
  database transaction (the entry staged in the audit outbox, then logged by
  ``MerkleAuditLog.log_staged``, or by the next start's ``flush_outbox`` after a crash). An
  event is audited exactly once, whatever is redelivered or killed when.
- **scam reports**: the report's id is derived from the event id, so the report row itself
  records the event: a redelivery finds it and stores nothing. The result (campaign) is
  recorded after; a redelivery between the two answers ``duplicate`` with the report id only.
- **login attempts**: the risk engine's counters live in memory or Redis, not in the
  database, so they cannot commit with the processed-event row. An attempt already recorded
  changes nothing and its recorded decision is returned again. An attempt assessed by a
  delivery that was not recorded (a worker that died, a record that failed) is assessed again
  when redelivered (a new assessment id: the first was never published), but counted once:
  each attempt carries its event's kind and id as its idempotency key (``LoginAttempt.once``),
  which the state counts once within ``guard.risk.once_ttl_seconds`` (its stop's failure too).
- **login outcomes**: an assessment's pending record is taken once (``take_pending_many``, for
  the batch's outcomes together), so an outcome's effect happens at most once even then. Each
  outcome carries its event's kind and id as its idempotency key (``LoginOutcome.once``): the
  state keeps what the take took under the key (within ``guard.risk.once_ttl_seconds``), so a
  redelivery after a crash before the record answers the first result again and changes
  nothing; the outcome is recorded in the state once under the same key, so one whose record
  was lost (a worker that died between the take and the state's record, one round trip apart)
  is recorded by the redelivery.

Rejections (an unknown principal, an unknown assessment, a report the service refuses) are
per event, carry a code, a field and a reason without values, and are not recorded: the same
event is rejected again the same way. Storage failures raise; the caller retries the batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shieldwall.audit.log import MerkleAuditLog
from shieldwall.contact.errors import ContactError
from shieldwall.contact.scam.reports import ReportInput, ScamReports
from shieldwall.core.clock import Clock
from shieldwall.core.errors import ShieldwallError, StorageError
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.errors import NotFound
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.errors import RiskError
from shieldwall.guard.risk.model import LoginAttempt, LoginOutcome
from shieldwall.intake.events import (
    AccessReadEvent,
    Event,
    Kind,
    LoginAttemptEvent,
    LoginOutcomeEvent,
    ScamReportEvent,
    StreamedLoginAttempt,
    StreamedLoginOutcome,
)
from shieldwall.intake.ports import ProcessedEvents, Result

Status = Literal["processed", "duplicate", "rejected"]
_ATTEMPT_TYPES = (LoginAttemptEvent, StreamedLoginAttempt)  # a tuple: isinstance per event
READ_REASON = "store_read"
# an attempt's idempotency key (LoginAttempt.once): the event's kind and id, as the processed
# events are keyed
_ONCE_PREFIX = Kind.LOGIN_ATTEMPT.value + ":"
_OUTCOME_ONCE_PREFIX = Kind.LOGIN_OUTCOME.value + ":"  # an outcome's (LoginOutcome.once)
STORE_CHANNEL = "store"


@dataclass(frozen=True, slots=True)
class EventResult:
    """One event's result: ``processed`` (with its result), ``duplicate`` (with the result the
    first delivery gave) or ``rejected`` (``code``, ``field``, ``reason``)."""

    event_id: str | None
    status: Status
    result: Result = field(default_factory=dict)
    code: str | None = None
    field: str | None = None
    reason: str | None = None

    @classmethod
    def rejected(cls, event_id: str | None, exc: ShieldwallError) -> EventResult:
        return cls(event_id, "rejected", code=exc.code, field=exc.field, reason=exc.reason)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event_id": self.event_id, "status": self.status}
        if self.status == "rejected":
            out["error"] = {"code": self.code, "field": self.field, "reason": self.reason}
        else:
            out["result"] = self.result
        return out


class PrincipalLookup:
    """A batch's view of the principals (each looked up once per batch)."""

    def __init__(self, get: Callable[[str], Principal]) -> None:
        self._get = get
        self._seen: dict[str, Principal | None] = {}

    def __call__(self, principal_id: str) -> Principal | None:
        if principal_id not in self._seen:
            try:
                self._seen[principal_id] = self._get(principal_id)
            except NotFound:
                self._seen[principal_id] = None
        return self._seen[principal_id]


def report_id_for(event_id: str) -> str:
    """The scam report id of a reporting event: ``rpt_`` and 28 hex digits, as ``new_id`` makes
    (BLAKE2b of the event id, so a redelivery names the same row)."""
    return "rpt_" + hashlib.blake2b(b"intake:" + event_id.encode(), digest_size=14).hexdigest()


class _Rejected(ShieldwallError):
    code = "rejected"


class Intake:
    """Processes batches of events; thread-safe as far as the services it calls are."""

    def __init__(
        self,
        risk: RiskEngine,
        audit: MerkleAuditLog,
        principal: Callable[[str], Principal],
        scam: ScamReports,
        processed: ProcessedEvents,
        clock: Clock,
        *,
        count_once: bool = True,
    ) -> None:
        self.risk = risk
        self.audit = audit
        self.principal = principal
        self.scam = scam
        self.processed = processed
        self.clock = clock
        # key each login attempt and outcome by its event (``guard.risk.once_ttl_seconds`` 0
        # turns it off: a batch redelivered after a crash may then count twice)
        self.count_once = count_once

    def process(
        self, kind: Kind, events: Sequence[Event], *, caller: Principal | None = None
    ) -> list[EventResult]:
        """Apply ``events`` (all of ``kind``) once each; one result per event, in order.

        ``caller`` is the authenticated principal of a batch HTTP call (the reporter of scam
        reports); None on the stream, where a scam report names its ``reporter_id``.
        """
        if not events:
            return []
        known = self.processed.known(kind.value, [e.event_id for e in events])
        if kind is Kind.ACCESS:
            return self._access(events, known)
        if kind is Kind.SCAM_REPORT:
            return self._reports(events, known, caller)
        if kind is Kind.LOGIN_ATTEMPT:
            return self._attempts(events, known)
        return self._outcomes(events, known)

    # -- logins -----------------------------------------------------------------------------

    def _attempts(self, events: Sequence[Event], known: dict[str, Result]) -> list[EventResult]:
        """The batch's new attempts assessed together (:meth:`RiskEngine.assess_many`: one
        state call, one round trip on Redis); an event id seen earlier in the batch is a
        duplicate of its first occurrence, as it would be one call at a time."""
        first: dict[str, int] = {}  # event id -> index of its attempt in ``attempts``
        attempts: list[LoginAttempt] = []
        refused: dict[str, RiskError] = {}
        for event in events:
            assert isinstance(event, _ATTEMPT_TYPES)  # noqa: S101 - by kind
            if event.event_id in known or event.event_id in first or event.event_id in refused:
                continue
            try:
                attempt = LoginAttempt(
                    event.account,
                    event.ip,
                    event.user_agent,
                    event.device_id,
                    event.password_sha1,
                    once=_ONCE_PREFIX + event.event_id if self.count_once else None,
                )
            except RiskError as exc:
                refused[event.event_id] = exc
                continue
            first[event.event_id] = len(attempts)
            attempts.append(attempt)
        assessed = self.risk.assess_many(attempts)
        fresh: dict[str, Result] = {}
        for event_id, i in first.items():
            got = assessed[i]
            if isinstance(got, RiskError):
                refused[event_id] = got
            else:
                fresh[event_id] = got.as_dict()
        results: list[EventResult] = []
        done: set[str] = set()
        for event in events:
            eid = event.event_id
            if eid in refused:  # refused again, as a second call would be
                results.append(EventResult.rejected(eid, refused[eid]))
            elif eid in known:
                results.append(EventResult(eid, "duplicate", known[eid]))
            elif eid in done:
                results.append(EventResult(eid, "duplicate", fresh[eid]))
            else:
                done.add(eid)
                results.append(EventResult(eid, "processed", fresh[eid]))
        self.processed.record(Kind.LOGIN_ATTEMPT.value, fresh, self.clock.now())
        return results

    def _outcomes(self, events: Sequence[Event], known: dict[str, Result]) -> list[EventResult]:
        """The batch's new outcomes reported together (:meth:`RiskEngine.outcome_many`: two
        state calls, two round trips on Redis), with the results of one call per event: an
        event id seen earlier in the batch is a duplicate of its first occurrence when that was
        processed, and is tried again when it was rejected. So the batch is cut before such a
        repeat (a producer's resend, rare): the events before it are reported first, as one
        at a time would have, and the repeat is judged on their results."""
        results: list[EventResult | None] = [None] * len(events)
        fresh: dict[str, Result] = {}
        run: list[int] = []  # indexes of the events of the next outcome_many, in order
        ids: set[str] = set()  # their event ids

        def report() -> None:
            items = []
            for i in run:
                e = events[i]
                assert isinstance(e, LoginOutcomeEvent | StreamedLoginOutcome)  # noqa: S101 - by kind
                items.append(
                    LoginOutcome(
                        e.assessment_id,
                        e.success,
                        e.account_known,
                        once=_OUTCOME_ONCE_PREFIX + e.event_id if self.count_once else None,
                    )
                )
            for i, got in zip(run, self.risk.outcome_many(items), strict=True):
                event_id = events[i].event_id
                if isinstance(got, RiskError):
                    results[i] = EventResult.rejected(event_id, got)
                else:
                    fresh[event_id] = result = got.as_dict()
                    results[i] = EventResult(event_id, "processed", result)
            run.clear()
            ids.clear()

        for i, event in enumerate(events):
            event_id = event.event_id
            if event_id in ids:  # a repeat: its answer depends on the first one's
                report()
            earlier = known.get(event_id, fresh.get(event_id))
            if earlier is not None:
                results[i] = EventResult(event_id, "duplicate", earlier)
                continue
            run.append(i)
            ids.add(event_id)
        if run:
            report()
        self.processed.record(Kind.LOGIN_OUTCOME.value, fresh, self.clock.now())
        done = [r for r in results if r is not None]
        assert len(done) == len(events)  # noqa: S101 - every event got its result above
        return done

    # -- record reads -----------------------------------------------------------------------

    def _access(self, events: Sequence[Event], known: dict[str, Result]) -> list[EventResult]:
        lookup = PrincipalLookup(self.principal)
        items = []
        results: dict[int, EventResult] = {}
        staged_at: dict[str, int] = {}
        for i, event in enumerate(events):
            assert isinstance(event, AccessReadEvent)  # noqa: S101 - process() dispatches by kind
            if event.event_id in known or event.event_id in staged_at:
                continue
            actor = lookup(event.principal_id)
            if actor is None:
                results[i] = EventResult.rejected(
                    event.event_id,
                    _Rejected("no such principal", field="principal_id", code="unknown_principal"),
                )
                continue
            audit_event = access_event(
                event.ts,
                actor,
                Action(event.action),
                Decision.ALLOW,
                READ_REASON,
                channel=STORE_CHANNEL,
                purpose=event.purpose,
                customer_ids=event.customer_ids,
                order_ids=event.order_ids,
                fields=event.fields,
                ticket_id=event.ticket_id,
                extra={"system": event.system, "event_id": event.event_id},
            )
            staged_at[event.event_id] = i
            items.append((event.event_id, {"audited": True}, audit_event))
        recorded, outbox = self.processed.record_with_audit(
            Kind.ACCESS.value, items, self.clock.now()
        )
        self.audit.log_staged(outbox)
        now_known = dict(known)
        if len(recorded) < len(items):  # recorded meanwhile by another worker
            now_known.update(self.processed.known(Kind.ACCESS.value, [i[0] for i in items]))
        fresh = set(recorded)
        out: list[EventResult] = []
        for i, event in enumerate(events):
            if i in results:
                out.append(results[i])
            elif event.event_id in fresh and staged_at.get(event.event_id) == i:
                out.append(EventResult(event.event_id, "processed", {"audited": True}))
            else:
                earlier = now_known.get(event.event_id, {"audited": True})
                out.append(EventResult(event.event_id, "duplicate", earlier))
        return out

    # -- scam reports -----------------------------------------------------------------------

    def _reports(
        self, events: Sequence[Event], known: dict[str, Result], caller: Principal | None
    ) -> list[EventResult]:
        lookup = PrincipalLookup(self.principal)
        results: list[EventResult] = []
        fresh: dict[str, Result] = {}
        for event in events:
            assert isinstance(event, ScamReportEvent)  # noqa: S101 - process() dispatches by kind
            earlier = known.get(event.event_id, fresh.get(event.event_id))
            if earlier is not None:
                results.append(EventResult(event.event_id, "duplicate", earlier))
                continue
            report_id = report_id_for(event.event_id)
            if self.scam.has_report(report_id):  # stored by a delivery that died before recording
                fresh[event.event_id] = {"report_id": report_id}
                results.append(EventResult(event.event_id, "duplicate", fresh[event.event_id]))
                continue
            try:
                reporter = self._reporter(event, caller, lookup)
                result = self._report(event, reporter, report_id)
            except (ContactError, _Rejected) as exc:
                results.append(EventResult.rejected(event.event_id, exc))
                continue
            except StorageError as exc:
                if exc.code != "conflict" or not self.scam.has_report(report_id):
                    raise
                result = {"report_id": report_id}  # another worker stored it meanwhile
                fresh[event.event_id] = result
                results.append(EventResult(event.event_id, "duplicate", result))
                continue
            fresh[event.event_id] = result
            results.append(EventResult(event.event_id, "processed", result))
        self.processed.record(Kind.SCAM_REPORT.value, fresh, self.clock.now())
        return results

    def _reporter(
        self, event: ScamReportEvent, caller: Principal | None, lookup: PrincipalLookup
    ) -> Principal:
        if caller is not None:
            if event.reporter_id is not None and event.reporter_id != caller.principal_id:
                raise _Rejected(
                    "must be absent or the caller", field="reporter_id", code="reporter_mismatch"
                )
            return caller
        if event.reporter_id is None:
            raise _Rejected("a streamed report must name its reporter", field="reporter_id")
        reporter = lookup(event.reporter_id)
        if reporter is None:
            raise _Rejected("no such principal", field="reporter_id", code="unknown_principal")
        return reporter

    def _report(self, e: ScamReportEvent, reporter: Principal, report_id: str) -> Result:
        if reporter.role is Role.SERVICE:
            if not e.customer_id:
                raise _Rejected("the store app must name the customer", field="customer_id")
            kind = "customer"
        elif reporter.role is Role.AGENT:
            kind = "agent"
        else:
            raise _Rejected(
                "reports come from the store app (service) or an agent",
                field="reporter_id",
                code="reporter_role",
            )
        outcome = self.scam.submit(
            ReportInput(
                channel=e.channel,
                received_at=e.received_at,
                text=e.text,
                sender=e.sender,
                links=tuple(e.links),
                customer_id=e.customer_id,
                victim_phone=e.victim_phone,
                caller_knew=tuple(e.caller_knew),
            ),
            reporter_kind=kind,
            reporter_id=reporter.principal_id,
            report_id=report_id,
        )
        return {
            "report_id": outcome.report_id,
            "campaign_id": outcome.campaign_id,
            "campaign_size": outcome.campaign_size,
            "new_campaign": outcome.new_campaign,
            "score": outcome.score.score,
            "label": outcome.score.label,
        }
