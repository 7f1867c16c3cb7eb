"""Notices over real storage (SQLite and PostgreSQL): what the case shows was exposed, the
discovery time, the state move when the authority is notified, persons notified once, masked
names only, and an audit entry for every record."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import ManualClock
from shieldwall.core.events import Action, Decision
from shieldwall.custody import masking
from shieldwall.custody.audit_events import access_event
from shieldwall.respond.errors import CaseInvalid, CaseNotFound
from shieldwall.respond.notices.content import NoticeParams
from shieldwall.respond.notices.deadlines import Deadline
from shieldwall.respond.notices.model import Audience, Channel, Format, Language, Regime
from shieldwall.respond.notices.service import Notices
from shieldwall.sim.people import PeopleFactory
from shieldwall.trace.releases.service import ReleaseRequest
from shieldwall.wiring import Services
from tests.unit.respond.conftest import ADMIN, entries

PEOPLE = PeopleFactory(7).customers(3)  # the fixture ``people`` imports these


def clock_of(notices: Notices, case_id: str, regime: str, audience: str) -> Deadline:
    return next(
        d for d in notices.deadline_clock(case_id) if (d.regime, d.audience) == (regime, audience)
    )


def _release(services: Services, people: list[str]) -> str:
    services.custody.principals.add("partner-sf", "partner", unit="sf")
    made = services.releases.create(
        ReleaseRequest("partner-sf", people, ["name", "phone", "address"], canaries=0)
    )
    return made.release.release_id


def test_exposures_come_from_releases_alert_entries_and_declarations(
    services: Services, people: list[str], clock: ManualClock
) -> None:
    """A linked release gives its columns and views; an alert's audit entries give the fields
    they served (a hidden one is not exposed); declared kinds are marked declared."""
    notices = services.cases.notices
    rid = _release(services, people)
    (seq,) = services.audit.append(
        [
            access_event(
                clock.now(),
                ADMIN,
                Action.READ,
                Decision.ALLOW,
                "ticket_read",
                channel="api",
                customer_ids=people[:1],
                fields={"national_id": "clear", "email": "hidden"},
            )
        ]
    )
    first = clock.now() - timedelta(hours=30)
    services.alerts.raise_alert(
        Alert(
            alert_id="alr_9",
            kind="harvesting",
            principal_id="agent-li",
            severity=Severity.HIGH,
            score=9.0,
            reasons=(Reason("self_made_relationship", "12 of 40 customers"),),
            raised_at=clock.now(),
            first_at=first,
            last_at=clock.now(),
            audit_seqs=(seq,),
        )
    )
    case = services.cases.cases.open("alert", "alr_9", actor=ADMIN)
    services.cases.cases.link(case.case_id, releases=[rid], actor=ADMIN)
    file = services.cases.cases.get(case.case_id)
    found = {e.field: e for e in notices.exposures(file, ["items"])}
    assert set(found) == {"name", "phone", "address", "national_id", "items"}
    assert found["phone"].sources == (f"release:{rid}",)
    assert found["national_id"].views == ("clear",)
    assert found["national_id"].sources == (f"audit:{seq}",)
    assert found["items"].sources == ("declared",)
    assert notices.discovered_at(file) == first  # the alert's first event, before the case


def test_authority_notice_moves_a_contained_case_to_notified(
    services: Services, people: list[str], clock: ManualClock
) -> None:
    """Recorded with its audit entries and timeline lines; the clock shows it met."""
    cases, notices = services.cases.cases, services.cases.notices
    case = cases.open("manual", actor=ADMIN)
    cases.link(case.case_id, customers=people, actor=ADMIN)
    cases.transition(case.case_id, "contained", actor=ADMIN)
    clock.advance(timedelta(hours=3))
    params = NoticeParams(measures=("police_report",), kinds=("phone",))
    done = notices.record(
        case.case_id,
        Regime.GDPR,
        Audience.AUTHORITY,
        Channel.PORTAL,
        Language.EN,
        params,
        reference="CNIL-2026-17",
        actor=ADMIN,
    )
    assert done.moved and done.state.value == "notified"
    (record,) = done.records
    assert record.customer_id is None and record.reference == "CNIL-2026-17"
    assert cases.get(case.case_id).case.state.value == "notified"
    assert [t.action for t in cases.get(case.case_id).timeline][-2:] == [
        "notice_recorded",
        "transition",
    ]
    (entry,) = entries(services, "notice_recorded")
    assert entry.event.extra["notice"] == record.notice_id
    assert entry.event.extra["content_sha256"] == record.content_sha256
    rendered = notices.render(
        case.case_id, Regime.GDPR, Audience.AUTHORITY, Language.EN, params, actor=ADMIN
    )
    assert rendered.html_sha256 == record.content_sha256  # the record names what was sent
    gdpr = clock_of(notices, case.case_id, "gdpr", "authority")
    assert gdpr.status.value == "met" and gdpr.as_dict()["elapsed_seconds"] == 3 * 3600
    assert [r.notice_id for r in notices.listed(case.case_id)] == [record.notice_id]


def test_authority_notice_before_containment_is_kept_and_the_state_left(
    services: Services, people: list[str]
) -> None:
    """The law's clock does not wait for containment: the record is kept, the case stays."""
    cases, notices = services.cases.cases, services.cases.notices
    case = cases.open("manual", actor=ADMIN)
    cases.transition(case.case_id, "investigating", actor=ADMIN)
    done = notices.record(
        case.case_id,
        Regime.PIPL,
        Audience.AUTHORITY,
        Channel.PORTAL,
        Language.ZH,
        NoticeParams(measures=("police_report",), kinds=("phone",)),
        actor=ADMIN,
    )
    assert not done.moved and done.state.value == "investigating"
    assert "stays investigating" in done.note
    assert len(entries(services, "case_transition")) == 1  # only the move to investigating


def test_persons_are_notified_once_by_masked_name(services: Services, people: list[str]) -> None:
    """Only customers linked as affected; each once per case and law; the letter shows the
    masked name (an audited access to the name, masked), the records no name at all."""
    cases, notices = services.cases.cases, services.cases.notices
    case = cases.open("manual", actor=ADMIN)
    cases.link(case.case_id, customers=people[:2], actor=ADMIN)
    params = NoticeParams(measures=("customers_warned",), kinds=("phone", "name"))
    person = next(p for p in PEOPLE if p.customer_id == people[0])
    letter = notices.render(
        case.case_id,
        Regime.PIPL,
        Audience.PERSON,
        Language.ZH,
        params,
        customer_id=people[0],
        actor=ADMIN,
    )
    text = letter.content.decode()
    assert f"尊敬的{masking.name(person.name)}：" in text
    assert person.name not in text
    (access,) = entries(services, "breach_notice")
    assert access.event.action is Action.NOTIFY
    assert dict(access.event.fields) == {"name": "masked"}
    with pytest.raises(CaseNotFound) as caught:
        notices.render(
            case.case_id,
            Regime.PIPL,
            Audience.PERSON,
            Language.ZH,
            params,
            customer_id=people[2],  # not linked to the case
        )
    assert caught.value.field == "customer_ids"
    first = notices.record(
        case.case_id,
        Regime.PIPL,
        Audience.PERSON,
        Channel.SMS,
        Language.ZH,
        params,
        customer_ids=[people[0]],
        actor=ADMIN,
    )
    assert [r.customer_id for r in first.records] == [people[0]]
    again = notices.record(
        case.case_id,
        Regime.PIPL,
        Audience.PERSON,
        Channel.POST,
        Language.ZH,
        params,
        all_affected=True,
        actor=ADMIN,
    )
    assert [r.customer_id for r in again.records] == [people[1]]
    assert again.skipped == (people[0],)
    assert not again.moved and again.state.value == "open"
    recorded = entries(services, "notice_recorded")
    assert [e.event.customer_ids for e in recorded] == [(people[0],), (people[1],)]
    for e in recorded:
        assert person.name not in e.event.canonical_bytes(0).decode()
    pipl = clock_of(notices, case.case_id, "pipl", "person")
    assert pipl.status.value == "met" and (pipl.notified, pipl.affected) == (2, 2)
    # The same persons under the other law are a separate notice.
    gdpr = notices.record(
        case.case_id,
        Regime.GDPR,
        Audience.PERSON,
        Channel.EMAIL,
        Language.EN,
        params,
        all_affected=True,
        actor=ADMIN,
    )
    assert len(gdpr.records) == 2


def test_bad_records_are_refused_and_change_nothing(
    services: Services, people: list[str], clock: ManualClock
) -> None:
    """Future or pre-discovery times, naive times, customers on an authority notice, no
    persons named, both persons and all affected, a content item missing: each a field."""
    cases, notices = services.cases.cases, services.cases.notices
    case = cases.open("manual", actor=ADMIN)
    cases.link(case.case_id, customers=people[:1], actor=ADMIN)
    ok = NoticeParams(measures=("police_report",), kinds=("phone",))

    def refused(field: str, **kw: object) -> None:
        args = {
            "regime": Regime.PIPL,
            "audience": Audience.AUTHORITY,
            "channel": Channel.PORTAL,
            "language": Language.ZH,
            "params": ok,
        }
        args |= kw
        with pytest.raises(CaseInvalid) as caught:
            notices.record(case.case_id, **args)  # type: ignore[arg-type]
        assert caught.value.field == field

    refused("notified_at", notified_at=clock.now() + timedelta(minutes=1))
    refused("notified_at", notified_at=clock.now() - timedelta(days=1))
    refused("notified_at", notified_at=datetime(2026, 3, 2, 9, 0))  # naive: no offset
    refused("customer_ids", customer_ids=people[:1])
    refused("customer_ids", audience=Audience.PERSON)
    refused("customer_ids", audience=Audience.PERSON, customer_ids=people[:1], all_affected=True)
    refused("measures", params=NoticeParams(kinds=("phone",)))
    refused("kinds", params=NoticeParams(measures=("police_report",)))
    refused(
        "measures",
        audience=Audience.PERSON,
        customer_ids=people[:1],
        params=NoticeParams(kinds=("phone",)),
    )
    with pytest.raises(CaseNotFound):
        notices.record(
            "case_nope", Regime.PIPL, Audience.AUTHORITY, Channel.PORTAL, Language.ZH, ok
        )
    assert notices.listed(case.case_id) == []
    assert entries(services, "notice_recorded") == []
    assert entries(services, "breach_notice") == []  # no name was decrypted on the way


def test_pdf_through_the_service_holds_the_masked_name(
    services: Services, people: list[str]
) -> None:
    """The PDF letter, read back, greets the masked name and holds no clear name."""
    cases, notices = services.cases.cases, services.cases.notices
    case = cases.open("manual", actor=ADMIN)
    cases.link(case.case_id, customers=people[:1], actor=ADMIN)
    person = next(p for p in PEOPLE if p.customer_id == people[0])
    pdf = notices.render(
        case.case_id,
        Regime.GDPR,
        Audience.PERSON,
        Language.ZH,
        NoticeParams(measures=("police_report",), kinds=("phone",)),
        fmt=Format.PDF,
        customer_id=people[0],
        actor=ADMIN,
    )
    assert pdf.media_type == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert f"尊敬的{masking.name(person.name)}：" in text.replace("\n", "")
    assert person.name not in text
