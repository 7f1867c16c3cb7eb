"""SQL implementation of the scam-report store (``contact.scam.ports.ScamStore``).

Clustering reads "which campaigns share this indicator or band" and then writes the decision, so
concurrent submissions must not interleave: SQLite write transactions already take the write
lock at ``BEGIN IMMEDIATE``; on PostgreSQL each write transaction first takes a transaction-level
advisory lock (released at commit or rollback).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.orm import aliased

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
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.paging import before
from shieldwall.storage.tables.contact_scam import (
    scam_campaigns,
    scam_indicators,
    scam_lsh,
    scam_report_victims,
    scam_reports,
)

_IN_CHUNK = 400  # bound IN-lists below SQLite's variable limit
_ADVISORY_LOCK = 0x5C4D_0001  # "contact scam clustering"


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


class SqlScamStore:
    def __init__(self, engine: Engine, *, max_band_candidates: int = 500) -> None:
        self.engine = engine
        self.max_band_candidates = max_band_candidates

    @contextlib.contextmanager
    def read(self) -> Iterator[SqlScamTx]:
        with read_transaction(self.engine) as conn:
            yield SqlScamTx(conn, self.max_band_candidates)

    @contextlib.contextmanager
    def write(self) -> Iterator[SqlScamTx]:
        with write_transaction(self.engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
            yield SqlScamTx(conn, self.max_band_candidates)


class SqlScamTx:
    def __init__(self, conn: Connection, max_band_candidates: int) -> None:
        self.conn = conn
        self.max_band_candidates = max_band_candidates

    # lookups
    def campaigns_with_indicators(self, ikeys: Sequence[bytes]) -> dict[str, set[bytes]]:
        out: dict[str, set[bytes]] = {}
        for chunk in _chunks(sorted(set(ikeys))):
            q = (
                select(scam_reports.c.campaign_id, scam_indicators.c.ikey)
                .distinct()
                .join(scam_indicators, scam_indicators.c.report_id == scam_reports.c.report_id)
                .where(scam_indicators.c.ikey.in_(chunk), scam_indicators.c.strong.is_(True))
            )
            for row in self.conn.execute(q):
                out.setdefault(row.campaign_id, set()).add(bytes(row.ikey))
        return out

    def reports_in_bands(self, band_keys: Sequence[tuple[int, int]]) -> list[BandHit]:
        if not band_keys:
            return []
        # By bucket alone, which leads the primary key: each bucket key already mixes in its
        # band number (a bucket of one band equal to another band's is a 2^-64 event) and
        # every candidate is confirmed on its signature anyway. A row-value IN on
        # (band, bucket) made SQLite scan the table; ``band IN`` made PostgreSQL do so.
        buckets = sorted({k for _, k in band_keys})
        q = (
            select(scam_reports.c.report_id, scam_reports.c.campaign_id, scam_reports.c.signature)
            .select_from(
                scam_lsh.join(scam_reports, scam_reports.c.report_id == scam_lsh.c.report_id)
            )
            .where(scam_lsh.c.bucket.in_(buckets))
            .limit(self.max_band_candidates * 2)
        )
        hits: dict[str, BandHit] = {}
        for r in self.conn.execute(q):
            if r.signature is not None and r.report_id not in hits:
                hits[r.report_id] = BandHit(r.report_id, r.campaign_id, r.signature)
        return list(hits.values())[: self.max_band_candidates]

    # writes
    def insert_report(
        self,
        report: ReportRecord,
        indicators: Iterable[StoredIndicator],
        band_keys: Sequence[tuple[int, int]],
        victims: Iterable[tuple[str, str]],
    ) -> None:
        self.conn.execute(
            insert(scam_reports).values(
                report_id=report.report_id,
                campaign_id=report.campaign_id,
                received_at=report.received_at,
                reported_at=report.reported_at,
                channel=report.channel,
                sender_key=report.sender_key,
                sender_ct=report.sender_ct,
                reporter_kind=report.reporter_kind,
                reporter_id=report.reporter_id,
                customer_id=report.customer_id,
                body_ct=report.body_ct,
                score=report.score,
                label=report.label,
                knew=json.dumps(list(report.knew)),
                replaced_chars=report.replaced_chars,
                signature=report.signature,
            )
        )
        rows = [
            {
                "report_id": report.report_id,
                "ikey": i.ikey,
                "kind": i.kind,
                "value": i.value,
                "value_ct": i.value_ct,
                "strong": i.strong,
                "detail": None if i.detail is None else i.detail[:256],
            }
            for i in indicators
        ]
        if rows:
            self.conn.execute(insert(scam_indicators), rows)
        if band_keys:
            self.conn.execute(
                insert(scam_lsh),
                [{"band": b, "bucket": k, "report_id": report.report_id} for b, k in band_keys],
            )
        victim_rows = [
            {"report_id": report.report_id, "customer_id": cid, "via": via} for cid, via in victims
        ]
        if victim_rows:
            self.conn.execute(insert(scam_report_victims), victim_rows)

    def create_campaign(self, campaign: CampaignRecord) -> None:
        self.conn.execute(
            insert(scam_campaigns).values(
                campaign_id=campaign.campaign_id,
                first_seen=campaign.first_seen,
                last_seen=campaign.last_seen,
                size=campaign.size,
                max_score=campaign.max_score,
                sample_report_id=campaign.sample_report_id,
                sample_ct=campaign.sample_ct,
                created_at=campaign.created_at,
                merged_into=campaign.merged_into,
            )
        )

    def merge_campaigns(self, keep: str, others: Sequence[str]) -> None:
        others = list(others)
        self.conn.execute(
            update(scam_reports)
            .where(scam_reports.c.campaign_id.in_(others))
            .values(campaign_id=keep)
        )
        self.conn.execute(
            update(scam_campaigns)
            .where(scam_campaigns.c.merged_into.in_(others))
            .values(merged_into=keep)
        )
        self.conn.execute(
            update(scam_campaigns)
            .where(scam_campaigns.c.campaign_id.in_(others))
            .values(merged_into=keep, size=0)
        )
        self.refresh_campaign(keep)

    def refresh_campaign(self, campaign_id: str) -> None:
        r = scam_reports.c
        row = self.conn.execute(
            select(
                func.min(r.received_at), func.max(r.received_at), func.count(), func.max(r.score)
            ).where(r.campaign_id == campaign_id)
        ).one()
        if not row[2]:
            return
        self.conn.execute(
            update(scam_campaigns)
            .where(scam_campaigns.c.campaign_id == campaign_id)
            .values(first_seen=row[0], last_seen=row[1], size=row[2], max_score=row[3])
        )

    def count_into_campaign(self, campaign_id: str, received_at: datetime, score: float) -> None:
        # Read-modify-write is safe: write transactions are serialized (see module docstring).
        prior = self.get_campaign(campaign_id)
        if prior is None:
            return
        at = utc(received_at)
        self.conn.execute(
            update(scam_campaigns)
            .where(scam_campaigns.c.campaign_id == campaign_id)
            .values(
                first_seen=min(prior.first_seen, at),
                last_seen=max(prior.last_seen, at),
                size=prior.size + 1,
                max_score=max(prior.max_score, score),
            )
        )

    # reads
    def get_campaign(self, campaign_id: str) -> CampaignRecord | None:
        row = self.conn.execute(
            select(scam_campaigns).where(scam_campaigns.c.campaign_id == campaign_id)
        ).first()
        return None if row is None else _campaign(row)

    def list_campaigns(
        self, *, min_size: int, since: datetime | None, limit: int, after: Position | None = None
    ) -> list[CampaignRecord]:
        c = scam_campaigns.c
        q = (
            select(scam_campaigns)
            .where(c.merged_into.is_(None), c.size >= min_size)
            .order_by(c.created_at.desc(), c.campaign_id.desc())
            .limit(limit)
        )
        if after is not None:
            q = q.where(before(c.created_at, c.campaign_id, after))
        if since is not None:
            q = q.where(c.last_seen >= since)
        return [_campaign(row) for row in self.conn.execute(q)]

    def campaign_indicators(self, campaign_id: str, limit: int) -> list[StoredIndicatorCount]:
        i = scam_indicators.c
        n = func.count().label("n")
        grouped = (
            select(
                i.kind,
                i.ikey,
                i.strong,
                n,
                func.min(i.value).label("value"),
                func.min(i.detail).label("detail"),
            )
            .join(scam_reports, scam_reports.c.report_id == i.report_id)
            .where(scam_reports.c.campaign_id == campaign_id)
            .group_by(i.kind, i.ikey, i.strong)
            .order_by(i.strong.desc(), n.desc(), i.kind, i.ikey)
            .limit(limit)
            .subquery()
        )
        # Every sealed value of one ikey opens under that ikey (it is the associated data), so
        # any one row's ciphertext will do (PostgreSQL has no min() over bytea).
        sealed = aliased(scam_indicators)
        one_ct = (
            select(sealed.c.value_ct)
            .where(sealed.c.ikey == grouped.c.ikey, sealed.c.value_ct.is_not(None))
            .limit(1)
            .scalar_subquery()
        )
        g = grouped.c
        q = select(g.kind, g.ikey, g.strong, g.n, g.value, one_ct.label("value_ct"), g.detail)
        return [
            StoredIndicatorCount(
                r.kind,
                bytes(r.ikey),
                bool(r.strong),
                int(r.n),
                r.value,
                None if r.value_ct is None else bytes(r.value_ct),
                r.detail,
            )
            for r in self.conn.execute(q)
        ]

    def campaign_victims(self, campaign_id: str) -> list[VictimRow]:
        q = (
            select(
                scam_report_victims.c.customer_id,
                scam_report_victims.c.report_id,
                scam_report_victims.c.via,
                scam_reports.c.received_at,
                scam_reports.c.knew,
            )
            .join(scam_reports, scam_reports.c.report_id == scam_report_victims.c.report_id)
            .where(scam_reports.c.campaign_id == campaign_id)
        )
        return [
            VictimRow(
                r.customer_id, r.report_id, utc(r.received_at), tuple(json.loads(r.knew)), r.via
            )
            for r in self.conn.execute(q)
        ]

    def get_report(self, report_id: str) -> ReportRecord | None:
        row = self.conn.execute(
            select(scam_reports).where(scam_reports.c.report_id == report_id)
        ).first()
        if row is None:
            return None
        return ReportRecord(
            report_id=row.report_id,
            campaign_id=row.campaign_id,
            received_at=utc(row.received_at),
            reported_at=utc(row.reported_at),
            channel=row.channel,
            sender_key=None if row.sender_key is None else bytes(row.sender_key),
            sender_ct=None if row.sender_ct is None else bytes(row.sender_ct),
            reporter_kind=row.reporter_kind,
            reporter_id=row.reporter_id,
            customer_id=row.customer_id,
            body_ct=row.body_ct,
            score=row.score,
            label=row.label,
            knew=tuple(json.loads(row.knew)),
            replaced_chars=row.replaced_chars,
            signature=row.signature,
        )

    def count_reports(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(scam_reports)) or 0)


def _campaign(row: Any) -> CampaignRecord:
    return CampaignRecord(
        campaign_id=row.campaign_id,
        first_seen=utc(row.first_seen),
        last_seen=utc(row.last_seen),
        size=row.size,
        max_score=row.max_score,
        sample_report_id=row.sample_report_id,
        sample_ct=row.sample_ct,
        created_at=utc(row.created_at),
        merged_into=row.merged_into,
    )


def last_scam_contact(engine: Engine, customer_ids: Sequence[str]) -> datetime | None:
    """When the latest stored scam report reached any of ``customer_ids`` (a report links its
    victims by the reporter's id or by the phone it reached), or None."""
    if not customer_ids:
        return None
    v, r = scam_report_victims, scam_reports
    query = (
        select(func.max(r.c.received_at))
        .select_from(v.join(r, r.c.report_id == v.c.report_id))
        .where(v.c.customer_id.in_(list(customer_ids)))
    )
    with read_transaction(engine) as conn:
        at = conn.execute(query).scalar_one_or_none()
    return None if at is None else utc(at)
