"""The deadline clock, with times worked by hand: GDPR art. 33's 72 hours to the authority,
the store's target where the law says "immediately", and the four states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shieldwall.respond.notices.deadlines import DeadlineStatus, deadline
from shieldwall.respond.notices.model import Audience, Regime

FOUND = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_gdpr_authority_is_due_72_hours_after_discovery() -> None:
    """Discovered Mon 2 March 09:00 UTC: due Thu 5 March 09:00; at Wed 09:00, 48 h elapsed
    and 24 h left; at Thu 10:00, overdue by one hour."""
    d = deadline(
        Regime.GDPR,
        Audience.AUTHORITY,
        discovered_at=FOUND,
        now=datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
        target_hours=24,
    )
    assert d.due_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert d.legal
    out = d.as_dict()
    assert out["elapsed_seconds"] == 48 * 3600
    assert out["remaining_seconds"] == 24 * 3600
    assert out["status"] == "pending"
    assert "1d 0h 00m left" in d.line() and "deadline 2026-03-05 09:00" in d.line()
    late = deadline(
        Regime.GDPR,
        Audience.AUTHORITY,
        discovered_at=FOUND,
        now=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
        target_hours=24,
    )
    assert late.status is DeadlineStatus.OVERDUE
    assert late.as_dict()["remaining_seconds"] == -3600
    assert "overdue by 1h 00m" in late.line()
    assert "elapsed 3d 1h 00m" in late.line()


def test_a_notice_stops_the_clock_met_or_late() -> None:
    """Notified one minute before the 72 hours: met; one minute after: late by a minute,
    whatever the time is now."""
    now = datetime(2026, 3, 9, tzinfo=UTC)
    before = datetime(2026, 3, 5, 8, 59, tzinfo=UTC)
    after = datetime(2026, 3, 5, 9, 1, tzinfo=UTC)
    met = deadline(
        Regime.GDPR,
        Audience.AUTHORITY,
        discovered_at=FOUND,
        now=now,
        target_hours=24,
        notified_at=before,
    )
    assert met.status is DeadlineStatus.MET and met.as_dict()["remaining_seconds"] == 60
    assert met.as_dict()["elapsed_seconds"] == 71 * 3600 + 59 * 60
    late = deadline(
        Regime.GDPR,
        Audience.AUTHORITY,
        discovered_at=FOUND,
        now=now,
        target_hours=24,
        notified_at=after,
    )
    assert late.status is DeadlineStatus.LATE and late.as_dict()["remaining_seconds"] == -60


def test_immediately_uses_the_store_target_and_says_so() -> None:
    """PIPL art. 57 sets no hour figure: the due time is the configured target (here 6 h),
    marked as not the law's deadline; persons carry how many of how many were notified."""
    d = deadline(
        Regime.PIPL,
        Audience.PERSON,
        discovered_at=FOUND,
        now=FOUND + timedelta(hours=7),
        target_hours=6,
        notified=2,
        affected=5,
    )
    assert d.due_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert not d.legal and d.status is DeadlineStatus.OVERDUE
    out = d.as_dict()
    assert out["persons_notified"] == 2 and out["persons_affected"] == 5
    assert "立即" in out["basis"] and out["legal_deadline"] is False
    assert "2/5 persons notified" in d.line() and "store target" in d.line()


@given(
    hours=st.floats(min_value=0.5, max_value=720),
    now_after=st.integers(min_value=0, max_value=60 * 24 * 40),
    notified_after=st.none() | st.integers(min_value=0, max_value=60 * 24 * 40),
    regime=st.sampled_from(Regime),
    audience=st.sampled_from(Audience),
)
def test_elapsed_and_remaining_always_make_the_allowance(
    hours: float,
    now_after: int,
    notified_after: int | None,
    regime: Regime,
    audience: Audience,
) -> None:
    """Elapsed + remaining is the allowance; the status follows the sign of what remains and
    whether a notice went out."""
    now = FOUND + timedelta(minutes=now_after)
    notified = None if notified_after is None else FOUND + timedelta(minutes=notified_after)
    d = deadline(
        regime,
        audience,
        discovered_at=FOUND,
        now=now,
        target_hours=hours,
        notified_at=notified,
    )
    assert d.elapsed + d.remaining == d.due_at - FOUND
    on_time = d.remaining >= timedelta(0)
    expected = {
        (False, True): DeadlineStatus.PENDING,
        (False, False): DeadlineStatus.OVERDUE,
        (True, True): DeadlineStatus.MET,
        (True, False): DeadlineStatus.LATE,
    }[(notified is not None, on_time)]
    assert d.status is expected
    if (regime, audience) == (Regime.GDPR, Audience.AUTHORITY):
        assert d.due_at - FOUND == timedelta(hours=72)
