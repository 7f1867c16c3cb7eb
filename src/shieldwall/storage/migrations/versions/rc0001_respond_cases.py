"""respond cases: cases, their links and timeline, sealed evidence

Revision ID: rc0001
Revises:
Create Date: 2026-12-12 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rc0001"
down_revision = None
branch_labels = ("respond_cases",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "respond_cases",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_respond_cases")),
    )
    op.create_index(op.f("ix_respond_cases_state"), "respond_cases", ["state"], unique=False)
    op.create_index(
        op.f("ix_respond_cases_opened_at"), "respond_cases", ["opened_at"], unique=False
    )
    op.create_table(
        "respond_case_links",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["respond_cases.case_id"],
            name=op.f("fk_respond_case_links_case_id_respond_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "kind", "ref", name=op.f("pk_respond_case_links")),
    )
    op.create_table(
        "respond_case_timeline",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["respond_cases.case_id"],
            name=op.f("fk_respond_case_timeline_case_id_respond_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "n", name=op.f("pk_respond_case_timeline")),
    )
    op.create_table(
        "respond_evidence",
        sa.Column("evidence_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("suffix", sa.String(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_by", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt_seq", sa.BigInteger(), nullable=True),
        sa.Column("content_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["respond_cases.case_id"],
            name=op.f("fk_respond_evidence_case_id_respond_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evidence_id", name=op.f("pk_respond_evidence")),
    )
    op.create_index(
        op.f("ix_respond_evidence_case_id"), "respond_evidence", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_respond_evidence_case_id"), table_name="respond_evidence")
    op.drop_table("respond_evidence")
    op.drop_table("respond_case_timeline")
    op.drop_table("respond_case_links")
    op.drop_index(op.f("ix_respond_cases_opened_at"), table_name="respond_cases")
    op.drop_index(op.f("ix_respond_cases_state"), table_name="respond_cases")
    op.drop_table("respond_cases")
