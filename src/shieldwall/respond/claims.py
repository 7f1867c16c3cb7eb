"""The compensation desk: claims through their state machine, and every movement of money as a
balanced posting to the append-only ledger, each under a caller's idempotency key.

An operation that moves money (approve, pay, recover, write off) takes an idempotency key. The
first request with a key does the work and records the posting with the SHA-256 of the request;
a later request with the same key and the same request returns that posting and changes
nothing; with a different request it is refused (:class:`IdempotencyConflict`). Two requests
racing with one key: the database's unique key lets one in, the other reads its posting.

Every change (a claim submitted, reviewed, approved, rejected, paid; a recovery; a write-off)
is an audit entry staged in the transaction that writes it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shieldwall.core.clock import Clock
from shieldwall.core.errors import StorageError
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.ids import new_id
from shieldwall.core.model import Principal
from shieldwall.core.paging import (
    DEFAULT_LIMIT,
    Page,
    Position,
    fetch_page,
)
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.ports import OutboxAuditSink
from shieldwall.respond.compensation import (
    OPEN_CLAIMS,
    Claim,
    ClaimStatus,
    Entry,
    Posting,
    PostingKind,
    RejectReason,
    approval_entries,
    fen,
    idempotency_key,
    payment_entries,
    recoverable,
    recovery_entries,
    ref,
    request_digest,
    write_off_entries,
)
from shieldwall.respond.errors import (
    IdempotencyConflict,
    RespondConflict,
    RespondNotFound,
    TransitionRefused,
)
from shieldwall.respond.money_ports import MoneyStore, MoneyTx
from shieldwall.respond.victims import VICTIM_TRANSITIONS, VictimStatus

MAX_LIST = 1000
CLAIMS_LISTING = "claims"
POSTINGS_LISTING = "postings"


class CustomerCheck:
    """Whether customer ids exist (custody), as the desk needs it."""

    def __init__(self, existing: Callable[[Sequence[str]], set[str]]) -> None:
        self.existing = existing


@dataclass(frozen=True)
class Posted:
    """The result of a money-moving operation: the claim (if any), the posting, and whether
    this was a replay of an earlier request with the same idempotency key."""

    posting: Posting
    claim: Claim | None
    replayed: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "replayed": self.replayed,
            "posting": self.posting.to_dict(),
            "claim": None if self.claim is None else self.claim.to_dict(),
        }


@dataclass(frozen=True)
class CaseReport:
    """Money in one case: claims by status, what was claimed, approved, paid, advanced,
    recovered and written off, what is still recoverable, and the open claims."""

    case_id: str
    claims: dict[str, int]
    claimed: int
    approved: int
    paid: int
    advanced: int
    recovered: int
    written_off: int
    recoverable: int
    open_claims: tuple[Claim, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "claims": self.claims,
            "claimed_fen": self.claimed,
            "approved_fen": self.approved,
            "paid_fen": self.paid,
            "advanced_fen": self.advanced,
            "recovered_fen": self.recovered,
            "written_off_fen": self.written_off,
            "recoverable_fen": self.recoverable,
            "open_claims": [c.to_dict() for c in self.open_claims],
        }


Apply = Callable[[MoneyTx], tuple[Posting, Claim | None, list[AccessEvent]]]


class ClaimsDesk:
    def __init__(
        self,
        store: MoneyStore,
        customers: CustomerCheck,
        audit: OutboxAuditSink,
        clock: Clock,
    ) -> None:
        self.store = store
        self.customers = customers
        self.audit = audit
        self.clock = clock

    # claims -----------------------------------------------------------------------------------

    def submit(
        self,
        actor: Principal,
        *,
        case_id: str,
        customer_id: str,
        amount: int,
        evidence_ref: str | None = None,
        channel: str = "api",
    ) -> Claim:
        """A customer's claim in a case. One open claim per customer and case."""
        ref(case_id, "case_id")
        ref(customer_id, "customer_id")
        fen(amount, "amount_fen")
        if evidence_ref is not None:
            ref(evidence_ref, "evidence_ref")
        if not self.customers.existing([customer_id]):
            raise RespondNotFound(f"no customer {customer_id}", field="customer_id")
        now = self.clock.now()
        with self.store.write() as tx:
            open_ = tx.list_claims(case_id, OPEN_CLAIMS, MAX_LIST)
            if any(c.customer_id == customer_id for c in open_):
                raise RespondConflict(
                    f"customer {customer_id} has an open claim in case {case_id}",
                    field="customer_id",
                    code="duplicate_claim",
                )
            victim = tx.victim_of(case_id, customer_id)
            claim = Claim(
                new_id("clm"),
                case_id,
                customer_id,
                amount,
                evidence_ref,
                ClaimStatus.SUBMITTED,
                actor.principal_id,
                now,
                now,
                victim_id=None if victim is None else victim.victim_id,
            )
            tx.insert_claim(claim)
            staged = tx.stage_audit([self._claim_event(now, actor, claim, "claim_submit", channel)])
        self.audit.log_staged(staged)
        return claim

    def get(self, claim_id: str) -> Claim:
        with self.store.read() as tx:
            claim = tx.get_claim(claim_id)
        if claim is None:
            raise RespondNotFound(f"no claim {claim_id}", field="claim_id")
        return claim

    def find(self, case_id: str | None, *, open_only: bool = False) -> list[Claim]:
        if case_id is not None:
            ref(case_id, "case_id")
        with self.store.read() as tx:
            return tx.list_claims(case_id, OPEN_CLAIMS if open_only else None, MAX_LIST)

    def page(
        self,
        case_id: str | None,
        *,
        open_only: bool = False,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Claim]:
        """One page of claims, newest first; ``cursor`` is the previous page's
        ``next_cursor`` (:class:`~shieldwall.core.paging.InvalidCursor` for one this list did
        not issue)."""
        if case_id is not None:
            ref(case_id, "case_id")
        statuses = OPEN_CLAIMS if open_only else None
        with self.store.read() as tx:
            return fetch_page(
                CLAIMS_LISTING,
                limit,
                cursor,
                lambda n, after: tx.list_claims(
                    case_id, statuses, n, newest_first=True, after=after
                ),
                lambda c: Position(c.submitted_at, c.claim_id),
            )

    def review(self, actor: Principal, claim_id: str, *, channel: str = "api") -> Claim:
        return self._change(actor, claim_id, lambda c, now: c.review(now), "claim_review", channel)

    def reject(
        self, actor: Principal, claim_id: str, reason: RejectReason, *, channel: str = "api"
    ) -> Claim:
        return self._change(
            actor,
            claim_id,
            lambda c, now: c.reject(reason, by=actor.principal_id, at=now),
            "claim_reject",
            channel,
        )

    def _change(
        self,
        actor: Principal,
        claim_id: str,
        step: Callable[[Claim, datetime], Claim],
        reason: str,
        channel: str,
    ) -> Claim:
        now = self.clock.now()
        with self.store.write() as tx:
            claim = self._claim(tx, claim_id)
            changed = step(claim, now)
            self._save(tx, changed, claim)
            staged = tx.stage_audit(
                [self._claim_event(now, actor, changed, reason, channel, before=claim)]
            )
        self.audit.log_staged(staged)
        return changed

    # money ------------------------------------------------------------------------------------

    def approve(
        self,
        actor: Principal,
        claim_id: str,
        *,
        key: str,
        amount: int | None = None,
        advance: bool = False,
        channel: str = "api",
    ) -> Posted:
        """Approve the claim for ``amount`` (default: what was claimed) and post the liability:
        to expense, or with ``advance`` (先行赔付) to a receivable against the case."""
        digest = request_digest(
            "claim.approve", {"claim_id": claim_id, "amount_fen": amount, "advance": advance}
        )

        def apply(tx: MoneyTx) -> tuple[Posting, Claim | None, list[AccessEvent]]:
            now = self.clock.now()
            claim = self._claim(tx, claim_id)
            granted = claim.amount_claimed if amount is None else amount
            approved = claim.approve(granted, advance=advance, by=actor.principal_id, at=now)
            kind = PostingKind.ADVANCE if advance else PostingKind.APPROVAL
            entries = approval_entries(claim, granted, advance=advance)
            posting = self._posting(key, digest, kind, claim.case_id, claim_id, entries, actor)
            self._save(tx, approved, claim)
            event = self._claim_event(
                now, actor, approved, "claim_approve", channel, before=claim, posting=posting
            )
            return posting, approved, [event]

        return self._post(key, digest, apply, claim_id)

    def pay(
        self, actor: Principal, claim_id: str, *, key: str, amount: int, channel: str = "api"
    ) -> Posted:
        """Pay ``amount`` of an approved claim; the victim becomes ``compensated`` when the
        claim is paid in full."""
        digest = request_digest("claim.pay", {"claim_id": claim_id, "amount_fen": amount})

        def apply(tx: MoneyTx) -> tuple[Posting, Claim | None, list[AccessEvent]]:
            now = self.clock.now()
            claim = self._claim(tx, claim_id)
            paid = claim.pay(amount, now)
            entries = payment_entries(claim, amount)
            posting = self._posting(
                key, digest, PostingKind.PAYMENT, claim.case_id, claim_id, entries, actor
            )
            self._save(tx, paid, claim)
            events = [
                self._claim_event(
                    now, actor, paid, "claim_pay", channel, before=claim, posting=posting
                )
            ]
            if paid.status is ClaimStatus.PAID and paid.victim_id is not None:
                events.extend(self._compensated(tx, paid, actor, now, channel))
            return posting, paid, events

        return self._post(key, digest, apply, claim_id)

    def recover(
        self, actor: Principal, case_id: str, *, key: str, amount: int, channel: str = "api"
    ) -> Posted:
        """The leaker or partner repaid ``amount`` of what was advanced in ``case_id``: at
        most what is still recoverable."""
        return self._case_posting(
            actor, case_id, key, amount, PostingKind.RECOVERY, recovery_entries, channel
        )

    def write_off(
        self, actor: Principal, case_id: str, *, key: str, amount: int, channel: str = "api"
    ) -> Posted:
        """What will not be recovered in ``case_id`` becomes the store's expense."""
        return self._case_posting(
            actor, case_id, key, amount, PostingKind.WRITE_OFF, write_off_entries, channel
        )

    def _case_posting(
        self,
        actor: Principal,
        case_id: str,
        key: str,
        amount: int,
        kind: PostingKind,
        build: Callable[[str, int], tuple[Entry, ...]],
        channel: str,
    ) -> Posted:
        ref(case_id, "case_id")
        fen(amount, "amount_fen")
        digest = request_digest(f"case.{kind.value}", {"case_id": case_id, "amount_fen": amount})

        def apply(tx: MoneyTx) -> tuple[Posting, Claim | None, list[AccessEvent]]:
            now = self.clock.now()
            account = recoverable(case_id)
            left = tx.balances(account).get(account, 0)
            if amount > left:
                raise TransitionRefused(
                    f"exceeds the {left} fen recoverable in case {case_id}", field="amount_fen"
                )
            posting = self._posting(key, digest, kind, case_id, None, build(case_id, amount), actor)
            event = access_event(
                now,
                actor,
                Action.LEDGER,
                Decision.ALLOW,
                f"ledger_{kind.value}",
                channel=channel,
                purpose="incident_response",
                extra=self._posting_extra(posting),
            )
            return posting, None, [event]

        return self._post(key, digest, apply, None)

    # reports ----------------------------------------------------------------------------------

    def report(self, case_id: str) -> CaseReport:
        ref(case_id, "case_id")
        with self.store.read() as tx:
            claims = tx.list_claims(case_id, None, 100_000)
            totals = tx.totals_by_kind(case_id)
            account = recoverable(case_id)
            left = tx.balances(account).get(account, 0)
        by_status = {s.value: 0 for s in ClaimStatus}
        for c in claims:
            by_status[c.status.value] += 1
        return CaseReport(
            case_id,
            by_status,
            sum(c.amount_claimed for c in claims),
            sum(c.amount_approved or 0 for c in claims),
            totals.get(PostingKind.PAYMENT, 0),
            totals.get(PostingKind.ADVANCE, 0),
            totals.get(PostingKind.RECOVERY, 0),
            totals.get(PostingKind.WRITE_OFF, 0),
            left,
            tuple(c for c in claims if c.status in OPEN_CLAIMS),
        )

    def balances(self) -> dict[str, int]:
        with self.store.read() as tx:
            return tx.balances()

    def postings(
        self, case_id: str | None = None, claim_id: str | None = None, limit: int = MAX_LIST
    ) -> list[Posting]:
        with self.store.read() as tx:
            return tx.list_postings(case_id, claim_id, min(max(limit, 1), MAX_LIST))

    def postings_page(
        self,
        case_id: str | None = None,
        claim_id: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Posting]:
        """One page of ledger postings, newest first, as :meth:`page` pages claims."""
        with self.store.read() as tx:
            return fetch_page(
                POSTINGS_LISTING,
                limit,
                cursor,
                lambda n, after: tx.list_postings(
                    case_id, claim_id, n, newest_first=True, after=after
                ),
                lambda p: Position(p.created_at, p.posting_id),
            )

    # helpers ----------------------------------------------------------------------------------

    def _post(self, key: str, digest: bytes, apply: Apply, claim_id: str | None) -> Posted:
        idempotency_key(key)
        for attempt in (1, 2):
            try:
                with self.store.write() as tx:
                    prior = tx.posting_by_key(key)
                    if prior is not None:
                        return self._replay(tx, prior, digest, claim_id)
                    posting, claim, events = apply(tx)
                    tx.insert_posting(posting)
                    staged = tx.stage_audit(events)
            except StorageError as exc:
                # A request racing with the same key committed first: answer as a replay.
                if exc.code == "conflict" and attempt == 1:
                    continue
                raise
            self.audit.log_staged(staged)
            return Posted(posting, claim, False)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _replay(tx: MoneyTx, prior: Posting, digest: bytes, claim_id: str | None) -> Posted:
        if not hmac.compare_digest(prior.digest, digest):
            raise IdempotencyConflict(
                "this idempotency key was used for a different request", field="idempotency_key"
            )
        claim = None if claim_id is None else tx.get_claim(claim_id)
        return Posted(prior, claim, True)

    def _posting(
        self,
        key: str,
        digest: bytes,
        kind: PostingKind,
        case_id: str | None,
        claim_id: str | None,
        entries: tuple[Entry, ...],
        actor: Principal,
    ) -> Posting:
        return Posting(
            new_id("pst"),
            key,
            digest,
            kind,
            case_id,
            claim_id,
            entries,
            self.clock.now(),
            actor.principal_id,
        )

    @staticmethod
    def _claim(tx: MoneyTx, claim_id: str) -> Claim:
        claim = tx.get_claim(claim_id)
        if claim is None:
            raise RespondNotFound(f"no claim {claim_id}", field="claim_id")
        return claim

    @staticmethod
    def _save(tx: MoneyTx, claim: Claim, before: Claim) -> None:
        if not tx.save_claim(claim, before.status, before.paid):
            raise RespondConflict(f"claim {claim.claim_id} changed meanwhile; try again")

    def _compensated(
        self, tx: MoneyTx, claim: Claim, actor: Principal, now: datetime, channel: str
    ) -> list[AccessEvent]:
        victim = None if claim.victim_id is None else tx.get_victim(claim.victim_id)
        target = VictimStatus.COMPENSATED
        if victim is None or target not in VICTIM_TRANSITIONS[victim.status]:
            return []
        tx.set_victim_status(victim.victim_id, victim.status, target, now)
        return [
            access_event(
                now,
                actor,
                Action.VICTIM,
                Decision.ALLOW,
                "victim_status",
                channel=channel,
                purpose="incident_response",
                customer_ids=[claim.customer_id],
                extra={
                    "case_id": claim.case_id,
                    "victim_id": victim.victim_id,
                    "claim_id": claim.claim_id,
                    "from": victim.status.value,
                    "to": target.value,
                },
            )
        ]

    @staticmethod
    def _posting_extra(posting: Posting) -> dict[str, str]:
        return {
            "posting_id": posting.posting_id,
            "kind": posting.kind.value,
            "case_id": posting.case_id or "",
            "claim_id": posting.claim_id or "",
            "amount_fen": str(posting.total),
            "idempotency_key": posting.idempotency_key,
        }

    def _claim_event(
        self,
        now: datetime,
        actor: Principal,
        claim: Claim,
        reason: str,
        channel: str,
        *,
        before: Claim | None = None,
        posting: Posting | None = None,
    ) -> AccessEvent:
        extra = {
            "case_id": claim.case_id,
            "claim_id": claim.claim_id,
            "from": "" if before is None else before.status.value,
            "to": claim.status.value,
            "amount_claimed_fen": str(claim.amount_claimed),
            "amount_approved_fen": ""
            if claim.amount_approved is None
            else str(claim.amount_approved),
            "paid_fen": str(claim.paid),
        }
        if claim.reject_reason is not None:
            extra["reject_reason"] = claim.reject_reason.value
        if posting is not None:
            extra |= self._posting_extra(posting)
        return access_event(
            now,
            actor,
            Action.CLAIM,
            Decision.ALLOW,
            reason,
            channel=channel,
            purpose="incident_response",
            customer_ids=[claim.customer_id],
            extra=extra,
        )
