"""What scam reports need from the outside world, as interfaces.

- :class:`DomainJudge`     is a domain ours, a lookalike of ours, or neither (the lookalike
                           scanner in ``contact.domains``; wired by the composition root)
- :class:`NumberJudge`     is a phone number or sender id one of the store's (the contact ledger)
- :class:`CustomerLookup`  which customers have this phone number (custody's blind index)
- :class:`ScamStore`       opens transactions; :class:`ScamTx` is one transaction's view of the
                           report, indicator, band, victim and campaign tables

``storage.contact_scam_repo`` implements the store on SQLite and PostgreSQL;
:mod:`.memory` is the in-process implementation used by unit tests and benchmarks. The null
judges below answer "not ours" and "no customer", which is safe: nothing is hidden from
clustering, nobody is linked by guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from shieldwall.core.paging import Position

Verdict = Literal["official", "lookalike", "clean"]


@dataclass(frozen=True, slots=True)
class DomainVerdict:
    verdict: Verdict
    brand: str | None = None
    score: float = 0.0
    techniques: tuple[str, ...] = ()


class DomainJudge(Protocol):
    def check(self, domain: str) -> DomainVerdict: ...


class NumberJudge(Protocol):
    def is_official(self, number: str) -> bool:
        """True when ``number`` (E.164 or a sender id) is one the store contacts customers from."""
        ...


class CustomerLookup(Protocol):
    def by_phone(self, e164: str) -> list[str]:
        """Customer ids whose phone is ``e164`` (through custody's blind index)."""
        ...


class NoDomainJudge:
    """Knows no brand: every domain is ``clean``."""

    def check(self, domain: str) -> DomainVerdict:
        return DomainVerdict("clean")


class NoOfficialNumbers:
    def is_official(self, number: str) -> bool:
        return False


class NoCustomerLookup:
    def by_phone(self, e164: str) -> list[str]:
        return []


# --- storage ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredIndicator:
    """One indicator as stored (see :mod:`.sealing`): ``ikey`` is the keyed hash reports are
    matched on; ``value`` is clear only for kinds that never name a person, else ``value_ct``
    holds it sealed."""

    kind: str
    ikey: bytes
    strong: bool
    value: str | None = None
    value_ct: bytes | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class StoredIndicatorCount:
    """One indicator of a campaign as stored, with the number of reports that carry it."""

    kind: str
    ikey: bytes
    strong: bool
    reports: int
    value: str | None = None
    value_ct: bytes | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A report as stored: the body (text, links, victim phone) is one ciphertext; the sender
    is a keyed hash (``sender_key``, the sender indicator's ``ikey``) and a ciphertext."""

    report_id: str
    campaign_id: str
    received_at: datetime
    reported_at: datetime
    channel: str
    sender_key: bytes | None
    sender_ct: bytes | None
    reporter_kind: str
    reporter_id: str
    customer_id: str | None
    body_ct: bytes
    score: float
    label: str
    knew: tuple[str, ...]
    replaced_chars: int
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    campaign_id: str
    first_seen: datetime
    last_seen: datetime
    size: int
    max_score: float
    sample_report_id: str
    sample_ct: bytes
    created_at: datetime
    merged_into: str | None = None


@dataclass(frozen=True, slots=True)
class BandHit:
    report_id: str
    campaign_id: str
    signature: bytes


@dataclass(frozen=True, slots=True)
class IndicatorCount:
    """One indicator of a campaign as shown to an authorised reader (value opened)."""

    kind: str
    value: str
    strong: bool
    reports: int
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class VictimRow:
    customer_id: str
    report_id: str
    received_at: datetime
    knew: tuple[str, ...]
    via: str


class ScamTx(Protocol):
    # lookups for clustering
    def campaigns_with_indicators(self, ikeys: Sequence[bytes]) -> dict[str, set[bytes]]:
        """Live campaigns holding a report with a *strong* indicator among ``ikeys`` (keyed
        hashes), each with the keys it shares."""
        ...

    def reports_in_bands(self, band_keys: Sequence[tuple[int, int]]) -> list[BandHit]:
        """Reports sharing any ``(band, key)``, with their campaign and signature."""
        ...

    # writes
    def insert_report(
        self,
        report: ReportRecord,
        indicators: Iterable[StoredIndicator],
        band_keys: Sequence[tuple[int, int]],
        victims: Iterable[tuple[str, str]],
    ) -> None:
        """Insert a report, its indicators, LSH band keys and (customer_id, via) victim links."""
        ...

    def create_campaign(self, campaign: CampaignRecord) -> None: ...

    def merge_campaigns(self, keep: str, others: Sequence[str]) -> None:
        """Move every report of ``others`` into ``keep`` and mark ``others`` merged into it."""
        ...

    def refresh_campaign(self, campaign_id: str) -> None:
        """Recompute first/last seen, size and max score from the campaign's reports."""
        ...

    def count_into_campaign(self, campaign_id: str, received_at: datetime, score: float) -> None:
        """Add one report's time and score to the campaign's summary (no rescan)."""
        ...

    # reads
    def get_campaign(self, campaign_id: str) -> CampaignRecord | None: ...

    def list_campaigns(
        self, *, min_size: int, since: datetime | None, limit: int, after: Position | None = None
    ) -> list[CampaignRecord]:
        """Live campaigns seen since ``since``, newest first (``created_at``, then
        ``campaign_id``: fixed at creation, so paging stays stable as reports arrive), from
        after ``after``."""
        ...

    def campaign_indicators(self, campaign_id: str, limit: int) -> list[StoredIndicatorCount]:
        """The campaign's indicators, strong first, then by how many reports carry them."""
        ...

    def campaign_victims(self, campaign_id: str) -> list[VictimRow]: ...

    def get_report(self, report_id: str) -> ReportRecord | None: ...

    def count_reports(self) -> int: ...


class ScamStore(Protocol):
    def read(self) -> AbstractContextManager[ScamTx]: ...

    def write(self) -> AbstractContextManager[ScamTx]:
        """A transaction that serializes clustering decisions (one writer at a time)."""
        ...
