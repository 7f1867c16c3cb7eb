"""Migration cs0002 on a database that already holds scam reports stored the cs0001 way
(clear indicator values under unkeyed SHA-256 ikeys, a clear sender): ``shieldwall init``
seals them with the keys; without the keys the migration refuses and changes nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from shieldwall.config import Settings
from shieldwall.contact.scam.reports import ReportInput
from shieldwall.core.clock import ManualClock
from shieldwall.core.errors import StorageError
from shieldwall.storage.db import make_engine
from shieldwall.storage.migrate import _config, upgrade
from shieldwall.storage.tables import metadata
from shieldwall.wiring import build, initialize

PHONE = "+8613812345678"  # a customer's own number, quoted in an old report
EMAIL = "li.na.2026@example.com"
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def legacy_ikey(kind: str, value: str) -> bytes:
    """cs0001's ikey, written out independently: SHA-256(kind 0x1F value)[:16]."""
    return hashlib.sha256(kind.encode() + b"\x1f" + value.encode()).digest()[:16]


def to_cs0001_with_rows(settings: Settings, clock: ManualClock) -> Engine:
    initialize(settings, clock)
    services = build(settings, clock)
    cipher = services.scam.cipher
    sample = cipher.seal("scam_campaigns", "sample", "cmp_old", "请回电".encode())
    body = cipher.seal("scam_reports", "body", "rpt_old", b"{}")
    services.close()
    engine = make_engine(settings.resolved_database_url)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "cs0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scam_campaigns (campaign_id, first_seen, last_seen, size, max_score,"
                " sample_report_id, sample_ct, created_at) VALUES ('cmp_old', :at, :at, 1, 0.9,"
                " 'rpt_old', :sample, :at)"
            ),
            {"at": AT, "sample": sample},
        )
        conn.execute(
            text(
                "INSERT INTO scam_reports (report_id, campaign_id, received_at, reported_at,"
                " channel, sender, reporter_kind, reporter_id, customer_id, body_ct, score,"
                " label, knew, replaced_chars) VALUES ('rpt_old', 'cmp_old', :at, :at, 'call',"
                " :phone, 'customer', 'C1', 'C1', :body, 0.9, 'likely_scam', :knew, 0)"
            ),
            {"at": AT, "phone": PHONE, "body": body, "knew": json.dumps([])},
        )
        for kind, value, strong, detail in (
            ("phone", PHONE, True, "sender"),
            ("email", EMAIL, False, None),
            ("domain", "refund-kefu.com", True, "www.refund-kefu.com"),
        ):
            conn.execute(
                text(
                    "INSERT INTO scam_indicators (report_id, ikey, kind, value, strong, detail)"
                    " VALUES ('rpt_old', :ikey, :kind, :value, :strong, :detail)"
                ),
                {
                    "ikey": legacy_ikey(kind, value),
                    "kind": kind,
                    "value": value,
                    "strong": strong,
                    "detail": detail,
                },
            )
    return engine


def cells(engine: Engine) -> bytes:
    parts: list[bytes] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for v in row._mapping.values():
                    if v is not None:
                        parts.append(
                            bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
                        )
    return b"\x00".join(parts)


def test_init_seals_existing_reports_and_they_still_cluster(
    settings: Settings, clock: ManualClock
) -> None:
    """After ``shieldwall init``: no clear phone, e-mail or unkeyed ikey; values still shown to
    an authorised reader; a new report with the same number joins the old campaign."""
    to_cs0001_with_rows(settings, clock).dispose()
    initialize(settings, clock)
    services = build(settings, clock)
    try:
        hay = cells(services.engine)
        for needle in (PHONE.encode(), PHONE[3:].encode(), EMAIL.encode()):
            assert needle not in hay
        assert legacy_ikey("phone", PHONE) not in hay
        assert b"refund-kefu.com" in hay  # a registrable domain is not a person: kept clear
        shown = {(i.kind, i.value) for i in services.scam.campaign("cmp_old").indicators}
        assert {("phone", PHONE), ("email", EMAIL), ("domain", "refund-kefu.com")} <= shown
        outcome = services.scam.submit(
            ReportInput("call", AT, f"退款请回电 {PHONE[3:]}"),
            reporter_kind="agent",
            reporter_id="agent-li",
        )
        assert outcome.campaign_id == "cmp_old"
    finally:
        services.close()


def test_migration_without_the_keys_refuses_and_changes_nothing(
    settings: Settings, clock: ManualClock
) -> None:
    """Upgraded without ``shieldwall init``'s sealer: a clear error, the old rows untouched."""
    engine = to_cs0001_with_rows(settings, clock)
    try:
        with pytest.raises(StorageError) as err:
            upgrade(engine)
        assert "shieldwall init" in str(err.value) and PHONE not in str(err.value)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT sender FROM scam_reports")).scalar_one() == PHONE
    finally:
        engine.dispose()
