"""SQL implementation of custody's storage interfaces (``custody.ports``, ``custody.keys``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from shieldwall.core.clock import utc
from shieldwall.core.errors import StorageError
from shieldwall.core.events import AccessEvent
from shieldwall.core.model import Assignment, Grant, OrderStatus, Principal, Role, Ticket
from shieldwall.custody.keys import DataKeyRecord
from shieldwall.custody.ports import (
    PrincipalRecord,
    Reencrypted,
    RelayBinding,
    SealedCustomer,
    SealedOrder,
)
from shieldwall.storage.audit_repo import stage_events
from shieldwall.storage.db import read_transaction, translate_errors, write_transaction
from shieldwall.storage.tables.custody import (
    assignments,
    customers,
    data_keys,
    grants,
    key_versions,
    orders,
    policy_versions,
    principals,
    principals_version,
    relay_bindings,
    tickets,
)

_CUSTOMER_CT = ("name", "phone", "email", "address", "national_id")
_CUSTOMER_IDX = ("phone", "email", "national_id")
_IN_CHUNK = 500  # bound IN-lists below SQLite's variable limit

# Statements on the read path, built once (building one costs more than running it).
_GET_CUSTOMER = select(customers).where(customers.c.customer_id == bindparam("cid"))
_GET_ORDER = select(orders).where(orders.c.order_id == bindparam("oid"))
_GET_PRINCIPAL = select(principals).where(principals.c.principal_id == bindparam("pid"))
_BY_KEY_ID = select(principals).where(principals.c.key_id == bindparam("kid"))
_PRINCIPALS_VERSION = select(principals_version.c.version).where(principals_version.c.id == 1)
_GET_TICKET = select(tickets).where(tickets.c.ticket_id == bindparam("tid"))
_OPEN_TICKETS = (
    select(tickets)
    .where(
        tickets.c.agent_id == bindparam("pid"),
        tickets.c.customer_id == bindparam("cid"),
        tickets.c.status == "open",
    )
    .order_by(tickets.c.expires_at.desc())
)
# A masked read's two facts in one statement: the customer and, beside it, each open ticket of
# the agent for them (one row with NULL ticket columns when there is none). Ticket columns are
# labelled ``t_<name>``: both tables have a ``customer_id``.
_TICKET_COLUMNS = tuple(c.label(f"t_{c.name}") for c in tickets.c)
_CUSTOMER_AND_OPEN_TICKETS = (
    select(customers, *_TICKET_COLUMNS)
    .select_from(
        customers.outerjoin(
            tickets,
            and_(
                tickets.c.customer_id == customers.c.customer_id,
                tickets.c.agent_id == bindparam("pid"),
                tickets.c.status == "open",
            ),
        )
    )
    .where(customers.c.customer_id == bindparam("cid"))
    .order_by(tickets.c.expires_at.desc())
)


class DriverStatement:
    """A prebuilt SQLAlchemy SELECT run on the driver's cursor (PostgreSQL).

    For the masked read's one SELECT, SQLAlchemy's execution (execution context, result
    metadata from the cursor's description, row objects) cost about as much CPU as the driver's
    round trip itself (measured on the 2-core VM: ~300 us against ~160 us a call, connection
    check-out included). The statement is compiled once per dialect by SQLAlchemy, so the SQL
    is the same; rows come back as mappings by the statement's column labels. The values are
    the driver's own: only for columns whose SQLAlchemy types do no result processing on this
    dialect (on PostgreSQL: strings, integers, bytea, timestamptz). SQLAlchemy's
    ``before_cursor_execute`` listeners still see the statement (statement counts, logging),
    with no execution context (``None``): a listener that needs one (OpenTelemetry's SQLAlchemy
    instrumentation keeps its span there) would need this path taken out. Driver errors become
    SQLAlchemy's, so ``translate_errors`` maps them as before (first line, no parameters).
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.keys = tuple(statement.selected_columns.keys())
        self._compiled: dict[str, tuple[str, dict[str, Any]]] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        dialect = conn.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            done = self.statement.compile(dialect=dialect)
            compiled = self._compiled[dialect.name] = (str(done), dict(done.params))
        sql, literals = compiled
        bound = {**literals, **params}
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for listener in conn.dispatch.before_cursor_execute:
            sql, bound = listener(conn, cursor, sql, bound, None, False)
        try:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        except dialect.loaded_dbapi.Error as err:
            raise DBAPIError.instance(sql, None, err, dialect.loaded_dbapi.Error) from None
        finally:
            cursor.close()
        keys = self.keys
        return [dict(zip(keys, row, strict=True)) for row in fetched]


_JOINED_ON_DRIVER = DriverStatement(_CUSTOMER_AND_OPEN_TICKETS)
_ASSIGNMENTS = select(assignments).where(
    assignments.c.courier_id == bindparam("pid"), assignments.c.order_id == bindparam("oid")
)
_GRANTS = select(grants).where(
    grants.c.partner_id == bindparam("pid"), grants.c.customer_id == bindparam("cid")
)
_RELAY_BINDING = (
    select(relay_bindings)
    .where(
        relay_bindings.c.courier_id == bindparam("pid"),
        relay_bindings.c.order_id == bindparam("oid"),
    )
    .order_by(relay_bindings.c.created_at.desc())
)


class SqlCustodyStore:
    """Opens transactions over the custody tables (implements ``CustodyStore``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def read(self) -> Iterator[SqlCustodyTx]:
        with read_transaction(self.engine) as conn:
            yield SqlCustodyTx(conn)

    @contextlib.contextmanager
    def write(self) -> Iterator[SqlCustodyTx]:
        with write_transaction(self.engine) as conn:
            yield SqlCustodyTx(conn)


def _customer(row: Any) -> SealedCustomer:
    return _customer_of(row._mapping)


def _customer_of(m: Mapping[str, Any]) -> SealedCustomer:
    return SealedCustomer(
        customer_id=m["customer_id"],
        ciphertexts={f: m[f"{f}_ct"] for f in _CUSTOMER_CT},
        indexes={f: m[f"{f}_bidx"] for f in _CUSTOMER_IDX},
        key_version=m["key_version"],
        created_at=utc(m["created_at"]),
    )


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _order(row: Any) -> SealedOrder:
    m = row._mapping
    return SealedOrder(
        order_id=m["order_id"],
        customer_id=m["customer_id"],
        items_ct=m["items_ct"],
        delivery_address_ct=m["delivery_address_ct"],
        amount_cents=m["amount_cents"],
        status=OrderStatus(m["status"]),
        created_at=utc(m["created_at"]),
        key_version=m["key_version"],
        paid_at=_opt(m["paid_at"]),
        shipped_at=_opt(m["shipped_at"]),
        delivered_at=_opt(m["delivered_at"]),
        refunded_at=_opt(m["refunded_at"]),
    )


def _principal(row: Any) -> PrincipalRecord:
    m = row._mapping
    return PrincipalRecord(
        Principal(
            m["principal_id"], Role(m["role"]), m["unit"], m["display_name"], bool(m["active"])
        ),
        m["key_id"],
        m["key_hash"],
        utc(m["created_at"]),
    )


def _ticket(row: Any, prefix: str = "") -> Ticket:
    """The ticket in ``row``; ``prefix`` ``"t_"`` for a row of ``_CUSTOMER_AND_OPEN_TICKETS``
    (its ticket columns labelled so)."""
    return _ticket_of(row._mapping, prefix)


def _ticket_of(m: Mapping[str, Any], prefix: str = "") -> Ticket:
    return Ticket(
        m[f"{prefix}ticket_id"],
        m[f"{prefix}agent_id"],
        m[f"{prefix}customer_id"],
        m[f"{prefix}order_id"],
        m[f"{prefix}status"],
        utc(m[f"{prefix}opened_at"]),
        utc(m[f"{prefix}expires_at"]),
        _opt(m[f"{prefix}closed_at"]),
    )


def _binding(row: Any) -> RelayBinding:
    m = row._mapping
    return RelayBinding(
        m["binding_id"],
        m["relay_number"],
        m["courier_id"],
        m["order_id"],
        m["customer_id"],
        utc(m["created_at"]),
        _opt(m["expires_at"]),
    )


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for i in ids:
        batch.append(i)
        if len(batch) >= _IN_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class SqlCustodyTx:
    """One transaction (implements ``CustodyTx``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stage_audit(self, events: Sequence[AccessEvent]) -> list[int]:
        return stage_events(self.conn, events)

    # customers
    def insert_customers(self, rows: Sequence[SealedCustomer]) -> None:
        self.conn.execute(
            insert(customers),
            [
                {
                    "customer_id": r.customer_id,
                    **{f"{f}_ct": r.ciphertexts.get(f) for f in _CUSTOMER_CT},
                    **{f"{f}_bidx": r.indexes.get(f) for f in _CUSTOMER_IDX},
                    "key_version": r.key_version,
                    "created_at": r.created_at,
                }
                for r in rows
            ],
        )

    def existing_customer_ids(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            q = select(customers.c.customer_id).where(customers.c.customer_id.in_(chunk))
            found.update(self.conn.scalars(q))
        return found

    def get_customer(self, customer_id: str) -> SealedCustomer | None:
        row = self.conn.execute(_GET_CUSTOMER, {"cid": customer_id}).first()
        return None if row is None else _customer(row)

    def customer_and_open_tickets(
        self, customer_id: str, agent_id: str
    ) -> tuple[SealedCustomer | None, list[Ticket]]:
        params = {"cid": customer_id, "pid": agent_id}
        if self.conn.dialect.name == "postgresql":
            rows: Sequence[Mapping[Any, Any]] = _JOINED_ON_DRIVER.rows(self.conn, params)
        else:
            rows = [r._mapping for r in self.conn.execute(_CUSTOMER_AND_OPEN_TICKETS, params)]
        if not rows:
            return None, []
        found = [_ticket_of(m, "t_") for m in rows if m["t_ticket_id"] is not None]
        return _customer_of(rows[0]), found

    def find_customers(self, field: str, digest: bytes) -> list[str]:
        column = customers.c[f"{field}_bidx"]
        q = (
            select(customers.c.customer_id)
            .where(column == digest)
            .order_by(customers.c.customer_id)
        )
        return list(self.conn.scalars(q))

    def count_customers(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(customers)) or 0)

    # orders
    def insert_orders(self, rows: Sequence[SealedOrder]) -> None:
        self.conn.execute(
            insert(orders),
            [
                {
                    "order_id": o.order_id,
                    "customer_id": o.customer_id,
                    "items_ct": o.items_ct,
                    "delivery_address_ct": o.delivery_address_ct,
                    "amount_cents": o.amount_cents,
                    "status": o.status.value,
                    "created_at": o.created_at,
                    "paid_at": o.paid_at,
                    "shipped_at": o.shipped_at,
                    "delivered_at": o.delivered_at,
                    "refunded_at": o.refunded_at,
                    "key_version": o.key_version,
                }
                for o in rows
            ],
        )

    def existing_order_ids(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            found.update(
                self.conn.scalars(select(orders.c.order_id).where(orders.c.order_id.in_(chunk)))
            )
        return found

    def get_order(self, order_id: str) -> SealedOrder | None:
        row = self.conn.execute(_GET_ORDER, {"oid": order_id}).first()
        return None if row is None else _order(row)

    def orders_of(self, customer_id: str, limit: int) -> list[SealedOrder]:
        q = (
            select(orders)
            .where(orders.c.customer_id == customer_id)
            .order_by(orders.c.created_at.desc())
            .limit(limit)
        )
        return [_order(r) for r in self.conn.execute(q)]

    def orders_of_customers(
        self, customer_ids: Iterable[str], since: datetime
    ) -> list[SealedOrder]:
        found: list[SealedOrder] = []
        recent = or_(
            orders.c.created_at >= since,
            orders.c.shipped_at >= since,
            orders.c.delivered_at >= since,
            orders.c.refunded_at >= since,
            orders.c.status == OrderStatus.SHIPPED.value,
        )
        for chunk in _chunks(customer_ids):
            q = select(orders).where(orders.c.customer_id.in_(chunk), recent)
            found.extend(_order(r) for r in self.conn.execute(q))
        return found

    def set_order_status(self, order_id: str, status: OrderStatus, at: datetime) -> None:
        values: dict[str, Any] = {"status": status.value, f"{status.value}_at": at}
        self.conn.execute(update(orders).where(orders.c.order_id == order_id).values(**values))

    # principals
    def insert_principal(self, record: PrincipalRecord) -> None:
        p = record.principal
        self.conn.execute(
            insert(principals).values(
                principal_id=p.principal_id,
                role=p.role.value,
                unit=p.unit,
                display_name=p.display_name,
                key_id=record.key_id,
                key_hash=record.key_hash,
                active=p.active,
                created_at=record.created_at,
            )
        )

    def get_principal(self, principal_id: str) -> PrincipalRecord | None:
        row = self.conn.execute(
            select(principals).where(principals.c.principal_id == principal_id)
        ).first()
        return None if row is None else _principal(row)

    def principal_by_key_id(self, key_id: str) -> PrincipalRecord | None:
        row = self.conn.execute(_BY_KEY_ID, {"kid": key_id}).first()
        return None if row is None else _principal(row)

    def list_principals(self) -> list[PrincipalRecord]:
        rows = self.conn.execute(select(principals).order_by(principals.c.principal_id))
        return [_principal(r) for r in rows]

    def set_principal_key(self, principal_id: str, key_id: str, key_hash: bytes) -> None:
        self.conn.execute(
            update(principals)
            .where(principals.c.principal_id == principal_id)
            .values(key_id=key_id, key_hash=key_hash)
        )

    def set_principal_active(self, principal_id: str, active: bool) -> None:
        self.conn.execute(
            update(principals)
            .where(principals.c.principal_id == principal_id)
            .values(active=active)
        )

    def bump_principals_version(self) -> None:
        done = self.conn.execute(
            update(principals_version)
            .where(principals_version.c.id == 1)
            .values(version=principals_version.c.version + 1)
        )
        if done.rowcount == 0:  # a schema created before the row existed
            self.conn.execute(insert(principals_version).values(id=1, version=1))

    def principals_version(self) -> int:
        row = self.conn.execute(_PRINCIPALS_VERSION).first()
        return 0 if row is None else int(row[0])

    # tickets
    def insert_ticket(self, ticket: Ticket) -> None:
        self.conn.execute(
            insert(tickets).values(
                ticket_id=ticket.ticket_id,
                agent_id=ticket.agent_id,
                customer_id=ticket.customer_id,
                order_id=ticket.order_id,
                status=ticket.status,
                opened_at=ticket.opened_at,
                expires_at=ticket.expires_at,
                closed_at=ticket.closed_at,
            )
        )

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        row = self.conn.execute(_GET_TICKET, {"tid": ticket_id}).first()
        return None if row is None else _ticket(row)

    def open_tickets(self, agent_id: str, customer_id: str) -> list[Ticket]:
        rows = self.conn.execute(_OPEN_TICKETS, {"pid": agent_id, "cid": customer_id})
        return [_ticket(r) for r in rows]

    def close_ticket(self, ticket_id: str, at: datetime) -> None:
        self.conn.execute(
            update(tickets)
            .where(tickets.c.ticket_id == ticket_id)
            .values(status="closed", closed_at=at)
        )

    # assignments
    def insert_assignment(self, assignment: Assignment) -> None:
        self.conn.execute(
            insert(assignments).values(
                assignment_id=assignment.assignment_id,
                courier_id=assignment.courier_id,
                order_id=assignment.order_id,
                assigned_at=assignment.assigned_at,
                ended_at=assignment.ended_at,
            )
        )

    def assignments_for(self, courier_id: str, order_id: str) -> list[Assignment]:
        rows = self.conn.execute(_ASSIGNMENTS, {"pid": courier_id, "oid": order_id})
        return [
            Assignment(
                m["assignment_id"],
                m["courier_id"],
                m["order_id"],
                utc(m["assigned_at"]),
                _opt(m["ended_at"]),
            )
            for m in (r._mapping for r in rows)
        ]

    def end_assignments(self, order_id: str, at: datetime) -> None:
        self.conn.execute(
            update(assignments)
            .where(assignments.c.order_id == order_id, assignments.c.ended_at.is_(None))
            .values(ended_at=at)
        )

    # grants
    def insert_grants(self, rows: Sequence[Grant]) -> None:
        if not rows:
            return
        self.conn.execute(
            insert(grants),
            [
                {
                    "grant_id": g.grant_id,
                    "partner_id": g.partner_id,
                    "customer_id": g.customer_id,
                    "fields": json.dumps(list(g.fields)),
                    "release_id": g.release_id,
                    "granted_at": g.granted_at,
                    "expires_at": g.expires_at,
                }
                for g in rows
            ],
        )

    def grants_for(self, partner_id: str, customer_id: str) -> list[Grant]:
        rows = self.conn.execute(_GRANTS, {"pid": partner_id, "cid": customer_id})
        return [
            Grant(
                m["grant_id"],
                m["partner_id"],
                m["customer_id"],
                tuple(json.loads(m["fields"])),
                m["release_id"],
                utc(m["granted_at"]),
                _opt(m["expires_at"]),
            )
            for m in (r._mapping for r in rows)
        ]

    # relay numbers
    def insert_relay_binding(self, binding: RelayBinding) -> None:
        self.conn.execute(
            insert(relay_bindings).values(
                binding_id=binding.binding_id,
                relay_number=binding.relay_number,
                courier_id=binding.courier_id,
                order_id=binding.order_id,
                customer_id=binding.customer_id,
                created_at=binding.created_at,
                expires_at=binding.expires_at,
            )
        )

    def relay_binding(self, courier_id: str, order_id: str) -> RelayBinding | None:
        row = self.conn.execute(_RELAY_BINDING, {"pid": courier_id, "oid": order_id}).first()
        return None if row is None else _binding(row)

    def relay_bindings_by_number(self, number: str, courier_id: str) -> list[RelayBinding]:
        q = (
            select(relay_bindings)
            .where(
                relay_bindings.c.relay_number == number, relay_bindings.c.courier_id == courier_id
            )
            .order_by(relay_bindings.c.created_at.desc())
        )
        return [_binding(r) for r in self.conn.execute(q)]

    def relay_numbers_in_use(self, courier_id: str, at: datetime) -> set[str]:
        q = select(relay_bindings.c.relay_number).where(
            relay_bindings.c.courier_id == courier_id,
            or_(relay_bindings.c.expires_at.is_(None), relay_bindings.c.expires_at > at),
        )
        return set(self.conn.scalars(q))

    def expire_relay_bindings(self, order_id: str, at: datetime) -> None:
        self.conn.execute(
            update(relay_bindings)
            .where(
                relay_bindings.c.order_id == order_id,
                or_(relay_bindings.c.expires_at.is_(None), relay_bindings.c.expires_at > at),
            )
            .values(expires_at=at)
        )

    # rotation
    def customers_below_version(self, version: int, limit: int) -> list[SealedCustomer]:
        q = (
            select(customers)
            .where(customers.c.key_version < version)
            .order_by(customers.c.customer_id)
            .limit(limit)
        )
        return [_customer(r) for r in self.conn.execute(q)]

    def orders_below_version(self, version: int, limit: int) -> list[SealedOrder]:
        q = (
            select(orders)
            .where(orders.c.key_version < version)
            .order_by(orders.c.order_id)
            .limit(limit)
        )
        return [_order(r) for r in self.conn.execute(q)]

    def count_below_version(self, version: int) -> int:
        c = self.conn.scalar(
            select(func.count()).select_from(customers).where(customers.c.key_version < version)
        )
        o = self.conn.scalar(
            select(func.count()).select_from(orders).where(orders.c.key_version < version)
        )
        return int(c or 0) + int(o or 0)

    def update_customer_ciphertexts(self, rows: Sequence[Reencrypted], version: int) -> None:
        if not rows:
            return
        stmt = (
            update(customers)
            .where(customers.c.customer_id == bindparam("rid"))
            .values(
                {f"{f}_ct": bindparam(f"v_{f}") for f in _CUSTOMER_CT} | {"key_version": version}
            )
        )
        self.conn.execute(
            stmt,
            [
                {"rid": r.record_id, **{f"v_{f}": r.ciphertexts.get(f) for f in _CUSTOMER_CT}}
                for r in rows
            ],
        )

    def update_order_ciphertexts(self, rows: Sequence[Reencrypted], version: int) -> None:
        if not rows:
            return
        stmt = (
            update(orders)
            .where(orders.c.order_id == bindparam("rid"))
            .values(
                items_ct=bindparam("v_items"),
                delivery_address_ct=bindparam("v_addr"),
                key_version=version,
            )
        )
        self.conn.execute(
            stmt,
            [
                {
                    "rid": r.record_id,
                    "v_items": r.ciphertexts["items"],
                    "v_addr": r.ciphertexts.get("delivery_address"),
                }
                for r in rows
            ],
        )

    # policy history
    def policy_known(self, digest: str) -> bool:
        q = select(policy_versions.c.digest).where(policy_versions.c.digest == digest)
        return self.conn.execute(q).first() is not None

    def record_policy(self, digest: str, source: str, at: datetime) -> None:
        self.conn.execute(
            insert(policy_versions).values(digest=digest, source=source[:512], first_seen_at=at)
        )


class SqlDataKeyStore:
    """Wrapped data keys and field-key versions (implements ``custody.keys.DataKeyStore``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load_data_keys(self) -> list[DataKeyRecord]:
        with read_transaction(self.engine) as conn:
            rows = conn.execute(select(data_keys)).all()
        return [
            DataKeyRecord(r.purpose, r.version, r.kek_version, r.wrapped, utc(r.created_at))
            for r in rows
        ]

    def add_data_keys(self, records: Iterable[DataKeyRecord]) -> bool:
        rows = [
            {
                "purpose": r.purpose,
                "version": r.version,
                "kek_version": r.kek_version,
                "wrapped": r.wrapped,
                "created_at": r.created_at,
            }
            for r in records
        ]
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(insert(data_keys), rows)
        except StorageError as exc:
            if exc.code == "conflict":  # another process created them first: use theirs
                return False
            raise
        return True

    def rewrap_data_keys(self, records: Iterable[DataKeyRecord]) -> None:
        stmt = (
            update(data_keys)
            .where(data_keys.c.purpose == bindparam("p"), data_keys.c.version == bindparam("v"))
            .values(kek_version=bindparam("k"), wrapped=bindparam("w"))
        )
        rows = [
            {"p": r.purpose, "v": r.version, "k": r.kek_version, "w": r.wrapped} for r in records
        ]
        if rows:
            with write_transaction(self.engine) as conn:
                conn.execute(stmt, rows)

    def key_versions(self) -> dict[int, str]:
        with read_transaction(self.engine) as conn:
            return {r.version: r.state for r in conn.execute(select(key_versions))}

    def set_key_version(self, version: int, state: str, at: datetime) -> None:
        dialect = self.engine.dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = make(key_versions).values(version=version, state=state, created_at=at)
        stmt = stmt.on_conflict_do_update(
            index_elements=[key_versions.c.version],
            set_={"state": state, "completed_at": at if state == "retired" else None},
        )
        with translate_errors(), write_transaction(self.engine) as conn:
            conn.execute(stmt)
