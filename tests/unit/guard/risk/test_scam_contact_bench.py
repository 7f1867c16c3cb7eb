"""The quality bench's scam-report source: a report counts for a login only once the store has
received it (``bench/bench_guard_risk_quality.py``)."""

from __future__ import annotations

from datetime import timedelta

from bench.bench_guard_risk_quality import ReportedScams, last_report_before

from shieldwall.config import RiskSettings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.model import LoginAttempt
from shieldwall.guard.risk.network import AsnTable
from shieldwall.storage.risk_state_memory import MemoryRiskState
from tests.unit.guard.risk.conftest import KEY

REPORTS = {"+8613800000001": [1000.0, 5000.0]}
STRANGER = LoginAttempt("+8613800000001", "104.236.1.1", "python-requests/2.31.0", None)


def _engine(scams: ReportedScams, clock: ManualClock) -> RiskEngine:
    """An engine on memory state with ``scam_contact_points`` 2.0 and ``scams`` its source."""
    settings = RiskSettings(scam_contact_points=2.0)
    return RiskEngine(
        settings,
        MemoryRiskState.from_settings(settings),
        KEY,
        clock,
        asn=AsnTable.load(None),
        scam_contacts=scams,
    )


def test_last_report_before_reads_only_reports_already_received() -> None:
    """Reports at 1000 and 5000: before 1000 none; from 1000 (inclusive) to just under 5000 the
    first; from 5000 the second; another account none."""
    assert last_report_before(REPORTS, "+8613800000001", 999.0) is None
    assert last_report_before(REPORTS, "+8613800000001", 1000.0) == 1000.0
    assert last_report_before(REPORTS, "+8613800000001", 4999.9) == 1000.0
    assert last_report_before(REPORTS, "+8613800000001", 9000.0) == 5000.0
    assert last_report_before(REPORTS, "+8613900000002", 9000.0) is None


def test_engine_sees_a_report_only_after_it_is_received(clock: ManualClock) -> None:
    """A report received 30 minutes after a stranger's login does not raise it; the same login
    31 minutes later does (scam_contact_points 2.0, fully unfamiliar: the reason appears)."""
    t0 = clock.now().timestamp()
    engine = _engine(ReportedScams({STRANGER.account: [t0 + 1800]}, clock), clock)
    codes = {r.code for r in engine.assess(STRANGER).reasons}
    assert "scam_contact" not in codes
    clock.advance(timedelta(minutes=31).total_seconds())
    assert "scam_contact" in {r.code for r in engine.assess(STRANGER).reasons}


def test_an_earlier_report_counts_while_a_later_one_is_not_yet_received(
    clock: ManualClock,
) -> None:
    """Reports an hour before and 30 minutes after a stranger's login: the source answers the
    earlier one (not the latest stored, which the engine would refuse as later than the login),
    so the login carries ``scam_contact``."""
    t0 = clock.now().timestamp()
    scams = ReportedScams({STRANGER.account: [t0 - 3600, t0 + 1800]}, clock)
    assert scams.last_scam_contact(STRANGER.account) == t0 - 3600
    engine = _engine(scams, clock)
    assert "scam_contact" in {r.code for r in engine.assess(STRANGER).reasons}
