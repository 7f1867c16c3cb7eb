"""The risk engine's decision history in the database (SQLite, PostgreSQL).

For a deployment without Redis whose logins are assessed in one process and looked at from
another (``shieldwall simulate`` then ``shieldwall serve``, or a restart): the history outlives
the process. It gives the answers :class:`~shieldwall.storage.risk_history_memory.
MemoryDecisionHistory` gives on the same events (tested), with one difference under
concurrency: an account is updated under a row lock on PostgreSQL, so two writers never lose
each other's counts, but two writers adding a source to one account at the same instant may
take it one past ``sources_cap`` (the count shown is capped).

A batch is one write transaction: the hour counts are added with an upsert, the accounts of
the batch are read (locked on PostgreSQL), updated in memory as the in-process history would,
and written back; then accounts idle past the window, and the oldest beyond ``max_accounts``,
are dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shieldwall.guard.risk.history import (
    KINDS,
    AccountPressure,
    DecisionEvent,
    HistoryBounds,
    HourCounts,
    Kind,
    rank,
)
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.risk_history_buffer import BufferedWrites
from shieldwall.storage.tables.guard import (
    risk_history_accounts as accounts_t,
)
from shieldwall.storage.tables.guard import (
    risk_history_hours as hours_t,
)
from shieldwall.storage.tables.guard import (
    risk_history_sources as sources_t,
)

_CHUNK = 500
_COUNTED = (Kind.CHALLENGE, Kind.DENY, Kind.FAILURE)


@dataclass(slots=True)
class _Account:
    first: float
    last: float
    counts: dict[Kind, int]
    known: bool | None
    sources: set[str]
    stored: bool  # a row existed when the batch began
    reset: bool = False  # idle past the window: its stored counts and sources are replaced
    new_sources: set[str] = field(default_factory=set)


def _insert(conn: Connection, table: Any) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


class SqlDecisionHistory(BufferedWrites):
    """``buffer`` and ``linger_seconds``: see :class:`~.risk_history_buffer.BufferedWrites`."""

    def __init__(
        self,
        engine: Engine,
        bounds: HistoryBounds | None = None,
        *,
        buffer: int = 1,
        linger_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(buffer=buffer, linger_seconds=linger_seconds, monotonic=monotonic)
        self.engine = engine
        self._bounds = bounds or HistoryBounds()

    @property
    def bounds(self) -> HistoryBounds:
        return self._bounds

    def _write(self, events: Sequence[DecisionEvent]) -> None:
        with write_transaction(self.engine) as conn:
            self._add_hours(conn, events)
            pressured = [e for e in events if e.kind is not Kind.ALLOW]
            if pressured:
                self._add_accounts(conn, pressured)
                self._trim(conn, max(e.at for e in pressured) - self._bounds.window_seconds)

    def _add_hours(self, conn: Connection, events: Sequence[DecisionEvent]) -> None:
        added: dict[int, dict[Kind, int]] = {}
        for e in events:
            added.setdefault(e.hour, dict.fromkeys(KINDS, 0))[e.kind] += 1
        stmt = _insert(conn, hours_t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[hours_t.c.hour],
            set_={k.value: hours_t.c[k.value] + stmt.excluded[k.value] for k in KINDS},
        )
        conn.execute(
            stmt, [{"hour": h, **{k.value: n for k, n in c.items()}} for h, c in added.items()]
        )
        newest = conn.execute(select(func.max(hours_t.c.hour))).scalar_one()
        conn.execute(delete(hours_t).where(hours_t.c.hour <= newest - self._bounds.days * 24))

    def _load(self, conn: Connection, names: Sequence[str]) -> dict[str, _Account]:
        found: dict[str, _Account] = {}
        for chunk in _chunks(names):
            query = select(accounts_t).where(accounts_t.c.account.in_(chunk))
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            for r in conn.execute(query):
                counts = {Kind.CHALLENGE: r.challenge, Kind.DENY: r.deny, Kind.FAILURE: r.failure}
                found[r.account] = _Account(r.first_at, r.last_at, counts, r.known, set(), True)
            rows = conn.execute(
                select(sources_t.c.account, sources_t.c.source).where(
                    sources_t.c.account.in_(chunk)
                )
            )
            for account, source in rows:
                if account in found:
                    found[account].sources.add(source)
        return found

    def _add_accounts(self, conn: Connection, events: Sequence[DecisionEvent]) -> None:
        b = self._bounds
        window = b.window_seconds
        state = self._load(conn, list(dict.fromkeys(e.account for e in events)))
        for e in events:
            a = state.get(e.account)
            if a is None or a.last < e.at - window:
                stored = a.stored if a is not None else False
                a = state[e.account] = _Account(
                    e.at, e.at, dict.fromkeys(_COUNTED, 0), None, set(), stored, reset=stored
                )
            a.last = max(a.last, e.at)
            a.counts[e.kind] += 1
            if len(a.sources) < b.sources_cap and e.source not in a.sources:
                a.sources.add(e.source)
                a.new_sources.add(e.source)
            if e.account_known is not None:
                a.known = e.account_known
        for account, a in state.items():
            self._write_account(conn, account, a)

    def _write_account(self, conn: Connection, account: str, a: _Account) -> None:
        values = {
            "first_at": a.first,
            "last_at": a.last,
            "challenge": a.counts[Kind.CHALLENGE],
            "deny": a.counts[Kind.DENY],
            "failure": a.counts[Kind.FAILURE],
            "known": a.known,
        }
        if a.stored:  # read (and, on PostgreSQL, locked) above: the new state replaces it
            conn.execute(update(accounts_t).where(accounts_t.c.account == account).values(values))
            if a.reset:
                conn.execute(delete(sources_t).where(sources_t.c.account == account))
        else:  # new here; another writer may have added it meanwhile: add to theirs
            stmt = _insert(conn, accounts_t).values(account=account, **values)
            c = accounts_t.c
            stmt = stmt.on_conflict_do_update(
                index_elements=[c.account],
                set_={
                    "first_at": func.min(c.first_at, stmt.excluded.first_at)
                    if conn.dialect.name == "sqlite"
                    else func.least(c.first_at, stmt.excluded.first_at),
                    "last_at": func.max(c.last_at, stmt.excluded.last_at)
                    if conn.dialect.name == "sqlite"
                    else func.greatest(c.last_at, stmt.excluded.last_at),
                    "challenge": c.challenge + stmt.excluded.challenge,
                    "deny": c.deny + stmt.excluded.deny,
                    "failure": c.failure + stmt.excluded.failure,
                    "known": func.coalesce(stmt.excluded.known, c.known),
                },
            )
            conn.execute(stmt)
        if a.new_sources:
            conn.execute(
                _insert(conn, sources_t).on_conflict_do_nothing(),
                [{"account": account, "source": s} for s in sorted(a.new_sources)],
            )

    def _trim(self, conn: Connection, horizon: float) -> None:
        c = accounts_t.c
        gone = list(conn.execute(select(c.account).where(c.last_at < horizon)).scalars())
        over = (
            conn.execute(select(func.count()).select_from(accounts_t)).scalar_one()
            - len(gone)
            - self._bounds.max_accounts
        )
        if over > 0:
            oldest = select(c.account).where(c.last_at >= horizon).order_by(c.last_at, c.account)
            gone += conn.execute(oldest.limit(over)).scalars()
        for chunk in _chunks(gone):
            conn.execute(delete(sources_t).where(sources_t.c.account.in_(chunk)))
            conn.execute(delete(accounts_t).where(c.account.in_(chunk)))

    def hours(self, first: int, last: int) -> list[HourCounts]:
        self.flush()
        with read_transaction(self.engine) as conn:
            rows = {
                r.hour: r
                for r in conn.execute(select(hours_t).where(hours_t.c.hour.between(first, last)))
            }
        return [
            HourCounts(h, *(getattr(rows[h], k.value) for k in KINDS))
            if h in rows
            else HourCounts(h)
            for h in range(first, last + 1)
        ]

    def newest_hour(self) -> int | None:
        self.flush()
        with read_transaction(self.engine) as conn:
            newest = conn.execute(select(func.max(hours_t.c.hour))).scalar_one()
        return None if newest is None else int(newest)

    def under_attack(self, now: float, limit: int = 20) -> list[AccountPressure]:
        self.flush()
        horizon = now - self._bounds.window_seconds
        c = accounts_t.c
        sources = (
            select(sources_t.c.account, func.count().label("n"))
            .group_by(sources_t.c.account)
            .subquery()
        )
        query = (
            select(accounts_t, func.coalesce(sources.c.n, 0).label("n"))
            .outerjoin(sources, sources.c.account == c.account)
            .where(c.last_at >= horizon)
        )
        with read_transaction(self.engine) as conn:
            found = [
                AccountPressure(
                    r.account,
                    r.first_at,
                    r.last_at,
                    r.challenge,
                    r.deny,
                    r.failure,
                    min(r.n, self._bounds.sources_cap),
                    r.known,
                )
                for r in conn.execute(query)
            ]
        return rank(found, limit)
