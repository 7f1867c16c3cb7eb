r"""CEF lines against the examples of the CEF specification ("Implementing ArcSight CEF",
section "Character encoding"), and an alert's line worked by hand.

The specification's examples (its syslog prefix left out)::

    CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1
    CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1
    CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1
    CEF:0|security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232
"""  # noqa: E501 - the specification's lines, verbatim

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shieldwall import __version__
from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.trace.delivery.cef import alert_cef, cef_line, escape_extension, escape_header


def _spec(name: str, act: str | None, tail: tuple[tuple[str, str], ...] = ()) -> str:
    ext = [("src", "10.0.0.1")] + ([("act", act)] if act is not None else []) + list(tail)
    return cef_line(
        vendor="security",
        product="threatmanager",
        version="1.0",
        event_class="100",
        name=name,
        severity=10,
        extensions=ext,
    )


def test_the_specifications_escaping_examples() -> None:
    """Pipe escaped in the header only; backslash everywhere; equals in extensions only."""
    assert _spec("detected a | in message", "blocked a |", (("dst", "1.1.1.1"),)) == (
        r"CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|"
        r"src=10.0.0.1 act=blocked a | dst=1.1.1.1"
    )
    assert _spec("detected a \\ in packet", "blocked a \\", (("dst", "1.1.1.1"),)) == (
        r"CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|"
        r"src=10.0.0.1 act=blocked a \\ dst=1.1.1.1"
    )
    assert _spec("detected a = in message", "blocked a =", (("dst", "1.1.1.1"),)) == (
        r"CEF:0|security|threatmanager|1.0|100|detected a = in message|10|"
        r"src=10.0.0.1 act=blocked a \= dst=1.1.1.1"
    )
    worm = _spec("worm successfully stopped", None, (("dst", "2.1.2.2"), ("spt", "1232")))
    assert worm == (
        "CEF:0|security|threatmanager|1.0|100|worm successfully stopped|10|"
        "src=10.0.0.1 dst=2.1.2.2 spt=1232"
    )


def test_newlines() -> None:
    """Multi-line values only in extensions, as \\n and \\r; a header field gets a space."""
    assert escape_extension("Detected a threat.\nNo action needed.") == (
        r"Detected a threat.\nNo action needed."
    )
    assert escape_extension("a\r\nb\rc") == r"a\nb\rc"
    assert escape_header("two\nlines\r\nhere") == "two lines here"
    assert escape_header("a\\|b=c") == r"a\\\|b=c"


def test_extension_keys_are_checked() -> None:
    """A key with a space or an equals sign would corrupt the line: refused."""
    for key in ("bad key", "k=v", ""):
        with pytest.raises(ValueError, match="extension key"):
            cef_line(
                vendor="v",
                product="p",
                version="1",
                event_class="c",
                name="n",
                severity=1,
                extensions=[(key, "x")],
            )


def test_an_alerts_line_worked_by_hand() -> None:
    """Kind as class, first reason as name, severity high as 8, reasons joined by \\n."""
    alert = Alert(
        alert_id="alr_1",
        kind="bulk_export",
        principal_id="agent|li",
        severity=Severity.HIGH,
        score=9.5,
        reasons=(
            Reason("bulk_export", "250 rows exported, with phone=clear shown"),
            Reason("path", "C:\\out"),
        ),
        raised_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        customer_ids=("C1", "C2"),
    )
    assert alert_cef(alert) == (
        f"CEF:0|shieldwall|shieldwall|{__version__}|bulk_export|"
        "250 rows exported, with phone=clear shown|8|"
        "rt=1772442000000 externalId=alr_1 suser=agent|li cat=bulk_export cnt=2"
        " cfp1=9.5 cfp1Label=score cs1=bulk_export,path cs1Label=reasons"
        r" msg=250 rows exported, with phone\=clear shown\nC:\\out"
    )
