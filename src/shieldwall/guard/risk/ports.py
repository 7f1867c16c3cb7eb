"""What the risk engine needs from outside: a place for its counters (:class:`RiskState`).

The state is a handful of *entity records* (one per address, subnet, AS, device, account,
password tag, and the platform), each holding exponentially decayed counts over a short and a
long window, plus a run of consecutive failures; a set of *pairs* seen (so distinct accounts per
source are counted once); per-account *profiles* of what a successful login looked like; and
hourly platform totals for the wave detector's baseline.

Every key is an opaque tag (a keyed HMAC made by the engine): no account name, address or
password hash reaches the state. Each call costs one round trip and both implementations
compute the same numbers, so a replay gives the same decisions on either (tested). The
in-process state runs each call under a lock; Redis runs each as Lua, an ``assess`` as two
scripts (what the decision needs, waited for; then the attempt counted, whose reply the caller
does not wait for), so another worker's attempt can fall between the two halves (an attempt
with an idempotency key, :attr:`AssessOps.once`, is one script, waited for). A batch of
attempts (:meth:`RiskState.assess_many`, the event intake's) is one script per attempt,
pipelined in chunks written one ahead of the replies read: the server counts a chunk while the
engine decides on the one before. A batch of outcomes (:meth:`RiskEngine.outcome_many
<shieldwall.guard.risk.engine.RiskEngine.outcome_many>`) is two calls, each one round trip on
Redis: :meth:`RiskState.take_pending_many` (one script for every id) and
:meth:`RiskState.record_outcomes` (one script per outcome, pipelined). The stops of an assess
or a batch (:meth:`RiskState.record_stops`) are written after its decisions and not waited for.

A decayed count ``c`` kept at time ``t0`` reads ``c * exp(-(t - t0) / tau)`` at ``t``; an
event adds 1. With ``tau`` = 10 minutes it is "about the last ten minutes", with a day "about
the last day", and keeping it costs two floats whatever the rate.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

# Slots of an entity record: time, then (short, long) for attempts, failures, unknown-account
# failures, distinct accounts; then the failure run.
T, A_S, A_L, F_S, F_L, U_S, U_L, D_S, D_L, RUN = range(10)
RECORD_SIZE = 10
# the idempotency key of the stop of an attempt keyed ``k`` is ``k + STOP_SUFFIX``
# (OutcomeOps.once; AssessView.stopped)
STOP_SUFFIX = ":s"


# AssessOps and AssessView are made once per attempt on the engine's hot path: plain slotted
# dataclasses, as a frozen one's ``__init__`` costs about four times as much (one
# ``object.__setattr__`` per field). Neither the engine nor a state changes one once made.
@dataclass(slots=True)
class AssessOps:
    """One attempt's writes and reads, applied atomically.

    - every entity in ``entities`` counts one attempt;
    - each ``(i, pair)`` in ``pairs`` counts one distinct account on entity ``i`` if ``pair``
      was not seen within the pair TTL (and marks it seen); a pair names the account whose key
      is ``profile`` (the engine's all do), so a state may keep an account's pairs together
      (Redis: one hash per account), and it is never ``#``;
    - ``profile``'s counts of ``fields`` are read (``n`` first: successful logins);
    - the popularity counts of ``popular`` are read (``n`` first);
    - the hour bucket ``hour`` counts one attempt;
    - ``pending``, when given as ``(assessment_id, payload)``, is kept as
      :meth:`RiskState.put_pending` keeps it (so an attempt costs one call, one round trip on
      Redis; the engine calls ``put_pending`` again only when the decision changes the payload);
    - ``breach``, when given as ``(account key, tag)``, is looked up among the account's breach
      tags (:meth:`RiskState.add_breach`): :attr:`AssessView.breach` says whether it is there;
    - ``once``, when given, is the attempt's idempotency key (an opaque tag; the event intake's
      is made from the event's kind and id): the state counts the attempt (entities, pairs,
      hour bucket) at most once per key within its once TTL (``once_ttl_seconds``, on the
      ``now`` of the attempts). An attempt whose key was already counted, and has not expired,
      writes none of those counts; it still keeps ``pending`` and reads as any attempt, and
      its view says :attr:`AssessView.repeat`, and :attr:`AssessView.stopped` when the stop of
      the key (``once + STOP_SUFFIX``) was recorded. The key is marked in the same atomic step
      as the counts, so two deliveries of one event, even at once on two workers, count it
      once.
    """

    entities: tuple[str, ...]
    pairs: tuple[tuple[int, str], ...]
    profile: str
    fields: tuple[str, ...]
    popular: tuple[str, ...]
    hour: int
    pending: tuple[str, bytes] | None = None
    breach: tuple[str, str] | None = None
    once: str | None = None


@dataclass(slots=True)
class AssessView:
    entities: list[list[float]]  # each a record decayed to now, after this attempt
    profile: list[int]  # n, then one count per field
    popular: list[int]  # n, then one count per field
    breach: bool = False  # the ops' breach tag is among the account's (unexpired) ones
    # the ops' ``once`` key had been counted: nothing was counted now (the records are read as
    # they are, holding the attempt's first count)
    repeat: bool = False
    # a repeat whose key's stop (once + STOP_SUFFIX) was recorded: its failure is counted
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class OutcomeOps:
    """One outcome's writes, applied atomically.

    A failure adds one failure on every entity (and one unknown-account failure when the
    account does not exist) and lengthens the run of the entities in ``runs``; a success
    ends those runs and adds one to ``profile``'s ``fields`` and ``popular``'s counts. For each
    ``(i, name)`` in ``distinct``, a success that makes ``fields[i]``'s count 1 (a value the
    profile had not seen) also adds one to the profile's ``name`` count: the number of distinct
    values of that field (one counter per field, so the profile stays bounded as before).

    ``retract``: the outcome answers a stop whose failure (and run step) were counted when it
    was stopped (:meth:`RiskState.record_stops`). A success takes that failure back from every
    entity and from this hour's bucket (never below zero) and ends the runs; a failure adds
    only its unknown-account count, if any.

    ``once``: as :attr:`AssessOps.once`, an idempotency key: an outcome whose key was already
    recorded (and has not expired) writes nothing. The engine gives the stop of an attempt keyed
    ``k`` the key ``k + STOP_SUFFIX`` (:meth:`RiskState.record_stops`), so that a redelivered
    attempt stopped again counts its failure once; it gives an outcome with a key the tag of
    its take (:attr:`TakeOnce.once`), so that a repeat's outcome, sent again, is recorded only
    when the first's record was lost.
    """

    entities: tuple[str, ...]
    runs: tuple[int, ...]
    success: bool
    account_known: bool
    profile: str
    fields: tuple[str, ...]
    popular: tuple[str, ...]
    hour: int
    distinct: tuple[tuple[int, str], ...] = ()
    retract: bool = False
    once: str | None = None


@dataclass(frozen=True, slots=True)
class TakeOnce:
    """The idempotency key of an outcome taking its pending assessment
    (:meth:`RiskState.take_pending_many`): ``once``, an opaque tag (the engine's keyed tag of
    :attr:`~shieldwall.guard.risk.model.LoginOutcome.once`), and what the outcome reports."""

    once: str
    success: bool
    account_known: bool


@dataclass(frozen=True, slots=True)
class Repeat:
    """What a take answers when its assessment was already taken under the same key, within
    the once TTL: the payload taken then and what that outcome reported (a redelivery of one
    event reports the same). The caller answers it as it answered the first, and records its
    outcome again under the key (:attr:`OutcomeOps.once`), which the state skips unless the
    first record was lost."""

    payload: bytes
    success: bool
    account_known: bool


class ScamContacts(Protocol):
    """When the holder of a login account was last contacted by a reported scam (the contact
    capability's reports, resolved by the composition root; :class:`NoScamContacts` by default)."""

    def last_scam_contact(self, account: str) -> float | None:
        """Seconds since the epoch of the latest scam contact naming the holder of ``account``,
        or None when none is known."""
        ...


class NoScamContacts:
    def last_scam_contact(self, account: str) -> float | None:
        return None


class RiskState(Protocol):
    """Counters of the login risk engine (in process or Redis)."""

    @property
    def blocking(self) -> bool:
        """True when calls wait on the network (an async caller then runs them in a thread)."""
        ...

    def assess(self, now: float, ops: AssessOps) -> AssessView: ...

    def assess_many(self, batch: Iterable[tuple[float, AssessOps]]) -> Iterator[AssessView]:
        """:meth:`assess` of each ``(now, ops)`` in order, each atomic and seeing the ones before
        it; one view per attempt, in order, each given as soon as it is ready. The state may
        take attempts from ``batch`` ahead of the views it has given (Redis takes one chunk
        ahead, so that its server counts them while the caller decides), never more than one
        chunk; every attempt taken has been applied when the iterator ends or is closed. The
        caller reads every view or closes the iterator."""
        ...

    def put_pending(self, assessment_id: str, payload: bytes) -> None:
        """Keep ``payload`` for the outcome of ``assessment_id`` (for the pending TTL)."""
        ...

    def take_pending(self, assessment_id: str) -> bytes | None:
        """The payload kept for ``assessment_id``, removed (an outcome is taken once)."""
        ...

    def take_pending_many(
        self,
        assessment_ids: Sequence[str],
        *,
        now: float = 0.0,
        once: Sequence[TakeOnce | None] = (),
    ) -> list[bytes | Repeat | None]:
        """:meth:`take_pending` of each id in order, in one call (one round trip on Redis): an
        id given twice gets its payload the first time and None after, as two calls would.

        ``once``, when given, holds one key or None per id: an id taken with a key is kept,
        with its payload and the key's report, under the key until ``now`` (the engine's
        clock) plus the once TTL, as an attempt's key is; an id whose payload is gone (taken)
        and whose key holds it, unexpired, is answered :class:`Repeat` (a different key, or
        none: None). Taking and keeping are one atomic step, so two deliveries of one outcome,
        even at once on two workers, take it once and both answer the same. Never with a
        key: only bytes or None."""
        ...

    def record_outcome(self, now: float, ops: OutcomeOps) -> None: ...

    def record_stops(self, stops: Sequence[tuple[float, str, bytes, OutcomeOps]]) -> None:
        """Attempts the engine stopped (challenged or denied), each ``(now, assessment id,
        payload, ops)``: keep ``payload`` as the assessment's pending one (replacing what its
        assess kept) and record ``ops`` (a failure) as :meth:`record_outcome` does, in order,
        in one call (one write on Redis, whose replies the caller does not wait for). The
        payload is kept even when ``ops.once`` was recorded before (the failure is not)."""
        ...

    def record_outcomes(self, batch: Sequence[tuple[float, OutcomeOps]]) -> None:
        """:meth:`record_outcome` of each ``(now, ops)`` in order, each atomic and applied after
        the ones before it, in one call (pipelined on Redis: one round trip per hundred outcomes).
        A storage error raises; the outcomes before it may have been recorded."""
        ...

    def reset_runs(self, keys: Sequence[str]) -> None:
        """End the failure runs of ``keys`` (after a passed step-up)."""
        ...

    def hours(self, first: int, last: int) -> list[tuple[int, float, float, float]]:
        """``(hour, attempts, failures, unknown)`` of each hour bucket in ``first..last``."""
        ...

    def add_breach(self, now: float, tags: Mapping[str, Collection[str]], ttl: float) -> None:
        """Add each account key's breach ``tags`` to those it holds, all of them or none (one
        transaction); an account's tags expire ``ttl`` seconds after ``now`` (its latest
        import)."""
        ...
