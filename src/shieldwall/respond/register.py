"""The victims register as a service: lists matched and registered, statuses, contacts.

Every change is an audit entry staged in the transaction that writes it (the outbox), so the
register and the audit log cannot disagree. Entries name customer ids, case ids and counts;
never a phone, name or ID number from a list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shieldwall.core.clock import Clock
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.ids import new_id
from shieldwall.core.model import Principal
from shieldwall.core.paging import (
    DEFAULT_LIMIT,
    Page,
    Position,
    fetch_page,
)
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.ports import OutboxAuditSink
from shieldwall.respond.compensation import ref
from shieldwall.respond.errors import RespondConflict, RespondInvalid, RespondNotFound
from shieldwall.respond.money_ports import MoneyStore
from shieldwall.respond.victims import (
    ContactChannel,
    ContactOutcome,
    ContactRecord,
    Duplicate,
    RowProblem,
    Source,
    Victim,
    VictimLookups,
    VictimRow,
    VictimStatus,
    match,
    rematch_customer,
    transition,
)

MAX_LIST = 1000
VICTIMS_LISTING = "victims"


@dataclass(frozen=True)
class RegisterReport:
    """What registering a list did: rows in, victims registered (matched or keyed), rows that
    repeat an earlier row or an earlier list, rows rejected with a reason."""

    case_id: str
    rows: int
    committed: bool
    registered: tuple[Victim, ...] = ()
    rows_of: tuple[int, ...] = ()  # the list row each registered victim came from
    already_registered: tuple[int, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    rejected: tuple[RowProblem, ...] = ()
    ambiguous: tuple[int, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        matched = sum(1 for v in self.registered if v.customer_id is not None)
        return {
            "case_id": self.case_id,
            "committed": self.committed,
            "rows": self.rows,
            "registered": len(self.registered),
            "matched": matched,
            "unmatched": len(self.registered) - matched,
            "already_registered": list(self.already_registered),
            "duplicates": [d.to_dict() for d in self.duplicates],
            "rejected": [p.to_dict() for p in self.rejected],
            "ambiguous": list(self.ambiguous),
            "victims": [
                {"row": row, "victim_id": v.victim_id, "customer_id": v.customer_id}
                for row, v in zip(self.rows_of, self.registered, strict=True)
            ],
        }


@dataclass(frozen=True)
class Rematched:
    """What matching the unmatched victims again did: checked, newly matched, left as
    duplicates of a victim already registered under that customer, ambiguous."""

    checked: int
    matched: int
    duplicates: int
    ambiguous: int

    def to_dict(self) -> dict[str, int]:
        return {
            "checked": self.checked,
            "matched": self.matched,
            "duplicates": self.duplicates,
            "ambiguous": self.ambiguous,
        }


class VictimRegister:
    def __init__(
        self,
        store: MoneyStore,
        lookups: VictimLookups,
        audit: OutboxAuditSink,
        clock: Clock,
        *,
        region: str = "CN",
        max_rows: int = 10_000,
    ) -> None:
        self.store = store
        self.lookups = lookups
        self.audit = audit
        self.clock = clock
        self.region = region
        self.max_rows = max_rows

    def register(
        self,
        actor: Principal,
        case_id: str,
        rows: Sequence[VictimRow],
        *,
        source: Source,
        trace_ref: str | None = None,
        rejected: Sequence[RowProblem] = (),
        strict: bool = True,
        channel: str = "api",
    ) -> RegisterReport:
        """Match ``rows`` and register each victim once in ``case_id``.

        ``rejected`` are rows the parser refused already. With ``strict`` (the default) one
        rejected row means nothing is registered (the report says ``committed: false``).
        """
        ref(case_id, "case_id")
        if trace_ref is not None:
            ref(trace_ref, "trace_ref")
        total = len(rows) + len(rejected)
        if total == 0:
            raise RespondInvalid("names no victims", field="rows")
        if total > self.max_rows:
            raise RespondInvalid(f"has more than {self.max_rows} victims", field="rows")
        result = match(rows, self.lookups)
        problems = tuple(sorted((*rejected, *result.rejected), key=lambda p: p.row))
        if strict and problems:
            return RegisterReport(
                case_id,
                total,
                False,
                duplicates=result.duplicates,
                rejected=problems,
                ambiguous=result.ambiguous,
            )
        now = self.clock.now()
        with self.store.write() as tx:
            known = tx.victim_keys(case_id, [m.victim_key for m in result.matches])
            fresh = [m for m in result.matches if m.victim_key not in known]
            victims = [
                Victim(
                    new_id("vic"),
                    case_id,
                    m.victim_key,
                    m.customer_id,
                    source,
                    trace_ref,
                    m.loss,
                    VictimStatus.REPORTED,
                    now,
                    actor.principal_id,
                    now,
                )
                for m in fresh
            ]
            for m, v in zip(fresh, victims, strict=True):
                tx.insert_victim(v, m.keys)
            again = tuple(m.row for m in result.matches if m.victim_key in known)
            extra = {
                "case_id": case_id,
                "source": source.value,
                "trace_ref": trace_ref or "",
                "rows": str(total),
                "registered": str(len(victims)),
                "unmatched": str(sum(1 for v in victims if v.customer_id is None)),
                "already_registered": str(len(again)),
                "duplicates": str(len(result.duplicates)),
                "rejected": str(len(problems)),
            }
            customers = sorted({v.customer_id for v in victims if v.customer_id is not None})
            staged = tx.stage_audit(
                [self._event(now, actor, "victim_list_import", channel, customers, extra)]
            )
        self.audit.log_staged(staged)
        return RegisterReport(
            case_id,
            total,
            True,
            tuple(victims),
            tuple(m.row for m in fresh),
            again,
            result.duplicates,
            problems,
            result.ambiguous,
        )

    def rematch(self, actor: Principal, channel: str = "api") -> Rematched:
        """Match again the victims kept unmatched (keyed hashes), e.g. after a customer import:
        a victim whose ID number and phone digests now name one customer is linked to it
        (:func:`~shieldwall.respond.victims.rematch_customer`); one already registered in its
        case under that customer is left as it is (a duplicate). An order-number hash is the
        register's own HMAC and cannot be looked up: such a victim matches once its customer's
        phone or ID number is on the list. At most ``max_rows`` victims per call."""
        with self.store.read() as tx:
            pending = tx.unmatched_victims(self.max_rows)
        decided: list[tuple[Victim, str]] = []
        ambiguous = 0
        for victim, keys in pending:
            found = [
                set(self.lookups.by_digest(name, digest))
                for name, digest in (("national_id", keys.national_id), ("phone", keys.phone))
                if digest is not None
            ]
            customer = rematch_customer(found)
            if customer is not None:
                decided.append((victim, customer))
            elif any(found):
                ambiguous += 1
        if not decided:
            return Rematched(len(pending), 0, 0, ambiguous)
        now = self.clock.now()
        matched: list[str] = []
        duplicates = 0
        with self.store.write() as tx:
            for victim, customer in decided:
                if tx.victim_keys(victim.case_id, [f"c:{customer}"]):
                    duplicates += 1
                elif tx.match_victim(victim.victim_id, customer, now):
                    matched.append(customer)
            extra = {
                "checked": str(len(pending)),
                "matched": str(len(matched)),
                "duplicates": str(duplicates),
                "ambiguous": str(ambiguous),
            }
            staged = tx.stage_audit(
                [self._event(now, actor, "victim_rematch", channel, sorted(set(matched)), extra)]
            )
        self.audit.log_staged(staged)
        return Rematched(len(pending), len(matched), duplicates, ambiguous)

    def get(self, victim_id: str) -> Victim:
        with self.store.read() as tx:
            victim = tx.get_victim(victim_id)
        if victim is None:
            raise RespondNotFound(f"no victim {victim_id}", field="victim_id")
        return victim

    def find(
        self, case_id: str | None, status: VictimStatus | None = None, limit: int = MAX_LIST
    ) -> list[Victim]:
        if case_id is not None:
            ref(case_id, "case_id")
        with self.store.read() as tx:
            return tx.list_victims(case_id, status, min(max(limit, 1), MAX_LIST))

    def page(
        self,
        case_id: str | None,
        status: VictimStatus | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Victim]:
        """One page of victims, newest first; ``cursor`` is the previous page's
        ``next_cursor`` (:class:`~shieldwall.core.paging.InvalidCursor` for one this list did
        not issue)."""
        if case_id is not None:
            ref(case_id, "case_id")
        with self.store.read() as tx:
            return fetch_page(
                VICTIMS_LISTING,
                limit,
                cursor,
                lambda n, after: tx.list_victims(
                    case_id, status, n, newest_first=True, after=after
                ),
                lambda v: Position(v.created_at, v.victim_id),
            )

    def set_status(
        self, actor: Principal, victim_id: str, status: VictimStatus, *, channel: str = "api"
    ) -> Victim:
        now = self.clock.now()
        with self.store.write() as tx:
            victim = tx.get_victim(victim_id)
            if victim is None:
                raise RespondNotFound(f"no victim {victim_id}", field="victim_id")
            transition(victim_id, victim.status, status)
            if not tx.set_victim_status(victim_id, victim.status, status, now):
                raise RespondConflict(f"victim {victim_id} changed meanwhile; try again")
            staged = tx.stage_audit([self._status_event(now, actor, victim, status, channel)])
            updated = tx.get_victim(victim_id)
        self.audit.log_staged(staged)
        if updated is None:  # pragma: no cover - the row was read in the same transaction
            raise RespondNotFound(f"no victim {victim_id}", field="victim_id")
        return updated

    def log_contact(
        self,
        actor: Principal,
        victim_id: str,
        contact_channel: ContactChannel,
        outcome: ContactOutcome,
        *,
        at: datetime | None = None,
        channel: str = "api",
    ) -> Victim:
        """Record a contact with a victim; a first contact that reached a confirmed victim
        moves them to ``contacted``."""
        now = self.clock.now()
        when = at or now
        if when > now:
            raise RespondInvalid("is in the future", field="at")
        with self.store.write() as tx:
            victim = tx.get_victim(victim_id)
            if victim is None:
                raise RespondNotFound(f"no victim {victim_id}", field="victim_id")
            record = ContactRecord(
                new_id("vct"), victim_id, when, contact_channel, outcome, actor.principal_id
            )
            tx.insert_contact(record)
            events = [
                self._event(
                    now,
                    actor,
                    "victim_contact",
                    channel,
                    [victim.customer_id] if victim.customer_id else [],
                    {
                        "case_id": victim.case_id,
                        "victim_id": victim_id,
                        "contact_id": record.contact_id,
                        "contact_channel": contact_channel.value,
                        "outcome": outcome.value,
                    },
                )
            ]
            reached = outcome is ContactOutcome.REACHED
            if reached and victim.status is VictimStatus.CONFIRMED:
                tx.set_victim_status(victim_id, victim.status, VictimStatus.CONTACTED, now)
                events.append(
                    self._status_event(now, actor, victim, VictimStatus.CONTACTED, channel)
                )
            staged = tx.stage_audit(events)
            updated = tx.get_victim(victim_id)
        self.audit.log_staged(staged)
        if updated is None:  # pragma: no cover - the row was read in the same transaction
            raise RespondNotFound(f"no victim {victim_id}", field="victim_id")
        return updated

    def _status_event(
        self,
        now: datetime,
        actor: Principal,
        victim: Victim,
        status: VictimStatus,
        channel: str,
    ) -> AccessEvent:
        return self._event(
            now,
            actor,
            "victim_status",
            channel,
            [victim.customer_id] if victim.customer_id else [],
            {
                "case_id": victim.case_id,
                "victim_id": victim.victim_id,
                "from": victim.status.value,
                "to": status.value,
            },
        )

    @staticmethod
    def _event(
        now: datetime,
        actor: Principal,
        reason: str,
        channel: str,
        customer_ids: Sequence[str],
        extra: dict[str, str],
    ) -> AccessEvent:
        return access_event(
            now,
            actor,
            Action.VICTIM,
            Decision.ALLOW,
            reason,
            channel=channel,
            purpose="incident_response",
            customer_ids=customer_ids,
            extra=extra,
        )
