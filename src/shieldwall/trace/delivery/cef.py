"""ArcSight Common Event Format (CEF) lines for alerts.

A CEF line is ``CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|
Name|Severity|Extension``. The specification ("Implementing ArcSight CEF", rev. 25) escapes:

- in the seven header fields, ``|`` as ``\\|`` and ``\\`` as ``\\\\`` (``=`` stays as is); a
  header field has no line breaks, so a newline or carriage return becomes a space here;
- in extension values, ``\\`` as ``\\\\``, ``=`` as ``\\=``, a newline as ``\\n`` and a carriage
  return as ``\\r`` (``|`` stays as is).

Extension keys are the specification's own (``rt``, ``externalId``, ``suser``, ``cat``, ``msg``,
``cnt``, ``cfp1``/``cfp1Label``, ``cs1``/``cs1Label``); keys are letters and digits only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shieldwall import __version__
from shieldwall.core.alerts import Alert, Severity

VENDOR = "shieldwall"
PRODUCT = "shieldwall"
# CEF severity is 0-10; 10 is the most important.
CEF_SEVERITY = {
    Severity.INFO: 1,
    Severity.LOW: 3,
    Severity.MEDIUM: 5,
    Severity.HIGH: 8,
    Severity.CRITICAL: 10,
}
_KEY = re.compile(r"^[A-Za-z0-9]{1,64}$")


def escape_header(value: str) -> str:
    """A CEF header field: backslash and pipe escaped, line breaks made spaces."""
    out = value.replace("\\", "\\\\").replace("|", "\\|")
    return out.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def escape_extension(value: str) -> str:
    """A CEF extension value: backslash and equals sign escaped, line breaks as ``\\n``/``\\r``."""
    out = value.replace("\\", "\\\\").replace("=", "\\=")
    return out.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


def cef_line(
    *,
    vendor: str,
    product: str,
    version: str,
    event_class: str,
    name: str,
    severity: int | str,
    extensions: Sequence[tuple[str, str]] = (),
    cef_version: int = 0,
) -> str:
    """One CEF line (without a syslog header) from its fields, escaped."""
    for key, _ in extensions:
        if not _KEY.fullmatch(key):
            raise ValueError(f"a CEF extension key is letters and digits: {key!r}")
    header = "|".join(
        escape_header(str(f)) for f in (vendor, product, version, event_class, name, severity)
    )
    ext = " ".join(f"{k}={escape_extension(v)}" for k, v in extensions)
    return f"CEF:{cef_version}|{header}|{ext}"


def alert_cef(alert: Alert, escalated_to: Severity | None = None) -> str:
    """The CEF line of an alert: its kind as the event class, its first reason as the name
    (an escalation's name starts ``escalated to <severity>:``)."""
    name = alert.reasons[0].detail if alert.reasons else f"{alert.kind} alert"
    if escalated_to is not None:
        name = f"escalated to {escalated_to.value}: {name}"
    extensions = [
        ("rt", str(int(alert.raised_at.timestamp() * 1000))),
        ("externalId", alert.alert_id),
        ("suser", alert.principal_id),
        ("cat", alert.kind),
        ("cnt", str(len(alert.customer_ids))),
        ("cfp1", f"{alert.score:g}"),
        ("cfp1Label", "score"),
        ("cs1", ",".join(r.code for r in alert.reasons)),
        ("cs1Label", "reasons"),
        ("msg", "\n".join(r.detail for r in alert.reasons)),
    ]
    return cef_line(
        vendor=VENDOR,
        product=PRODUCT,
        version=__version__,
        event_class=alert.kind,
        name=name,
        severity=CEF_SEVERITY[alert.severity],
        extensions=extensions,
    )
