"""Incident cases as data: the case, its links, its timeline and its evidence records.

Nothing here holds personal data: cases name their source by identifier, links name
principals, releases and customers by id (customer ids are custody's pseudonymous record ids,
never a phone or a name), the timeline names who did what by id, and an evidence record holds
the item's hash, size and kind (its bytes are sealed elsewhere). Each type has one serializer,
``as_dict``, used by the API, the CLI and the bundle manifest alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shieldwall.respond.states import CaseState


class SourceKind(StrEnum):
    """What a case opens from, and what its ``source_ref`` names."""

    ALERT = "alert"  # an alert id (insider watch, break-glass)
    VICTIMS_TRACE = "victims_trace"  # the audit seq of the victims attribution's entry
    LEAK_TRACE = "leak_trace"  # the audit seq of the leaked-file attribution's entry
    CANARY_HIT = "canary_hit"  # the release id the trap contact was issued in
    SCAM_CAMPAIGN = "scam_campaign"  # a scam campaign id
    MANUAL = "manual"  # by hand: no reference


class LinkKind(StrEnum):
    """What a case links to: the containment it decided and the people it concerns."""

    PRINCIPAL = "principal_suspended"
    RELEASE = "release_revoked"
    CUSTOMER = "customer_affected"


class EvidenceKind(StrEnum):
    LEAKED_FILE = "leaked_file"
    VICTIMS_LIST = "victims_list"
    AUDIT_EXPORT = "audit_export"  # audit entries with their inclusion proofs
    SCREENSHOT = "screenshot"  # e.g. of a scam page
    OTHER = "other"


def _ts(value: datetime) -> str:
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    state: CaseState
    source_kind: SourceKind
    source_ref: str | None
    owner_id: str | None
    opened_by: str
    opened_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "state": self.state.value,
            "source": {"kind": self.source_kind.value, "ref": self.source_ref},
            "owner_id": self.owner_id,
            "opened_by": self.opened_by,
            "opened_at": _ts(self.opened_at),
            "updated_at": _ts(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class CaseLink:
    case_id: str
    kind: LinkKind
    ref: str
    linked_by: str
    linked_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "ref": self.ref,
            "linked_by": self.linked_by,
            "linked_at": _ts(self.linked_at),
        }


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One action on a case: who (a principal id), when, what (an action word and ids)."""

    case_id: str
    n: int
    at: datetime
    actor: str
    action: str
    detail: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "at": _ts(self.at),
            "actor": self.actor,
            "action": self.action,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """An evidence item as recorded at receipt: the SHA-256 of the bytes received, their size,
    and the audit entry of the receipt (``receipt_seq``, None until it is logged)."""

    evidence_id: str
    case_id: str
    kind: EvidenceKind
    media_type: str
    suffix: str
    size: int
    sha256: str
    received_by: str
    received_at: datetime
    receipt_seq: int | None = None

    @property
    def file_name(self) -> str:
        """The item's name in a bundle: its id and the suffix it arrived with (never the
        original file name, which may name a person)."""
        return f"{self.evidence_id}{self.suffix}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "evidence_id": self.evidence_id,
            "case_id": self.case_id,
            "kind": self.kind.value,
            "media_type": self.media_type,
            "file_name": self.file_name,
            "size": self.size,
            "sha256": self.sha256,
            "received_by": self.received_by,
            "received_at": _ts(self.received_at),
            "receipt_seq": self.receipt_seq,
        }


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case with everything recorded about it."""

    case: Case
    links: tuple[CaseLink, ...]
    timeline: tuple[TimelineEntry, ...]
    evidence: tuple[EvidenceRecord, ...]

    def as_dict(self, *, customer_ids: bool = True) -> dict[str, Any]:
        """The case file; without ``customer_ids`` the affected customers are only counted
        (for roles that see customers by pseudonym only)."""
        links = [
            link.as_dict()
            for link in self.links
            if customer_ids or link.kind is not LinkKind.CUSTOMER
        ]
        affected = sum(1 for link in self.links if link.kind is LinkKind.CUSTOMER)
        return {
            **self.case.as_dict(),
            "links": links,
            "customers_affected": affected,
            "timeline": [t.as_dict() for t in self.timeline],
            "evidence": [e.as_dict() for e in self.evidence],
        }
