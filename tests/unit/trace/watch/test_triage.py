"""Alert triage without I/O: a fake store, the audit entries each step appends, and the note
check that keeps contact details and ID numbers out."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import ManualClock
from shieldwall.core.events import AccessEvent
from shieldwall.core.model import Principal, Role
from shieldwall.trace.errors import TraceError
from shieldwall.trace.watch.triage import AlertTriage, Triage, check_note

ADMIN = Principal("sec-admin", Role.ADMIN, "security")


class FakeStore:
    def __init__(self, alert: Alert) -> None:
        self.alerts = {alert.alert_id: alert}
        self.rows: dict[str, Triage] = {}

    def get_alert(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def triage(self, alert_id: str) -> Triage:
        return self.rows.get(alert_id, Triage(alert_id))

    def assign(self, alert_id: str, assignee: str, at: datetime) -> None:
        self.rows[alert_id] = replace(self.triage(alert_id), assignee=assignee, assigned_at=at)

    def close(self, alert_id: str, by: str, at: datetime, reason: str, note: str) -> None:
        self.alerts[alert_id] = replace(self.alerts[alert_id], status="closed")
        self.rows[alert_id] = replace(
            self.triage(alert_id), closed_by=by, closed_at=at, close_reason=reason, note=note
        )


class FakeAudit:
    def __init__(self) -> None:
        self.events: list[AccessEvent] = []

    def append(self, events: list[AccessEvent]) -> list[int]:
        self.events.extend(events)
        return list(range(len(events)))


def triage() -> tuple[AlertTriage, FakeStore, FakeAudit]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    alert = Alert(
        "alr_1", "harvesting", "agent-li", Severity.HIGH, 9.0, (Reason("x", "y"),), clock.now()
    )
    store, audit = FakeStore(alert), FakeAudit()
    return AlertTriage(store, audit, clock), store, audit


def test_assign_then_close_appends_one_entry_each_with_the_notes_hash() -> None:
    t, store, audit = triage()
    assert t.assign("alr_1", ADMIN, channel="console").assignee == "sec-admin"
    done = t.close("alr_1", ADMIN, reason="confirmed", note=" looked at C000042 ", channel="c")
    assert done.note == "looked at C000042" and store.alerts["alr_1"].status == "closed"
    assert [e.reason for e in audit.events] == ["alert_assigned", "alert_closed"]
    closed = audit.events[1]
    assert closed.extra["note_sha256"] == hashlib.sha256(b"looked at C000042").hexdigest()
    assert "looked at" not in str(closed.to_dict())  # the note itself stays out of the log


def test_a_closed_or_unknown_alert_cannot_be_worked() -> None:
    t, _, _ = triage()
    t.close("alr_1", ADMIN, reason="false_positive", note="benign", channel="console")
    with pytest.raises(TraceError) as err:
        t.assign("alr_1", ADMIN, channel="console")
    assert err.value.code == "alert_closed"
    with pytest.raises(TraceError) as err:
        t.close("alr_1", ADMIN, reason="confirmed", note="again", channel="console")
    assert err.value.code == "alert_closed"
    with pytest.raises(TraceError) as err:
        t.assign("alr_nope", ADMIN, channel="console")
    assert err.value.code == "not_found"


@pytest.mark.parametrize(
    ("note", "code"),
    [
        ("", "note_required"),
        ("   ", "note_required"),
        ("x" * 501, "note_too_long"),
        ("call her at +86 138 0013 8000", "note_has_contact_details"),
        ("ID 11010519491231002X", "note_has_contact_details"),
        ("mail zhang@example.com", "note_has_contact_details"),
        ("card 6222-0200-1234-5678", "note_has_contact_details"),
    ],
)
def test_notes_with_contact_details_or_id_numbers_are_refused(note: str, code: str) -> None:
    with pytest.raises(TraceError) as err:
        check_note(note)
    assert err.value.code == code and err.value.field == "note"


@given(st.from_regex(r"[0-9]{7,18}", fullmatch=True), st.text(max_size=40))
def test_any_run_of_seven_digits_is_refused(digits: str, around: str) -> None:
    """Wherever a 7-digit run sits in a note, the note is refused."""
    with pytest.raises(TraceError):
        check_note(f"{around} {digits} {around}")


@given(st.integers(min_value=0, max_value=999_999))
def test_customer_ids_pass(n: int) -> None:
    """A customer id (letters, then at most 6 digits) may be named in a note."""
    note = f"C{n:06d} and O{n:06d} were looked at"
    assert check_note(note) == note
