"""SQL implementation of the victims register's, the claims' and the ledger's storage
(``respond.money_ports.MoneyStore``) on SQLite and PostgreSQL.

The ledger has two writes and nothing else: entries, then their posting, in one transaction
(:meth:`SqlMoneyTx.insert_posting`). There is no method that updates or deletes a posting or
an entry, and the database's triggers refuse both (migration ``rm0001``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    RowMapping,
    Select,
    func,
    insert,
    select,
    update,
)

from shieldwall.core.clock import utc
from shieldwall.core.events import AccessEvent
from shieldwall.core.paging import Position
from shieldwall.respond.compensation import (
    Claim,
    ClaimStatus,
    Entry,
    Posting,
    PostingKind,
    RejectReason,
)
from shieldwall.respond.victims import (
    ContactChannel,
    ContactOutcome,
    ContactRecord,
    Keys,
    Source,
    Victim,
    VictimStatus,
)
from shieldwall.storage.audit_repo import stage_events
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.paging import before
from shieldwall.storage.tables.respond_money import (
    respond_claims,
    respond_ledger_entries,
    respond_ledger_postings,
    respond_victim_contacts,
    respond_victims,
)

_IN_CHUNK = 500


class SqlMoneyStore:
    """Opens transactions over the respond money tables (implements ``MoneyStore``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def read(self) -> Iterator[SqlMoneyTx]:
        with read_transaction(self.engine) as conn:
            yield SqlMoneyTx(conn)

    @contextlib.contextmanager
    def write(self) -> Iterator[SqlMoneyTx]:
        with write_transaction(self.engine) as conn:
            yield SqlMoneyTx(conn)


def _victim(m: Any, contacts: Sequence[ContactRecord] = ()) -> Victim:
    return Victim(
        victim_id=m["victim_id"],
        case_id=m["case_id"],
        victim_key=m["victim_key"],
        customer_id=m["customer_id"],
        source=Source(m["source"]),
        trace_ref=m["trace_ref"],
        loss=int(m["loss_fen"]),
        status=VictimStatus(m["status"]),
        created_at=utc(m["created_at"]),
        created_by=m["created_by"],
        updated_at=utc(m["updated_at"]),
        contacts=tuple(contacts),
    )


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _contact(m: Any) -> ContactRecord:
    return ContactRecord(
        contact_id=m["contact_id"],
        victim_id=m["victim_id"],
        at=utc(m["at"]),
        channel=ContactChannel(m["channel"]),
        outcome=ContactOutcome(m["outcome"]),
        by=m["by"],
    )


def _claim(m: Any) -> Claim:
    return Claim(
        claim_id=m["claim_id"],
        case_id=m["case_id"],
        customer_id=m["customer_id"],
        amount_claimed=int(m["amount_claimed_fen"]),
        evidence_ref=m["evidence_ref"],
        status=ClaimStatus(m["status"]),
        submitted_by=m["submitted_by"],
        submitted_at=utc(m["submitted_at"]),
        updated_at=utc(m["updated_at"]),
        victim_id=m["victim_id"],
        amount_approved=None if m["amount_approved_fen"] is None else int(m["amount_approved_fen"]),
        paid=int(m["paid_fen"]),
        advance=bool(m["advance"]),
        decided_by=m["decided_by"],
        reject_reason=None if m["reject_reason"] is None else RejectReason(m["reject_reason"]),
    )


def _claim_values(c: Claim) -> dict[str, Any]:
    return {
        "claim_id": c.claim_id,
        "case_id": c.case_id,
        "customer_id": c.customer_id,
        "victim_id": c.victim_id,
        "amount_claimed_fen": c.amount_claimed,
        "amount_approved_fen": c.amount_approved,
        "paid_fen": c.paid,
        "advance": c.advance,
        "evidence_ref": c.evidence_ref,
        "status": c.status.value,
        "reject_reason": None if c.reject_reason is None else c.reject_reason.value,
        "submitted_by": c.submitted_by,
        "decided_by": c.decided_by,
        "submitted_at": c.submitted_at,
        "updated_at": c.updated_at,
    }


class SqlMoneyTx:
    """One transaction (implements ``MoneyTx``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stage_audit(self, events: Sequence[AccessEvent]) -> list[int]:
        return stage_events(self.conn, events)

    # victims
    def victim_keys(self, case_id: str, keys: Collection[str]) -> set[str]:
        wanted = list(keys)
        found: set[str] = set()
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            rows = self.conn.execute(
                select(respond_victims.c.victim_key).where(
                    respond_victims.c.case_id == case_id,
                    respond_victims.c.victim_key.in_(chunk),
                )
            )
            found.update(r.victim_key for r in rows)
        return found

    def insert_victim(self, victim: Victim, keys: Keys) -> None:
        self.conn.execute(
            insert(respond_victims).values(
                victim_id=victim.victim_id,
                case_id=victim.case_id,
                victim_key=victim.victim_key,
                customer_id=victim.customer_id,
                # A matched victim is its customer id; keyed hashes are kept only for the rest.
                phone_bidx=None if victim.customer_id else keys.phone,
                national_id_bidx=None if victim.customer_id else keys.national_id,
                order_hash=None if victim.customer_id else keys.order,
                source=victim.source.value,
                trace_ref=victim.trace_ref,
                loss_fen=victim.loss,
                status=victim.status.value,
                created_at=victim.created_at,
                created_by=victim.created_by,
                updated_at=victim.updated_at,
            )
        )

    def unmatched_victims(self, limit: int) -> list[tuple[Victim, Keys]]:
        v = respond_victims.c
        rows = self.conn.execute(
            select(respond_victims)
            .where(v.customer_id.is_(None))
            .order_by(v.created_at, v.victim_id)
            .limit(limit)
        ).all()
        keys = [
            Keys(
                phone=_bytes(r._mapping["phone_bidx"]),
                national_id=_bytes(r._mapping["national_id_bidx"]),
                order=_bytes(r._mapping["order_hash"]),
            )
            for r in rows
        ]
        return list(zip(self._with_contacts(rows), keys, strict=True))

    def match_victim(self, victim_id: str, customer_id: str, at: datetime) -> bool:
        v = respond_victims.c
        done = self.conn.execute(
            update(respond_victims)
            .where(v.victim_id == victim_id, v.customer_id.is_(None))
            .values(
                customer_id=customer_id,
                victim_key=f"c:{customer_id}",
                phone_bidx=None,
                national_id_bidx=None,
                order_hash=None,
                updated_at=at,
            )
        )
        return bool(done.rowcount)

    def _children(
        self, parent: Column[Any], ids: Sequence[str], order: Sequence[Column[Any]]
    ) -> dict[str, list[RowMapping]]:
        """Rows of ``parent``'s table whose ``parent`` is one of ``ids``, grouped by it (in
        ``order`` within a group), read in IN-lists of at most ``_IN_CHUNK`` ids."""
        out: dict[str, list[RowMapping]] = {}
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            found = self.conn.execute(
                select(parent.table).where(parent.in_(chunk)).order_by(*order)
            )
            for row in found:
                out.setdefault(row._mapping[parent.name], []).append(row._mapping)
        return out

    def _with_contacts(self, rows: Sequence[Any]) -> list[Victim]:
        c = respond_victim_contacts.c
        ids = [r._mapping["victim_id"] for r in rows]
        contacts = self._children(c.victim_id, ids, (c.at, c.contact_id))
        return [
            _victim(r._mapping, [_contact(m) for m in contacts.get(r._mapping["victim_id"], [])])
            for r in rows
        ]

    def get_victim(self, victim_id: str) -> Victim | None:
        row = self.conn.execute(
            select(respond_victims).where(respond_victims.c.victim_id == victim_id)
        ).first()
        return None if row is None else self._with_contacts([row])[0]

    def victim_of(self, case_id: str, customer_id: str) -> Victim | None:
        row = self.conn.execute(
            select(respond_victims).where(
                respond_victims.c.case_id == case_id,
                respond_victims.c.victim_key == f"c:{customer_id}",
            )
        ).first()
        return None if row is None else self._with_contacts([row])[0]

    def list_victims(
        self,
        case_id: str | None,
        status: VictimStatus | None,
        limit: int,
        *,
        newest_first: bool = False,
        after: Position | None = None,
    ) -> list[Victim]:
        t = respond_victims
        q = _ordered(select(t), t.c.created_at, t.c.victim_id, newest_first, after)
        if case_id is not None:
            q = q.where(t.c.case_id == case_id)
        if status is not None:
            q = q.where(t.c.status == status.value)
        return self._with_contacts(list(self.conn.execute(q.limit(limit))))

    def set_victim_status(
        self, victim_id: str, expected: VictimStatus, status: VictimStatus, at: datetime
    ) -> bool:
        done = self.conn.execute(
            update(respond_victims)
            .where(
                respond_victims.c.victim_id == victim_id,
                respond_victims.c.status == expected.value,
            )
            .values(status=status.value, updated_at=at)
        )
        return done.rowcount == 1

    def insert_contact(self, record: ContactRecord) -> None:
        self.conn.execute(
            insert(respond_victim_contacts).values(
                contact_id=record.contact_id,
                victim_id=record.victim_id,
                at=record.at,
                channel=record.channel.value,
                outcome=record.outcome.value,
                by=record.by,
            )
        )

    # claims
    def insert_claim(self, claim: Claim) -> None:
        self.conn.execute(insert(respond_claims).values(**_claim_values(claim)))

    def get_claim(self, claim_id: str) -> Claim | None:
        row = self.conn.execute(
            select(respond_claims).where(respond_claims.c.claim_id == claim_id)
        ).first()
        return None if row is None else _claim(row._mapping)

    def save_claim(self, claim: Claim, expected: ClaimStatus, expected_paid: int) -> bool:
        values = _claim_values(claim)
        for fixed in ("claim_id", "case_id", "customer_id", "submitted_by", "submitted_at"):
            values.pop(fixed)
        done = self.conn.execute(
            update(respond_claims)
            .where(
                respond_claims.c.claim_id == claim.claim_id,
                respond_claims.c.status == expected.value,
                respond_claims.c.paid_fen == expected_paid,
            )
            .values(**values)
        )
        return done.rowcount == 1

    def list_claims(
        self,
        case_id: str | None,
        statuses: Collection[ClaimStatus] | None,
        limit: int,
        *,
        newest_first: bool = False,
        after: Position | None = None,
    ) -> list[Claim]:
        t = respond_claims
        q = _ordered(select(t), t.c.submitted_at, t.c.claim_id, newest_first, after)
        if case_id is not None:
            q = q.where(t.c.case_id == case_id)
        if statuses is not None:
            q = q.where(t.c.status.in_([s.value for s in statuses]))
        return [_claim(r._mapping) for r in self.conn.execute(q.limit(limit))]

    # ledger
    def posting_by_key(self, key: str) -> Posting | None:
        row = self.conn.execute(
            select(respond_ledger_postings).where(respond_ledger_postings.c.idempotency_key == key)
        ).first()
        return None if row is None else self._postings([row])[0]

    def insert_posting(self, posting: Posting) -> None:
        """Entries first, then the posting: the database accepts the posting row only when the
        entries already written balance (trigger ``respond_ledger_postings_balanced``)."""
        self.conn.execute(
            insert(respond_ledger_entries),
            [
                {
                    "posting_id": posting.posting_id,
                    "line": n,
                    "account": e.account,
                    "amount_fen": e.amount,
                }
                for n, e in enumerate(posting.entries, 1)
            ],
        )
        self.conn.execute(
            insert(respond_ledger_postings).values(
                posting_id=posting.posting_id,
                idempotency_key=posting.idempotency_key,
                request_digest=posting.digest,
                kind=posting.kind.value,
                case_id=posting.case_id,
                claim_id=posting.claim_id,
                total_fen=posting.total,
                created_at=posting.created_at,
                created_by=posting.created_by,
            )
        )

    def _postings(self, rows: Sequence[Any]) -> list[Posting]:
        c = respond_ledger_entries.c
        ids = [r._mapping["posting_id"] for r in rows]
        entries = {
            posting: [Entry(e["account"], int(e["amount_fen"])) for e in found]
            for posting, found in self._children(c.posting_id, ids, (c.line,)).items()
        }
        out = []
        for r in rows:
            m = r._mapping
            out.append(
                Posting(
                    posting_id=m["posting_id"],
                    idempotency_key=m["idempotency_key"],
                    digest=bytes(m["request_digest"]),
                    kind=PostingKind(m["kind"]),
                    case_id=m["case_id"],
                    claim_id=m["claim_id"],
                    entries=tuple(entries.get(m["posting_id"], ())),
                    created_at=utc(m["created_at"]),
                    created_by=m["created_by"],
                )
            )
        return out

    def list_postings(
        self,
        case_id: str | None,
        claim_id: str | None,
        limit: int,
        *,
        newest_first: bool = False,
        after: Position | None = None,
    ) -> list[Posting]:
        t = respond_ledger_postings
        q = _ordered(select(t), t.c.created_at, t.c.posting_id, newest_first, after)
        if case_id is not None:
            q = q.where(t.c.case_id == case_id)
        if claim_id is not None:
            q = q.where(t.c.claim_id == claim_id)
        return self._postings(list(self.conn.execute(q.limit(limit))))

    def balances(self, account: str | None = None) -> dict[str, int]:
        e = respond_ledger_entries
        q = select(e.c.account, func.sum(e.c.amount_fen).label("balance")).group_by(e.c.account)
        if account is not None:
            q = q.where(e.c.account == account)
        rows = self.conn.execute(q.order_by(e.c.account))
        return {r.account: int(r.balance) for r in rows if int(r.balance) != 0}

    def totals_by_kind(self, case_id: str) -> dict[PostingKind, int]:
        p = respond_ledger_postings
        rows = self.conn.execute(
            select(p.c.kind, func.sum(p.c.total_fen).label("total"))
            .where(p.c.case_id == case_id)
            .group_by(p.c.kind)
        )
        return {PostingKind(r.kind): int(r.total) for r in rows}


def _ordered(
    q: Select[Any], at: Any, key: Any, newest_first: bool, after: Position | None
) -> Select[Any]:
    """``q`` by ``(at, key)``: oldest first, or newest first from strictly after ``after``
    (a page's end; only with ``newest_first``)."""
    if not newest_first:
        if after is not None:
            raise ValueError("after pages a newest-first list only")
        return q.order_by(at, key)
    q = q.order_by(at.desc(), key.desc())
    return q if after is None else q.where(before(at, key, after))
