"""The intake's login attempts and outcomes, a batch at a time: one ``assess_many`` (one
``outcome_many``) per batch, results in order, duplicates within the batch and across batches,
refusals in place. No I/O: the processed-event store is a dict, the risk state in process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from shieldwall.core.clock import ManualClock
from shieldwall.core.events import AccessEvent
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.errors import RiskError
from shieldwall.guard.risk.model import Assessment, LoginAttempt, LoginOutcome, OutcomeResult
from shieldwall.intake.events import Kind, LoginAttemptEvent, LoginOutcomeEvent
from shieldwall.intake.ports import Result
from shieldwall.intake.service import Intake
from shieldwall.storage.risk_history_memory import MemoryDecisionHistory
from shieldwall.storage.risk_state_memory import MemoryRiskState
from tests.unit.guard.risk.conftest import make_engine


class DictEvents:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Result] = {}

    def known(self, kind: str, event_ids: Sequence[str]) -> dict[str, Result]:
        return {e: self.rows[(kind, e)] for e in event_ids if (kind, e) in self.rows}

    def record(self, kind: str, results: Mapping[str, Result], now: datetime) -> None:
        for e, r in results.items():
            self.rows.setdefault((kind, e), r)

    def record_with_audit(
        self, kind: str, items: Sequence[tuple[str, Result, AccessEvent]], now: datetime
    ) -> tuple[list[str], list[int]]:
        raise AssertionError("not used by login attempts")


class CountingEngine:
    """The real engine, counting its ``assess_many`` and ``outcome_many`` calls (and refusing
    ``assess`` and ``outcome``)."""

    def __init__(self, inner: RiskEngine) -> None:
        self.inner = inner
        self.batches: list[int] = []
        self.outcome_batches: list[int] = []

    def assess_many(self, attempts: Sequence[LoginAttempt]) -> list[Assessment | RiskError]:
        self.batches.append(len(attempts))
        return self.inner.assess_many(attempts)

    def assess(self, attempt: LoginAttempt) -> Assessment:
        raise AssertionError("the intake assesses a batch at once")

    def outcome_many(self, items: Sequence[LoginOutcome]) -> list[OutcomeResult | RiskError]:
        self.outcome_batches.append(len(items))
        return self.inner.outcome_many(items)

    def outcome(self, assessment_id: str, **kw: bool) -> OutcomeResult:
        raise AssertionError("the intake reports a batch of outcomes at once")


def event(event_id: str, ip: str = "1.80.3.4", account: str = "alice") -> LoginAttemptEvent:
    """An event as parsed; the schema would refuse the bad ones this test sends to check that
    the engine's own refusals land in place too (the schema and the engine can drift)."""
    return LoginAttemptEvent.model_construct(
        event_id=event_id,
        account=account,
        ip=ip,
        user_agent="ua",
        device_id=None,
        password_sha1=None,
    )


def make() -> tuple[Intake, CountingEngine, DictEvents]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = CountingEngine(make_engine(clock))
    processed = DictEvents()
    none = cast(Any, None)  # audit, principals and scam reports: not used by login attempts
    return Intake(cast(Any, engine), none, none, none, processed, clock), engine, processed


def test_a_batch_is_assessed_in_one_call_with_duplicates_and_refusals_in_place() -> None:
    intake, engine, processed = make()
    batch = [
        event("e1"),
        event("e2", ip="not-an-address"),
        event("e1"),  # again within the batch: a duplicate of the first
        event("e3", account="bob"),
        event("e2", ip="not-an-address"),  # refused again, the same way
        event("e4", account=""),  # refused before the engine (an empty account)
    ]
    results = intake.process(Kind.LOGIN_ATTEMPT, batch)
    assert engine.batches == [3]  # e1, e2 (the engine refuses it) and e3, once each, one call
    assert [(r.event_id, r.status) for r in results] == [
        ("e1", "processed"),
        ("e2", "rejected"),
        ("e1", "duplicate"),
        ("e3", "processed"),
        ("e2", "rejected"),
        ("e4", "rejected"),
    ]
    assert results[2].result == results[0].result
    assert results[0].result["assessment_id"] != results[3].result["assessment_id"]
    assert (results[1].code, results[1].field) == ("invalid_input", "ip")
    assert (results[5].code, results[5].field) == ("invalid_input", "account")
    # recorded: the processed ones only, each with the result it gave
    assert processed.rows == {
        ("logins.attempts", "e1"): results[0].result,
        ("logins.attempts", "e3"): results[3].result,
    }


def test_a_resent_batch_changes_nothing_and_assesses_nothing() -> None:
    intake, engine, _ = make()
    first = intake.process(Kind.LOGIN_ATTEMPT, [event("e1"), event("e2")])
    again = intake.process(Kind.LOGIN_ATTEMPT, [event("e2"), event("e1"), event("e5")])
    assert engine.batches == [2, 1]
    assert [r.status for r in again] == ["duplicate", "duplicate", "processed"]
    assert again[0].result == first[1].result and again[1].result == first[0].result


def test_the_stream_path_feeds_the_decision_history() -> None:
    """Attempts taken from the stream are counted in the engine's decision history: one
    decision per processed attempt (duplicates and refusals not), in one history call."""
    intake, engine, _ = make()
    history = MemoryDecisionHistory()
    engine.inner.history = history
    recorded: list[int] = []
    record = history.record
    history.record = lambda events: (recorded.append(len(events)), record(events))[1]  # type: ignore[method-assign]
    intake.process(
        Kind.LOGIN_ATTEMPT, [event("e1"), event("e1"), event("e2", ip="bad"), event("e3")]
    )
    hour = int(datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp() // 3600)
    assert history.hours(hour, hour)[0].decided == 2
    assert recorded == [2]


def outcome(event_id: str, assessment_id: str, success: bool = True) -> LoginOutcomeEvent:
    """An outcome event as parsed (built without the schema, which would refuse an empty id)."""
    return LoginOutcomeEvent.model_construct(
        event_id=event_id, assessment_id=assessment_id, success=success, account_known=True
    )


def pending(intake: Intake, n: int) -> list[str]:
    """The assessment ids of ``n`` attempts (accounts ``u0``...) the intake assessed."""
    results = intake.process(
        Kind.LOGIN_ATTEMPT, [event(f"a{i}", account=f"u{i}") for i in range(n)]
    )
    return [r.result["assessment_id"] for r in results]


def results_of(results: Sequence[Any]) -> list[tuple[str | None, str, str | None]]:
    return [(r.event_id, r.status, r.code) for r in results]


def test_outcomes_go_in_one_call_with_duplicates_and_refusals_in_place() -> None:
    """Outcome events: a duplicate event id answers the first result, a second event for an
    assessment already reported is rejected (not_found), as are an unknown and an empty id;
    one ``outcome_many`` for the lot; the processed ones recorded with their results."""
    intake, engine, processed = make()
    a, b = pending(intake, 2)
    batch = [
        outcome("o1", a),
        outcome("o2", "never-issued"),
        outcome("o3", a, success=False),  # the same assessment again: already reported
        outcome("o4", b, success=False),
        outcome("o5", ""),
    ]
    results = intake.process(Kind.LOGIN_OUTCOME, batch)
    assert engine.outcome_batches == [5]
    assert results_of(results) == [
        ("o1", "processed", None),
        ("o2", "rejected", "not_found"),
        ("o3", "rejected", "not_found"),
        ("o4", "processed", None),
        ("o5", "rejected", "invalid_input"),
    ]
    assert results[0].result == {
        "assessment_id": a,
        "recorded": True,
        "session_view": "normal",
        "force_password_reset": False,
    }
    assert {k: v for k, v in processed.rows.items() if k[0] == "logins.outcomes"} == {
        ("logins.outcomes", "o1"): results[0].result,
        ("logins.outcomes", "o4"): results[3].result,
    }


def test_a_repeated_event_id_is_judged_on_its_first_occurrence() -> None:
    """An event id twice in a batch: a duplicate when the first was processed; tried again, in
    its place, when the first was rejected (here with another assessment id, which is then
    processed), as one call per event would. The batch is cut before each such repeat."""
    intake, engine, _ = make()
    a, b, c = pending(intake, 3)
    batch = [
        outcome("o1", a),
        outcome("o2", "never-issued"),
        outcome("o1", a),  # a duplicate of the processed o1
        outcome("o3", b),
        outcome("o2", c),  # o2 was rejected: this one is reported
        outcome("o2", c),  # and now a duplicate of it
    ]
    results = intake.process(Kind.LOGIN_OUTCOME, batch)
    assert results_of(results) == [
        ("o1", "processed", None),
        ("o2", "rejected", "not_found"),
        ("o1", "duplicate", None),
        ("o3", "processed", None),
        ("o2", "processed", None),
        ("o2", "duplicate", None),
    ]
    assert results[2].result == results[0].result and results[5].result == results[4].result
    assert results[4].result["assessment_id"] == c
    assert engine.outcome_batches == [2, 2]  # cut before the repeats of o1 and of o2


def test_a_redelivered_batch_of_outcomes_changes_nothing() -> None:
    """The same outcome events again: the processed ones answer duplicate with their first
    result, the rejected ones are rejected again; the state is exactly as before."""
    intake, engine, _ = make()
    a, b = pending(intake, 2)
    batch = [outcome("o1", a), outcome("o2", b, success=False), outcome("o3", "never-issued")]
    first = intake.process(Kind.LOGIN_OUTCOME, batch)
    state = engine.inner.state
    assert isinstance(state, MemoryRiskState)
    before = ({k: r.tolist() for k, r in state._records.items()}, dict(state._profiles))
    again = intake.process(Kind.LOGIN_OUTCOME, batch)
    assert results_of(again) == [
        ("o1", "duplicate", None),
        ("o2", "duplicate", None),
        ("o3", "rejected", "not_found"),
    ]
    assert [r.result for r in again[:2]] == [r.result for r in first[:2]]
    assert ({k: r.tolist() for k, r in state._records.items()}, dict(state._profiles)) == before
    assert engine.outcome_batches == [3, 1]  # the redelivery asks only about o3
