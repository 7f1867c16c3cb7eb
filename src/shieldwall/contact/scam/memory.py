"""An in-process :class:`~.ports.ScamStore`: for unit tests, benchmarks and the demo.

Writes are serialized by a lock and undone on error (an undo log), so a failed ``submit`` leaves
nothing half-written, as the SQL store's transactions do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from shieldwall.contact.scam.ports import (
    BandHit,
    CampaignRecord,
    ReportRecord,
    StoredIndicator,
    StoredIndicatorCount,
    VictimRow,
)
from shieldwall.core.clock import utc
from shieldwall.core.paging import Position

_PER_BUCKET = 16  # newest reports read per LSH bucket


class MemoryScamStore:
    def __init__(self, *, max_band_candidates: int = 500) -> None:
        self.max_band_candidates = max_band_candidates
        self.reports: dict[str, ReportRecord] = {}
        self.campaigns: dict[str, CampaignRecord] = {}
        self.indicators: dict[str, list[StoredIndicator]] = {}
        self.by_indicator: dict[bytes, set[str]] = defaultdict(set)  # strong only, by ikey
        self.by_band: dict[tuple[int, int], list[str]] = defaultdict(list)
        self.members: dict[str, set[str]] = defaultdict(set)  # campaign -> report ids
        self.victims: dict[str, list[tuple[str, str]]] = {}
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def read(self) -> Iterator[MemoryScamTx]:
        with self._lock:
            yield MemoryScamTx(self, None)

    @contextlib.contextmanager
    def write(self) -> Iterator[MemoryScamTx]:
        with self._lock:
            undo: list[Callable[[], None]] = []
            try:
                yield MemoryScamTx(self, undo)
            except BaseException:
                for step in reversed(undo):
                    step()
                raise


class MemoryScamTx:
    def __init__(self, store: MemoryScamStore, undo: list[Callable[[], None]] | None) -> None:
        self.s = store
        self._undo = undo

    def _log(self, step: Callable[[], None]) -> None:
        if self._undo is None:
            raise RuntimeError("write in a read transaction")
        self._undo.append(step)

    # lookups
    def campaigns_with_indicators(self, ikeys: Sequence[bytes]) -> dict[str, set[bytes]]:
        out: dict[str, set[bytes]] = {}
        for key in ikeys:
            for rid in self.s.by_indicator.get(key, ()):
                out.setdefault(self.s.reports[rid].campaign_id, set()).add(key)
        return out

    def reports_in_bands(self, band_keys: Sequence[tuple[int, int]]) -> list[BandHit]:
        seen: set[str] = set()
        hits: list[BandHit] = []
        for key in band_keys:
            bucket = self.s.by_band.get(key, [])
            # Newest first, a bounded number per bucket (like the SQL store's LIMIT).
            for rid in reversed(bucket[-_PER_BUCKET:]):
                if rid in seen:
                    continue
                if len(seen) >= self.s.max_band_candidates:
                    return hits
                seen.add(rid)
                rec = self.s.reports[rid]
                if rec.signature is not None:
                    hits.append(BandHit(rid, rec.campaign_id, rec.signature))
        return hits

    # writes
    def insert_report(
        self,
        report: ReportRecord,
        indicators: Iterable[StoredIndicator],
        band_keys: Sequence[tuple[int, int]],
        victims: Iterable[tuple[str, str]],
    ) -> None:
        rid = report.report_id
        inds = list(indicators)
        self.s.reports[rid] = report
        self.s.indicators[rid] = inds
        self.s.victims[rid] = list(victims)
        self.s.members[report.campaign_id].add(rid)
        strong = [i.ikey for i in inds if i.strong]
        for key in strong:
            self.s.by_indicator[key].add(rid)
        for band in band_keys:
            self.s.by_band[band].append(rid)

        def undo() -> None:
            self.s.reports.pop(rid, None)
            self.s.indicators.pop(rid, None)
            self.s.victims.pop(rid, None)
            self.s.members[report.campaign_id].discard(rid)
            for key in strong:
                self.s.by_indicator[key].discard(rid)
            for band in band_keys:
                self.s.by_band[band].remove(rid)

        self._log(undo)

    def create_campaign(self, campaign: CampaignRecord) -> None:
        self.s.campaigns[campaign.campaign_id] = campaign

        def undo() -> None:
            self.s.campaigns.pop(campaign.campaign_id, None)

        self._log(undo)

    def merge_campaigns(self, keep: str, others: Sequence[str]) -> None:
        before = {c: self.s.campaigns[c] for c in (keep, *others)}
        moved = {c: set(self.s.members[c]) for c in others}
        pointing = [c for c, r in self.s.campaigns.items() if r.merged_into in others]
        for other in others:
            for rid in moved[other]:
                self.s.reports[rid] = dataclasses.replace(self.s.reports[rid], campaign_id=keep)
            self.s.members[keep] |= moved[other]
            self.s.members[other] = set()
            self.s.campaigns[other] = dataclasses.replace(
                self.s.campaigns[other], merged_into=keep, size=0
            )
        for cid in pointing:
            self.s.campaigns[cid] = dataclasses.replace(self.s.campaigns[cid], merged_into=keep)
        self.refresh_campaign(keep)

        def undo() -> None:
            for cid in pointing:
                self.s.campaigns[cid] = dataclasses.replace(self.s.campaigns[cid], merged_into=None)
            for other, rids in moved.items():
                for rid in rids:
                    self.s.reports[rid] = dataclasses.replace(
                        self.s.reports[rid], campaign_id=other
                    )
                self.s.members[keep] -= rids
                self.s.members[other] = rids
            self.s.campaigns.update(before)

        self._log(undo)

    def refresh_campaign(self, campaign_id: str) -> None:
        prior = self.s.campaigns[campaign_id]
        reports = [self.s.reports[r] for r in self.s.members[campaign_id]]
        if not reports:
            return
        self.s.campaigns[campaign_id] = dataclasses.replace(
            prior,
            first_seen=min(utc(r.received_at) for r in reports),
            last_seen=max(utc(r.received_at) for r in reports),
            size=len(reports),
            max_score=max(r.score for r in reports),
        )
        self._log(lambda: self.s.campaigns.__setitem__(campaign_id, prior))

    def count_into_campaign(self, campaign_id: str, received_at: datetime, score: float) -> None:
        prior = self.s.campaigns[campaign_id]
        at = utc(received_at)
        self.s.campaigns[campaign_id] = dataclasses.replace(
            prior,
            first_seen=min(utc(prior.first_seen), at),
            last_seen=max(utc(prior.last_seen), at),
            size=prior.size + 1,
            max_score=max(prior.max_score, score),
        )
        self._log(lambda: self.s.campaigns.__setitem__(campaign_id, prior))

    # reads
    def get_campaign(self, campaign_id: str) -> CampaignRecord | None:
        return self.s.campaigns.get(campaign_id)

    def list_campaigns(
        self, *, min_size: int, since: datetime | None, limit: int, after: Position | None = None
    ) -> list[CampaignRecord]:
        live = [
            c
            for c in self.s.campaigns.values()
            if c.merged_into is None
            and c.size >= min_size
            and (since is None or utc(c.last_seen) >= since)
            and (after is None or (utc(c.created_at), c.campaign_id) < (after.at, after.key))
        ]
        live.sort(key=lambda c: (utc(c.created_at), c.campaign_id), reverse=True)
        return live[:limit]

    def campaign_indicators(self, campaign_id: str, limit: int) -> list[StoredIndicatorCount]:
        counts: Counter[tuple[str, bytes, bool]] = Counter()
        first: dict[tuple[str, bytes, bool], StoredIndicator] = {}
        for rid in self.s.members.get(campaign_id, ()):
            for ind in self.s.indicators[rid]:
                key = (ind.kind, ind.ikey, ind.strong)
                counts[key] += 1
                first.setdefault(key, ind)
        ordered = sorted(counts.items(), key=lambda kv: (not kv[0][2], -kv[1], kv[0][0], kv[0][1]))
        return [
            StoredIndicatorCount(
                kind, ikey, strong, n, first[key].value, first[key].value_ct, first[key].detail
            )
            for key, n in ordered[:limit]
            for kind, ikey, strong in (key,)
        ]

    def campaign_victims(self, campaign_id: str) -> list[VictimRow]:
        rows = []
        for rid in self.s.members.get(campaign_id, ()):
            rec = self.s.reports[rid]
            for customer_id, via in self.s.victims.get(rid, ()):
                rows.append(VictimRow(customer_id, rid, rec.received_at, rec.knew, via))
        return rows

    def get_report(self, report_id: str) -> ReportRecord | None:
        return self.s.reports.get(report_id)

    def count_reports(self) -> int:
        return len(self.s.reports)
