"""Contact scam reports: reports (encrypted body), indicators, LSH bands, victims, campaigns."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)

from shieldwall.storage.tables.base import Timestamp, metadata

scam_campaigns = Table(
    "scam_campaigns",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("first_seen", Timestamp(), nullable=False),
    Column("last_seen", Timestamp(), nullable=False),
    Column("size", Integer, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("sample_report_id", String(64), nullable=False),
    Column("sample_ct", LargeBinary, nullable=False),  # scrubbed sample, AES-GCM
    Column("created_at", Timestamp(), nullable=False),
    Column("merged_into", String(64)),
    Index("ix_scam_campaigns_last_seen", "last_seen"),
    Index("ix_scam_campaigns_merged_into", "merged_into"),
)

scam_reports = Table(
    "scam_reports",
    metadata,
    Column("report_id", String(64), primary_key=True),
    Column("campaign_id", String(64), nullable=False),
    Column("received_at", Timestamp(), nullable=False),
    Column("reported_at", Timestamp(), nullable=False),
    Column("channel", String(8), nullable=False),
    # The sender (usually the scammer's, but it may be a person's number): keyed hash + sealed.
    Column("sender_key", LargeBinary(16)),  # HMAC (see contact.scam.sealing)
    Column("sender_ct", LargeBinary),  # AES-GCM
    Column("reporter_kind", String(16), nullable=False),
    Column("reporter_id", String(64), nullable=False),
    Column("customer_id", String(64)),
    Column("body_ct", LargeBinary, nullable=False),  # text, links, victim phone: AES-GCM
    Column("score", Float, nullable=False),
    Column("label", String(16), nullable=False),
    Column("knew", Text, nullable=False),  # JSON list of kinds ("name", "order_number"...)
    Column("replaced_chars", Integer, nullable=False),
    Column("signature", LargeBinary),  # MinHash signature, little-endian uint32s
    Index("ix_scam_reports_campaign_id", "campaign_id"),
    Index("ix_scam_reports_customer_id", "customer_id"),
    Index("ix_scam_reports_sender_key", "sender_key"),
)

scam_indicators = Table(
    "scam_indicators",
    metadata,
    Column(
        "report_id",
        String(64),
        ForeignKey("scam_reports.report_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("ikey", LargeBinary(16), primary_key=True),  # HMAC(kind | value)[:16]
    Column("kind", String(32), nullable=False),
    Column("value", Text),  # clear only for kinds that never name a person (see sealing)
    Column("value_ct", LargeBinary),  # the value sealed (AES-GCM) otherwise
    Column("strong", Boolean, nullable=False),
    Column("detail", String(256)),
    Index("ix_scam_indicators_ikey", "ikey"),
)

# The bucket leads the key: lookups are ``bucket IN (…)`` (a bucket key mixes in its band).
scam_lsh = Table(
    "scam_lsh",
    metadata,
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),
    Column("band", SmallInteger, primary_key=True, autoincrement=False),
    Column(
        "report_id",
        String(64),
        ForeignKey("scam_reports.report_id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

scam_report_victims = Table(
    "scam_report_victims",
    metadata,
    Column(
        "report_id",
        String(64),
        ForeignKey("scam_reports.report_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("customer_id", String(64), primary_key=True),
    Column("via", String(16), nullable=False),  # reporter | phone
    Index("ix_scam_report_victims_customer_id", "customer_id"),
)
