"""A batch of login attempts whose assessment ran but whose record did not (a worker that died,
or a database that failed, in between) is counted once when it comes again: the intake keys
each attempt by its event, and the risk state counts a key once. On memory and Redis state
(on Redis read back by its key layout)."""

from __future__ import annotations

import dataclasses
import secrets
import struct
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import redis

from shieldwall.config import RiskSettings, Settings
from shieldwall.core.clock import ManualClock
from shieldwall.core.errors import StorageError
from shieldwall.guard.risk.ports import A_L, A_S, F_L, F_S, U_L, U_S, RiskState
from shieldwall.intake.events import Kind, LoginOutcomeEvent
from shieldwall.intake.ports import Result
from shieldwall.intake.service import Intake
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.risk_state_redis import RedisRiskState
from shieldwall.wiring import build, build_intake, initialize
from tests.unit.guard.risk.conftest import make_engine
from tests.unit.intake.test_service import DictEvents, event

URL = "redis://127.0.0.1:6379/0"


class RecordFailsOnce(DictEvents):
    """The processed-event store (the port), whose first ``record`` raises as a database that
    went away would: the batch was assessed, and is not recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def record(self, kind: str, results: Mapping[str, Result], now: datetime) -> None:
        if not self.failed:
            self.failed = True
            raise StorageError("the database is unavailable")
        super().record(kind, results, now)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def state(request: pytest.FixtureRequest) -> Iterator[RiskState]:
    if request.param == "memory":
        yield MemoryRiskState()
        return
    s = RedisRiskState.from_url(URL, tenant=f"t{secrets.token_hex(4)}", settings=RiskSettings())
    yield s
    s.clear()


def test_a_batch_assessed_but_not_recorded_counts_each_attempt_once(state: RiskState) -> None:
    """Three attempts (two on one address), every one stopped (a challenge score so low that
    any unfamiliar login is challenged), assessed, the record failing; the batch again:
    processed. Worked by hand, all at one time (no decay): the platform counted 3 attempts and
    3 failures (the stops'), not 6 and 6; the hour bucket likewise; the address of two
    attempts 2 and 2."""
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = make_engine(clock, state, challenge_score=1e-9)
    processed = RecordFailsOnce()
    none = cast(Any, None)  # audit, principals and scam reports: not used by login attempts
    intake = Intake(engine, none, none, none, processed, clock)
    batch = [
        event("e1", account="alice"),
        event("e2", ip="1.80.3.5", account="bob"),
        event("e3", account="carol"),
    ]
    with pytest.raises(StorageError):
        intake.process(Kind.LOGIN_ATTEMPT, batch)
    results = intake.process(Kind.LOGIN_ATTEMPT, batch)
    assert [r.status for r in results] == ["processed"] * 3
    assert all(r.result["decision"] != "allow" for r in results)
    assert processed.known(Kind.LOGIN_ATTEMPT.value, ["e1", "e2", "e3"]) == {
        r.event_id: r.result for r in results
    }
    hour = int(clock.now().timestamp() // 3600)
    assert state.hours(hour, hour) == [(hour, 3.0, 3.0, 0.0)]
    if isinstance(state, RedisRiskState):  # the records, read by the key layout
        state.settle()
        client = redis.Redis.from_url(URL)
        address = "i:" + engine._tag(b"i", "1.80.3.4")  # as the engine tags an address
        for key, want in (("p", 3.0), (address, 2.0)):
            raw = client.get(state.prefix + "r:" + key)
            assert raw is not None
            record = struct.unpack("<10d", raw)
            assert (record[A_S], record[A_L], record[F_S]) == (want, want, want)


@pytest.mark.parametrize("success", [False, True])
def test_an_allowed_redelivery_answers_the_first_deliverys_stop(
    state: RiskState, success: bool
) -> None:
    """The first delivery stopped (its failure counted), its record failing; the redelivery
    decided by an engine that allows it (thresholds raised: the decision flips). Its pending
    assessment answers the first stop, as a stop's does: worked by hand, a failed outcome adds
    no second failure (hour: 1 attempt, 1 failure), a success takes the stop's back (0)."""
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    none = cast(Any, None)  # audit, principals and scam reports: not used by login attempts
    processed = RecordFailsOnce()
    stopping = make_engine(clock, state, challenge_score=1e-9)
    with pytest.raises(StorageError):
        Intake(stopping, none, none, none, processed, clock).process(
            Kind.LOGIN_ATTEMPT, [event("e1")]
        )
    allowing = make_engine(clock, state, challenge_score=50.0, deny_score=60.0)
    (result,) = Intake(allowing, none, none, none, processed, clock).process(
        Kind.LOGIN_ATTEMPT, [event("e1")]
    )
    assert (result.status, result.result["decision"]) == ("processed", "allow")
    allowing.outcome(result.result["assessment_id"], success=success)
    hour = int(clock.now().timestamp() // 3600)
    assert state.hours(hour, hour) == [(hour, 1.0, 0.0 if success else 1.0, 0.0)]


def _outcome(event_id: str, assessment_id: str, success: bool, known: bool) -> LoginOutcomeEvent:
    return LoginOutcomeEvent.model_construct(
        event_id=event_id, assessment_id=assessment_id, success=success, account_known=known
    )


def _record(state: RiskState, key: str) -> tuple[float, ...]:
    """An entity's record as the state holds it (on Redis read by the key layout)."""
    if isinstance(state, MemoryRiskState):
        return tuple(state._records[key])
    assert isinstance(state, RedisRiskState)
    state.settle()
    raw = redis.Redis.from_url(URL).get(state.prefix + "r:" + key)
    assert raw is not None
    return struct.unpack("<10d", raw)


def test_a_batch_of_outcomes_reported_but_not_recorded_answers_its_first_results(
    state: RiskState,
) -> None:
    """Four attempts: three allowed (two on one address), one stopped (its failure counted by
    the stop); their outcomes in one batch (a failure, a failure of an unknown account, a
    success, and a failure of an unknown account answering the stop), the record failing; the
    batch again: each processed, with the first delivery's result, not rejected. Worked by
    hand, all at one time (no decay): the hour holds 4 attempts, 3 failures (two outcomes and
    the stop; the stop's outcome adds none) and 2 unknown accounts, not 5 and 4; the shared
    address 2 failures and 1 unknown account, the stopped attempt's address 1 and 1."""
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    none = cast(Any, None)  # audit, principals and scam reports: not used by logins
    engine = make_engine(clock, state)
    attempts = Intake(engine, none, none, none, DictEvents(), clock).process(
        Kind.LOGIN_ATTEMPT,
        [
            event("e1", account="alice"),
            event("e2", account="bob"),
            event("e3", ip="1.80.3.5", account="carol"),
        ],
    )
    (stopped,) = Intake(
        make_engine(clock, state, challenge_score=1e-9), none, none, none, DictEvents(), clock
    ).process(Kind.LOGIN_ATTEMPT, [event("e4", ip="1.80.3.6", account="dave")])
    assert [r.result["decision"] for r in attempts] == ["allow"] * 3
    assert stopped.result["decision"] != "allow"
    ids = [r.result["assessment_id"] for r in [*attempts, stopped]]
    batch = [
        _outcome("o1", ids[0], False, True),
        _outcome("o2", ids[1], False, False),
        _outcome("o3", ids[2], True, True),
        _outcome("o4", ids[3], False, False),
    ]
    firsts: list[list[Any]] = []
    outcome_many = engine.outcome_many

    def reported(items: Any) -> Any:
        got = outcome_many(items)
        firsts.append(got)
        return got

    engine.outcome_many = reported  # type: ignore[method-assign]
    processed = RecordFailsOnce()
    intake = Intake(engine, none, none, none, processed, clock)
    with pytest.raises(StorageError):
        intake.process(Kind.LOGIN_OUTCOME, batch)
    results = intake.process(Kind.LOGIN_OUTCOME, batch)
    assert [r.status for r in results] == ["processed"] * 4
    first = [got.as_dict() for got in firsts[0]]
    assert [r.result for r in results] == first
    assert [(f["session_view"], f["force_password_reset"]) for f in first] == [
        ("normal", False)
    ] * 4
    assert processed.known(Kind.LOGIN_OUTCOME.value, ["o1", "o2", "o3", "o4"]) == {
        r.event_id: r.result for r in results
    }
    hour = int(clock.now().timestamp() // 3600)
    assert state.hours(hour, hour) == [(hour, 4.0, 3.0, 2.0)]
    for ip, want in (("1.80.3.4", (2.0, 1.0)), ("1.80.3.6", (1.0, 1.0))):
        record = _record(state, "i:" + engine._tag(b"i", ip))  # as the engine tags an address
        failures, unknown = want
        assert (record[F_S], record[F_L], record[U_S], record[U_L]) == (
            failures,
            failures,
            unknown,
            unknown,
        )


def test_with_keys_off_a_batch_assessed_but_not_recorded_counts_again() -> None:
    """``guard.risk.once_ttl_seconds = 0`` (``count_once=False``): no key per event, so the
    batch of the first test, assessed and not recorded, then processed again, counts twice in
    the hour bucket (6 attempts and 6 failures, not 3 and 3): what the setting trades for the
    key's Redis work, as documented."""
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    state = MemoryRiskState()
    engine = make_engine(clock, state, challenge_score=1e-9)
    none = cast(Any, None)  # audit, principals and scam reports: not used by login attempts
    intake = Intake(engine, none, none, none, RecordFailsOnce(), clock, count_once=False)
    batch = [
        event("e1", account="alice"),
        event("e2", ip="1.80.3.5", account="bob"),
        event("e3", account="carol"),
    ]
    with pytest.raises(StorageError):
        intake.process(Kind.LOGIN_ATTEMPT, batch)
    assert [r.status for r in intake.process(Kind.LOGIN_ATTEMPT, batch)] == ["processed"] * 3
    hour = int(clock.now().timestamp() // 3600)
    assert state.hours(hour, hour) == [(hour, 6.0, 6.0, 0.0)]


@pytest.mark.parametrize(("ttl", "ok"), [(0, True), (59, False), (60, True), (86_400, True)])
def test_once_ttl_is_off_or_at_least_a_minute(ttl: int, ok: bool) -> None:
    """0 turns the keys off; 1-59 s is refused (shorter than any redelivery); 60 s and up
    accepted."""
    if ok:
        assert RiskSettings(once_ttl_seconds=ttl).once_ttl_seconds == ttl
    else:
        with pytest.raises(ValueError, match="0 \\(off\\) or at least 60 seconds"):
            RiskSettings(once_ttl_seconds=ttl)


def test_the_wired_intake_keys_events_unless_the_ttl_is_zero(sqlite_settings: Settings) -> None:
    """The composition root keys the intake's events by default and not with
    ``guard.risk.once_ttl_seconds = 0``."""
    initialize(sqlite_settings)
    svc = build(sqlite_settings)
    try:
        assert build_intake(svc).count_once is True
        risk = sqlite_settings.guard.risk.model_copy(update={"once_ttl_seconds": 0})
        guard = sqlite_settings.guard.model_copy(update={"risk": risk})
        off = dataclasses.replace(svc, settings=sqlite_settings.model_copy(update={"guard": guard}))
        assert build_intake(off).count_once is False
    finally:
        svc.close()
