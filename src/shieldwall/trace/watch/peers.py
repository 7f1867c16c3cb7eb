"""Baselines: what a principal's peers, and the principal itself, usually do.

Rebuilt once a local day, at the first event of the day, from the previous ``baseline_days`` of
day profiles (the reference period), so today's behaviour is judged against yesterday's norms
and an attack cannot raise its own bar while it runs that day.

Two peer groups, and a principal is surprising only if it stands out from both:

- **declared**: the same role and unit (team, outlet); a unit smaller than ``min_peers`` is
  replaced by the whole role.
- **behavioural**: the ``peer_k`` principals of the same role whose reference-period
  behaviour is nearest (Euclidean, on standardised features: log daily volumes and the shares
  that make up the work, see ``SHARES``). This is Bolton & Hand's *peer group analysis*
  ("Unsupervised profiling methods for fraud detection", 2001; Weston et al., "Plastic card
  fraud detection using peer group analysis", ADAC 2008): peers are chosen by past behaviour,
  not by the org chart, so an agent on loan to another team's work is compared with the people
  who do that work. It also follows the community-based insider detection of Chen & Malin
  (CODASPY 2011), where peers come from who accesses what. Nearest neighbours need no choice of
  a cluster count and give every principal a group of the same size.

A peer rate pools the peers' counts (``sum(num) / sum(den)``) after dropping the single most
extreme peer, so one other insider in the group does not become the norm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from shieldwall.config import WatchSettings
from shieldwall.trace.watch.stats import quantile
from shieldwall.trace.watch.workingset import DayProfile

# What a principal's work is made of: daily volumes (log) and the shares that tell one kind of
# work from another (how many of its customers come through tickets it opened itself, how many
# orders it reads are undelivered, how often it reveals, looks up, closes). Hours are left out:
# a night shift does the same work as a day shift, and off-hours has its own detector.
VOLUMES = ("acc", "cust", "exp_rows")
SHARES = (
    ("tk_own", "cust"),
    ("self", "cust"),
    ("undel", "ord"),
    ("ord", "acc"),
    ("rev", "cust"),
    ("lk", "acc"),
    ("tk_close", "cust"),
)
HOURS = tuple(f"h{h:02d}" for h in range(24))
MIN_OWN_DAYS = 3
MIN_OWN_EVENTS = 50
MIN_DENOMINATOR = 10  # a member's rate from fewer is noise


class PeerBook:
    """Reference-period baselines for one local day."""

    def __init__(
        self,
        day: int,
        directory: Mapping[str, tuple[str, str | None]],
        history: Mapping[str, list[DayProfile]],
        settings: WatchSettings,
        *,
        reference_days: int,
    ) -> None:
        self.day = day
        self.settings = settings
        self.reference_days = reference_days
        self.totals: dict[str, dict[str, int]] = {}
        self.active: dict[str, int] = {}
        self.daily: dict[str, list[dict[str, int]]] = {}
        for pid, days in history.items():
            counts = [d.counts for d in days if d.counts.get("acc", 0) > 0]
            if not counts:
                continue
            total: dict[str, int] = {}
            for c in counts:
                for k, v in c.items():
                    total[k] = total.get(k, 0) + v
            self.totals[pid] = total
            self.active[pid] = len(counts)
            self.daily[pid] = counts
        self.directory = directory  # live: principals first seen today are looked up later
        self.role: dict[str, str] = {p: directory[p][0] for p in self.totals if p in directory}
        self.declared = self._declared(directory)
        self.behavioural = self._behavioural() if settings.behavioural_peers else {}
        self._rates: dict[tuple[str, str, str], float | None] = {}
        self._usual: dict[str, frozenset[int] | None] = {}

    # -- groups --------------------------------------------------------------------------------

    def _declared(self, directory: Mapping[str, tuple[str, str | None]]) -> dict[str, list[str]]:
        self._by_unit: dict[tuple[str, str | None], list[str]] = {}
        self._by_role: dict[str, list[str]] = {}
        for pid, role in self.role.items():
            self._by_unit.setdefault((role, directory[pid][1]), []).append(pid)
            self._by_role.setdefault(role, []).append(pid)
        return {pid: self._declared_group(pid, *directory[pid]) for pid in self.role}

    def _declared_group(self, pid: str, role: str, unit: str | None) -> list[str]:
        others = [m for m in self._by_unit.get((role, unit), []) if m != pid]
        if len(others) < self.settings.min_peers:
            others = [m for m in self._by_role.get(role, []) if m != pid]
        return others

    def _behavioural(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        by_role: dict[str, list[str]] = {}
        for pid, role in self.role.items():
            by_role.setdefault(role, []).append(pid)
        for members in by_role.values():
            if len(members) < 3:
                continue
            members.sort()
            x = np.array([self._features(p) for p in members], dtype=float)
            spread = x.std(axis=0)
            spread[spread == 0] = 1.0
            z = (x - x.mean(axis=0)) / spread
            dist = ((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2)
            np.fill_diagonal(dist, np.inf)
            k = min(self.settings.peer_k, len(members) - 1)
            nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
            for i, pid in enumerate(members):
                groups[pid] = [members[j] for j in nearest[i]]
        return groups

    def _features(self, pid: str) -> list[float]:
        total, days = self.totals[pid], self.active[pid]
        volumes = [float(np.log1p(total.get(m, 0) / days)) for m in VOLUMES]
        shares = [min(1.0, total.get(n, 0) / max(total.get(d, 0), 1)) for n, d in SHARES]
        return volumes + shares

    def declared_of(self, pid: str) -> list[str]:
        """The declared group; a principal first seen today gets its group on first ask."""
        if pid not in self.declared and pid in self.directory:
            self.declared[pid] = self._declared_group(pid, *self.directory[pid])
        return self.declared.get(pid, [])

    def groups(self, pid: str) -> list[list[str]]:
        out = [self.declared_of(pid)]
        if pid in self.behavioural:
            out.append(self.behavioural[pid])
        return [g for g in out if g]

    # -- baselines -----------------------------------------------------------------------------

    @property
    def has_reference(self) -> bool:
        """True once any day of history exists (no baseline at all on a deployment's first day)."""
        return self.reference_days > 0

    def rate(self, pid: str, num: str, den: str) -> float | None:
        """The peers' rate of ``num`` per ``den``: the larger of the two groups' pooled rates.

        0 when history exists but no peer did anything of the kind (the caller's floor then
        applies); None on the first day, when nothing is known.
        """
        key = (pid, num, den)
        if key in self._rates:
            return self._rates[key]
        best: float | None = None
        for group in self.groups(pid):
            r = self._pooled(group, num, den)
            if r is not None and (best is None or r > best):
                best = r
        if pid not in self.totals and pid in self.directory:
            # No history of its own, so no behavioural peers: until it has some, a newcomer is
            # held to the busiest of its role (the newcomer_quantile of the members' rates),
            # which is how an outreach agent on loan to another team is not taken for a thief.
            high = self._role_high(self.directory[pid][0], num, den)
            if high is not None and (best is None or high > best):
                best = high
        if best is None and self.has_reference:
            best = 0.0
        self._rates[key] = best
        return best

    def _role_high(self, role: str, num: str, den: str) -> float | None:
        key = (f"role:{role}", num, den)
        if key not in self._rates:
            rates = [
                t.get(num, 0) / t[den]
                for p, t in self.totals.items()
                if self.role.get(p) == role and t.get(den, 0) >= MIN_DENOMINATOR
            ]
            self._rates[key] = quantile(rates, self.settings.newcomer_quantile)
        return self._rates[key]

    def _pooled(self, group: Iterable[str], num: str, den: str) -> float | None:
        pairs = []
        for p in group:
            t = self.totals.get(p)
            if t is not None and t.get(den, 0) > 0:
                pairs.append((t.get(num, 0), t[den]))
        if len(pairs) >= 4:
            pairs.remove(max(pairs, key=lambda nd: nd[0] / nd[1]))
        total_den = sum(d for _, d in pairs)
        return sum(n for n, _ in pairs) / total_den if total_den else None

    def own_rate(self, pid: str, num: str, den: str) -> float | None:
        t = self.totals.get(pid)
        if t is None or t.get(den, 0) == 0 or self.active.get(pid, 0) < MIN_OWN_DAYS:
            return None
        return t.get(num, 0) / t[den]

    def own_daily(self, pid: str, metric: str) -> float | None:
        """A busy day of the principal's own: the ``daily_quantile`` of its active days.

        None with fewer than three active days in the reference period.
        """
        days = self.daily.get(pid, [])
        if len(days) < MIN_OWN_DAYS:
            return None
        return quantile([float(d.get(metric, 0)) for d in days], self.settings.daily_quantile)

    def peer_daily(self, pid: str, metric: str) -> float | None:
        """A busy day among peers: the ``daily_quantile`` of all the peers' active days, the
        larger over the two groups (None when no peer has history)."""
        best: float | None = None
        for group in self.groups(pid):
            days = [float(d.get(metric, 0)) for p in group for d in self.daily.get(p, [])]
            q = quantile(days, self.settings.daily_quantile) if days else None
            if q is not None and (best is None or q > best):
                best = q
        return best

    def usual_hours(self, pid: str) -> frozenset[int] | None:
        """Local hours in which the principal or its declared peers usually work; None if unknown
        (fewer than ``min_baseline_days`` days of history: a night shift seen for one evening
        has not shown its mornings yet).

        An hour is usual when it and its two neighbours hold at least ``usual_hour_share`` of
        the principal's own reference activity, or of its declared peers' pooled activity (the
        neighbours absorb a shift that starts or ends an hour off).
        """
        if pid in self._usual:
            return self._usual[pid]
        if self.reference_days < self.settings.min_baseline_days:
            self._usual[pid] = None
            return None
        share = self.settings.usual_hour_share
        usual: set[int] = set()
        known = False
        own = self.totals.get(pid)
        if own is not None and sum(own.get(h, 0) for h in HOURS) >= MIN_OWN_EVENTS:
            usual |= _busy([own.get(h, 0) for h in HOURS], share)
            known = True
        pooled = [0] * 24
        for p in self.declared_of(pid):
            t = self.totals.get(p, {})
            for i, h in enumerate(HOURS):
                pooled[i] += t.get(h, 0)
        if sum(pooled) >= MIN_OWN_EVENTS:
            usual |= _busy(pooled, share)
            known = True
        result = frozenset(usual) if known else None
        self._usual[pid] = result
        return result


def _busy(hours: list[int], share: float) -> set[int]:
    total = sum(hours) or 1
    out = set()
    for h in range(24):
        mass = hours[h] + hours[h - 1] + hours[(h + 1) % 24]
        if mass / total >= share:
            out.add(h)
    return out
