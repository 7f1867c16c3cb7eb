"""Event parsing: each kind's schema, and bad events refused naming the field, not the value."""

from __future__ import annotations

import json

import pytest

from shieldwall.intake.errors import BadEvent
from shieldwall.intake.events import (
    MAX_EVENT_BYTES,
    AccessReadEvent,
    Kind,
    StreamedLoginAttempt,
    event_id_of,
    parse_event,
)

PHONE = "13800138000"


def raw(data: object) -> bytes:
    return json.dumps(data).encode()


def test_a_login_attempt_parses() -> None:
    """The fields of /v1/logins/assess, plus the event id (decoded by msgspec, the stream's
    fast path)."""
    e = parse_event(
        Kind.LOGIN_ATTEMPT, raw({"event_id": "a:1", "account": PHONE, "ip": "2001:db8::1"})
    )
    assert isinstance(e, StreamedLoginAttempt) and e.ip == "2001:db8::1" and e.user_agent is None


def test_an_access_event_parses_with_defaults() -> None:
    """A read defaults to action read and system store; the time needs an offset."""
    e = parse_event(
        Kind.ACCESS, raw({"event_id": "r1", "ts": "2026-03-02T08:00:00Z", "principal_id": "a"})
    )
    assert isinstance(e, AccessReadEvent) and e.action == "read" and e.system == "store"
    with pytest.raises(BadEvent) as info:
        parse_event(
            Kind.ACCESS, raw({"event_id": "r1", "ts": "2026-03-02T08:00:00", "principal_id": "a"})
        )
    assert info.value.field == "ts"


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (b"\xff" + PHONE.encode(), "event", "not_json"),
        (b"[1, 2]", "event", "not_object"),
        (raw({"account": PHONE, "ip": "1.2.3.4"}), "event_id", "invalid_event"),
        (raw({"event_id": "a b", "account": PHONE, "ip": "1.2.3.4"}), "event_id", "invalid_event"),
        (raw({"event_id": "x", "account": PHONE, "ip": f"{PHONE}%eth0"}), "ip", "invalid_event"),
        (raw({"event_id": "x", "account": "", "ip": "1.2.3.4"}), "account", "invalid_event"),
        (
            raw({"event_id": "x", "account": PHONE, "ip": "1.2.3.4", "pw": PHONE}),
            "pw",
            "invalid_event",
        ),
        (
            raw({"event_id": "x", "account": PHONE, "ip": "1.2.3.4", "password_sha1": PHONE}),
            "password_sha1",
            "invalid_event",
        ),
    ],
)
def test_bad_events_name_the_field_never_the_value(data: bytes, field: str, code: str) -> None:
    """Not JSON, not an object, a missing or malformed id, a bad address, an extra field."""
    with pytest.raises(BadEvent) as info:
        parse_event(Kind.LOGIN_ATTEMPT, data)
    assert info.value.field == field and info.value.code == code
    assert PHONE not in str(info.value) and PHONE not in info.value.reason


def test_too_large_is_refused_before_parsing() -> None:
    """An event over 1 MiB is refused as too large."""
    with pytest.raises(BadEvent) as info:
        parse_event(Kind.SCAM_REPORT, b" " * (MAX_EVENT_BYTES + 1))
    assert info.value.code == "too_large"


def test_event_id_of_a_bad_event() -> None:
    """The dead letter names a well-formed id, and nothing for a malformed one."""
    assert event_id_of(raw({"event_id": "ok-1", "ip": "bad"})) == "ok-1"
    assert event_id_of(raw({"event_id": PHONE + " x"})) is None
    assert event_id_of(raw({"event_id": 5})) is None
    assert event_id_of(b"\xff") is None


def test_decision_subjects() -> None:
    """Each kind names its decision subject's last token."""
    assert [k.decision for k in Kind] == ["login", "outcome", "access", "scam"]


def test_result_shapes_and_report_ids() -> None:
    """A rejected result carries an error, the others a result; report ids look like new_id's
    and follow the event id."""
    from shieldwall.core.ids import new_id
    from shieldwall.intake.service import EventResult, report_id_for

    ok = EventResult("e1", "processed", {"decision": "allow"}).to_dict()
    assert ok == {"event_id": "e1", "status": "processed", "result": {"decision": "allow"}}
    bad = EventResult.rejected("e2", BadEvent("must be 40 hexadecimal digits", field="x"))
    assert bad.to_dict()["error"] == {
        "code": "invalid_event",
        "field": "x",
        "reason": "must be 40 hexadecimal digits",
    }
    rid = report_id_for("rep-1")
    assert rid == report_id_for("rep-1") != report_id_for("rep-2")
    assert len(rid) == len(new_id("rpt")) and rid.startswith("rpt_")
