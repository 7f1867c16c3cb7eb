"""Incident cases over real storage (SQLite and PostgreSQL): sources that must exist, the
state table enforced, owners, links, and one audit entry and one timeline entry per change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.events import Action, Decision
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.errors import AuthenticationFailed
from shieldwall.respond.errors import CaseInvalid, CaseNotFound, InvalidTransition
from shieldwall.trace.attribution.victims.service import VICTIM_DESK
from shieldwall.wiring import Services
from tests.unit.respond.conftest import ADMIN, entries

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _alert(svc: Services) -> str:
    svc.alerts.raise_alert(
        Alert(
            alert_id="alr_1",
            kind="harvesting",
            principal_id="agent-li",
            severity=Severity.HIGH,
            score=9.0,
            reasons=(Reason("self_made_relationship", "12 of 40 customers"),),
            raised_at=T,
            first_at=T,
            last_at=T,
            customer_ids=("C1",),
            audit_seqs=(1,),
            details={},
        )
    )
    return "alr_1"


def test_open_from_each_source_checks_that_it_exists(services: Services, people: list[str]) -> None:
    """An alert, a victims trace's audit entry and a release open cases; unknown ones are 404s,
    an entry of another kind is not a trace result, and manual cases take no reference."""
    cases = services.cases.cases
    alert = _alert(services)
    assert cases.open("alert", alert, actor=ADMIN).source_ref == alert
    with pytest.raises(CaseNotFound):
        cases.open("alert", "alr_nope")
    (seq,) = services.audit.append(
        [
            access_event(
                T,
                VICTIM_DESK,
                Action.LOOKUP,
                Decision.ALLOW,
                "victim_trace_query",
                channel="api",
                customer_ids=people,
            )
        ]
    )
    assert cases.open("victims_trace", str(seq)).source_ref == str(seq)
    with pytest.raises(CaseNotFound):
        cases.open("leak_trace", str(seq))  # that entry is a victims trace, not a leaked file
    for bad in ("abc", "9" * 40, "١٢"):  # not a number, past 2**53 (a driver overflow), Arabic
        with pytest.raises(CaseInvalid) as caught:
            cases.open("victims_trace", bad)
        assert caught.value.field == "source_ref"
    with pytest.raises(CaseNotFound):
        cases.open("canary_hit", "rel_unknown")
    with pytest.raises(CaseNotFound):
        cases.open("scam_campaign", "camp_unknown")
    with pytest.raises(CaseInvalid):
        cases.open("manual", "x")
    with pytest.raises(CaseInvalid):
        cases.open("alert")
    with pytest.raises(CaseInvalid) as caught:
        cases.open("rumour")
    assert caught.value.field == "source"


def test_every_change_is_one_audit_entry_and_one_timeline_entry(
    services: Services, people: list[str]
) -> None:
    """Open, move, assign, link: each leaves an entry (ids only) and a timeline line, in order."""
    cases = services.cases.cases
    case = cases.open("manual", actor=ADMIN, channel="api")
    cases.transition(case.case_id, "investigating", actor=ADMIN)
    cases.assign(case.case_id, "analyst-he", actor=ADMIN)
    cases.link(case.case_id, customers=people[:2], actor=ADMIN)
    reasons = ["case_opened", "case_transition", "case_assigned", "case_linked"]
    logged = [e for e in entries(services) if e.event.action is Action.CASE]
    assert [e.event.reason for e in logged] == reasons
    assert all(e.event.extra["case"] == case.case_id for e in logged)
    assert all(e.event.actor == "sec-admin" for e in logged)
    assert (logged[1].event.extra["from"], logged[1].event.extra["to"]) == ("open", "investigating")
    assert sorted(logged[3].event.customer_ids) == sorted(people[:2])
    file = cases.get(case.case_id)
    assert [t.action for t in file.timeline] == ["opened", "transition", "assigned", "linked"]
    assert [t.n for t in file.timeline] == [1, 2, 3, 4]
    assert file.case.state.value == "investigating" and file.case.owner_id == "analyst-he"
    assert file.as_dict()["customers_affected"] == 2
    assert "links" in file.as_dict(customer_ids=False)
    assert file.as_dict(customer_ids=False)["links"] == []


def test_invalid_transition_changes_nothing(services: Services, people: list[str]) -> None:
    """open → notified is refused (409 in the API): no state change, no entry, no timeline."""
    cases = services.cases.cases
    case = cases.open("manual")
    before = len(entries(services))
    with pytest.raises(InvalidTransition):
        cases.transition(case.case_id, "notified")
    assert len(entries(services)) == before
    file = cases.get(case.case_id)
    assert file.case.state.value == "open" and len(file.timeline) == 1
    with pytest.raises(CaseNotFound):
        cases.transition("case_missing", "investigating")


def test_owner_must_be_an_active_admin_or_analyst(services: Services, people: list[str]) -> None:
    """An agent cannot own a case; an unknown principal is a 404."""
    cases = services.cases.cases
    case = cases.open("manual")
    with pytest.raises(CaseInvalid) as caught:
        cases.assign(case.case_id, "agent-li")
    assert caught.value.field == "owner_id"
    with pytest.raises(CaseNotFound):
        cases.assign(case.case_id, "nobody")


def test_link_suspends_through_custody_and_refuses_unknown_ids(
    services: Services, people: list[str]
) -> None:
    """An active principal links only with suspend, which suspends it (its key stops working);
    unknown customers or releases are 404s; a link already there is not added twice."""
    principals = services.custody.principals
    _, key = principals.add("agent-bad", "agent")
    cases = services.cases.cases
    case = cases.open("manual")
    with pytest.raises(CaseInvalid):
        cases.link(case.case_id, principals=["agent-bad"])
    assert principals.authenticate(key).principal_id == "agent-bad"
    added = cases.link(case.case_id, principals=["agent-bad"], suspend=True, actor=ADMIN)
    assert [(a.kind.value, a.ref) for a in added] == [("principal_suspended", "agent-bad")]
    assert not principals.get("agent-bad").active
    with pytest.raises(AuthenticationFailed):
        principals.authenticate(key)
    assert len(entries(services, "principal_suspended")) == 1
    assert cases.link(case.case_id, principals=["agent-bad"]) == []  # already linked
    with pytest.raises(CaseNotFound) as caught:
        cases.link(case.case_id, customers=[people[0], "C-nobody"])
    assert caught.value.field == "customer_ids"
    with pytest.raises(CaseNotFound):
        cases.link(case.case_id, releases=["rel_nope"])
    with pytest.raises(CaseInvalid):
        cases.link(case.case_id)
    assert len(entries(services, "case_linked")) == 1


def test_list_filters_by_state(services: Services, people: list[str]) -> None:
    """Newest first; a state filter; a bad limit or state is a field error."""
    cases = services.cases.cases
    a = cases.open("manual")
    b = cases.open("manual")
    cases.transition(b.case_id, "closed")
    assert {c.case_id for c in cases.recent()} == {a.case_id, b.case_id}
    assert [c.case_id for c in cases.recent("closed")] == [b.case_id]
    with pytest.raises(CaseInvalid):
        cases.recent(limit=0)
    with pytest.raises(CaseInvalid):
        cases.recent("gone")
