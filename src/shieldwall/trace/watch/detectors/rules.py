"""Rules that need no baseline: bulk exports outside a release, and break-glass use."""

from __future__ import annotations

import math
from typing import ClassVar

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Reason
from shieldwall.core.events import Action
from shieldwall.trace.watch.detectors.base import DetectorContext
from shieldwall.trace.watch.model import Basis, Finding, Observation

NO_EXPOSURE = frozenset({"pseudonym", "hidden"})


class BulkExport:
    """Exports that expose fields (any view but pseudonym or hidden) and are not a recorded
    release (no ``extra.release``); a score of the alert score at ``bulk_export_rows`` rows in
    the window, one more alert score per doubling."""

    kind: ClassVar[str] = "bulk_export"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)
        self.rows = settings.bulk_export_rows
        self.window_days = settings.window_days

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        e = obs.event
        if obs.action is not Action.EXPORT or not obs.allowed:
            return None
        today = ctx.today()
        if e.extra.get("release"):
            today.bump("exp_rel_rows", len(obs.customers))
            return None
        exposing = sorted(f for f, v in e.fields.items() if v not in NO_EXPOSURE)
        if not exposing:
            return None
        today.bump("exp_rows", len(obs.customers))
        today.mark("exp", obs.customers)
        ctx.evidence(self.kind, obs.customers)
        rows = ctx.window("exp_rows")
        if rows < self.rows:
            return None
        score = self.threshold * (1.0 + math.log2(rows / self.rows))
        reasons = [
            Reason(
                "bulk_export",
                f"{rows} rows exported in {self.window_days} days outside any release,"
                f" with {', '.join(exposing)} shown",
            )
        ]
        return ctx.finding(self.kind, score, reasons, exposed=ctx.window("exp"))


class BreakGlass:
    """Break-glass use that custody's own per-use alert does not judge: a second use in the
    window, a use on a customer the principal has no ticket for (agents), or repeated denied
    attempts. One use by an admin stays with custody's alert."""

    kind: ClassVar[str] = "break_glass_misuse"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)
        self.window_days = settings.window_days

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if obs.action is not Action.BREAK_GLASS:
            return None
        today = ctx.today()
        if obs.denied:
            today.bump("bg_denied")
        else:
            today.bump("bg")
            today.mark("bg_cust", obs.customers)
            if obs.role == "agent" and obs.basis in (Basis.UNASSIGNED, Basis.TEAM):
                today.bump("bg_unrel")
        ctx.evidence(self.kind, obs.customers)
        uses, unrelated, denied = ctx.window("bg"), ctx.window("bg_unrel"), ctx.window("bg_denied")
        weight = max(uses / 2, float(unrelated), denied / 3)
        if weight < 1:
            return None
        reasons = [
            Reason(
                "break_glass_use",
                f"{uses} break-glass uses in {self.window_days} days, {unrelated} on customers"
                f" with no ticket, {denied} refused",
            )
        ]
        score = self.threshold * weight
        return ctx.finding(self.kind, score, reasons, exposed=ctx.window("bg_cust"))


# Custody's lookup refusals that no honest caller meets more than now and then: the role may
# not look customers up at all (couriers, partners, analysts), an agent without a ticket, or
# the per-principal lookup rate limit.
LOOKUP_REFUSALS = frozenset({"lookup_not_allowed", "ticket_required", "rate_limited"})


class LookupRefused:
    """Lookups custody refused for the role, for want of a ticket, or for their rate: a
    harvester probing the lookup (2,334 in 15 s by one courier, issue #10). Needs no
    baseline: a score of the alert score at ``lookup_refusals`` in the window, one more alert
    score per doubling."""

    kind: ClassVar[str] = "lookup_refused"

    def __init__(self, settings: WatchSettings) -> None:
        self.threshold = settings.score_for(self.kind)
        self.count = settings.lookup_refusals
        self.window_days = settings.window_days

    def observe(self, obs: Observation, ctx: DetectorContext) -> Finding | None:
        if obs.action is not Action.LOOKUP or not obs.denied:
            return None
        why = set(obs.event.reason.split(",")) & LOOKUP_REFUSALS
        if not why:
            return None
        today = ctx.today()
        for reason in why:
            today.bump(f"lk_refused_{reason}")
        today.bump("lk_refused")
        ctx.evidence(self.kind, obs.customers)
        n = ctx.window("lk_refused")
        if n < self.count:
            return None
        score = self.threshold * (1.0 + math.log2(n / self.count))
        detail = ", ".join(
            f"{ctx.window(f'lk_refused_{r}')} {r}"
            for r in sorted(LOOKUP_REFUSALS)
            if ctx.window(f"lk_refused_{r}")
        )
        reasons = [
            Reason(
                "lookup_refused",
                f"{n} lookups refused in {self.window_days} days ({detail})",
            )
        ]
        return ctx.finding(self.kind, score, reasons, exposed=0)
