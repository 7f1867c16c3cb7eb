"""contact scam: indicators and senders as keyed hashes with sealed values

Revision ID: cs0002
Revises: cs0001
Create Date: 2026-12-14 10:00:00.000000

cs0001 stored every indicator value in clear (a victim's own phone or e-mail quoted in a report
among them) under an *unkeyed* SHA-256 ``ikey``, and the report's sender in clear. From here an
``ikey`` is an HMAC under the ``contact.scam.index`` secret, values that may name a person are
sealed (``value_ct``), and ``scam_reports.sender`` becomes ``sender_key`` + ``sender_ct``
(see ``shieldwall.contact.scam.sealing``).

Existing rows are converted in this migration, in its transaction: every ``ikey`` is recomputed
with the key, values are sealed, and the clear ``sender`` column is dropped. That needs the
keys, which ``shieldwall init`` hands over as the migration attribute ``contact_scam.sealer``
(an ``IndicatorSealer``). Run any other way over a database that holds scam reports, the
migration refuses with a message saying so, and changes nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

from shieldwall.core.errors import StorageError
from shieldwall.storage.migrate import SCAM_SEALER

revision = "cs0002"
down_revision = "cs0001"
branch_labels = None
depends_on = None

_reports = sa.table(
    "scam_reports",
    sa.column("report_id", sa.String),
    sa.column("sender", sa.String),
    sa.column("sender_key", sa.LargeBinary),
    sa.column("sender_ct", sa.LargeBinary),
)
_indicators = sa.table(
    "scam_indicators",
    sa.column("report_id", sa.String),
    sa.column("ikey", sa.LargeBinary),
    sa.column("kind", sa.String),
    sa.column("value", sa.Text),
    sa.column("value_ct", sa.LargeBinary),
    sa.column("strong", sa.Boolean),
    sa.column("detail", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    held = bind.scalar(sa.select(sa.func.count()).select_from(_reports)) or 0
    sealer = context.config.attributes.get(SCAM_SEALER)
    if held and sealer is None:
        raise StorageError(
            f"migration cs0002 must seal the {held} stored scam reports' indicators and senders,"
            " which needs the keys: run `shieldwall init` (it migrates with the key file)",
            code="schema_outdated",
        )
    with op.batch_alter_table("scam_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_key", sa.LargeBinary(length=16), nullable=True))
        batch_op.add_column(sa.Column("sender_ct", sa.LargeBinary(), nullable=True))
        batch_op.create_index("ix_scam_reports_sender_key", ["sender_key"], unique=False)
    with op.batch_alter_table("scam_indicators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_ct", sa.LargeBinary(), nullable=True))
        batch_op.alter_column("value", existing_type=sa.Text(), nullable=True)
    if held:
        _seal_existing(bind, sealer)
    # Native DROP COLUMN (SQLite >= 3.35), not a batch rebuild: rebuilding scam_reports drops
    # the old table, and with foreign keys on that cascades to every indicator, band and victim.
    op.execute("ALTER TABLE scam_reports DROP COLUMN sender")


def _seal_existing(bind: sa.Connection, sealer: Any) -> None:
    i = _indicators.c
    sender_kinds: dict[tuple[str, str], str] = {}
    rows = bind.execute(sa.select(i.report_id, i.ikey, i.kind, i.value, i.strong, i.detail)).all()
    for row in rows:
        if row.detail == "sender" or row.kind == "sender_id":
            sender_kinds[(row.report_id, row.value)] = row.kind
        stored = sealer.stored(row.kind, row.value, bool(row.strong), row.detail)
        bind.execute(
            sa.update(_indicators)
            .where(i.report_id == row.report_id, i.ikey == row.ikey)
            .values(ikey=stored.ikey, value=stored.value, value_ct=stored.value_ct)
        )
    r = _reports.c
    for report_id, sender in bind.execute(
        sa.select(r.report_id, r.sender).where(r.sender.is_not(None))
    ).all():
        kind = sender_kinds.get((report_id, sender), "sender_id")
        bind.execute(
            sa.update(_reports)
            .where(r.report_id == report_id)
            .values(
                sender_key=sealer.key(kind, sender),
                sender_ct=sealer.seal_sender(report_id, sender),
                sender=None,
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.scalar(sa.select(sa.func.count()).select_from(_reports)):
        raise StorageError(
            "migration cs0002 cannot be undone over stored scam reports: the clear values it"
            " sealed are not written back in clear",
            code="schema_outdated",
        )
    with op.batch_alter_table("scam_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.String(length=256), nullable=True))
        batch_op.drop_index("ix_scam_reports_sender_key")
        batch_op.drop_column("sender_ct")
        batch_op.drop_column("sender_key")
    with op.batch_alter_table("scam_indicators", schema=None) as batch_op:
        batch_op.alter_column("value", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("value_ct")
