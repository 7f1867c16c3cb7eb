"""SQL release ledger (implements ``trace.releases.ports.ReleaseStore``) and the blind-index
customer lookup file attribution uses (``CustomerIndex``; reads index columns only)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, insert, select

from shieldwall.core.clock import utc
from shieldwall.core.events import AccessEvent
from shieldwall.core.paging import Position
from shieldwall.storage.audit_repo import stage_events
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.paging import before
from shieldwall.storage.tables.custody import customers
from shieldwall.storage.tables.trace_releases import (
    trace_release_canaries,
    trace_release_records,
    trace_releases,
)
from shieldwall.trace.releases.model import Canary, Holding, IndexedCustomer, Release, ReleaseRecord

_IN_CHUNK = 500
_INSERT_CHUNK = 5000
INDEX_COLUMNS = {
    "phone": customers.c.phone_bidx,
    "email": customers.c.email_bidx,
    "national_id": customers.c.national_id_bidx,
}


def _chunks(items: Iterable[Any], size: int = _IN_CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _release(row: Any) -> Release:
    m = row._mapping
    return Release(
        release_id=m["release_id"],
        recipient_id=m["recipient_id"],
        recipient_role=m["recipient_role"],
        purpose=m["purpose"],
        kind=m["kind"],
        fields=tuple(json.loads(m["fields"])),
        columns=json.loads(m["columns"]),
        file_format=m["file_format"],
        row_count=m["row_count"],
        record_count=m["record_count"],
        optional_pool=m["optional_pool"],
        optional_included=m["optional_included"],
        canary_count=m["canary_count"],
        marked=bool(m["marked"]),
        file_sha256=m["file_sha256"],
        created_by=m["created_by"],
        created_at=utc(m["created_at"]),
        note=m["note"],
    )


class SqlReleaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def insert_release(
        self,
        release: Release,
        records: Sequence[ReleaseRecord],
        canaries: Sequence[Canary],
        audit: Sequence[AccessEvent] = (),
    ) -> list[int]:
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(trace_releases).values(
                    release_id=release.release_id,
                    recipient_id=release.recipient_id,
                    recipient_role=release.recipient_role,
                    purpose=release.purpose,
                    kind=release.kind,
                    fields=json.dumps(list(release.fields)),
                    columns=json.dumps(dict(release.columns)),
                    file_format=release.file_format,
                    row_count=release.row_count,
                    record_count=release.record_count,
                    optional_pool=release.optional_pool,
                    optional_included=release.optional_included,
                    canary_count=release.canary_count,
                    marked=release.marked,
                    file_sha256=release.file_sha256,
                    created_by=release.created_by,
                    created_at=release.created_at,
                    note=release.note,
                )
            )
            for chunk in _chunks(records, _INSERT_CHUNK):
                conn.execute(
                    insert(trace_release_records),
                    [
                        {
                            "release_id": r.release_id,
                            "customer_id": r.customer_id,
                            "included": r.included,
                            "optional": r.optional,
                        }
                        for r in chunk
                    ],
                )
            if canaries:
                conn.execute(
                    insert(trace_release_canaries),
                    [
                        {
                            "digest": c.digest,
                            "release_id": c.release_id,
                            "kind": c.kind,
                            "created_at": c.created_at,
                        }
                        for c in canaries
                    ],
                )
            return stage_events(conn, audit)

    def get_release(self, release_id: str) -> Release | None:
        with read_transaction(self.engine) as conn:
            row = conn.execute(
                select(trace_releases).where(trace_releases.c.release_id == release_id)
            ).first()
        return None if row is None else _release(row)

    def list_releases(
        self, recipient_id: str | None, limit: int, after: Position | None = None
    ) -> list[Release]:
        q = select(trace_releases).order_by(
            trace_releases.c.created_at.desc(), trace_releases.c.release_id.desc()
        )
        if after is not None:
            q = q.where(before(trace_releases.c.created_at, trace_releases.c.release_id, after))
        if recipient_id is not None:
            q = q.where(trace_releases.c.recipient_id == recipient_id)
        with read_transaction(self.engine) as conn:
            return [_release(r) for r in conn.execute(q.limit(limit))]

    def canaries_known(self, digests: Iterable[bytes]) -> set[bytes]:
        return set(self.canary_hits(digests))

    def canary_hits(self, digests: Iterable[bytes]) -> dict[bytes, Canary]:
        out: dict[bytes, Canary] = {}
        with read_transaction(self.engine) as conn:
            for chunk in _chunks(set(digests)):
                q = select(trace_release_canaries).where(trace_release_canaries.c.digest.in_(chunk))
                for row in conn.execute(q):
                    m = row._mapping
                    out[bytes(m["digest"])] = Canary(
                        bytes(m["digest"]), m["release_id"], m["kind"], utc(m["created_at"])
                    )
        return out

    def holdings(self, customer_ids: Iterable[str]) -> list[Holding]:
        out: list[Holding] = []
        r, rec = trace_releases, trace_release_records
        with read_transaction(self.engine) as conn:
            for chunk in _chunks(set(customer_ids)):
                q = (
                    select(
                        rec.c.customer_id,
                        rec.c.release_id,
                        r.c.recipient_id,
                        rec.c.included,
                        rec.c.optional,
                        r.c.marked,
                    )
                    .join(r, r.c.release_id == rec.c.release_id)
                    .where(rec.c.customer_id.in_(chunk))
                )
                out.extend(
                    Holding(
                        row.customer_id,
                        row.release_id,
                        row.recipient_id,
                        bool(row.included),
                        bool(row.optional),
                        bool(row.marked),
                    )
                    for row in conn.execute(q)
                )
        return out


class SqlCustomerIndex:
    """Customers by blind index, reading the index columns only (never a ciphertext)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def by_index(self, field: str, digests: Iterable[bytes]) -> dict[bytes, list[IndexedCustomer]]:
        column = INDEX_COLUMNS[field]
        out: dict[bytes, list[IndexedCustomer]] = {}
        with read_transaction(self.engine) as conn:
            for chunk in _chunks(set(digests)):
                q = select(column, customers.c.customer_id, customers.c.phone_bidx).where(
                    column.in_(chunk)
                )
                for key, cid, phone in conn.execute(q):
                    out.setdefault(bytes(key), []).append(IndexedCustomer(cid, bytes(phone)))
        return out

    def phone_indexes(self, customer_ids: Iterable[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with read_transaction(self.engine) as conn:
            for chunk in _chunks(set(customer_ids)):
                q = select(customers.c.customer_id, customers.c.phone_bidx).where(
                    customers.c.customer_id.in_(chunk)
                )
                out.update((cid, bytes(p)) for cid, p in conn.execute(q))
        return out
