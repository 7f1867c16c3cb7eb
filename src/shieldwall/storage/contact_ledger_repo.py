"""SQL implementation of the contact ledger's storage (``contact.ledger.ports``) and of the
number list the :class:`~shieldwall.contact.ledger.numbers.NumberBook` caches."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from shieldwall.contact.ledger.model import Channel, Contact, ContactReason, Verification
from shieldwall.contact.ledger.numbers import Form, NumberKind, OfficialNumber
from shieldwall.core.clock import utc
from shieldwall.core.events import AccessEvent
from shieldwall.storage.audit_repo import stage_events
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.tables.contact_ledger import contact_ledger, contact_numbers

# The status path runs this on every request: build it once.
_CONTACTS_OF = (
    select(contact_ledger)
    .where(
        contact_ledger.c.customer_id == bindparam("cid"),
        contact_ledger.c.started_at >= bindparam("since"),
    )
    .order_by(contact_ledger.c.started_at.desc())
    .limit(bindparam("lim"))
)
_GET_CONTACT = select(contact_ledger).where(contact_ledger.c.contact_id == bindparam("id"))


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _number(row: Any) -> OfficialNumber:
    m = row._mapping
    return OfficialNumber(
        value=m["value"],
        form=Form(m["form"]),
        kind=NumberKind(m["kind"]),
        label=m["label"],
        pattern=bool(m["pattern"]),
        created_at=utc(m["created_at"]),
        created_by=m["created_by"],
    )


def _contact(row: Any) -> Contact:
    m = row._mapping
    return Contact(
        contact_id=m["contact_id"],
        customer_id=m["customer_id"],
        agent_id=m["agent_id"],
        agent_name=m["agent_name"],
        channel=Channel(m["channel"]),
        via=m["via"],
        reason=ContactReason(m["reason"]),
        order_id=m["order_id"],
        started_at=utc(m["started_at"]),
        expires_at=utc(m["expires_at"]),
        verification=Verification(m["verification"]),
        created_by=m["created_by"],
        ended_at=_opt(m["ended_at"]),
        code_salt=m["code_salt"],
        code_attempts=m["code_attempts"],
        code_verified_at=_opt(m["code_verified_at"]),
    )


class SqlLedgerStore:
    """Opens transactions over the ledger tables (implements ``LedgerStore`` and
    ``NumberSource``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def read(self) -> Iterator[SqlLedgerTx]:
        with read_transaction(self.engine) as conn:
            yield SqlLedgerTx(conn)

    @contextlib.contextmanager
    def write(self) -> Iterator[SqlLedgerTx]:
        with write_transaction(self.engine) as conn:
            yield SqlLedgerTx(conn)

    def load_numbers(self) -> list[OfficialNumber]:
        with self.read() as tx:
            return tx.list_numbers()


class SqlLedgerTx:
    """One transaction (implements ``LedgerTx``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stage_audit(self, events: Sequence[AccessEvent]) -> list[int]:
        return stage_events(self.conn, events)

    # numbers
    def insert_number(self, entry: OfficialNumber) -> bool:
        if self.get_number(entry.value) is not None:
            return False
        self.conn.execute(
            insert(contact_numbers).values(
                value=entry.value,
                form=entry.form.value,
                kind=entry.kind.value,
                label=entry.label,
                pattern=entry.pattern,
                created_at=entry.created_at,
                created_by=entry.created_by,
            )
        )
        return True

    def get_number(self, value: str) -> OfficialNumber | None:
        row = self.conn.execute(
            select(contact_numbers).where(contact_numbers.c.value == value)
        ).first()
        return None if row is None else _number(row)

    def list_numbers(self) -> list[OfficialNumber]:
        rows = self.conn.execute(select(contact_numbers).order_by(contact_numbers.c.value))
        return [_number(r) for r in rows]

    # contacts
    def insert_contact(self, contact: Contact) -> None:
        self.conn.execute(
            insert(contact_ledger).values(
                contact_id=contact.contact_id,
                customer_id=contact.customer_id,
                agent_id=contact.agent_id,
                agent_name=contact.agent_name,
                channel=contact.channel.value,
                via=contact.via,
                reason=contact.reason.value,
                order_id=contact.order_id,
                started_at=contact.started_at,
                expires_at=contact.expires_at,
                ended_at=contact.ended_at,
                verification=contact.verification.value,
                code_salt=contact.code_salt,
                code_attempts=contact.code_attempts,
                code_verified_at=contact.code_verified_at,
                created_by=contact.created_by,
            )
        )

    def get_contact(self, contact_id: str) -> Contact | None:
        row = self.conn.execute(_GET_CONTACT, {"id": contact_id}).first()
        return None if row is None else _contact(row)

    def contacts_of(self, customer_id: str, since: datetime, limit: int) -> list[Contact]:
        rows = self.conn.execute(_CONTACTS_OF, {"cid": customer_id, "since": since, "lim": limit})
        return [_contact(r) for r in rows]

    def end_contact(self, contact_id: str, at: datetime) -> None:
        self.conn.execute(
            update(contact_ledger)
            .where(contact_ledger.c.contact_id == contact_id, contact_ledger.c.ended_at.is_(None))
            .values(ended_at=at)
        )

    def take_code_attempt(self, contact_id: str, max_attempts: int) -> int | None:
        result = self.conn.execute(
            update(contact_ledger)
            .where(
                contact_ledger.c.contact_id == contact_id,
                contact_ledger.c.code_attempts < max_attempts,
                contact_ledger.c.code_verified_at.is_(None),
            )
            .values(code_attempts=contact_ledger.c.code_attempts + 1)
        )
        if result.rowcount != 1:
            return None
        used = self.conn.scalar(
            select(contact_ledger.c.code_attempts).where(contact_ledger.c.contact_id == contact_id)
        )
        return int(used or 0)

    def mark_code_verified(self, contact_id: str, at: datetime) -> None:
        self.conn.execute(
            update(contact_ledger)
            .where(contact_ledger.c.contact_id == contact_id)
            .values(code_verified_at=at)
        )
