"""The shape of harvesting: ids taken in sequence, and searches that sweep instead of find."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Reason
from shieldwall.core.events import Action
from shieldwall.trace.watch.detectors.base import DetectorContext, pct, rate_test
from shieldwall.trace.watch.model import Finding, Observation
from shieldwall.trace.watch.stats import poisson_surprise

_NUMBERED = re.compile(r"^(.*?)(\d+)$")
RECORD_ACTIONS = frozenset({Action.READ, Action.REVEAL, Action.BREAK_GLASS})


def numbered(customer_id: str) -> tuple[str, int, int] | None:
    """(prefix, number, width) of an id like ``C000123``; None for an id without a number."""
    m = _NUMBERED.match(customer_id)
    if m is None:
        return None
    return m.group(1), int(m.group(2)), len(m.group(2))


def neighbours(customer_id: str, radius: int) -> list[str]:
    """The ids within ``radius`` of a numbered id, same prefix and width (none if unnumbered)."""
    parsed = numbered(customer_id)
    if parsed is None:
        return []
    prefix, n, width = parsed
    out = []
    for d in range(1, radius + 1):
        for v in (n - d, n + d):
            if v >= 0:
                out.append(f"{prefix}{v:0{width}d}")
    return out


class Enumeration:
    """Customer ids taken in sequence: each new id next to one the principal already tried.

    Among a million customers a principal touching a few hundred at random lands within
    ``sequential_radius`` of one it touched before about once in a thousand; a walk through an
    id range does so every time. The null covers both the peers' rate and the chance of landing
    near by luck, ``1 - (1 - m/N)^(2r)`` for ``m`` ids tried among ``N`` (the largest id number
    seen), so a partner reading thousands of customers a day is not taken for a walker. Only
    numbered ids are tested (ids of the form ``C000123``).
    """

    kind: ClassVar[str] = "enumeration"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)
        self.radius = settings.sequential_radius

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if obs.action not in RECORD_ACTIONS or not obs.new_customers:
            return None
        sets = ctx.window_sets("try")
        hits = []
        space = 0
        for c in obs.new_customers:
            parsed = numbered(c)
            if parsed is None:
                continue
            space = ctx.id_space(f"{parsed[0]}/{parsed[2]}", parsed[1])
            if _near(c, sets, self.radius):
                hits.append(c)
        if not hits or not ctx.today().mark("seq", hits):
            return None
        ctx.evidence(self.kind, hits)
        tried = ctx.window("try")
        luck = 1.0 - (1.0 - min(1.0, tried / max(space, 1))) ** (2 * self.radius)
        test = rate_test(ctx, "seq", "try", extra=(luck,))
        if test is None or test.score < self.threshold:
            return None
        reasons = [
            Reason(
                "sequential_ids",
                f"{test.k} of {test.n} customers tried {test.span} were within"
                f" {self.radius} ids of another one tried ({pct(test.k / max(test.n, 1))};"
                f" peers {pct(test.peer)})",
            )
        ]
        return ctx.finding(self.kind, test.score, reasons, exposed=test.k)


def _near(customer_id: str, sets: Sequence[set[str]], radius: int) -> bool:
    return any(n in s for n in neighbours(customer_id, radius) for s in sets)


class SearchSweep:
    """Lookups that sweep: many misses (a run of phone numbers), broad searches (by region, by a
    prefix, or matching many customers), or far more lookups than usual."""

    kind: ClassVar[str] = "search_sweep"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)
        self.exact = frozenset(settings.exact_lookup_keys)
        self.broad = settings.broad_matches
        self.factor = settings.volume_factor

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if obs.action is not Action.LOOKUP:
            return None
        today = ctx.today()
        extra = obs.event.extra
        try:
            matches = int(extra.get("matches", len(obs.customers)))
        except ValueError:
            matches = len(obs.customers)
        broad = extra.get("by", "") not in self.exact or matches > self.broad
        today.bump("lk")
        if matches == 0:
            today.bump("lk_miss")
        if broad:
            today.bump("lk_broad")
            today.mark("lk_ids", obs.customers)
        today.mark("lk_cust", obs.customers)
        if matches == 0 or broad:
            ctx.evidence(self.kind, obs.customers)
        scored: list[tuple[float, Reason]] = []
        miss = rate_test(ctx, "lk_miss", "lk")
        if miss is not None and miss.k:
            detail = (
                f"{miss.k} of {miss.n} lookups {miss.span} found no customer"
                f" ({pct(miss.k / max(miss.n, 1))}; peers {pct(miss.peer)})"
            )
            scored.append((miss.score, Reason("lookup_misses", detail)))
        wide = rate_test(ctx, "lk_ids", "lk_cust")
        if wide is not None and wide.k:
            detail = (
                f"{wide.k} of {wide.n} customers found by lookups {wide.span}"
                f" came from broad searches (by region, by prefix, or more than {self.broad}"
                f" matches; peers {pct(wide.peer)})"
            )
            scored.append((wide.score, Reason("broad_search", detail)))
        base = max(ctx.own_daily("lk") or 0.0, ctx.peer_daily("lk") or 0.0)
        if base > 0:
            k = today.counts.get("lk", 0)
            score = poisson_surprise(k, base * self.factor)
            scored.append(
                (score, Reason("lookup_volume", f"{k} lookups today; usually {base:.0f}"))
            )
        best = max((s for s, _ in scored), default=0.0)
        if best < self.threshold:
            return None
        reasons = [r for s, r in scored if s >= self.threshold]
        exposed = ctx.window("lk_ids") + ctx.window("lk_miss")
        return ctx.finding(self.kind, best, reasons, exposed=exposed)
