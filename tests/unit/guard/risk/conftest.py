"""Fixtures for the login risk engine: a manual clock and an engine on in-process state."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from shieldwall.config import RiskSettings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.model import LoginAttempt
from shieldwall.guard.risk.network import AsnTable
from shieldwall.guard.risk.ports import OutcomeOps, RiskState
from shieldwall.storage.risk_state_memory import MemoryRiskState

KEY = b"test-tag-key-0123456789abcdef012"


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest()


def make_engine(
    clock: ManualClock,
    state: RiskState | None = None,
    breached: frozenset[str] = frozenset(),
    **overrides: object,
) -> RiskEngine:
    digests = {bytes.fromhex(sha1(p)) for p in breached}
    settings = RiskSettings.model_validate(overrides)
    return RiskEngine(
        settings,
        state if state is not None else MemoryRiskState.from_settings(settings),
        KEY,
        clock,
        asn=AsnTable.load(None),
        breached=lambda d: d in digests,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def engine(clock: ManualClock) -> RiskEngine:
    return make_engine(clock)


HOME = LoginAttempt("alice@example.com", "1.80.3.4", "Mozilla/5.0 (iPhone)", "dev-alice")


def login(engine: RiskEngine, attempt: LoginAttempt, success: bool, known: bool = True) -> None:
    a = engine.assess(attempt)
    engine.outcome(a.assessment_id, success=success, account_known=known)


class StopsAfterTheBatch:
    """A state whose stops (``record_stops``) are held until :meth:`flush`: ``assess`` one at
    a time then counts a batch's stops where ``assess_many`` does, after the batch's decisions."""

    def __init__(self, inner: RiskState) -> None:
        self.inner = inner
        self.held: list[tuple[float, str, bytes, OutcomeOps]] = []

    def record_stops(self, stops: Sequence[tuple[float, str, bytes, OutcomeOps]]) -> None:
        self.held.extend(stops)

    def flush(self) -> None:
        self.inner.record_stops(self.held)
        self.held = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
