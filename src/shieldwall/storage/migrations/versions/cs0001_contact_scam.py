"""contact scam: reports (encrypted body), indicators, LSH bands, victims, campaigns

Revision ID: cs0001
Revises:
Create Date: 2026-11-29 00:06:02.566625
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cs0001"
down_revision = None
branch_labels = ("contact_scam",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scam_campaigns",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("sample_report_id", sa.String(length=64), nullable=False),
        sa.Column("sample_ct", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_scam_campaigns")),
    )
    with op.batch_alter_table("scam_campaigns", schema=None) as batch_op:
        batch_op.create_index("ix_scam_campaigns_last_seen", ["last_seen"], unique=False)
        batch_op.create_index("ix_scam_campaigns_merged_into", ["merged_into"], unique=False)

    op.create_table(
        "scam_reports",
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sender", sa.String(length=256), nullable=True),
        sa.Column("reporter_kind", sa.String(length=16), nullable=False),
        sa.Column("reporter_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("body_ct", sa.LargeBinary(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("knew", sa.Text(), nullable=False),
        sa.Column("replaced_chars", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_scam_reports")),
    )
    with op.batch_alter_table("scam_reports", schema=None) as batch_op:
        batch_op.create_index("ix_scam_reports_campaign_id", ["campaign_id"], unique=False)
        batch_op.create_index("ix_scam_reports_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "scam_indicators",
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("ikey", sa.LargeBinary(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("strong", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["scam_reports.report_id"],
            name=op.f("fk_scam_indicators_report_id_scam_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "ikey", name=op.f("pk_scam_indicators")),
    )
    with op.batch_alter_table("scam_indicators", schema=None) as batch_op:
        batch_op.create_index("ix_scam_indicators_ikey", ["ikey"], unique=False)

    op.create_table(
        "scam_lsh",
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("band", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["scam_reports.report_id"],
            name=op.f("fk_scam_lsh_report_id_scam_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bucket", "band", "report_id", name=op.f("pk_scam_lsh")),
    )
    op.create_table(
        "scam_report_victims",
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["scam_reports.report_id"],
            name=op.f("fk_scam_report_victims_report_id_scam_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "customer_id", name=op.f("pk_scam_report_victims")),
    )
    with op.batch_alter_table("scam_report_victims", schema=None) as batch_op:
        batch_op.create_index("ix_scam_report_victims_customer_id", ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scam_report_victims", schema=None) as batch_op:
        batch_op.drop_index("ix_scam_report_victims_customer_id")

    op.drop_table("scam_report_victims")
    op.drop_table("scam_lsh")
    with op.batch_alter_table("scam_indicators", schema=None) as batch_op:
        batch_op.drop_index("ix_scam_indicators_ikey")

    op.drop_table("scam_indicators")
    with op.batch_alter_table("scam_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_scam_reports_customer_id")
        batch_op.drop_index("ix_scam_reports_campaign_id")

    op.drop_table("scam_reports")
    with op.batch_alter_table("scam_campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_scam_campaigns_merged_into")
        batch_op.drop_index("ix_scam_campaigns_last_seen")

    op.drop_table("scam_campaigns")
