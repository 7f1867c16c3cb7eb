"""Release ledger types: what was released to whom, which records, which trap contacts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FORMATS = ("csv", "json", "xlsx")
KINDS = ("export", "manifest", "extract")


@dataclass(frozen=True, slots=True)
class Release:
    """One data release. ``columns`` maps each exported field to the view it was served in."""

    release_id: str
    recipient_id: str
    recipient_role: str
    purpose: str
    kind: str
    fields: tuple[str, ...]
    columns: Mapping[str, str]
    file_format: str
    row_count: int  # rows in the file, canaries included
    record_count: int  # real customers in the file
    optional_pool: int  # optional customers considered
    optional_included: int  # of which the recipient's code included
    canary_count: int
    marked: bool  # address marks applied
    file_sha256: str
    created_by: str
    created_at: datetime
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "release_id": self.release_id,
            "recipient_id": self.recipient_id,
            "recipient_role": self.recipient_role,
            "purpose": self.purpose,
            "kind": self.kind,
            "fields": list(self.fields),
            "columns": dict(self.columns),
            "format": self.file_format,
            "rows": self.row_count,
            "records": self.record_count,
            "optional_pool": self.optional_pool,
            "optional_included": self.optional_included,
            "canaries": self.canary_count,
            "marked": self.marked,
            "file_sha256": self.file_sha256,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ReleaseRecord:
    """A customer considered for a release: ``included`` in the file or not; ``optional`` when
    the recipient's code decided (the presence mark)."""

    release_id: str
    customer_id: str
    included: bool
    optional: bool


@dataclass(frozen=True, slots=True)
class Canary:
    """A trap contact (phone or e-mail) of a synthetic customer, unique to one release; stored
    as a keyed digest of its normal form."""

    digest: bytes
    release_id: str
    kind: str  # "phone" | "email"
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Holding:
    """That ``recipient_id`` was offered ``customer_id`` in ``release_id`` (attribution's view)."""

    customer_id: str
    release_id: str
    recipient_id: str
    included: bool
    optional: bool
    marked: bool


@dataclass(frozen=True, slots=True)
class IndexedCustomer:
    """A customer found through a blind index, with its phone's blind index (the natural
    identifier marks are keyed by)."""

    customer_id: str
    phone_index: bytes


@dataclass(frozen=True, slots=True)
class ExportFile:
    """The bytes of a release's file and how to name them."""

    content: bytes
    media_type: str
    suffix: str
    sha256: str = field(default="")
