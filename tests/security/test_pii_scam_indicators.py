"""Scam reports keep no customer identifier in clear: indicators and senders are keyed hashes
with sealed values; the phone extractor reports what it cannot parse and hides no errors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import phonenumbers
import pytest
from sqlalchemy import select

from shieldwall.contact.scam.indicators import IndicatorExtractor, Kind
from shieldwall.contact.scam.normalize import normalize
from shieldwall.contact.scam.reports import ReportInput
from shieldwall.contact.scam.tokens import Tokenizer
from shieldwall.storage.tables import metadata
from shieldwall.wiring import Services
from tests.unit.contact_scam.conftest import T0

CUSTOMER_PHONE = "+8613812345678"  # the customer's own mobile, quoted in the report
CUSTOMER_EMAIL = "zhang.wei.8848@example.com"
SCAMMER_PHONE = "+8613987654321"
SENDER = "+8613700001111"


def spellings() -> dict[str, bytes]:
    """Each value as E.164, as the national number, and UTF-8 / UTF-16 bytes."""
    out: dict[str, bytes] = {}
    for value in (CUSTOMER_PHONE, CUSTOMER_PHONE[3:], CUSTOMER_EMAIL, SENDER, SENDER[3:]):
        out[value] = value.encode()
        out[value + " (utf-16)"] = value.encode("utf-16-le")
    # The cs0001 scheme's unkeyed SHA-256 "ikey" of the customer's phone: as good as clear,
    # since every mobile number can be hashed (computed here with hashlib, not the code).
    legacy = hashlib.sha256(f"phone\x1f{CUSTOMER_PHONE}".encode()).digest()[:16]
    out["legacy ikey"] = legacy
    return out


def every_cell(services: Services) -> Iterator[tuple[str, bytes]]:
    with services.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in row._mapping.items():
                    if value is None:
                        continue
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value)
                    yield f"{table.name}.{column}", raw if isinstance(raw, bytes) else raw.encode()


def submit(services: Services, text: str, **extra: object) -> tuple[str, str]:
    outcome = services.scam.submit(
        ReportInput("sms", T0, text, **extra),  # type: ignore[arg-type]
        reporter_kind="customer",
        reporter_id="C0001",
    )
    return outcome.report_id, outcome.campaign_id


def test_quoted_customer_phone_and_sender_are_not_stored_in_clear(services: Services) -> None:
    """A report quoting the customer's phone and e-mail, from a phone sender: no cell holds
    any of them (nor the old unkeyed hash), yet reports still cluster on the scammer's number."""
    text = (
        f"客服说您的手机 {CUSTOMER_PHONE[3:]} 邮箱 {CUSTOMER_EMAIL} 的订单要退款,"
        f" 请回电 {SCAMMER_PHONE[3:]}"
    )
    _, first = submit(services, text, sender=SENDER, customer_id="C0001")
    _, second = submit(services, f"退款专员回电 {SCAMMER_PHONE[3:]} 办理", customer_id="C0002")
    assert first == second  # joined on the scammer's number, through its keyed hash
    found = [
        (where, name)
        for where, cell in every_cell(services)
        for name, needle in spellings().items()
        if needle in cell
    ]
    assert found == []
    shown = {(i.kind, i.value) for i in services.scam.campaign(first).indicators}
    assert ("phone", SCAMMER_PHONE) in shown  # an authorised reader still sees the values
    assert ("phone", CUSTOMER_PHONE) in shown and ("email", CUSTOMER_EMAIL) in shown


@pytest.fixture(scope="module")
def extractor() -> IndicatorExtractor:
    return IndicatorExtractor(Tokenizer(b"k" * 32))


def test_an_invalid_phone_number_is_reported_not_dropped(extractor: IndicatorExtractor) -> None:
    """A 10-digit "mobile" (CN mobiles have 11 digits) is kept as unparsed_phone and rejected
    with a reason, instead of vanishing."""
    result = extractor.extract(normalize("请马上回电 1381234567 办理退款"))
    assert [(i.kind, i.value) for i in result.indicators] == [(Kind.UNPARSED_PHONE, "1381234567")]
    assert [(r.kind, r.reason) for r in result.rejected] == [
        (Kind.PHONE, "not a valid phone number")
    ]


def test_phone_matcher_errors_are_not_swallowed(
    extractor: IndicatorExtractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure inside the phone matcher surfaces instead of silently dropping every number."""

    def broken(*args: object, **kwargs: object) -> Iterator[object]:
        raise RuntimeError("matcher bug")

    monkeypatch.setattr(phonenumbers, "PhoneNumberMatcher", broken)
    with pytest.raises(RuntimeError):
        extractor.extract(normalize("请回电 13987654321"))
