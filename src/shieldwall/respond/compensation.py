"""Compensation, pure: claims and their state machine, and a double-entry ledger in integer fen.

Money is an ``int`` of fen (分, 1/100 yuan) everywhere: never a float, never a Decimal at rest.
:func:`fen` refuses anything else (``True`` is an ``int`` in Python, and refused too).

A claim moves ``submitted -> under_review -> approved | rejected``; an approved claim is paid in
one or more payments and becomes ``paid`` when the payments reach the approved amount.

The ledger is double-entry: a :class:`Posting` is a set of :class:`Entry` rows whose signed
amounts (debits positive, credits negative) sum to zero. The postings the desk makes:

=================  ==============================================  =============================
event              debit                                           credit
=================  ==============================================  =============================
approval           ``compensation_expense``                        ``payable:<claim>``
advance approval   ``recoverable:<case>`` (先行赔付: paid before     ``payable:<claim>``
                   liability is settled, to be recovered)
payment            ``payable:<claim>``                              ``cash``
recovery           ``cash``                                         ``recoverable:<case>``
write-off          ``compensation_expense``                         ``recoverable:<case>``
=================  ==============================================  =============================

so ``payable:<claim>`` is what the store still owes on a claim, ``recoverable:<case>`` what it
advanced and may still recover, and the sum over every account is zero at every moment (the
trial balance). Storage enforces the same rule at commit (see ``storage/tables/respond_money``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from shieldwall.respond.errors import (
    RespondInvalid,
    TransitionRefused,
    Unbalanced,
)

# 10**13 fen is 100 billion yuan: far above any claim, far below 2**53 (exact in JSON numbers).
MAX_FEN = 10**13
_REF = r"[A-Za-z0-9_.:\-]{1,64}"
_REF_RE = re.compile(_REF)
_KEY_RE = re.compile(r"[A-Za-z0-9_.:\-]{8,128}")
EXPENSE = "compensation_expense"
CASH = "cash"
_ACCOUNT_RE = re.compile(rf"(compensation_expense|cash|payable:{_REF}|recoverable:{_REF})")


def fen(value: object, field: str, *, allow_zero: bool = False) -> int:
    """``value`` as an amount in fen: an ``int`` (not a bool, not a float) in range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RespondInvalid("must be a whole number of fen (an integer)", field=field)
    low = 0 if allow_zero else 1
    if not low <= value <= MAX_FEN:
        raise RespondInvalid(f"must be between {low} and {MAX_FEN} fen", field=field)
    return value


_YUAN = re.compile(r"(\d{1,11})(?:\.(\d{1,2}))?")


def parse_yuan(text: str, field: str) -> int:
    """``"1234.5"`` yuan as 123450 fen, read digit by digit (no float ever holds the amount)."""
    m = _YUAN.fullmatch(text.strip())
    if m is None:
        raise RespondInvalid("must be an amount in yuan with at most two decimals", field=field)
    whole, frac = m.group(1), (m.group(2) or "").ljust(2, "0")
    return fen(int(whole) * 100 + int(frac), field, allow_zero=True)


def ref(value: str, field: str) -> str:
    """An identifier (case, claim, evidence, trace result): 1-64 of ``A-Za-z0-9_.:-``."""
    if not isinstance(value, str) or not _REF_RE.fullmatch(value):
        raise RespondInvalid("must be 1-64 letters, digits or _ . : -", field=field)
    return value


def idempotency_key(value: str, field: str = "idempotency_key") -> str:
    """A client's idempotency key: 8-128 of ``A-Za-z0-9_.:-`` (a UUID fits)."""
    if not isinstance(value, str) or not _KEY_RE.fullmatch(value):
        raise RespondInvalid("must be 8-128 letters, digits or _ . : -", field=field)
    return value


def payable(claim_id: str) -> str:
    return f"payable:{claim_id}"


def recoverable(case_id: str) -> str:
    return f"recoverable:{case_id}"


# claims ---------------------------------------------------------------------------------------


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


CLAIM_TRANSITIONS: Mapping[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.SUBMITTED: frozenset({ClaimStatus.UNDER_REVIEW}),
    ClaimStatus.UNDER_REVIEW: frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED}),
    ClaimStatus.APPROVED: frozenset({ClaimStatus.PAID}),
    ClaimStatus.REJECTED: frozenset(),
    ClaimStatus.PAID: frozenset(),
}
OPEN_CLAIMS = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.UNDER_REVIEW, ClaimStatus.APPROVED})


class RejectReason(StrEnum):
    """Why a claim is rejected: codes, never free text (which would collect personal data)."""

    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    NOT_A_VICTIM = "not_a_victim"
    DUPLICATE_CLAIM = "duplicate_claim"
    OUTSIDE_SCOPE = "outside_scope"
    WITHDRAWN = "withdrawn"


def reject_reason(value: str) -> RejectReason:
    try:
        return RejectReason(value)
    except ValueError:
        allowed = ", ".join(r.value for r in RejectReason)
        raise RespondInvalid(f"must be one of {allowed}", field="reason") from None


@dataclass(frozen=True, slots=True)
class Claim:
    """A customer's claim for compensation in a case. Amounts in fen."""

    claim_id: str
    case_id: str
    customer_id: str
    amount_claimed: int
    evidence_ref: str | None
    status: ClaimStatus
    submitted_by: str
    submitted_at: datetime
    updated_at: datetime
    victim_id: str | None = None
    amount_approved: int | None = None
    paid: int = 0
    advance: bool = False
    decided_by: str | None = None
    reject_reason: RejectReason | None = None

    @property
    def outstanding(self) -> int:
        """Approved and not yet paid."""
        return 0 if self.amount_approved is None else self.amount_approved - self.paid

    def _to(self, status: ClaimStatus) -> None:
        if status not in CLAIM_TRANSITIONS[self.status]:
            raise TransitionRefused(
                f"claim {self.claim_id} is {self.status.value}; it cannot become {status.value}",
                field="status",
            )

    def review(self, at: datetime) -> Claim:
        self._to(ClaimStatus.UNDER_REVIEW)
        return replace(self, status=ClaimStatus.UNDER_REVIEW, updated_at=at)

    def approve(self, amount: int, *, advance: bool, by: str, at: datetime) -> Claim:
        """Approve ``amount`` (at most what was claimed). Whoever submitted the claim cannot
        approve it (separation of duties)."""
        self._to(ClaimStatus.APPROVED)
        fen(amount, "amount_fen")
        if amount > self.amount_claimed:
            raise RespondInvalid(
                f"exceeds the {self.amount_claimed} fen claimed", field="amount_fen"
            )
        if by == self.submitted_by:
            raise TransitionRefused(
                "the principal who submitted a claim cannot approve it", field="approved_by"
            )
        return replace(
            self,
            status=ClaimStatus.APPROVED,
            amount_approved=amount,
            advance=advance,
            decided_by=by,
            updated_at=at,
        )

    def reject(self, reason: RejectReason, *, by: str, at: datetime) -> Claim:
        self._to(ClaimStatus.REJECTED)
        return replace(
            self, status=ClaimStatus.REJECTED, reject_reason=reason, decided_by=by, updated_at=at
        )

    def pay(self, amount: int, at: datetime) -> Claim:
        """Record a payment of ``amount``; the claim is ``paid`` once nothing is outstanding."""
        if self.status is not ClaimStatus.APPROVED:
            raise TransitionRefused(
                f"claim {self.claim_id} is {self.status.value}; only approved claims are paid",
                field="status",
            )
        fen(amount, "amount_fen")
        if amount > self.outstanding:
            raise TransitionRefused(
                f"exceeds the {self.outstanding} fen outstanding on claim {self.claim_id}",
                field="amount_fen",
            )
        paid = self.paid + amount
        done = paid == self.amount_approved
        return replace(
            self,
            paid=paid,
            status=ClaimStatus.PAID if done else ClaimStatus.APPROVED,
            updated_at=at,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "claim_id": self.claim_id,
            "case_id": self.case_id,
            "customer_id": self.customer_id,
            "victim_id": self.victim_id,
            "amount_claimed_fen": self.amount_claimed,
            "amount_approved_fen": self.amount_approved,
            "paid_fen": self.paid,
            "outstanding_fen": self.outstanding,
            "advance": self.advance,
            "evidence_ref": self.evidence_ref,
            "status": self.status.value,
            "reject_reason": None if self.reject_reason is None else self.reject_reason.value,
            "submitted_by": self.submitted_by,
            "decided_by": self.decided_by,
            "submitted_at": self.submitted_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


# the ledger -----------------------------------------------------------------------------------


class PostingKind(StrEnum):
    APPROVAL = "approval"
    ADVANCE = "advance"
    PAYMENT = "payment"
    RECOVERY = "recovery"
    WRITE_OFF = "write_off"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a posting: ``amount`` fen, positive for a debit, negative for a credit."""

    account: str
    amount: int

    @property
    def debit(self) -> int:
        return max(self.amount, 0)

    @property
    def credit(self) -> int:
        return max(-self.amount, 0)


def debit(account: str, amount: int) -> Entry:
    return Entry(account, fen(amount, "amount_fen"))


def credit(account: str, amount: int) -> Entry:
    return Entry(account, -fen(amount, "amount_fen"))


def check_balanced(entries: Sequence[Entry]) -> int:
    """Raise :class:`Unbalanced` unless ``entries`` are a valid posting; return its total.

    A valid posting has at least two lines, every amount a non-zero integer within bounds,
    every account well-formed, and the debits equal to the credits.
    """
    if len(entries) < 2:
        raise Unbalanced("a posting needs at least two entries", field="entries")
    for i, e in enumerate(entries):
        if not _ACCOUNT_RE.fullmatch(e.account):
            raise Unbalanced("is not a ledger account", field=f"entries.{i}.account")
        if isinstance(e.amount, bool) or not isinstance(e.amount, int) or e.amount == 0:
            raise Unbalanced("must be a non-zero integer of fen", field=f"entries.{i}.amount")
        if abs(e.amount) > MAX_FEN:
            raise Unbalanced(f"exceeds {MAX_FEN} fen", field=f"entries.{i}.amount")
    debits = sum(e.debit for e in entries)
    credits = sum(e.credit for e in entries)
    if debits != credits:
        raise Unbalanced(
            f"debits ({debits} fen) and credits ({credits} fen) differ", field="entries"
        )
    return debits


@dataclass(frozen=True, slots=True)
class Posting:
    """A balanced set of entries, made once under an idempotency key; never changed after."""

    posting_id: str
    idempotency_key: str
    digest: bytes  # SHA-256 of the request that made it (:func:`request_digest`)
    kind: PostingKind
    case_id: str | None
    claim_id: str | None
    entries: tuple[Entry, ...]
    created_at: datetime
    created_by: str

    def __post_init__(self) -> None:
        check_balanced(self.entries)

    @property
    def total(self) -> int:
        return sum(e.debit for e in self.entries)

    def to_dict(self) -> dict[str, object]:
        return {
            "posting_id": self.posting_id,
            "idempotency_key": self.idempotency_key,
            "kind": self.kind.value,
            "case_id": self.case_id,
            "claim_id": self.claim_id,
            "total_fen": self.total,
            "entries": [
                {"account": e.account, "debit_fen": e.debit, "credit_fen": e.credit}
                for e in self.entries
            ],
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


def approval_entries(claim: Claim, amount: int, *, advance: bool) -> tuple[Entry, ...]:
    """Approving ``amount``: an expense now, or (advance) a receivable against the case."""
    source = recoverable(claim.case_id) if advance else EXPENSE
    return (debit(source, amount), credit(payable(claim.claim_id), amount))


def payment_entries(claim: Claim, amount: int) -> tuple[Entry, ...]:
    return (debit(payable(claim.claim_id), amount), credit(CASH, amount))


def recovery_entries(case_id: str, amount: int) -> tuple[Entry, ...]:
    """The leaker or partner repaid ``amount`` of what the store advanced in ``case_id``."""
    return (debit(CASH, amount), credit(recoverable(case_id), amount))


def write_off_entries(case_id: str, amount: int) -> tuple[Entry, ...]:
    """What cannot be recovered in ``case_id`` becomes the store's expense."""
    return (debit(EXPENSE, amount), credit(recoverable(case_id), amount))


def request_digest(operation: str, body: Mapping[str, str | int | bool | None]) -> bytes:
    """What an idempotency key is bound to: SHA-256 of the operation and its canonical body."""
    canonical = json.dumps(
        {"operation": operation, "body": dict(body)}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).digest()


def balances(entries: Iterable[Entry]) -> dict[str, int]:
    """Each account's balance (debits minus credits), in fen; zero balances omitted."""
    out: dict[str, int] = {}
    for e in entries:
        out[e.account] = out.get(e.account, 0) + e.amount
    return {a: b for a, b in sorted(out.items()) if b != 0}
