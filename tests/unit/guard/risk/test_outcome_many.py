"""``RiskEngine.outcome_many``: the results and the state of ``outcome`` called on each item in
turn (memory and Redis), a repeated or unknown id refused in its place, and on Redis two round
trips for the batch. Redis tests need Redis at 127.0.0.1:6379."""

from __future__ import annotations

import secrets
import struct
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.config import RiskSettings
from shieldwall.core.clock import ManualClock
from shieldwall.core.errors import StorageError
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.errors import InvalidAttempt, RiskError, UnknownAssessment
from shieldwall.guard.risk.model import (
    Assessment,
    LoginAttempt,
    LoginOutcome,
    OutcomeResult,
    SessionView,
)
from shieldwall.guard.risk.ports import F_L, F_S, RUN, U_S, AssessOps, OutcomeOps, RiskState
from shieldwall.sim.logins import AttackKind, LoginWorld, WorldConfig
from shieldwall.storage.risk_history_memory import MemoryDecisionHistory
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.risk_state_redis import RedisRiskState
from tests.redis_wire import Wire
from tests.unit.guard.risk.conftest import HOME, make_engine, sha1

URL = "redis://127.0.0.1:6379/0"
# pending assessments kept for a day: a batch's outcomes come after the whole batch is assessed
LONG_PENDING = RiskSettings(pending_ttl_seconds=86_400)


class TickClock:
    """A clock that moves one second on from each time it is read (set with :meth:`set`): a
    batch that read the clock more or fewer times, or in another order, than one call per item
    would record different times."""

    def __init__(self, start: datetime) -> None:
        self.t = start

    def set(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        t = self.t
        self.t = t + timedelta(seconds=1)
        return t


@pytest.fixture
def redis_state() -> Iterator[RedisRiskState]:
    s = RedisRiskState.from_url(URL, tenant=f"t{secrets.token_hex(4)}", settings=LONG_PENDING)
    yield s
    s.clear()


def state_of(backend: str, redis_state: RedisRiskState) -> RiskState:
    return MemoryRiskState.from_settings(LONG_PENDING) if backend == "memory" else redis_state


def one_at_a_time(engine: RiskEngine, items: list[LoginOutcome]) -> list[OutcomeResult | RiskError]:
    out: list[OutcomeResult | RiskError] = []
    for item in items:
        try:
            out.append(
                engine.outcome(
                    item.assessment_id, success=item.success, account_known=item.account_known
                )
            )
        except RiskError as exc:
            out.append(exc)
    return out


def shown(got: OutcomeResult | RiskError, item: LoginOutcome) -> tuple[Any, ...]:
    """A result without its random id (checked against the item's), an error by code, field."""
    if isinstance(got, RiskError):
        return ("refused", got.code, got.field)
    assert got.assessment_id == item.assessment_id
    return (got.success, got.session_view, got.force_password_reset)


def snapshot(state: RiskState) -> dict[str, Any]:
    """What the state holds, in one form for both backends: every record's ten doubles, every
    profile's counts and expiry, the popularity counts, the hour buckets, and the pending
    payloads (sorted: their keys are random assessment ids)."""
    if isinstance(state, MemoryRiskState):
        return {
            "records": {k: tuple(r) for k, r in state._records.items()},
            "profiles": {k: (e, dict(c)) for k, (e, c) in state._profiles.items()},
            "popular": dict(state._popular),
            # a bucket is written on Redis only where it counts something
            "hours": {h: tuple(b) for h, b in state._hours.items() if any(b)},
            "pending": sorted(p for _, p in state._pending.values()),
        }
    assert isinstance(state, RedisRiskState)
    state.settle()
    client, prefix = state.client, state.prefix
    out: dict[str, Any] = {"records": {}, "profiles": {}, "popular": {}, "pending": []}
    hours: dict[int, list[float]] = {}
    for raw in client.scan_iter(match=prefix + "*", count=1000):
        key = raw.decode()[len(prefix) :]
        if key.startswith("r:"):
            out["records"][key[2:]] = struct.unpack("<10d", client.get(raw) or b"")
        elif key.startswith("a:"):
            counts = {k.decode(): v for k, v in client.hgetall(raw).items()}
            expiry = float(counts.pop("_e"))
            out["profiles"][key[2:]] = (expiry, {k: int(v) for k, v in counts.items()})
        elif key == "pop":
            out["popular"] = {k.decode(): int(v) for k, v in client.hgetall(raw).items()}
        elif key == "h":
            for field, value in client.hgetall(raw).items():
                hour, slot = field.decode().split(":")
                hours.setdefault(int(hour), [0.0, 0.0, 0.0])["afu".index(slot)] = float(value)
        elif key.startswith("pd:"):
            out["pending"].append(client.get(raw))
    out["hours"] = {h: tuple(b) for h, b in hours.items() if any(b)}
    out["pending"].sort()
    return out


def replay(state: RiskState, *, batched: bool, size: int = 40) -> list[tuple[Any, ...]]:
    """Simulated traffic (benign and a stuffing attack) assessed ``size`` attempts at a time
    (``assess_many``), then the batch's outcomes: with ``outcome_many``, or ``outcome`` on each
    item in turn. Each batch of outcomes also holds an id repeated (the second time with the
    other success), an id never issued and an empty one. Returns every result."""
    world = LoginWorld(
        5, WorldConfig(customers=150, days=3.2, warmup_days=3.0, attacks=(AttackKind.STUFFING,))
    )
    events = world.events()[:600]
    clock = TickClock(events[0].ts)
    engine = make_engine(clock, state, pending_ttl_seconds=86_400)  # type: ignore[arg-type]
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(events), size):
        chunk = events[start : start + size]
        clock.set(chunk[0].ts)
        assessed = engine.assess_many(
            [
                LoginAttempt(e.account, e.ip, e.user_agent, e.device_id, e.password_sha1)
                for e in chunk
            ]
        )
        items = []
        for e, a in zip(chunk, assessed, strict=True):
            assert isinstance(a, Assessment)
            ok = e.correct and a.decision.value == "allow"
            items.append(LoginOutcome(a.assessment_id, ok, e.account_known))
        # a repeat of the third item, with the other result: refused, and changes nothing
        items.insert(7, LoginOutcome(items[2].assessment_id, not items[2].success))
        items.insert(11, LoginOutcome("never-issued-" + secrets.token_hex(4), False))
        items.insert(13, LoginOutcome("", True))
        clock.set(chunk[-1].ts + timedelta(seconds=5))
        got = engine.outcome_many(items) if batched else one_at_a_time(engine, items)
        out += [shown(g, item) for g, item in zip(got, items, strict=True)]
        out += [(a.decision, a.score, a.delay_ms) for a in assessed if isinstance(a, Assessment)]
    return out


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_outcome_many_gives_the_results_and_state_of_one_at_a_time(
    backend: str, redis_state: RedisRiskState
) -> None:
    """600 simulated attempts in batches of 40, each batch's outcomes (with a repeated, an
    unknown and an empty id among them) through ``outcome_many``: the same results, the same
    later decisions and the same state afterwards, record for record, as ``outcome`` on each
    item in turn on in-process state."""
    reference = MemoryRiskState.from_settings(LONG_PENDING)
    expected = replay(reference, batched=False)
    state = state_of(backend, redis_state)
    assert replay(state, batched=True) == expected
    assert snapshot(state) == snapshot(reference)
    # not vacuous: each kind of result is there
    refused = [r for r in expected if r[0] == "refused"]
    assert refused.count(("refused", "not_found", "assessment_id")) == 2 * 15
    assert refused.count(("refused", "invalid_input", "assessment_id")) == 15
    assert sum(1 for r in expected if r[0] is True) > 50
    assert sum(1 for r in expected if r[0] is False) > 50


def test_a_repeated_id_counts_once_and_the_second_is_unknown() -> None:
    """The same id twice in one batch, first a failure then a success: the first is recorded
    (one failure, a run of one on the account), the second is UnknownAssessment, as two calls;
    worked by hand from the outcome's contract."""
    clock = TickClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    state = MemoryRiskState()
    engine = make_engine(clock, state)  # type: ignore[arg-type]
    a = engine.assess(HOME)
    first, second = engine.outcome_many(
        [LoginOutcome(a.assessment_id, False), LoginOutcome(a.assessment_id, True)]
    )
    assert first == OutcomeResult(a.assessment_id, False)
    assert isinstance(second, UnknownAssessment) and second.field == "assessment_id"
    account = engine.account_key(HOME.account)
    rec = state._records[account]
    assert (rec[F_S], rec[F_L], rec[RUN]) == (1.0, 1.0, 1.0)  # one failure, a run of one
    assert account not in state._profiles  # the success was not recorded


def test_unknown_and_invalid_ids_are_refused_in_place_among_good_ones() -> None:
    """Good, unknown, too long, empty, good: the good ones recorded (successes, normal view),
    the others refused each with its own error; the failures' history written once."""
    clock = TickClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    history = MemoryDecisionHistory()
    writes: list[int] = []
    record = history.record
    history.record = lambda events: (writes.append(len(events)), record(events))[1]  # type: ignore[method-assign]
    engine = make_engine(clock)  # type: ignore[arg-type]
    engine.history = history
    a, b, c = (engine.assess(HOME) for _ in range(3))
    writes.clear()
    got = engine.outcome_many(
        [
            LoginOutcome(a.assessment_id, True),
            LoginOutcome("x" * 22, True),
            LoginOutcome("x" * 65, True),
            LoginOutcome("", False),
            LoginOutcome(b.assessment_id, False),
            LoginOutcome(c.assessment_id, False, account_known=False),
        ]
    )
    assert got[0] == OutcomeResult(a.assessment_id, True, SessionView.NORMAL, False)
    assert isinstance(got[1], UnknownAssessment)
    assert isinstance(got[2], InvalidAttempt) and got[2].field == "assessment_id"
    assert isinstance(got[3], InvalidAttempt) and got[3].field == "assessment_id"
    assert got[4:] == [OutcomeResult(b.assessment_id, False), OutcomeResult(c.assessment_id, False)]
    assert writes == [2]  # the two failures, one history write
    assert engine.outcome_many([]) == []


# an outcome as hypothesis draws it: which assessment (n: an id never issued, n + 1: an empty
# id), success, account known
outcome_item = st.tuples(st.integers(0, 7), st.booleans(), st.booleans())
ACCOUNTS = ("ann", "bob", "cyd")


@given(
    st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.integers(1, 3)), min_size=1, max_size=6),
    st.lists(outcome_item, max_size=20),
)
@settings(max_examples=80, deadline=None)
def test_outcome_many_is_outcome_in_turn_on_memory(
    attempts: list[tuple[str, int]], outcomes: list[tuple[int, bool, bool]]
) -> None:
    """Random attempts on a few accounts and addresses, then random outcomes of them (ids
    repeated, unknown, empty): the batch gives the results, the state and the next decisions
    of one outcome at a time on a twin engine."""
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    runs = []
    for batched in (False, True):
        clock = TickClock(start)
        state = MemoryRiskState()
        engine = make_engine(clock, state)  # type: ignore[arg-type]
        ids = [
            engine.assess(LoginAttempt(acct, f"1.80.3.{n}", "ua", None, None)).assessment_id
            for acct, n in attempts
        ]
        ids += ["never-issued", ""]
        items = [LoginOutcome(ids[min(i, len(ids) - 1)], ok, known) for i, ok, known in outcomes]
        got = engine.outcome_many(items) if batched else one_at_a_time(engine, items)
        after = [engine.assess(LoginAttempt(acct, "1.80.3.1")) for acct in ACCOUNTS]
        runs.append(
            (
                [shown(g, item) for g, item in zip(got, items, strict=True)],
                snapshot(state),
                [(a.decision, a.score, a.delay_ms) for a in after],
            )
        )
    assert runs[1] == runs[0]


@pytest.mark.redis
def test_redis_outcome_many_is_two_round_trips(
    redis_state: RedisRiskState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 outcomes (98 pending, a repeat, an unknown id): one write of the take script for
    every id, then one write of 98 outcome scripts, and nothing else; one at a time, an
    outcome costs two writes (the take, then the outcome script)."""
    clock = TickClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = make_engine(clock, redis_state, pending_ttl_seconds=86_400)  # type: ignore[arg-type]
    attempts = [LoginAttempt(f"user{n}", f"1.80.{n}.4") for n in range(100)]
    assessed = engine.assess_many(attempts)
    ids = [a.assessment_id for a in assessed if isinstance(a, Assessment)]
    items = [LoginOutcome(i, n % 3 == 0) for n, i in enumerate(ids[:98])]
    items.insert(50, LoginOutcome(ids[10], True))  # a repeat
    items.insert(60, LoginOutcome("never-issued", True))
    engine.outcome(ids[98], success=True)  # every script used below is loaded
    wire = Wire(monkeypatch)
    got = engine.outcome_many(items)
    take, outcome = redis_state._take_many.sha[:8], redis_state._outcome.sha[:8]
    assert wire.writes == [[f"EVALSHA {take}"], [f"EVALSHA {outcome}"] * 98]
    assert sum(isinstance(g, OutcomeResult) for g in got) == 98
    assert isinstance(got[50], UnknownAssessment) and isinstance(got[60], UnknownAssessment)
    wire.writes.clear()
    engine.outcome(ids[99], success=True)
    assert len(wire.writes) == 2 and [len(w) for w in wire.writes] == [1, 1]


@pytest.mark.redis
def test_redis_batches_of_over_a_hundred(
    redis_state: RedisRiskState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """251 ids (every other one pending, one repeated): one write of three take scripts (100,
    100 and 51 ids), each payload given back once, in order; 250 outcomes: three writes of
    100, 100 and 50 outcome scripts."""
    for n in range(0, 250, 2):
        redis_state.put_pending(f"id{n}", f"payload {n}".encode())
    ids = [f"id{n}" for n in range(250)]
    ids.insert(200, "id4")
    client = redis.Redis.from_url(URL)
    assert client.exists(redis_state.prefix + "pd:id4") == 1
    redis_state.take_pending_many(["warm-up"])  # the lane's scripts are loaded
    wire = Wire(monkeypatch)
    got = redis_state.take_pending_many(ids)
    assert [len(w) for w in wire.writes] == [3]
    expected: list[bytes | None] = [
        f"payload {n}".encode() if n % 2 == 0 else None for n in range(250)
    ]
    expected.insert(200, None)
    assert got == expected
    assert redis_state.take_pending_many(ids) == [None] * 251
    assert redis_state.take_pending_many([]) == []
    ops = OutcomeOps(("p", "i:aa"), (1,), False, True, "a:dd", (), (), 100)
    wire.writes.clear()
    redis_state.record_outcomes([(360_000.0 + n, ops) for n in range(250)])
    assert [len(w) for w in wire.writes] == [100, 100, 50]
    # the last of 250 failures one second apart: the run counted every one, in order
    view = redis_state.assess(360_250.0, AssessOps(("p", "i:aa"), (), "a:dd", (), (), 100))
    assert view.entities[1][RUN] == 250.0
    assert {name for w in wire.writes[:3] for name in w} == {
        f"EVALSHA {redis_state._outcome.sha[:8]}"
    }


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_keyed_outcome_again_answers_its_first_result_and_records_nothing(
    backend: str, redis_state: RedisRiskState
) -> None:
    """Three assessments (the first on a breached password: its points pass the mask score and
    its success forces a reset: masked, reset), their
    outcomes in one batch, two with idempotency keys. The batch again (a redelivery), with a
    third item of a key the state never kept and a fourth of the first key reporting a failure:
    the keyed ones answer exactly their first results (the fourth too: what was kept, not what
    it says), the others are unknown; the state and the decision history are as the first
    batch left them (the repeats' outcomes, sent again under their keys, are skipped)."""
    clock = TickClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    state = state_of(backend, redis_state)
    engine = make_engine(clock, state, breached=frozenset({"hunter2"}), pending_ttl_seconds=86_400)
    history = MemoryDecisionHistory()
    writes: list[int] = []
    record = history.record
    history.record = lambda events: (writes.append(len(events)), record(events))[1]  # type: ignore[method-assign]
    engine.history = history
    a = engine.assess(replace(HOME, password_sha1=sha1("hunter2")))
    b, c = engine.assess(HOME), engine.assess(HOME)
    assert a.decision.value == "allow"
    writes.clear()
    first = engine.outcome_many(
        [
            LoginOutcome(a.assessment_id, True, once="logins.outcomes:o1"),
            LoginOutcome(b.assessment_id, False, False, once="logins.outcomes:o2"),
            LoginOutcome(c.assessment_id, False),
        ]
    )
    assert first == [
        OutcomeResult(a.assessment_id, True, SessionView.MASKED, True),
        OutcomeResult(b.assessment_id, False),
        OutcomeResult(c.assessment_id, False),
    ]
    before, written = snapshot(state), list(writes)
    again = engine.outcome_many(
        [
            LoginOutcome(a.assessment_id, True, once="logins.outcomes:o1"),
            LoginOutcome(b.assessment_id, False, False, once="logins.outcomes:o2"),
            LoginOutcome(b.assessment_id, False, False, once="logins.outcomes:o9"),
            LoginOutcome(c.assessment_id, False),
            LoginOutcome(a.assessment_id, False, once="logins.outcomes:o1"),
        ]
    )
    assert again[:2] == first[:2] and again[4] == first[0]
    assert isinstance(again[2], UnknownAssessment) and isinstance(again[3], UnknownAssessment)
    assert snapshot(state) == before
    assert written == [2] and writes == [2]  # the first batch's two failures, once
    assert snapshot(state)["pending"] == []


def test_an_outcome_key_too_long_is_refused_in_place() -> None:
    """A key of 301 characters is refused (field ``once``) and takes nothing: its assessment
    is still pending for the next item; 300 are accepted."""
    clock = TickClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = make_engine(clock)
    a = engine.assess(HOME)
    got = engine.outcome_many(
        [
            LoginOutcome(a.assessment_id, True, once="k" * 301),
            LoginOutcome(a.assessment_id, True, once="k" * 300),
        ]
    )
    assert isinstance(got[0], InvalidAttempt) and got[0].field == "once"
    assert got[1] == OutcomeResult(a.assessment_id, True)


@pytest.mark.redis
def test_redis_keyed_outcomes_are_two_round_trips(
    redis_state: RedisRiskState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """250 keyed outcomes: one write of three keyed take scripts (100, 100 and 50 ids), then the
    outcome scripts (100, 100, 50); the batch again: the same writes (every item a repeat,
    answering its first result; its outcome sent again under its key, which the server skips:
    the state is unchanged)."""
    clock = TickClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = make_engine(clock, redis_state, pending_ttl_seconds=86_400)
    assessed = engine.assess_many([LoginAttempt(f"user{n}", f"1.80.{n}.4") for n in range(251)])
    ids = [a.assessment_id for a in assessed if isinstance(a, Assessment)]
    engine.outcome_many([LoginOutcome(ids[250], True, once="warm-up")])  # scripts loaded
    items = [LoginOutcome(i, n % 3 == 0, once=f"o{n}") for n, i in enumerate(ids[:250])]
    wire = Wire(monkeypatch)
    first = engine.outcome_many(items)
    take, outcome = redis_state._take_once.sha[:8], redis_state._outcome.sha[:8]
    writes = [
        [f"EVALSHA {take}"] * 3,
        [f"EVALSHA {outcome}"] * 100,
        [f"EVALSHA {outcome}"] * 100,
        [f"EVALSHA {outcome}"] * 50,
    ]
    assert wire.writes == writes
    assert sum(isinstance(g, OutcomeResult) for g in first) == 250
    before = snapshot(redis_state)
    wire.writes.clear()
    assert engine.outcome_many(items) == first
    assert wire.writes == writes
    assert snapshot(redis_state) == before


class RecordFailsOnce:
    """A state whose first ``record_outcomes`` raises, recording nothing: the outcomes were
    taken, and their record lost (a worker that died between the two calls)."""

    def __init__(self, inner: RiskState) -> None:
        self.inner = inner
        self.failed = False

    def record_outcomes(self, batch: Any) -> None:
        if not self.failed:
            self.failed = True
            raise StorageError("redis is unavailable: ConnectionError")
        self.inner.record_outcomes(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_keyed_outcome_taken_but_never_recorded_is_recorded_by_its_repeat(
    backend: str, redis_state: RedisRiskState
) -> None:
    """Two keyed failures of one account's attempts (the second of an unknown account) taken,
    their record failing; the batch again: each answers its result, and its outcome is
    recorded now; a third time: recorded already, skipped. Worked by hand, all at one time (no
    decay, the clock not moving): the account holds 2 failures, 1 of an unknown account, a run
    of 2, and the hour 2 failures and 1 unknown account (not 0, nor 4 and 2)."""
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    inner = state_of(backend, redis_state)
    state = RecordFailsOnce(inner)
    engine = make_engine(clock, cast(RiskState, state), pending_ttl_seconds=86_400)
    a, b = engine.assess(HOME), engine.assess(HOME)
    items = [
        LoginOutcome(a.assessment_id, False, once="logins.outcomes:o1"),
        LoginOutcome(b.assessment_id, False, False, once="logins.outcomes:o2"),
    ]
    with pytest.raises(StorageError):
        engine.outcome_many(items)
    want = [OutcomeResult(a.assessment_id, False), OutcomeResult(b.assessment_id, False)]
    assert engine.outcome_many(items) == want
    assert engine.outcome_many(items) == want
    account = engine.account_key(HOME.account)
    view = inner.assess(
        clock.now().timestamp(), AssessOps((account,), (), "a:none", (), (), 0)
    )  # read as an attempt does (which adds to none of the slots read)
    record = view.entities[0]
    assert (record[F_S], record[F_L], record[U_S], record[RUN]) == (2.0, 2.0, 1.0, 2.0)
    hour = int(clock.now().timestamp() // 3600)
    assert inner.hours(hour, hour) == [(hour, 2.0, 2.0, 1.0)]
