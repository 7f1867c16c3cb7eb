"""Rates against peers and baselines: paid-undelivered orders, reveals, hours, daily volume."""

from __future__ import annotations

from typing import ClassVar

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Reason
from shieldwall.core.events import Action
from shieldwall.trace.watch.detectors.base import DetectorContext, pct, rate_test
from shieldwall.trace.watch.model import UNDELIVERED, Basis, Finding, Observation
from shieldwall.trace.watch.stats import poisson_surprise

RECORD_ACTIONS = frozenset({Action.READ, Action.REVEAL, Action.BREAK_GLASS})


class UndeliveredPreference:
    """Order reads leaning to orders paid but not yet delivered, beyond the peers' share.

    Phone scammers buy exactly these records ("your parcel is lost, here is your refund");
    custody stamps each order read with ``extra.order_status``. Only roles whose reads follow
    customer contacts one by one are tested (``undelivered_roles``, agents by default): an
    admin's investigation reads a cluster of related orders at once, so its reads are not
    independent draws and a binomial test would over-state the surprise.
    """

    kind: ClassVar[str] = "undelivered_preference"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)
        self.roles = frozenset(settings.undelivered_roles)

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        status = obs.event.extra.get("order_status")
        if obs.action is not Action.READ or not obs.allowed or status is None:
            return None
        if obs.role not in self.roles:
            return None
        today = ctx.today()
        today.bump("ord")
        if status not in UNDELIVERED:
            return None
        today.bump("undel")
        ctx.evidence(self.kind, obs.customers)
        test = rate_test(ctx, "undel", "ord")
        if test is None or test.score < self.threshold:
            return None
        reasons = [
            Reason(
                "undelivered_preference",
                f"{test.k} of {test.n} orders read {test.span} were paid but not"
                f" delivered ({pct(test.k / max(test.n, 1))}; peers {pct(test.peer)})",
            )
        ]
        return ctx.finding(self.kind, test.score, reasons, exposed=test.k)


class RevealRate:
    """Customers whose fields the principal revealed in clear, far above its peers' share.

    Counted in event time, not in the order records reach the log: at a reveal, the customers
    revealed and accessed at or before it (today; earlier days whole). Two intake workers log a
    principal's reads in the order their batches commit, so its later reads may be logged
    before a reveal; counted as they arrive, they would dilute the rate one process, reading
    them in order, tests it at. A reveal logged after later ones also tests those again: their
    counts, as of their own times, just grew by it.
    """

    kind: ClassVar[str] = "reveal_rate"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if obs.action is not Action.REVEAL or not obs.allowed:
            return None
        at = ctx.time()
        today = ctx.today()
        if not today.mark_at("rev", obs.customers, at):
            return None
        ctx.evidence(self.kind, obs.customers)
        test = None
        for t in sorted({at, *(t for t in today.times("rev") if t > at)}):
            found = rate_test(ctx, "rev", "cust", at=t)
            if found is not None and (test is None or found.score > test.score):
                test = found
        if test is None or test.score < self.threshold:
            return None
        reasons = [
            Reason(
                "reveal_rate",
                f"revealed fields of {test.k} of {test.n} customers {test.span}"
                f" ({pct(test.k / max(test.n, 1))}; peers {pct(test.peer)})",
            )
        ]
        return ctx.finding(self.kind, test.score, reasons, exposed=test.k)


class OffHours:
    """Customers accessed at hours when neither the principal nor its peers usually work.

    Usual hours come from the reference period (the principal's own hours, widened by an hour
    each side, and its unit's), so night-shift teams are judged by their nights.
    """

    kind: ClassVar[str] = "off_hours"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if not obs.allowed or obs.action not in RECORD_ACTIONS:
            return None
        usual = ctx.usual_hours()
        if usual is None or obs.hour in usual:
            return None
        if not ctx.today().mark("off", obs.customers):
            return None
        ctx.evidence(self.kind, obs.customers)
        test = rate_test(ctx, "off", "cust", own=True)
        if test is None or test.score < self.threshold:
            return None
        hours = _ranges(sorted(usual))
        reasons = [
            Reason(
                "off_hours",
                f"{test.k} of {test.n} customers {test.span} were accessed outside"
                f" the usual hours ({hours}, local time; usually {pct(test.peer)} off-hours)",
            )
        ]
        return ctx.finding(self.kind, test.score, reasons, exposed=test.k)


def _ranges(hours: list[int]) -> str:
    if not hours:
        return "none"
    spans, start, prev = [], hours[0], hours[0]
    for h in [*hours[1:], None]:
        if h is not None and h == prev + 1:
            prev = h
            continue
        spans.append(f"{start:02d}-{prev + 1:02d}h")
        if h is not None:
            start = prev = h
    return ", ".join(spans)


class Volume:
    """Customers accessed today against the principal's own busy days and its peers'.

    The base is the larger of the principal's own busy day (the ``daily_quantile`` of its
    active days, once it has three) and its peers' busy day; today's count is tested as a
    Poisson count against ``volume_factor`` times the base. Reads through a release grant are
    left to the release ledger.
    """

    kind: ClassVar[str] = "volume"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)
        self.factor = settings.volume_factor

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if not obs.allowed or obs.action not in RECORD_ACTIONS or obs.basis is Basis.GRANT:
            return None
        today = ctx.today()
        new = today.mark("vol", obs.customers)
        if not new:
            return None
        own = ctx.own_daily("vol")
        peer = ctx.peer_daily("vol")
        if own is None and peer is None:
            return None
        base = max(own or 0.0, peer or 0.0, 1.0)
        k = today.counts.get("vol", 0)
        if k > base:
            ctx.evidence(self.kind, new)
        score = poisson_surprise(k, base * self.factor)
        if score < self.threshold:
            return None
        whose = "its own busy day" if own is not None and own >= (peer or 0) else "its peers'"
        reasons = [
            Reason(
                "volume",
                f"{k} customers today, {k / base:.1f} times {whose} ({base:.0f})",
            )
        ]
        return ctx.finding(self.kind, score, reasons, exposed=k)
