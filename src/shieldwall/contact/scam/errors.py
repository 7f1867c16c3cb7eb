"""Scam-report and scoring errors, below :class:`shieldwall.contact.errors.ContactError`::

ContactError
├── ReportRejected       bad input: ``field`` and ``reason`` (never the value)
│   └── TextTooLong      a text or line over the configured cap
├── CampaignNotFound
├── ReportNotFound
└── ScamConfigError      templates or model file unreadable or invalid
"""

from __future__ import annotations

from shieldwall.contact.errors import ContactError


class ReportRejected(ContactError):
    """Input that cannot be accepted; the message names the field and the rule, not the value."""

    code = "invalid_input"


class TextTooLong(ReportRejected):
    code = "text_too_long"

    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(f"is {length} characters, over the limit of {limit}", field=field)
        self.length = length
        self.limit = limit


class CampaignNotFound(ContactError):
    code = "not_found"

    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"no campaign {campaign_id}", field="campaign_id")


class ReportNotFound(ContactError):
    code = "not_found"

    def __init__(self, report_id: str) -> None:
        super().__init__(f"no report {report_id}", field="report_id")


class ScamConfigError(ContactError):
    """The templates file or the scorer model file is missing or invalid."""

    code = "invalid_config"
