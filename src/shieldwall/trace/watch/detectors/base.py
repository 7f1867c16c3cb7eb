"""The one shape every detector has, and the context the engine gives it.

A detector is a small class with a ``kind`` (the alert kind it raises) and
``observe(obs, ctx) -> Finding | None``. It reads one access (:class:`Observation`), counts what
it cares about in the principal's day profile through ``ctx``, and when its count grew it tests
the window's count against the peers' (or the principal's own) rate. It returns a finding only
when the score reaches its alert score; the engine turns findings into de-duplicated alerts.
Detectors hold no state of their own: everything lives in the working set behind ``ctx``, which
is what lets a Redis-backed watch hand over to another worker mid-stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Reason
from shieldwall.trace.watch.model import Finding, Observation
from shieldwall.trace.watch.stats import binomial_surprise, tolerate_odds
from shieldwall.trace.watch.workingset import DayProfile


class DetectorContext(Protocol):
    """What a detector may ask about the principal of the current observation."""

    settings: WatchSettings

    def today(self) -> DayProfile: ...

    def time(self) -> float:
        """The current record's event time (epoch seconds) as the watch counts it."""
        ...

    def window(self, metric: str) -> int:
        """The metric summed over the window (today and the ``window_days - 1`` before)."""
        ...

    def window_at(self, metric: str, at: float) -> int:
        """:meth:`window` with today's customers counted only if first seen at or before event
        time ``at`` (for a metric marked with times; the whole count otherwise)."""
        ...

    def window_sets(self, metric: str) -> list[set[str]]:
        """The window's daily customer sets for ``metric``, today first."""
        ...

    def peer_rate(self, num: str, den: str) -> float | None: ...

    def own_rate(self, num: str, den: str) -> float | None: ...

    def own_daily(self, metric: str) -> float | None: ...

    def peer_daily(self, metric: str) -> float | None: ...

    def usual_hours(self) -> frozenset[int] | None: ...

    def id_space(self, key: str, number: int) -> int:
        """Note an id number seen under ``key`` (prefix and width); the largest seen so far."""
        ...

    def evidence(self, kind: str, customers: Sequence[str]) -> None:
        """Keep the current access as evidence for ``kind`` (its seq, time and customers)."""
        ...

    def finding(
        self,
        kind: str,
        score: float,
        reasons: Sequence[Reason],
        *,
        exposed: int,
        details: Mapping[str, str] | None = None,
    ) -> Finding: ...


class Detector(Protocol):
    kind: ClassVar[str]

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None: ...


# Today alone speaks once it holds this many: the first few accesses of a morning are not a day.
MIN_TODAY = 20


@dataclass(frozen=True, slots=True)
class RateTest:
    """A binomial test of ``k`` of ``n`` against the peers' rate (odds times tolerance)."""

    score: float
    k: int
    n: int
    peer: float  # the peers' (or own) rate the test started from, before tolerance
    span: str  # "today" or "in N days": which count scored higher


def rate_test(
    ctx: DetectorContext,
    num: str,
    den: str,
    *,
    own: bool = False,
    extra: tuple[float, ...] = (),
    at: float | None = None,
) -> RateTest | None:
    """Test ``num``/``den`` against peers (and the principal's past if ``own``; ``extra`` adds
    other rates the null must cover), over the window and over today alone, and keep the higher
    score: the window catches the slow, today catches a burst that the principal's own quiet
    days before would dilute. Fewer than ``min_count`` in the numerator never score: three
    denials on a quiet morning are not a pattern.

    With ``at`` (an event time), today's counts are those of customers first seen at or before
    it (see :meth:`DayProfile.count_until`): the test then gives the same answer whether the
    principal's later records were logged before or after this one.

    None while no baseline exists (the first day of a deployment): peer-based detectors stay
    silent rather than guess.
    """
    rates = [ctx.peer_rate(num, den)]
    if own:
        rates.append(ctx.own_rate(num, den))
    known = [r for r in rates if r is not None]
    if not known:
        return None
    s = ctx.settings
    base = max(s.rate_floor, *known, *extra)
    null = tolerate_odds(base, s.tolerance)
    if at is None:
        k, n = ctx.window(num), ctx.window(den)
    else:
        k, n = ctx.window_at(num, at), ctx.window_at(den, at)
    span = f"in {s.window_days} days"
    if k < s.min_count:
        return RateTest(0.0, k, n, base, span)
    score = binomial_surprise(k, n, null)
    profile = ctx.today()
    if at is None:
        kt, nt = profile.counts.get(num, 0), profile.counts.get(den, 0)
    else:
        kt, nt = profile.count_until(num, at), profile.count_until(den, at)
    if kt >= s.min_count and nt >= MIN_TODAY and (today := binomial_surprise(kt, nt, null)) > score:
        return RateTest(today, kt, nt, base, "today")
    return RateTest(score, k, n, base, span)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%" if x >= 0.001 else f"{100 * x:.2f}%"
