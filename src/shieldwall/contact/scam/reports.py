"""Scam reports: normalize, extract indicators, score, cluster into campaigns, link victims.

:class:`ScamReports` is the service. ``submit`` takes one :class:`ReportInput` (from a customer
through the store app, or from an agent); ``prepare`` does steps 1-3 and the encryption without
any lock (it can run in parallel), ``commit`` does steps 4-5 in one serialized transaction:

1. validates it (channel, time, sizes, ids, the victim's phone) and normalizes the text;
2. extracts indicators from the text, the reported links and the sender, drops the victim's own
   number, and marks each indicator *strong* or not (see :data:`STRONG_KINDS`): a strong
   indicator is the scammers' (their callback number, QQ, WeChat, domain, mule account token)
   and is enough to join two reports; official domains and numbers (the judges say so), shared
   hosting and shortener domains, SMS gateway ports (106…), service short numbers, app names,
   amounts and the victim's order numbers are kept for display but never join anything;
3. scores the script (:mod:`.scoring`) and reads what the caller knew (:mod:`.scrub`);
4. clusters: the report joins every live campaign that holds one of its strong indicators or a
   report whose script is a near duplicate (MinHash estimate ≥ ``near_duplicate_jaccard`` over
   LSH band candidates); when it links several campaigns they merge into the oldest;
5. stores the report with its body (text, links, victim phone) encrypted, its indicators as
   keyed hashes with their values sealed (only domains, app names, amounts and the keyed tokens
   of cards, order and tracking numbers stay clear: see :mod:`.sealing`), its sender sealed,
   its band keys, and its victims: the reporting customer and every customer whose phone is
   the number the scam reached.

Campaigns carry first/last seen, size, top indicators, the highest script score and a scrubbed,
encrypted sample text. :meth:`ScamReports.victims` is what trace consumes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shieldwall.config import ScamSettings
from shieldwall.contact.scam.cipher import TextCipher
from shieldwall.contact.scam.errors import CampaignNotFound, ReportNotFound, ReportRejected
from shieldwall.contact.scam.indicators import (
    Extraction,
    Indicator,
    IndicatorExtractor,
    Kind,
    Rejected,
)
from shieldwall.contact.scam.minhash import MinHasher, Signature, script_form
from shieldwall.contact.scam.normalize import as_e164, check_length, normalize, sanitize
from shieldwall.contact.scam.ports import (
    CampaignRecord,
    CustomerLookup,
    DomainJudge,
    IndicatorCount,
    NoCustomerLookup,
    NoDomainJudge,
    NoOfficialNumbers,
    NumberJudge,
    ReportRecord,
    ScamStore,
    ScamTx,
    StoredIndicator,
)
from shieldwall.contact.scam.scoring import ScriptScore, ScriptScorer
from shieldwall.contact.scam.scrub import KNEW_KINDS, caller_knew, scrub
from shieldwall.contact.scam.sealing import IndicatorSealer
from shieldwall.core.clock import Clock, utc
from shieldwall.core.ids import new_id
from shieldwall.core.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    Position,
    fetch_page,
)

CHANNELS = ("call", "sms", "chat", "email", "app")
REPORTER_KINDS = ("customer", "agent")
STRONG_KINDS = frozenset(
    {
        Kind.URL,
        Kind.DOMAIN,
        Kind.PHONE,
        Kind.QQ,
        Kind.WECHAT,
        Kind.TELEGRAM,
        Kind.ALIPAY,
        Kind.MEETING_ID,
        Kind.BANK_CARD,
        Kind.SENDER_ID,
    }
)
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_SENDER_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_REPORTS = "scam_reports"
_CAMPAIGNS = "scam_campaigns"
CAMPAIGNS_LISTING = "campaigns"
_MAX_SENDER = 128
_MAX_CAMPAIGN_CHECKS = 16  # signatures compared per candidate campaign
_INDEXED_COPY = 0.9  # a script this similar to an indexed one is not indexed again


@dataclass(frozen=True, slots=True)
class ReportInput:
    """One report as received. ``text`` is the message or transcript; ``sender`` the caller id
    or sender id the scam came from; ``victim_phone`` the number it reached (the customer's)."""

    channel: str
    received_at: datetime
    text: str = ""
    sender: str | None = None
    links: tuple[str, ...] = ()
    customer_id: str | None = None
    victim_phone: str | None = None
    caller_knew: tuple[str, ...] = ()
    replaced_chars: int = 0  # invalid bytes already replaced by the caller's decoder


@dataclass(frozen=True, slots=True)
class IndicatorView:
    kind: str
    value: str
    strong: bool
    detail: str | None = None
    verdict: str | None = None  # for domains: official / lookalike / clean

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "value": self.value, "strong": self.strong}
        if self.detail is not None:
            out["detail"] = self.detail
        if self.verdict is not None:
            out["verdict"] = self.verdict
        return out


@dataclass(frozen=True, slots=True)
class JoinReason:
    """Why a report joined a campaign: a shared strong indicator, or a near-duplicate script
    (the report it resembles and the estimated Jaccard similarity)."""

    campaign_id: str
    reason: str  # "shared_indicator" | "near_duplicate_script"
    kind: str | None = None
    value: str | None = None
    report_id: str | None = None
    similarity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"campaign_id": self.campaign_id, "reason": self.reason}
        if self.kind is not None:
            out.update(kind=self.kind, value=self.value)
        if self.report_id is not None:
            out.update(report_id=self.report_id, similarity=round(self.similarity or 0.0, 4))
        return out


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    report_id: str
    campaign_id: str
    campaign_size: int
    merged: tuple[str, ...]
    new_campaign: bool
    score: ScriptScore
    indicators: tuple[IndicatorView, ...]
    rejected: tuple[Rejected, ...]
    knew: tuple[str, ...]
    victims_linked: int
    replaced_chars: int
    joined_by: tuple[JoinReason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "campaign_id": self.campaign_id,
            "campaign_size": self.campaign_size,
            "new_campaign": self.new_campaign,
            "merged_campaigns": list(self.merged),
            "joined_by": [r.to_dict() for r in self.joined_by],
            "score": self.score.to_dict(),
            "indicators": [i.to_dict() for i in self.indicators],
            "rejected": [
                {"kind": r.kind.value, "span": list(r.span), "reason": r.reason}
                for r in self.rejected
            ],
            "caller_knew": list(self.knew),
            "victims_linked": self.victims_linked,
            "replaced_chars": self.replaced_chars,
        }


@dataclass(frozen=True, slots=True)
class Campaign:
    campaign_id: str
    first_seen: datetime
    last_seen: datetime
    size: int
    max_score: float
    victims: int
    indicators: tuple[IndicatorCount, ...]
    sample: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "size": self.size,
            "max_score": round(self.max_score, 4),
            "victims": self.victims,
            "indicators": [
                {
                    "kind": i.kind,
                    "value": i.value,
                    "strong": i.strong,
                    "reports": i.reports,
                    **({"detail": i.detail} if i.detail else {}),
                }
                for i in self.indicators
            ],
            "sample": self.sample,
        }


@dataclass(frozen=True, slots=True)
class Victim:
    """A customer a campaign reached: when first, and what the caller knew about them."""

    customer_id: str
    first_contact_at: datetime
    knew: tuple[str, ...]
    reports: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "first_contact_at": self.first_contact_at.isoformat(),
            "knew": list(self.knew),
            "reports": list(self.reports),
        }


@dataclass(frozen=True, slots=True)
class ReportBody:
    """The decrypted body of a stored report."""

    text: str
    links: tuple[str, ...]
    victim_phone: str | None


@dataclass(frozen=True, slots=True)
class PreparedReport:
    """A validated, analysed and encrypted report, ready for :meth:`ScamReports.commit`."""

    report: ReportInput
    reporter_kind: str
    reporter_id: str
    report_id: str
    new_campaign_id: str  # used if the report starts a campaign (its sample is sealed to it)
    score: ScriptScore
    views: tuple[IndicatorView, ...]
    rejected: tuple[Rejected, ...]
    knew: tuple[str, ...]
    signature: Signature | None
    bands: tuple[tuple[int, int], ...]
    victims: tuple[tuple[str, str], ...]
    body_ct: bytes
    sample_ct: bytes
    replaced: int
    stored: tuple[StoredIndicator, ...] = ()  # sealed and keyed (see :mod:`.sealing`)
    sender_key: bytes | None = None
    sender_ct: bytes | None = None


class ScamReports:
    """The scam-report service (see module docstring)."""

    def __init__(
        self,
        store: ScamStore,
        extractor: IndicatorExtractor,
        scorer: ScriptScorer,
        cipher: TextCipher,
        clock: Clock,
        settings: ScamSettings,
        *,
        domains: DomainJudge | None = None,
        numbers: NumberJudge | None = None,
        customers: CustomerLookup | None = None,
    ) -> None:
        self.store = store
        self.extractor = extractor
        self.scorer = scorer
        self.cipher = cipher
        self.sealer = IndicatorSealer(cipher)
        self.clock = clock
        self.settings = settings
        self.domains = domains or NoDomainJudge()
        self.numbers = numbers or NoOfficialNumbers()
        self.customer_lookup = customers or NoCustomerLookup()
        self.minhasher = MinHasher(
            settings.minhash_permutations, settings.lsh_bands, settings.shingle_chars
        )
        self._shared = frozenset(d.lower() for d in settings.shared_domains)

    # -- submit ------------------------------------------------------------------------------

    def submit(
        self,
        report: ReportInput,
        *,
        reporter_kind: str,
        reporter_id: str,
        report_id: str | None = None,
    ) -> ReportOutcome:
        """Store one report and cluster it; raises :class:`ReportRejected` for bad input.

        ``report_id`` (default: a new one) lets an event intake derive it from the event's id,
        so that a redelivered event fails on the existing row instead of storing a copy."""
        return self.commit(
            self.prepare(
                report, reporter_kind=reporter_kind, reporter_id=reporter_id, report_id=report_id
            )
        )

    def has_report(self, report_id: str) -> bool:
        """Whether a report with this id is stored."""
        with self.store.read() as tx:
            return tx.get_report(report_id) is not None

    def prepare(
        self,
        report: ReportInput,
        *,
        reporter_kind: str,
        reporter_id: str,
        report_id: str | None = None,
    ) -> PreparedReport:
        """Everything that needs no lock: validation, normalization, indicators, score,
        signature, victims, encryption. Safe to run in parallel; :meth:`commit` then clusters."""
        if reporter_kind not in REPORTER_KINDS:
            raise ReportRejected("must be customer or agent", field="reporter_kind")
        checked = self._validate(report)
        sanitized = sanitize(checked.text)
        text = normalize(sanitized.text)
        extraction = self.extractor.extract(text)
        link_results = [self.extractor.link(link) for link in checked.links]
        indicators, rejected = self._collect(extraction, link_results, checked)
        views = self._judge(indicators)
        detected = set(caller_knew(text, extraction.indicators, checked.victim_phone))
        signature = None
        if len(script_form(text)) >= self.settings.min_script_chars:
            signature = self.minhasher.signature(text)
        report_id = report_id or new_id("rpt")
        campaign_id = new_id("cmp")
        body = json.dumps(
            {
                "text": sanitized.text,
                "links": list(checked.links),
                "victim_phone": checked.victim_phone,
            },
            ensure_ascii=False,
        ).encode()
        sample = scrub(text, extraction.indicators)[: self.settings.sample_chars]
        sender = _sender_view(views)
        return PreparedReport(
            report=checked,
            reporter_kind=reporter_kind,
            reporter_id=reporter_id,
            report_id=report_id,
            new_campaign_id=campaign_id,
            score=self.scorer.score_normalized(text),
            views=tuple(views),
            rejected=rejected,
            knew=tuple(k for k in KNEW_KINDS if k in detected or k in checked.caller_knew),
            signature=signature,
            bands=tuple(enumerate(self.minhasher.band_keys(signature)))
            if signature is not None
            else (),
            victims=tuple(self._victims(checked)),
            body_ct=self.cipher.seal(_REPORTS, "body", report_id, body),
            sample_ct=self.cipher.seal(_CAMPAIGNS, "sample", campaign_id, sample.encode()),
            replaced=checked.replaced_chars + sanitized.replaced,
            stored=tuple(self._stored(views)),
            sender_key=None if sender is None else self.sealer.key(sender.kind, sender.value),
            sender_ct=None if sender is None else self.sealer.seal_sender(report_id, sender.value),
        )

    def commit(self, prepared: PreparedReport) -> ReportOutcome:
        """Cluster and store a prepared report in one serialized transaction."""
        p = prepared
        named = {self.sealer.key(v.kind, v.value): (v.kind, v.value) for v in p.views if v.strong}
        now = self.clock.now()
        with self.store.write() as tx:
            shared = tx.campaigns_with_indicators(sorted(named))
            reasons = [
                JoinReason(cid, "shared_indicator", kind=k, value=v)
                for cid, ikeys in sorted(shared.items())
                for k, v in sorted(named[i] for i in ikeys)
            ]
            if p.signature is not None:
                reasons += self._near_duplicates(tx, p.signature, list(p.bands), set(shared))
            linked = {r.campaign_id for r in reasons}
            # A near-exact copy of an indexed script adds nothing to find later copies with;
            # leaving its band keys out keeps buckets from growing with a campaign's size.
            copy = any((r.similarity or 0.0) >= _INDEXED_COPY for r in reasons)
            bands = [] if copy else list(p.bands)
            merged: tuple[str, ...] = ()
            new_campaign = not linked
            if new_campaign:
                campaign_id = p.new_campaign_id
                tx.create_campaign(
                    CampaignRecord(
                        campaign_id=campaign_id,
                        first_seen=p.report.received_at,
                        last_seen=p.report.received_at,
                        size=0,
                        max_score=p.score.score,
                        sample_report_id=p.report_id,
                        sample_ct=p.sample_ct,
                        created_at=now,
                    )
                )
            else:
                campaign_id, merged = self._merge(tx, linked)
            tx.insert_report(
                ReportRecord(
                    report_id=p.report_id,
                    campaign_id=campaign_id,
                    received_at=p.report.received_at,
                    reported_at=now,
                    channel=p.report.channel,
                    sender_key=p.sender_key,
                    sender_ct=p.sender_ct,
                    reporter_kind=p.reporter_kind,
                    reporter_id=p.reporter_id,
                    customer_id=p.report.customer_id,
                    body_ct=p.body_ct,
                    score=p.score.score,
                    label=p.score.label,
                    knew=p.knew,
                    replaced_chars=p.replaced,
                    signature=None if p.signature is None else MinHasher.to_bytes(p.signature),
                ),
                p.stored,
                bands,
                p.victims,
            )
            tx.count_into_campaign(campaign_id, p.report.received_at, p.score.score)
            record = tx.get_campaign(campaign_id)
        return ReportOutcome(
            report_id=p.report_id,
            campaign_id=campaign_id,
            campaign_size=record.size if record else 1,
            merged=merged,
            new_campaign=new_campaign,
            score=p.score,
            indicators=p.views,
            rejected=p.rejected,
            knew=p.knew,
            victims_linked=len(p.victims),
            replaced_chars=p.replaced,
            joined_by=tuple(reasons),
        )

    # -- reads -------------------------------------------------------------------------------

    def campaigns(
        self,
        *,
        min_size: int = 1,
        since: datetime | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Campaign]:
        """One page of live campaigns seen since ``since``, newest first; ``cursor`` is the
        previous page's ``next_cursor``."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ReportRejected(f"must be between 1 and {MAX_LIMIT}", field="limit")
        if min_size < 1:
            raise ReportRejected("must be at least 1", field="min_size")
        if since is not None and since.tzinfo is None:
            raise ReportRejected("must include a time zone", field="since")
        with self.store.read() as tx:
            page = fetch_page(
                CAMPAIGNS_LISTING,
                limit,
                cursor,
                lambda n, after: tx.list_campaigns(
                    min_size=min_size, since=since, limit=n, after=after
                ),
                lambda r: Position(utc(r.created_at), r.campaign_id),
            )
            return Page([self._campaign(tx, r) for r in page.items], page.next_cursor)

    def campaign(self, campaign_id: str) -> Campaign:
        with self.store.read() as tx:
            record = _resolve(tx, campaign_id)
            return self._campaign(tx, record)

    def victims(self, campaign_id: str) -> list[Victim]:
        """Customers the campaign reached, by first contact: ``(customer_id, first_contact_at,
        knew)`` with the reports that name them."""
        with self.store.read() as tx:
            record = _resolve(tx, campaign_id)
            rows = tx.campaign_victims(record.campaign_id)
        first: dict[str, datetime] = {}
        knew: dict[str, set[str]] = {}
        reports: dict[str, list[str]] = {}
        for row in rows:
            at = utc(row.received_at)
            if row.customer_id not in first or at < first[row.customer_id]:
                first[row.customer_id] = at
            knew.setdefault(row.customer_id, set()).update(row.knew)
            reports.setdefault(row.customer_id, []).append(row.report_id)
        return sorted(
            (
                Victim(
                    cid,
                    first[cid],
                    tuple(k for k in KNEW_KINDS if k in knew[cid]),
                    tuple(sorted(set(reports[cid]))),
                )
                for cid in first
            ),
            key=lambda v: (v.first_contact_at, v.customer_id),
        )

    def customers(self, campaign_id: str) -> list[tuple[str, datetime]]:
        """``(customer_id, first contact)`` of every victim: the shape of the warnings
        capability's ``CampaignTargets``, so an active campaign can drive warnings."""
        return [(v.customer_id, v.first_contact_at) for v in self.victims(campaign_id)]

    def report_body(self, report_id: str) -> ReportBody:
        """The decrypted body of one report (for investigation; callers audit the access)."""
        with self.store.read() as tx:
            record = tx.get_report(report_id)
        if record is None:
            raise ReportNotFound(report_id)
        doc = json.loads(self.cipher.open(_REPORTS, "body", report_id, record.body_ct))
        return ReportBody(doc["text"], tuple(doc["links"]), doc.get("victim_phone"))

    # -- internals ---------------------------------------------------------------------------

    def _validate(self, report: ReportInput) -> ReportInput:
        s = self.settings
        if report.channel not in CHANNELS:
            raise ReportRejected(f"must be one of {', '.join(CHANNELS)}", field="channel")
        if report.received_at.tzinfo is None:
            raise ReportRejected("must include a time zone", field="received_at")
        if report.received_at > self.clock.now() + timedelta(seconds=s.future_skew_seconds):
            raise ReportRejected("is in the future", field="received_at")
        if not isinstance(report.text, str):
            raise ReportRejected("must be text", field="text")
        check_length(report.text, s.max_text_chars, "text")
        if len(report.links) > s.max_links:
            raise ReportRejected(f"more than {s.max_links} links", field="links")
        for i, link in enumerate(report.links):
            if not isinstance(link, str) or not link.strip():
                raise ReportRejected("must be a non-empty string", field=f"links[{i}]")
            check_length(link, s.max_link_chars, f"links[{i}]")
        sender = None
        if report.sender is not None:
            sender = sanitize(report.sender).text.strip()
            if len(sender) > _MAX_SENDER:
                raise ReportRejected(f"longer than {_MAX_SENDER} characters", field="sender")
            sender = sender or None
        if not (report.text.strip() or report.links or sender):
            raise ReportRejected("a report needs a text, a link or a sender", field="text")
        if report.customer_id is not None and not _ID.fullmatch(report.customer_id):
            raise ReportRejected("must be 1-64 letters, digits or _ . : -", field="customer_id")
        victim_phone = None
        if report.victim_phone is not None:
            victim_phone = as_e164(report.victim_phone, s.region)
            if victim_phone is None:
                raise ReportRejected("is not a valid phone number", field="victim_phone")
        unknown = [k for k in report.caller_knew if k not in KNEW_KINDS]
        if unknown:
            raise ReportRejected(f"must be among {', '.join(KNEW_KINDS)}", field="caller_knew")
        return ReportInput(
            channel=report.channel,
            received_at=utc(report.received_at),
            text=report.text,
            sender=sender,
            links=tuple(report.links),
            customer_id=report.customer_id,
            victim_phone=victim_phone,
            caller_knew=tuple(report.caller_knew),
            replaced_chars=max(0, report.replaced_chars),
        )

    def _collect(
        self, extraction: Extraction, links: Sequence[Extraction], report: ReportInput
    ) -> tuple[list[tuple[Indicator, bool]], tuple[Rejected, ...]]:
        """All indicators with a flag: True when it came from the sender field."""
        out: list[tuple[Indicator, bool]] = [(i, False) for i in extraction.indicators]
        rejected = list(extraction.rejected)
        for result in links:
            out += [(i, False) for i in result.indicators]
            rejected += result.rejected
        if report.sender:
            out.append(
                (_sender_indicator(report.sender, report.channel, self.settings.region), True)
            )
        if report.victim_phone:
            out = [
                (i, from_sender)
                for i, from_sender in out
                if not (
                    i.kind in (Kind.PHONE, Kind.ALIPAY)
                    and i.value in (report.victim_phone, report.victim_phone.removeprefix("+86"))
                )
            ]
        return out, tuple(rejected)

    def _judge(self, indicators: list[tuple[Indicator, bool]]) -> list[IndicatorView]:
        verdicts = {
            host: self.domains.check(host).verdict
            for host in {i.detail or i.value for i, _ in indicators if i.kind is Kind.DOMAIN}
        }
        official = {host for host, verdict in verdicts.items() if verdict == "official"}
        views: list[IndicatorView] = []
        for ind, from_sender in indicators:
            strong = ind.kind in STRONG_KINDS
            verdict: str | None = None
            if ind.kind is Kind.DOMAIN:
                verdict = verdicts[ind.detail or ind.value]
                strong = verdict != "official" and ind.value not in self._shared
            elif ind.kind is Kind.URL:
                strong = _url_host(ind.value) not in official  # a shared shortener's link counts
            elif ind.kind in (Kind.PHONE, Kind.SENDER_ID):
                strong = not self.numbers.is_official(ind.value) and not _sms_gateway(ind.value)
            elif ind.kind is Kind.EMAIL:
                strong = from_sender
            views.append(IndicatorView(ind.kind.value, ind.value, strong, ind.detail, verdict))
        return views

    def _stored(self, views: Sequence[IndicatorView]) -> list[StoredIndicator]:
        """One stored row per (kind, value): strong if any occurrence is, first detail kept."""
        merged: dict[tuple[str, str], IndicatorView] = {}
        for v in views:
            prior = merged.get((v.kind, v.value))
            if prior is None or (v.strong and not prior.strong):
                detail = v.detail if prior is None else prior.detail
                merged[(v.kind, v.value)] = IndicatorView(v.kind, v.value, v.strong, detail)
        return [self.sealer.stored(v.kind, v.value, v.strong, v.detail) for v in merged.values()]

    def _indicator_counts(self, tx: ScamTx, campaign_id: str) -> list[IndicatorCount]:
        counts = [
            IndicatorCount(r.kind, self.sealer.reveal(r), r.strong, r.reports, r.detail)
            for r in tx.campaign_indicators(campaign_id, 50)
        ]
        return sorted(counts, key=lambda c: (not c.strong, -c.reports, c.kind, c.value))

    def _victims(self, report: ReportInput) -> list[tuple[str, str]]:
        victims: dict[str, str] = {}
        if report.customer_id:
            victims[report.customer_id] = "reporter"
        if report.victim_phone:
            for cid in self.customer_lookup.by_phone(report.victim_phone):
                victims.setdefault(cid, "phone")
        return sorted(victims.items())

    def _near_duplicates(
        self,
        tx: ScamTx,
        signature: Signature,
        bands: list[tuple[int, int]],
        already: set[str],
    ) -> list[JoinReason]:
        threshold = self.settings.near_duplicate_jaccard
        checked: dict[str, int] = {}
        found: dict[str, JoinReason] = {}
        for hit in tx.reports_in_bands(bands):
            cid = hit.campaign_id
            if cid in already or cid in found or checked.get(cid, 0) >= _MAX_CAMPAIGN_CHECKS:
                continue
            checked[cid] = checked.get(cid, 0) + 1
            similarity = MinHasher.similarity(signature, self.minhasher.from_bytes(hit.signature))
            if similarity >= threshold:
                found[cid] = JoinReason(
                    cid, "near_duplicate_script", report_id=hit.report_id, similarity=similarity
                )
        return [found[c] for c in sorted(found)]

    def _merge(self, tx: ScamTx, linked: set[str]) -> tuple[str, tuple[str, ...]]:
        records = [r for r in (tx.get_campaign(c) for c in sorted(linked)) if r is not None]
        records.sort(key=lambda r: (utc(r.first_seen), r.campaign_id))
        keep = records[0].campaign_id
        others = tuple(r.campaign_id for r in records[1:])
        if others:
            tx.merge_campaigns(keep, others)
        return keep, others

    def _campaign(self, tx: ScamTx, record: CampaignRecord) -> Campaign:
        sample = self.cipher.open(_CAMPAIGNS, "sample", record.campaign_id, record.sample_ct)
        victims = {v.customer_id for v in tx.campaign_victims(record.campaign_id)}
        return Campaign(
            campaign_id=record.campaign_id,
            first_seen=utc(record.first_seen),
            last_seen=utc(record.last_seen),
            size=record.size,
            max_score=record.max_score,
            victims=len(victims),
            indicators=tuple(self._indicator_counts(tx, record.campaign_id)),
            sample=sample.decode(),
        )


def _resolve(tx: ScamTx, campaign_id: str) -> CampaignRecord:
    record = tx.get_campaign(campaign_id)
    if record is not None and record.merged_into is not None:
        record = tx.get_campaign(record.merged_into)
    if record is None:
        raise CampaignNotFound(campaign_id)
    return record


def _sender_indicator(sender: str, channel: str, region: str) -> Indicator:
    span = (0, 0)  # the sender is not part of the text
    e164 = as_e164(sender, region)
    if e164 is not None:
        return Indicator(Kind.PHONE, e164, span, detail="sender")
    digits = sender.replace(" ", "").replace("-", "")
    if digits.isdigit() and 3 <= len(digits) <= 8:
        return Indicator(Kind.SHORT_NUMBER, digits, span, detail="sender")
    if _SENDER_EMAIL.fullmatch(sender):
        return Indicator(Kind.EMAIL, sender.lower(), span, detail="sender")
    return Indicator(Kind.SENDER_ID, normalize(sender).casefold(), span, detail=channel)


def _sender_view(views: Sequence[IndicatorView]) -> IndicatorView | None:
    """The indicator the sender field became (None when it was the victim's own number)."""
    for v in views:
        if v.detail == "sender" or v.kind == Kind.SENDER_ID.value:
            return v
    return None


def _url_host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    host = rest.split("/", 1)[0]
    if host.startswith("["):
        return host.split("]", 1)[0].strip("[")
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _sms_gateway(value: str) -> bool:
    """A mainland SMS gateway port (106…): shared by every business that sends through it, so
    it says nothing about who sent a particular message."""
    return value.isdigit() and value.startswith("106") and len(value) >= 8
