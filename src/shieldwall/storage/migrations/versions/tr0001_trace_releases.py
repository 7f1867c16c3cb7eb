"""trace releases: the release ledger, released records, canary digests

Revision ID: tr0001
Revises:
Create Date: 2026-11-29 03:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tr0001"
down_revision = None
branch_labels = ("trace_releases",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trace_releases",
        sa.Column("release_id", sa.String(length=64), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("recipient_role", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("optional_pool", sa.Integer(), nullable=False),
        sa.Column("optional_included", sa.Integer(), nullable=False),
        sa.Column("canary_count", sa.Integer(), nullable=False),
        sa.Column("marked", sa.Boolean(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_trace_releases")),
    )
    op.create_index(
        op.f("ix_trace_releases_recipient_id"), "trace_releases", ["recipient_id"], unique=False
    )
    op.create_index(
        op.f("ix_trace_releases_created_at"), "trace_releases", ["created_at"], unique=False
    )
    op.create_table(
        "trace_release_records",
        sa.Column("release_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("included", sa.Boolean(), nullable=False),
        sa.Column("optional", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["trace_releases.release_id"],
            name=op.f("fk_trace_release_records_release_id_trace_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "customer_id", name=op.f("pk_trace_release_records")),
    )
    op.create_index(
        op.f("ix_trace_release_records_customer_id"),
        "trace_release_records",
        ["customer_id"],
        unique=False,
    )
    op.create_table(
        "trace_release_canaries",
        sa.Column("digest", sa.LargeBinary(length=16), nullable=False),
        sa.Column("release_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["trace_releases.release_id"],
            name=op.f("fk_trace_release_canaries_release_id_trace_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_trace_release_canaries")),
    )
    op.create_index(
        op.f("ix_trace_release_canaries_release_id"),
        "trace_release_canaries",
        ["release_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_trace_release_canaries_release_id"), table_name="trace_release_canaries")
    op.drop_table("trace_release_canaries")
    op.drop_index(op.f("ix_trace_release_records_customer_id"), table_name="trace_release_records")
    op.drop_table("trace_release_records")
    op.drop_index(op.f("ix_trace_releases_created_at"), table_name="trace_releases")
    op.drop_index(op.f("ix_trace_releases_recipient_id"), table_name="trace_releases")
    op.drop_table("trace_releases")
