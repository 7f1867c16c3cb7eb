"""respond money: victims register, contacts, claims, and the append-only ledger

Revision ID: rm0001
Revises:
Create Date: 2026-12-10 10:00:00.000000

``case_id`` columns carry no foreign key yet: the cases table arrives with the respond cases
branch (``rc0001``); a later migration that ``depends_on`` it adds them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rm0001"
down_revision = None
branch_labels = ("respond_money",)
depends_on = ("c0001",)  # foreign keys to customers

_LEDGER = ("respond_ledger_postings", "respond_ledger_entries")

# Balanced at commit: a posting row is inserted after its entries; it is refused unless they
# are at least two, sum to zero, and their debits make its total. An entry for a posting that
# exists is refused (a posting is closed once written).
_SQLITE = [
    *(
        f"""CREATE TRIGGER {t}_no_{op_.lower()} BEFORE {op_} ON {t}
        BEGIN SELECT RAISE(ABORT, 'the respond ledger is append-only'); END"""
        for t in _LEDGER
        for op_ in ("UPDATE", "DELETE")
    ),
    """CREATE TRIGGER respond_ledger_entries_closed BEFORE INSERT ON respond_ledger_entries
    WHEN EXISTS (SELECT 1 FROM respond_ledger_postings p WHERE p.posting_id = NEW.posting_id)
    BEGIN SELECT RAISE(ABORT, 'the respond ledger posting is closed'); END""",
    """CREATE TRIGGER respond_ledger_postings_balanced BEFORE INSERT ON respond_ledger_postings
    WHEN (SELECT COUNT(*) FROM respond_ledger_entries e WHERE e.posting_id = NEW.posting_id) < 2
      OR (SELECT SUM(e.amount_fen) FROM respond_ledger_entries e
          WHERE e.posting_id = NEW.posting_id) <> 0
      OR (SELECT SUM(e.amount_fen) FROM respond_ledger_entries e
          WHERE e.posting_id = NEW.posting_id AND e.amount_fen > 0) <> NEW.total_fen
    BEGIN SELECT RAISE(ABORT, 'the respond ledger posting is unbalanced'); END""",
]
_POSTGRES = [
    """CREATE FUNCTION respond_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the respond ledger is append-only' USING ERRCODE = '55000'; END $$""",
    *(
        f"""CREATE TRIGGER {t}_no_change BEFORE UPDATE OR DELETE ON {t}
        FOR EACH ROW EXECUTE FUNCTION respond_ledger_append_only()"""
        for t in _LEDGER
    ),
    *(
        f"""CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
        FOR EACH STATEMENT EXECUTE FUNCTION respond_ledger_append_only()"""
        for t in _LEDGER
    ),
    """CREATE FUNCTION respond_ledger_entry_closed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM respond_ledger_postings p WHERE p.posting_id = NEW.posting_id)
      THEN RAISE EXCEPTION 'the respond ledger posting is closed' USING ERRCODE = '23514';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER respond_ledger_entries_closed BEFORE INSERT ON respond_ledger_entries
    FOR EACH ROW EXECUTE FUNCTION respond_ledger_entry_closed()""",
    """CREATE FUNCTION respond_ledger_posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE n bigint; total numeric; debits numeric;
    BEGIN
      SELECT COUNT(*), SUM(amount_fen), SUM(GREATEST(amount_fen, 0))
        INTO n, total, debits
        FROM respond_ledger_entries WHERE posting_id = NEW.posting_id;
      IF n < 2 OR total <> 0 OR debits <> NEW.total_fen THEN
        RAISE EXCEPTION 'the respond ledger posting is unbalanced' USING ERRCODE = '23514';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER respond_ledger_postings_balanced BEFORE INSERT ON respond_ledger_postings
    FOR EACH ROW EXECUTE FUNCTION respond_ledger_posting_balanced()""",
]


def upgrade() -> None:
    op.create_table(
        "respond_victims",
        sa.Column("victim_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("victim_key", sa.String(length=80), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("phone_bidx", sa.LargeBinary(length=16), nullable=True),
        sa.Column("national_id_bidx", sa.LargeBinary(length=16), nullable=True),
        sa.Column("order_hash", sa.LargeBinary(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("trace_ref", sa.String(length=64), nullable=True),
        sa.Column("loss_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("loss_fen >= 0", name=op.f("ck_respond_victims_loss_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_respond_victims_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("victim_id", name=op.f("pk_respond_victims")),
        sa.UniqueConstraint(
            "case_id", "victim_key", name=op.f("uq_respond_victims_case_id_victim_key")
        ),
    )
    with op.batch_alter_table("respond_victims", schema=None) as batch_op:
        batch_op.create_index("ix_respond_victims_customer", ["customer_id"], unique=False)
        batch_op.create_index("ix_respond_victims_phone_bidx", ["phone_bidx"], unique=False)
        batch_op.create_index(
            "ix_respond_victims_national_id_bidx", ["national_id_bidx"], unique=False
        )

    op.create_table(
        "respond_victim_contacts",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("victim_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["victim_id"],
            ["respond_victims.victim_id"],
            name=op.f("fk_respond_victim_contacts_victim_id_respond_victims"),
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_respond_victim_contacts")),
    )
    with op.batch_alter_table("respond_victim_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_respond_victim_contacts_victim_at", ["victim_id", "at"], unique=False
        )

    op.create_table(
        "respond_claims",
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("victim_id", sa.String(length=64), nullable=True),
        sa.Column("amount_claimed_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_approved_fen", sa.BigInteger(), nullable=True),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("advance", sa.Boolean(), nullable=False),
        sa.Column("evidence_ref", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reject_reason", sa.String(length=32), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_claimed_fen > 0", name=op.f("ck_respond_claims_claimed_positive")
        ),
        sa.CheckConstraint(
            "amount_approved_fen IS NULL OR"
            " (amount_approved_fen >= 0 AND amount_approved_fen <= amount_claimed_fen)",
            name=op.f("ck_respond_claims_approved_within_claimed"),
        ),
        sa.CheckConstraint(
            "paid_fen >= 0 AND paid_fen <= COALESCE(amount_approved_fen, 0)",
            name=op.f("ck_respond_claims_paid_within"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_respond_claims_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["victim_id"],
            ["respond_victims.victim_id"],
            name=op.f("fk_respond_claims_victim_id_respond_victims"),
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_respond_claims")),
    )
    with op.batch_alter_table("respond_claims", schema=None) as batch_op:
        batch_op.create_index("ix_respond_claims_case_status", ["case_id", "status"], unique=False)
        batch_op.create_index("ix_respond_claims_customer", ["customer_id"], unique=False)

    op.create_table(
        "respond_ledger_postings",
        sa.Column("posting_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("request_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("claim_id", sa.String(length=64), nullable=True),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("total_fen > 0", name=op.f("ck_respond_ledger_postings_total_positive")),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["respond_claims.claim_id"],
            name=op.f("fk_respond_ledger_postings_claim_id_respond_claims"),
        ),
        sa.PrimaryKeyConstraint("posting_id", name=op.f("pk_respond_ledger_postings")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_respond_ledger_postings_idempotency_key")
        ),
    )
    with op.batch_alter_table("respond_ledger_postings", schema=None) as batch_op:
        batch_op.create_index("ix_respond_ledger_postings_case", ["case_id", "kind"], unique=False)
        batch_op.create_index("ix_respond_ledger_postings_claim", ["claim_id"], unique=False)

    op.create_table(
        "respond_ledger_entries",
        sa.Column("posting_id", sa.String(length=64), nullable=False),
        sa.Column("line", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account", sa.String(length=140), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount_fen <> 0", name=op.f("ck_respond_ledger_entries_amount_not_zero")
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"],
            ["respond_ledger_postings.posting_id"],
            name=op.f("fk_respond_ledger_entries_posting_id_respond_ledger_postings"),
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("posting_id", "line", name=op.f("pk_respond_ledger_entries")),
    )
    with op.batch_alter_table("respond_ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_respond_ledger_entries_account", ["account"], unique=False)

    statements = _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for t in reversed(_LEDGER):
            op.execute(f"DROP TABLE {t}")
        for fn in (
            "respond_ledger_append_only",
            "respond_ledger_entry_closed",
            "respond_ledger_posting_balanced",
        ):
            op.execute(f"DROP FUNCTION {fn}()")
    else:
        for t in reversed(_LEDGER):
            op.drop_table(t)
    op.drop_table("respond_claims")
    op.drop_table("respond_victim_contacts")
    op.drop_table("respond_victims")
