"""Notification types: which law, to whom, in which language, through which channel; what the
case shows was exposed; and a notification as recorded.

Nothing here holds personal data: a person is named by custody's customer id, an exposure by
field *names* and the ids of the records that show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from shieldwall.respond.errors import CaseInvalid


class Regime(StrEnum):
    PIPL = "pipl"  # 个人信息保护法 art. 57
    GDPR = "gdpr"  # Regulation (EU) 2016/679 art. 33 (authority) and 34 (data subjects)


class Audience(StrEnum):
    AUTHORITY = "authority"
    PERSON = "person"


class Language(StrEnum):
    ZH = "zh-CN"
    EN = "en"


class Channel(StrEnum):
    """How a notice went out."""

    PORTAL = "portal"  # the authority's online reporting form
    EMAIL = "email"
    POST = "post"
    SMS = "sms"
    PHONE = "phone"
    IN_PERSON = "in_person"


class Format(StrEnum):
    HTML = "html"
    PDF = "pdf"


E = TypeVar("E", bound=StrEnum)


def parse(kind: type[E], value: str, field: str) -> E:
    """``value`` as a member of ``kind``, or :class:`CaseInvalid` naming ``field``."""
    try:
        return kind(value)
    except ValueError:
        options = ", ".join(m.value for m in kind)
        raise CaseInvalid(f"unknown value; expected one of {options}", field=field) from None


@dataclass(frozen=True, slots=True)
class Exposure:
    """One kind of personal information the case shows was exposed: the field, the views it
    was exposed in (``clear``, ``masked``...) and the records that show it (``release:<id>``,
    ``alert:<id>``, ``audit:<seq>`` or ``declared`` by the operator)."""

    field: str
    views: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def masked_only(self) -> bool:
        return bool(self.views) and "clear" not in self.views

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "views": list(self.views), "sources": list(self.sources)}


def merge_exposures(found: Mapping[str, Mapping[str, set[str]]]) -> tuple[Exposure, ...]:
    """``{field: {view: {source, ...}}}`` as exposures, in a stable order."""
    out = []
    for name in sorted(found):
        views = found[name]
        sources = sorted({s for group in views.values() for s in group})
        out.append(Exposure(name, tuple(sorted(v for v in views if v)), tuple(sources)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """That a notice went to the authority or to one person (``customer_id``), when, how, and
    by whom it was recorded; ``content_sha256`` is the hash of the HTML rendering kept by
    shieldwall (persons by masked name), ``params`` the codes it was drafted with."""

    notice_id: str
    case_id: str
    regime: Regime
    audience: Audience
    language: Language
    channel: Channel
    customer_id: str | None
    reference: str | None
    notified_at: datetime
    recorded_by: str
    recorded_at: datetime
    content_sha256: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "case_id": self.case_id,
            "regime": self.regime.value,
            "audience": self.audience.value,
            "language": self.language.value,
            "channel": self.channel.value,
            "customer_id": self.customer_id,
            "reference": self.reference,
            "notified_at": self.notified_at.isoformat(),
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat(),
            "content_sha256": self.content_sha256,
            "params": dict(self.params),
        }
