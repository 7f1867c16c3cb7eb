"""Breach notices for a case: draft and render them, record who was notified when and how, and
keep the deadline clock.

Recording is one transaction: the notification records, a timeline line and an audit entry
per record (action ``case``, reason ``notice_recorded``), and, for a notice to the authority
when the state table allows it (from ``contained``), the move to ``notified`` with its own
timeline line and entry. A notice to the authority is recorded whatever the case's state: the
law's clock does not wait for containment, so the record is kept and the state is left alone
(the result says so).

Persons are named by customer id; a letter shows a masked name (custody's ``张*``), decrypted
and masked in one audited step (:class:`.sources.CustodyNames`). Stored is the SHA-256 of that
masked rendering, never a rendering with a clear name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from shieldwall.core.clock import Clock
from shieldwall.core.events import AccessEvent, Action
from shieldwall.core.ids import new_id
from shieldwall.core.model import Principal
from shieldwall.core.paging import DEFAULT_LIMIT, Page, Position, fetch_page
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.custody.ports import OutboxAuditSink
from shieldwall.respond.case_model import CaseFile, LinkKind, SourceKind
from shieldwall.respond.cases import Cases, case_event, valid_id
from shieldwall.respond.errors import CaseInvalid, CaseNotFound
from shieldwall.respond.notices.catalogue import DEFAULT_CAUSE
from shieldwall.respond.notices.content import (
    NoticeFacts,
    NoticeParams,
    StoreContact,
    notice_content,
)
from shieldwall.respond.notices.deadlines import Deadline, deadline
from shieldwall.respond.notices.letters import render_html
from shieldwall.respond.notices.model import (
    Audience,
    Channel,
    Exposure,
    Format,
    Language,
    NoticeRecord,
    Regime,
    merge_exposures,
)
from shieldwall.respond.notices.pdf import render_pdf
from shieldwall.respond.notices.ports import ExposureRecords, NoticeStore, PersonNames
from shieldwall.respond.states import CaseState, allowed

NOT_EXPOSED = frozenset({"hidden"})
GENERIC_PERSON = {Language.ZH: "客户", Language.EN: "customer"}
MEDIA_TYPES = {Format.HTML: "text/html; charset=utf-8", Format.PDF: "application/pdf"}


@dataclass(frozen=True, slots=True)
class NoticeConfig:
    store: StoreContact
    target_hours: float  # the store's target where the law says "immediately"
    max_persons: int = 10_000  # persons one record call may name


@dataclass(frozen=True, slots=True)
class Rendered:
    """A notice rendered: its bytes, media type and the SHA-256 of its HTML."""

    content: bytes
    media_type: str
    html_sha256: str


@dataclass(frozen=True)
class Recorded:
    """What recording did: the records added, the persons already notified (skipped), and
    the case's state afterwards (``moved``: this call moved it to ``notified``)."""

    records: tuple[NoticeRecord, ...]
    skipped: tuple[str, ...]
    state: CaseState
    moved: bool
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "records": [r.as_dict() for r in self.records],
            "already_notified": list(self.skipped),
            "state": self.state.value,
            "moved_to_notified": self.moved,
            "note": self.note,
        }


class Notices:
    def __init__(
        self,
        cases: Cases,
        store: NoticeStore,
        records: ExposureRecords,
        names: PersonNames,
        audit: OutboxAuditSink,
        clock: Clock,
        config: NoticeConfig,
    ) -> None:
        self.cases = cases
        self.store = store
        self.records = records
        self.names = names
        self.audit = audit
        self.clock = clock
        self.config = config

    # -- what the case shows -----------------------------------------------------------------

    def exposures(self, file: CaseFile, declared: Sequence[str] = ()) -> tuple[Exposure, ...]:
        """The kinds of personal information the case's releases (linked as revoked, or the
        canary hit's release) and its alert's audit entries show were exposed, with the views
        and records that show it; plus the kinds the operator ``declared``."""
        found: dict[str, dict[str, set[str]]] = {}

        def add(name: str, view: str, source: str) -> None:
            if view not in NOT_EXPOSED:
                found.setdefault(name, {}).setdefault(view, set()).add(source)

        case = file.case
        releases = [link.ref for link in file.links if link.kind is LinkKind.RELEASE]
        if case.source_kind is SourceKind.CANARY_HIT and case.source_ref:
            releases.append(case.source_ref)
        for rid in sorted(set(releases)):
            for name, view in (self.records.release_columns(rid) or {}).items():
                add(name, view, f"release:{rid}")
        if case.source_kind is SourceKind.ALERT and case.source_ref:
            alert = self.records.alert(case.source_ref)
            for seq in alert[1] if alert else ():
                event = self.records.entry(seq)
                if event is not None and event.decision.value == "allow":
                    for name, view in event.fields.items():
                        add(name, view, f"audit:{seq}")
        for name in declared:
            add(name, "", "declared")
        return merge_exposures(found)

    def discovered_at(self, file: CaseFile) -> datetime:
        """The earliest of the case's opening and its source's first detection (the alert's
        first event, or the trace result's audit entry)."""
        case = file.case
        times = [case.opened_at]
        if case.source_kind is SourceKind.ALERT and case.source_ref:
            alert = self.records.alert(case.source_ref)
            if alert is not None:
                times.append(alert[0])
        if case.source_kind in (SourceKind.VICTIMS_TRACE, SourceKind.LEAK_TRACE):
            event = self.records.entry(int(case.source_ref or 0))
            if event is not None:
                times.append(event.ts)
        return min(times)

    # -- the clock ---------------------------------------------------------------------------

    def deadline_clock(self, case_id: str) -> list[Deadline]:
        """Each regime's clock for the authority and for persons."""
        file = self.cases.get(case_id)
        with self.store.read() as tx:
            records = tx.notices(file.case.case_id)
        return self.deadlines(file, records)

    def deadlines(self, file: CaseFile, records: Sequence[NoticeRecord]) -> list[Deadline]:
        now = self.clock.now()
        found = self.discovered_at(file)
        affected = {link.ref for link in file.links if link.kind is LinkKind.CUSTOMER}
        out = []
        for regime in Regime:
            mine = [r for r in records if r.regime is regime]
            to_authority = [r.notified_at for r in mine if r.audience is Audience.AUTHORITY]
            persons = {
                r.customer_id: r.notified_at
                for r in mine
                if r.audience is Audience.PERSON and r.customer_id in affected
            }
            done = bool(affected) and len(persons) == len(affected)
            out.append(
                deadline(
                    regime,
                    Audience.AUTHORITY,
                    discovered_at=found,
                    now=now,
                    target_hours=self.config.target_hours,
                    notified_at=min(to_authority) if to_authority else None,
                )
            )
            out.append(
                deadline(
                    regime,
                    Audience.PERSON,
                    discovered_at=found,
                    now=now,
                    target_hours=self.config.target_hours,
                    notified_at=max(persons.values()) if done else None,
                    notified=len(persons),
                    affected=len(affected),
                )
            )
        return out

    # -- drafting ----------------------------------------------------------------------------

    def render(
        self,
        case_id: str,
        regime: Regime,
        audience: Audience,
        language: Language,
        params: NoticeParams,
        *,
        fmt: Format = Format.HTML,
        customer_id: str | None = None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> Rendered:
        """One notice: to the authority, or to one affected person (by masked name)."""
        file = self.cases.get(case_id)
        if audience is Audience.PERSON and customer_id is None:
            raise CaseInvalid("a notice to a person names the customer", field="customer_id")
        if audience is Audience.AUTHORITY and customer_id is not None:
            raise CaseInvalid("a notice to the authority names no customer", field="customer_id")
        facts = self._facts(file, regime, audience, language, params)
        person = None
        if customer_id is not None:
            cid = self._affected(file, [customer_id])[0]
            # The content's rules first: a notice missing an item fails without a decryption.
            _letter(facts, GENERIC_PERSON[language])
            person = self._people(file, [cid], language, actor, channel)[cid]
        html = _letter(facts, person)
        digest = hashlib.sha256(html.encode()).hexdigest()
        body = render_pdf(html) if fmt is Format.PDF else html.encode()
        return Rendered(body, MEDIA_TYPES[fmt], digest)

    def _facts(
        self,
        file: CaseFile,
        regime: Regime,
        audience: Audience,
        language: Language,
        params: NoticeParams,
    ) -> NoticeFacts:
        """The notice's facts, the same for every person (``person`` is set per letter)."""
        return NoticeFacts(
            case_id=file.case.case_id,
            regime=regime,
            audience=audience,
            language=language,
            discovered_at=self.discovered_at(file),
            now=self.clock.now(),
            exposures=self.exposures(file, params.kinds),
            affected=sum(1 for link in file.links if link.kind is LinkKind.CUSTOMER),
            cause=params.cause or DEFAULT_CAUSE[file.case.source_kind],
            measures=(*self._derived_measures(file), *params.measures),
            store=self.config.store,
            delay_reason=params.delay_reason,
        )

    @staticmethod
    def _derived_measures(file: CaseFile) -> tuple[str, ...]:
        kinds = {link.kind for link in file.links}
        out = []
        if LinkKind.PRINCIPAL in kinds:
            out.append("principals_suspended")
        if LinkKind.RELEASE in kinds:
            out.append("releases_revoked")
        return tuple(out)

    def _affected(self, file: CaseFile, customer_ids: Sequence[str]) -> list[str]:
        affected = {link.ref for link in file.links if link.kind is LinkKind.CUSTOMER}
        ids = sorted({valid_id(c, "customer_ids") for c in customer_ids})
        outside = [c for c in ids if c not in affected]
        if outside:
            raise CaseNotFound(
                f"{len(outside)} customers are not linked to the case as affected"
                f" (first: {outside[0]})",
                field="customer_ids",
            )
        return ids

    def _people(
        self,
        file: CaseFile,
        customer_ids: Sequence[str],
        language: Language,
        actor: Principal,
        channel: str,
    ) -> dict[str, str]:
        masked = self.names.masked(
            customer_ids, actor=actor, channel=channel, case_id=file.case.case_id
        )
        return {c: masked.get(c) or GENERIC_PERSON[language] for c in customer_ids}

    # -- recording ---------------------------------------------------------------------------

    def record(
        self,
        case_id: str,
        regime: Regime,
        audience: Audience,
        channel: Channel,
        language: Language,
        params: NoticeParams,
        *,
        customer_ids: Sequence[str] = (),
        all_affected: bool = False,
        notified_at: datetime | None = None,
        reference: str | None = None,
        actor: Principal = OPERATOR,
        via: str = "cli",
    ) -> Recorded:
        """Record that a notice went out (``notified_at``, default now); see the module doc."""
        now = self.clock.now()
        file = self.cases.get(case_id)
        case = file.case
        if reference is not None:
            reference = valid_id(reference, "reference")
        when = notified_at or now
        if when.tzinfo is None:
            raise CaseInvalid("give a time zone (e.g. Z or +08:00)", field="notified_at")
        if when > now:
            raise CaseInvalid("is in the future", field="notified_at")
        if when < self.discovered_at(file):
            raise CaseInvalid("is before the incident was discovered", field="notified_at")
        if audience is Audience.AUTHORITY:
            if customer_ids or all_affected:
                raise CaseInvalid(
                    "a notice to the authority names no customer", field="customer_ids"
                )
            facts = self._facts(file, regime, audience, language, params)
            targets: list[tuple[str | None, str]] = [(None, _sha(_letter(facts, None)))]
            skipped: list[str] = []
        else:
            wanted = (
                [link.ref for link in file.links if link.kind is LinkKind.CUSTOMER]
                if all_affected
                else list(customer_ids)
            )
            if all_affected and customer_ids:
                raise CaseInvalid("name customers or all affected, not both", field="customer_ids")
            if not wanted:
                raise CaseInvalid(
                    "name the customers notified (or all affected)", field="customer_ids"
                )
            if len(wanted) > self.config.max_persons:
                raise CaseInvalid(
                    f"at most {self.config.max_persons} customers at once", field="customer_ids"
                )
            ids = self._affected(file, wanted)
            # Check the content before decrypting any name: a notice missing an item fails
            # here without touching custody.
            facts = self._facts(file, regime, audience, language, params)
            _letter(facts, GENERIC_PERSON[language])
            with self.store.read() as tx:
                done = tx.notified_customers(case.case_id, regime)
            skipped = [c for c in ids if c in done]
            fresh = [c for c in ids if c not in done]
            people = self._people(file, fresh, language, actor, via) if fresh else {}
            targets = [(c, _sha(_letter(facts, people[c]))) for c in fresh]
        records = tuple(
            NoticeRecord(
                notice_id=new_id("ntc"),
                case_id=case.case_id,
                regime=regime,
                audience=audience,
                language=language,
                channel=channel,
                customer_id=cid,
                reference=reference,
                notified_at=when,
                recorded_by=actor.principal_id,
                recorded_at=now,
                content_sha256=digest,
                params=params.as_dict(),
            )
            for cid, digest in targets
        )
        with self.store.write() as tx:
            current = tx.get_case(case.case_id, for_update=True)
            if current is None:
                raise CaseNotFound(f"no case {case.case_id}", field="case_id")
            if audience is Audience.PERSON:
                # A concurrent call may have recorded some of them since the read above.
                again = tx.notified_customers(case.case_id, regime)
                records = tuple(r for r in records if r.customer_id not in again)
            tx.insert_notices(records)
            events = [self._event(r, actor, via) for r in records]
            if records:
                detail = {
                    "regime": regime.value,
                    "audience": audience.value,
                    "channel": channel.value,
                    "records": str(len(records)),
                }
                tx.add_timeline(case.case_id, now, actor.principal_id, "notice_recorded", detail)
            state, moved, note = current.state, False, ""
            if audience is Audience.AUTHORITY:
                if allowed(current.state, CaseState.NOTIFIED):
                    tx.update_case(
                        case.case_id,
                        state=CaseState.NOTIFIED,
                        owner_id=current.owner_id,
                        updated_at=now,
                    )
                    move = {"from": current.state.value, "to": CaseState.NOTIFIED.value}
                    tx.add_timeline(case.case_id, now, actor.principal_id, "transition", move)
                    events.append(
                        case_event(
                            now,
                            actor,
                            Action.CASE,
                            "case_transition",
                            channel=via,
                            case_id=case.case_id,
                            extra=move,
                        )
                    )
                    state, moved = CaseState.NOTIFIED, True
                elif current.state is not CaseState.NOTIFIED:
                    note = (
                        f"recorded; the case stays {current.state.value} (the state table"
                        " moves only a contained case to notified)"
                    )
            staged = tx.stage_audit(events)
        self.audit.log_staged(staged)
        raced = {c for c, _ in targets if c is not None} - {r.customer_id for r in records}
        skipped_all = tuple(sorted(set(skipped) | raced))
        return Recorded(records, skipped_all, state, moved, note)

    def _event(self, record: NoticeRecord, actor: Principal, via: str) -> AccessEvent:
        return case_event(
            record.recorded_at,
            actor,
            Action.CASE,
            "notice_recorded",
            channel=via,
            case_id=record.case_id,
            customer_ids=[record.customer_id] if record.customer_id else [],
            extra={
                "notice": record.notice_id,
                "regime": record.regime.value,
                "audience": record.audience.value,
                "channel": record.channel.value,
                "language": record.language.value,
                "notified_at": record.notified_at.isoformat(),
                "content_sha256": record.content_sha256,
            },
        )

    def listed(self, case_id: str) -> list[NoticeRecord]:
        """The case's notification records, oldest first (all of them: for a short list)."""
        case_id = valid_id(case_id, "case_id")
        self.cases.get(case_id)
        with self.store.read() as tx:
            return tx.notices(case_id)

    def page(
        self, case_id: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[NoticeRecord]:
        """One page of the case's notification records, newest recorded first; ``cursor`` is
        the previous page's ``next_cursor`` (:class:`~shieldwall.core.paging.InvalidCursor`
        for one this list, of this case, did not issue)."""
        case_id = valid_id(case_id, "case_id")
        self.cases.get(case_id)
        with self.store.read() as tx:
            return fetch_page(
                notices_listing(case_id),
                limit,
                cursor,
                lambda n, after: tx.notices_page(case_id, n, after),
                lambda r: Position(r.recorded_at, r.notice_id),
            )


def notices_listing(case_id: str) -> str:
    """The listing name cursors of one case's notices carry: a cursor from another case's
    notices (or another list) is refused."""
    return f"notices:{case_id}"


def _letter(facts: NoticeFacts, person: str | None) -> str:
    """The notice's HTML, addressed to ``person`` (a masked name) when it goes to a person."""
    addressed = replace(facts, person=person)
    return render_html(facts.regime, facts.audience, facts.language, notice_content(addressed))


def _sha(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()
