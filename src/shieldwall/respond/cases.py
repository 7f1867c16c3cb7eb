"""Incident cases: open from a source, move through the state table, assign, link.

Every change writes the case, appends to its timeline and stages an audit entry in one
transaction (the outbox), then logs that entry before returning: no committed change goes
without its entry. Entries and the timeline carry identifiers only (case, principal, release
and customer ids, states, the source's id), never a personal value.

Suspending a principal from a case goes through custody's suspend machinery (its own audited
transaction, which refuses the principal's key everywhere) and then links the principal to
the case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from shieldwall.core.clock import Clock
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.ids import new_id
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import (
    DEFAULT_LIMIT,
    Page,
    Position,
    fetch_page,
)
from shieldwall.custody import normalize
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.errors import ValidationError
from shieldwall.custody.ports import OutboxAuditSink
from shieldwall.respond.case_model import (
    Case,
    CaseFile,
    CaseLink,
    LinkKind,
    SourceKind,
)
from shieldwall.respond.case_ports import CaseReferences, CaseStore, CaseTx, Suspender
from shieldwall.respond.errors import CaseInvalid, CaseNotFound
from shieldwall.respond.states import CaseState, check_transition, parse_state

OWNER_ROLES = frozenset({Role.ADMIN, Role.ANALYST})
MAX_LINKS = 10_000  # ids one link request may name
MAX_SEQ = 2**53  # an audit entry number: what a JSON number carries exactly (api/bounds.py)
CASES_LISTING = "cases"


def case_event(
    now: datetime,
    actor: Principal,
    action: Action,
    reason: str,
    *,
    channel: str,
    case_id: str,
    extra: Mapping[str, str] | None = None,
    customer_ids: Iterable[str] = (),
) -> AccessEvent:
    """The audit entry of a change to a case (ids only; ``purpose`` investigation)."""
    return access_event(
        now,
        actor,
        action,
        Decision.ALLOW,
        reason,
        channel=channel,
        purpose="investigation",
        customer_ids=customer_ids,
        extra={"case": case_id, **(extra or {})},
    )


def valid_id(value: str, field: str) -> str:
    try:
        return normalize.record_id(value, field)
    except ValidationError as exc:
        raise CaseInvalid(exc.reason, field=field) from None


def parse_source(kind: str, ref: str | None) -> tuple[SourceKind, str | None]:
    try:
        source = SourceKind(kind)
    except ValueError:
        options = ", ".join(s.value for s in SourceKind)
        raise CaseInvalid(f"unknown source; expected one of {options}", field="source") from None
    if source is SourceKind.MANUAL:
        if ref:
            raise CaseInvalid("a manual case has no source reference", field="source_ref")
        return source, None
    if not ref:
        raise CaseInvalid(f"a case from {source.value} needs its id", field="source_ref")
    ref = valid_id(ref, "source_ref")
    trace = source in (SourceKind.VICTIMS_TRACE, SourceKind.LEAK_TRACE)
    if trace and not (ref.isascii() and ref.isdigit() and int(ref) <= MAX_SEQ):
        raise CaseInvalid(
            "a trace result is named by the audit entry that recorded it (a number)",
            field="source_ref",
        )
    return source, ref


class Cases:
    """Opens, moves, assigns and links incident cases."""

    def __init__(
        self,
        store: CaseStore,
        references: CaseReferences,
        suspender: Suspender,
        audit: OutboxAuditSink,
        clock: Clock,
    ) -> None:
        self.store = store
        self.references = references
        self.suspender = suspender
        self.audit = audit
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------

    def get(self, case_id: str) -> CaseFile:
        with self.store.read() as tx:
            case = _case(tx, case_id)
            return CaseFile(
                case,
                tuple(tx.links(case.case_id)),
                tuple(tx.timeline(case.case_id)),
                tuple(tx.evidence(case.case_id)),
            )

    def recent(self, state: str | None = None, limit: int = 100) -> list[Case]:
        """Cases newest first, optionally in one state."""
        if not 1 <= limit <= 1000:
            raise CaseInvalid("must be between 1 and 1000", field="limit")
        wanted = parse_state(state) if state is not None else None
        with self.store.read() as tx:
            return tx.list_cases(wanted, limit)

    def page(
        self, state: str | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[Case]:
        """One page of cases, newest first; ``cursor`` is the previous page's ``next_cursor``
        (:class:`~shieldwall.core.paging.InvalidCursor` for one this list did not issue)."""
        wanted = parse_state(state) if state is not None else None
        with self.store.read() as tx:
            return fetch_page(
                CASES_LISTING,
                limit,
                cursor,
                lambda n, after: tx.list_cases(wanted, n, after),
                lambda c: Position(c.opened_at, c.case_id),
            )

    # -- changing ----------------------------------------------------------------------------

    def open(
        self,
        source: str,
        source_ref: str | None = None,
        *,
        owner_id: str | None = None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> Case:
        """Open a case from ``source`` (which must exist), optionally with an owner."""
        kind, ref = parse_source(source, source_ref)
        if ref is not None and not self.references.source_exists(kind, ref):
            raise CaseNotFound(f"no {kind.value} {ref}", field="source_ref")
        owner = self._owner(owner_id) if owner_id is not None else None
        now = self.clock.now()
        case = Case(new_id("case"), CaseState.OPEN, kind, ref, owner, actor.principal_id, now, now)
        detail = {"source": kind.value, "source_ref": ref or "", "owner": owner or ""}
        with self.store.write() as tx:
            tx.insert_case(case)
            tx.add_timeline(case.case_id, now, actor.principal_id, "opened", detail)
            staged = tx.stage_audit(
                [
                    case_event(
                        now,
                        actor,
                        Action.CASE,
                        "case_opened",
                        channel=channel,
                        case_id=case.case_id,
                        extra=detail,
                    )
                ]
            )
        self.audit.log_staged(staged)
        return case

    def transition(
        self, case_id: str, to: str, *, actor: Principal = OPERATOR, channel: str = "cli"
    ) -> Case:
        """Move a case to state ``to``; :class:`InvalidTransition` if the table forbids it."""
        target = parse_state(to, "to")
        now = self.clock.now()
        with self.store.write() as tx:
            case = _case(tx, case_id, for_update=True)
            check_transition(case.state, target)
            tx.update_case(case.case_id, state=target, owner_id=case.owner_id, updated_at=now)
            detail = {"from": case.state.value, "to": target.value}
            tx.add_timeline(case.case_id, now, actor.principal_id, "transition", detail)
            staged = tx.stage_audit(
                [
                    case_event(
                        now,
                        actor,
                        Action.CASE,
                        "case_transition",
                        channel=channel,
                        case_id=case.case_id,
                        extra=detail,
                    )
                ]
            )
        self.audit.log_staged(staged)
        return Case(
            case.case_id,
            target,
            case.source_kind,
            case.source_ref,
            case.owner_id,
            case.opened_by,
            case.opened_at,
            now,
        )

    def assign(
        self, case_id: str, owner_id: str, *, actor: Principal = OPERATOR, channel: str = "cli"
    ) -> Case:
        """Make ``owner_id`` (an active admin or analyst) the case's owner."""
        owner = self._owner(owner_id)
        now = self.clock.now()
        with self.store.write() as tx:
            case = _case(tx, case_id, for_update=True)
            tx.update_case(case.case_id, state=case.state, owner_id=owner, updated_at=now)
            detail = {"from": case.owner_id or "", "to": owner}
            tx.add_timeline(case.case_id, now, actor.principal_id, "assigned", detail)
            staged = tx.stage_audit(
                [
                    case_event(
                        now,
                        actor,
                        Action.CASE,
                        "case_assigned",
                        channel=channel,
                        case_id=case.case_id,
                        extra=detail,
                    )
                ]
            )
        self.audit.log_staged(staged)
        return Case(
            case.case_id,
            case.state,
            case.source_kind,
            case.source_ref,
            owner,
            case.opened_by,
            case.opened_at,
            now,
        )

    def link(
        self,
        case_id: str,
        *,
        principals: Sequence[str] = (),
        releases: Sequence[str] = (),
        customers: Sequence[str] = (),
        suspend: bool = False,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> list[CaseLink]:
        """Link principals (suspended: with ``suspend`` through custody's machinery, else they
        must be suspended already), releases revoked, and customers affected; return the links
        added (a link already there is not added twice). Every id must exist."""
        pids = _ids(principals, "principal_ids")
        rids = _ids(releases, "release_ids")
        cids = _ids(customers, "customer_ids")
        if not (pids or rids or cids):
            raise CaseInvalid("name a principal, a release or a customer", field="links")
        if len(pids) + len(rids) + len(cids) > MAX_LINKS:
            raise CaseInvalid(f"at most {MAX_LINKS} ids at once", field="links")
        with self.store.read() as tx:
            case = _case(tx, case_id)
        for pid in pids:
            found = self.references.principal(pid)
            if found is None:
                raise CaseNotFound(f"no principal {pid}", field="principal_ids")
            if found.active and not suspend:
                raise CaseInvalid(
                    f"principal {pid} is active: link it with suspend to suspend it",
                    field="principal_ids",
                )
        for rid in rids:
            if not self.references.release_exists(rid):
                raise CaseNotFound(f"no release {rid}", field="release_ids")
        missing = sorted(set(cids) - self.references.existing_customers(cids))
        if missing:
            raise CaseNotFound(
                f"{len(missing)} customer ids do not exist (first: {missing[0]})",
                field="customer_ids",
            )
        if suspend:
            alert = case.source_ref if case.source_kind is SourceKind.ALERT else None
            for pid in pids:
                self.suspender.set_active(pid, False, alert_id=alert, actor=actor, channel=channel)
        return self._add_links(case, pids, rids, cids, suspend, actor, channel)

    def _add_links(
        self,
        case: Case,
        pids: list[str],
        rids: list[str],
        cids: list[str],
        suspended: bool,
        actor: Principal,
        channel: str,
    ) -> list[CaseLink]:
        now = self.clock.now()
        wanted = [
            *(CaseLink(case.case_id, LinkKind.PRINCIPAL, p, actor.principal_id, now) for p in pids),
            *(CaseLink(case.case_id, LinkKind.RELEASE, r, actor.principal_id, now) for r in rids),
            *(CaseLink(case.case_id, LinkKind.CUSTOMER, c, actor.principal_id, now) for c in cids),
        ]
        with self.store.write() as tx:
            _case(tx, case.case_id, for_update=True)
            added = tx.add_links(wanted)
            if not added:
                return []
            by_kind = {k: [a.ref for a in added if a.kind is k] for k in LinkKind}
            detail = {
                "principals": ",".join(by_kind[LinkKind.PRINCIPAL]),
                "releases": ",".join(by_kind[LinkKind.RELEASE]),
                "customers": str(len(by_kind[LinkKind.CUSTOMER])),
                "suspended": "yes" if suspended and by_kind[LinkKind.PRINCIPAL] else "no",
            }
            tx.add_timeline(case.case_id, now, actor.principal_id, "linked", detail)
            staged = tx.stage_audit(
                [
                    case_event(
                        now,
                        actor,
                        Action.CASE,
                        "case_linked",
                        channel=channel,
                        case_id=case.case_id,
                        extra=detail,
                        customer_ids=by_kind[LinkKind.CUSTOMER],
                    )
                ]
            )
        self.audit.log_staged(staged)
        return added

    def _owner(self, owner_id: str) -> str:
        owner_id = valid_id(owner_id, "owner_id")
        found = self.references.principal(owner_id)
        if found is None:
            raise CaseNotFound(f"no principal {owner_id}", field="owner_id")
        if found.role not in OWNER_ROLES or not found.active:
            raise CaseInvalid("the owner must be an active admin or analyst", field="owner_id")
        return owner_id


def _case(tx: CaseTx, case_id: str, *, for_update: bool = False) -> Case:
    case = tx.get_case(valid_id(case_id, "case_id"), for_update=for_update)
    if case is None:
        raise CaseNotFound(f"no case {case_id}", field="case_id")
    return case


def _ids(values: Sequence[str], field: str) -> list[str]:
    return sorted({valid_id(v, field) for v in values})
