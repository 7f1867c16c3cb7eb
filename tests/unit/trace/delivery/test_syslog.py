"""RFC 5424 messages against the RFC's own examples (section 6.5), an alert's message worked
by hand, RFC 6587 octet counting and the UDP cut at a character boundary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shieldwall import __version__
from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.trace.delivery.ports import AlertEvent
from shieldwall.trace.delivery.syslog import (
    BOM,
    SdElement,
    SyslogFormat,
    cut_utf8,
    escape_param,
    octet_frame,
    syslog_message,
)

AT = datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
EXAMPLE_SD = SdElement(
    "exampleSDID@32473", (("iut", "3"), ("eventSource", "Application"), ("eventID", "1011"))
)


def test_rfc5424_example_1() -> None:
    """<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed…"""
    got = syslog_message(
        facility=4,
        severity=2,
        at=AT,
        hostname="mymachine.example.com",
        app_name="su",
        msgid="ID47",
        msg="'su root' failed for lonvick on /dev/pts/8",
    )
    assert got == (
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
        + BOM
        + b"'su root' failed for lonvick on /dev/pts/8"
    )


def test_rfc5424_examples_3_and_4_with_structured_data() -> None:
    """One SD element with a message; two SD elements and no message."""
    three = syslog_message(
        facility=20,
        severity=5,
        at=AT,
        hostname="mymachine.example.com",
        app_name="evntslog",
        msgid="ID47",
        structured_data=[EXAMPLE_SD],
        msg="An application event log entry...",
    )
    assert three == (
        b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47"
        b' [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] '
        + BOM
        + b"An application event log entry..."
    )
    four = syslog_message(
        facility=20,
        severity=5,
        at=AT,
        hostname="mymachine.example.com",
        app_name="evntslog",
        msgid="ID47",
        structured_data=[EXAMPLE_SD, SdElement("examplePriority@32473", (("class", "high"),))],
    )
    assert four == (
        b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47"
        b' [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
        b'[examplePriority@32473 class="high"]'
    )


def test_param_values_escape_quote_backslash_and_bracket() -> None:
    """RFC 5424 6.3.3: '"', '\\' and ']' get a backslash; nothing else does."""
    assert escape_param('a"b\\c]d=e') == 'a\\"b\\\\c\\]d=e'


def test_bad_names_and_numbers_are_refused() -> None:
    """An SD-NAME with '=' or a space, a facility past 23: ValueError, nothing sent."""
    with pytest.raises(ValueError, match="SD-NAME"):
        syslog_message(
            facility=1,
            severity=1,
            at=None,
            hostname=None,
            app_name=None,
            structured_data=[SdElement("a b", ())],
        )
    with pytest.raises(ValueError, match="facility"):
        syslog_message(facility=24, severity=1, at=None, hostname=None, app_name=None)


def test_header_fields_nil_and_sanitised() -> None:
    """Missing fields are '-'; a space or non-ASCII in a header field becomes '_'."""
    got = syslog_message(facility=0, severity=0, at=None, hostname="my host", app_name="应用")
    assert got == b"<0>1 - my_host __ - - -"


ALERT = Alert(
    alert_id="alr_42",
    kind="harvesting",
    principal_id="agent-li",
    severity=Severity.CRITICAL,
    score=24.0,
    reasons=(Reason("no_follow_up", 'left "open"]'),),
    raised_at=datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC),
    customer_ids=("C1", "C2", "C3"),
    details={"detector": "harvesting"},
)


def test_an_alert_as_rfc5424_worked_by_hand() -> None:
    """authpriv (10) × 8 + critical (2) = 82; msgid the kind; SD names id, detector, severity."""
    fmt = SyslogFormat("rfc5424", 10, "sw1.example.com", "shieldwall", "alert@32473")
    assert fmt(AlertEvent.raised(ALERT)) == (
        b"<82>1 2026-03-02T09:00:00.123Z sw1.example.com shieldwall - harvesting"
        b' [alert@32473 id="alr_42" detector="harvesting" severity="critical"'
        b' principal="agent-li" score="24" customers="3" status="open"] '
        + BOM
        + b'harvesting alert alr_42 on agent-li: left "open"]'
    )
    assert b"C1" not in fmt(AlertEvent.raised(ALERT))


def test_an_alert_as_cef_in_rfc5424() -> None:
    """CEF: no structured data, no BOM, the CEF line as MSG; local4 (20) × 8 + 2 = 162."""
    fmt = SyslogFormat("cef", 20, "sw1", "shieldwall", "alert@32473")
    assert fmt(AlertEvent.raised(ALERT)).startswith(
        b"<162>1 2026-03-02T09:00:00.123Z sw1 shieldwall - harvesting - CEF:0|shieldwall|"
        + f'shieldwall|{__version__}|harvesting|left "open"]|10|'.encode()
    )


def test_octet_counting_and_utf8_cut() -> None:
    """TCP frames are 'LEN SP MSG'; a UDP datagram is cut without splitting a character."""
    assert octet_frame(b"<34>1 - - - - - -") == b"17 <34>1 - - - - - -"
    text = "告警".encode()  # two 3-byte characters
    assert cut_utf8(text, 6) == text
    assert cut_utf8(text, 5) == "告".encode()
    assert cut_utf8(text, 2) == b""
