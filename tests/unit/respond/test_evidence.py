"""Evidence: hashed at receipt (SHA-256 of the bytes received, checked against hashlib),
sealed (no plaintext at rest; a token moved to another item does not open), size-bounded,
and every access an admin's, with a reason, and an audit entry."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, update

from shieldwall.core.model import Principal, Role
from shieldwall.respond.errors import (
    CaseInvalid,
    CaseNotFound,
    EvidenceCorrupt,
    EvidenceDenied,
    EvidenceTooLarge,
)
from shieldwall.storage.tables.respond_cases import respond_evidence
from shieldwall.wiring import Services
from tests.unit.respond.conftest import ADMIN, entries

LEAK = "phone,name\n+8613800138000,张三\n".encode()
# SHA-256 of LEAK, computed with `printf 'phone,name\n+8613800138000,张三\n' | sha256sum`.
LEAK_SHA256 = "c922118a2336fcf00c924520fe981a17c13c8d6c07ce7f79b45c240ad78fa58c"


def test_receipt_records_the_hash_and_an_audit_entry(services: Services, people: list[str]) -> None:
    """The record's hash is the bytes' SHA-256; the receipt entry carries it and its seq."""
    case = services.cases.cases.open("manual")
    record = services.cases.evidence.add(
        case.case_id, LEAK, kind="leaked_file", media_type="text/csv", name="泄露 名单.CSV"
    )
    assert record.sha256 == LEAK_SHA256 and record.size == len(LEAK)
    assert record.suffix == ".csv" and record.file_name == f"{record.evidence_id}.csv"
    (receipt,) = entries(services, "evidence_received")
    assert receipt.seq == record.receipt_seq
    extra = receipt.event.extra
    assert (extra["evidence"], extra["sha256"], extra["size"]) == (
        record.evidence_id,
        LEAK_SHA256,
        str(len(LEAK)),
    )
    assert [e.evidence_id for e in services.cases.evidence.items(case.case_id)] == [
        record.evidence_id
    ]
    assert services.cases.evidence.items(case.case_id)[0].receipt_seq == receipt.seq


def test_sealed_at_rest_and_bound_to_the_item(services: Services, people: list[str]) -> None:
    """The stored token holds no plaintext; swapped onto another item it does not open."""
    case = services.cases.cases.open("manual")
    locker = services.cases.evidence
    first = locker.add(case.case_id, LEAK, kind="leaked_file")
    second = locker.add(case.case_id, b"another item", kind="other")
    with services.engine.connect() as conn:
        rows = conn.execute(select(respond_evidence.c.evidence_id, respond_evidence.c.content_ct))
        tokens = {str(r[0]): bytes(r[1]) for r in rows}
    assert b"8613800138000" not in tokens[first.evidence_id]
    assert "张三".encode() not in tokens[first.evidence_id]
    opened = locker.read(case.case_id, first.evidence_id, reason="court order 17", actor=ADMIN)
    assert opened.content == LEAK
    with services.engine.begin() as conn:
        conn.execute(
            update(respond_evidence)
            .where(respond_evidence.c.evidence_id == second.evidence_id)
            .values(content_ct=tokens[first.evidence_id])
        )
    with pytest.raises(EvidenceCorrupt):
        locker.read(case.case_id, second.evidence_id, reason="court order 17", actor=ADMIN)


def test_every_access_is_an_admins_with_a_reason_and_audited(
    services: Services, people: list[str]
) -> None:
    """Reads need an admin and a reason of 8-500 characters; each read is an audit entry with
    the reason's length, never its text, and a timeline line."""
    case = services.cases.cases.open("manual")
    locker = services.cases.evidence
    record = locker.add(case.case_id, LEAK, kind="leaked_file")
    analyst = Principal("analyst-he", Role.ANALYST)
    with pytest.raises(EvidenceDenied) as denied:
        locker.read(case.case_id, record.evidence_id, reason="court order 17", actor=analyst)
    assert denied.value.reasons == ["role_not_allowed"]
    with pytest.raises(EvidenceDenied) as denied:
        locker.read(case.case_id, record.evidence_id, reason="short", actor=ADMIN)
    assert denied.value.reasons == ["reason_required"]
    assert entries(services, "evidence_read") == []
    reason = "subpoena 2026-17 from the court"
    for _ in range(2):
        opened = locker.read(case.case_id, record.evidence_id, reason=reason, actor=ADMIN)
        assert hashlib.sha256(opened.content).hexdigest() == LEAK_SHA256
    reads = entries(services, "evidence_read")
    assert [r.seq for r in reads][-1] == opened.access_seq and len(reads) == 2
    assert all(r.event.extra["reason_length"] == str(len(reason)) for r in reads)
    assert all(reason not in str(r.event.to_dict()) for r in reads)
    timeline = services.cases.cases.get(case.case_id).timeline
    assert [t.action for t in timeline].count("evidence_read") == 2
    with pytest.raises(CaseNotFound):
        locker.read(case.case_id, "ev_missing", reason=reason, actor=ADMIN)


def test_bad_evidence_is_refused_and_nothing_is_written(
    services: Services, people: list[str]
) -> None:
    """Too large, empty, an unknown kind or media type, an unknown case: refused, no record."""
    case = services.cases.cases.open("manual")
    locker = services.cases.evidence
    limit = services.settings.respond.cases.max_evidence_bytes
    with pytest.raises(EvidenceTooLarge):
        locker.add(case.case_id, b"x" * (limit + 1), kind="other")
    with pytest.raises(CaseInvalid) as caught:
        locker.add(case.case_id, b"", kind="other")
    assert caught.value.field == "content"
    with pytest.raises(CaseInvalid) as caught:
        locker.add(case.case_id, b"x", kind="rumour")
    assert caught.value.field == "kind"
    with pytest.raises(CaseInvalid) as caught:
        locker.add(case.case_id, b"x", kind="other", media_type="not a type")
    assert caught.value.field == "media_type"
    with pytest.raises(CaseNotFound):
        locker.add("case_missing", b"x", kind="other")
    assert locker.items(case.case_id) == []
    assert entries(services, "evidence_received") == []
