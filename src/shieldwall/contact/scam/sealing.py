"""Indicators and senders at rest: a keyed hash to match on, the value sealed unless it can
never identify a person.

A report's indicators are what links it to other reports, so they must be comparable at rest;
but a phone number, e-mail address, QQ/WeChat/Telegram/Alipay account or sender id may be the
customer's own (a victim quotes their number, a scam SMS names their account), the reporter's,
or a third party's. So every stored indicator carries:

- ``ikey``: :meth:`~.cipher.TextCipher.keyed_hash` of ``(kind, value)`` (HMAC-SHA256 under the
  ``contact.scam.index`` secret, 128 bits). Clustering compares these and nothing else.
- its value *in clear* only for :data:`CLEAR_KINDS`: registrable domains, screen-sharing app
  names, amounts, and the keyed tokens of cards, order and tracking numbers (already keyed, see
  :mod:`.tokens`). None of these names a person; analysts read and group them in SQL.
- otherwise ``value_ct``: the value sealed with custody's field recipe (AES-256-GCM, associated
  data binding tenant, table ``scam_indicators``, field ``value`` and the ``ikey``), opened only
  when an authorised caller reads a campaign.

A report's sender (``scam_reports.sender``) is stored the same way: ``sender_key`` is the sender
indicator's ``ikey`` (find every report from one sender), ``sender_ct`` the value sealed to the
report id. URLs are sealed: a phishing link often carries the victim's number or id in its query.
"""

from __future__ import annotations

from shieldwall.contact.scam.cipher import TextCipher
from shieldwall.contact.scam.indicators import TOKENIZED_KINDS, Kind
from shieldwall.contact.scam.ports import StoredIndicator, StoredIndicatorCount

CLEAR_KINDS = frozenset(
    {Kind.DOMAIN.value, Kind.SCREEN_SHARE_APP.value, Kind.AMOUNT.value}
    | {k.value for k in TOKENIZED_KINDS}
)
_INDICATORS = "scam_indicators"
_REPORTS = "scam_reports"


class IndicatorSealer:
    """Turns indicators and senders into their stored form and back (see module docstring)."""

    def __init__(self, cipher: TextCipher) -> None:
        self._cipher = cipher

    def key(self, kind: str, value: str) -> bytes:
        """The ``ikey`` of one indicator: what reports are matched on."""
        return self._cipher.keyed_hash(kind, value)

    def stored(
        self, kind: str, value: str, strong: bool, detail: str | None = None
    ) -> StoredIndicator:
        ikey = self.key(kind, value)
        if kind in CLEAR_KINDS:
            return StoredIndicator(kind, ikey, strong, value=value, detail=detail)
        sealed = self._cipher.seal(_INDICATORS, "value", ikey.hex(), value.encode())
        return StoredIndicator(kind, ikey, strong, value_ct=sealed, detail=detail)

    def reveal(self, row: StoredIndicator | StoredIndicatorCount) -> str:
        """The value of a stored indicator (clear, or opened; raises ``InvalidCiphertext``)."""
        if row.value is not None:
            return row.value
        if row.value_ct is None:
            raise ValueError("a stored indicator has neither a value nor a sealed value")
        return self._cipher.open(_INDICATORS, "value", row.ikey.hex(), row.value_ct).decode()

    def seal_sender(self, report_id: str, sender: str) -> bytes:
        return self._cipher.seal(_REPORTS, "sender", report_id, sender.encode())

    def open_sender(self, report_id: str, sealed: bytes) -> str:
        return self._cipher.open(_REPORTS, "sender", report_id, sealed).decode()
