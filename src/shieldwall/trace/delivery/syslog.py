"""Alerts to a syslog collector: RFC 5424 messages over UDP (RFC 5426) or TCP (RFC 6587).

An alert becomes one RFC 5424 message::

    <PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [SD-ID id="…" detector="…" severity="…" …] BOM MSG

with PRI = facility × 8 + severity (alert severity critical → 2 Critical, high → 3 Error,
medium → 4 Warning, low → 5 Notice, info → 6 Informational), TIMESTAMP the alert's ``raised_at``
in UTC with milliseconds, MSGID its kind, and one structured-data element naming the alert id,
the detector, the severity, the principal, the score, the number of customers and the status.
An escalation (``alert.escalated``) is the same message with ``event="alert.escalated"`` added
to the element and MSG ``<kind> escalated to <severity> <alert id> on <principal>: …``.
In the ``cef`` format the MSG is the alert's CEF line (:mod:`.cef`) instead, with no
structured data and no BOM, so that a CEF collector sees ``CEF:0|…`` first.

Over TCP each message is framed by octet counting (``MSG-LEN SP SYSLOG-MSG``, RFC 6587 §3.4.1).
Over UDP a message longer than ``max_udp_bytes`` is cut at a character boundary (its MSG, at
the end, is what gets shorter); UDP says nothing of delivery, TCP says the bytes were sent.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shieldwall.core.alerts import Alert, Severity
from shieldwall.trace.delivery.cef import alert_cef
from shieldwall.trace.delivery.errors import DeliveryFailed
from shieldwall.trace.delivery.ports import ESCALATED, AlertEvent

NIL = "-"
BOM = b"\xef\xbb\xbf"
SYSLOG_SEVERITY = {
    Severity.CRITICAL: 2,
    Severity.HIGH: 3,
    Severity.MEDIUM: 4,
    Severity.LOW: 5,
    Severity.INFO: 6,
}


@dataclass(frozen=True, slots=True)
class SdElement:
    """One structured-data element: ``[SD-ID name="value" …]``."""

    sd_id: str
    params: tuple[tuple[str, str], ...]


def escape_param(value: str) -> str:
    """An SD-PARAM value: ``"``, ``\\`` and ``]`` escaped with a backslash (RFC 5424 §6.3.3)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _header_field(value: str | None, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, at most ``limit`` long, or ``-``."""
    if not value:
        return NIL
    clean = "".join(c if "!" <= c <= "~" else "_" for c in value)
    return clean[:limit]


def _sd_name(name: str) -> str:
    if not 1 <= len(name) <= 32 or any(not "!" <= c <= "~" or c in '="]' for c in name):
        raise ValueError(f"not an RFC 5424 SD-NAME: {name!r}")
    return name


def timestamp(at: datetime) -> str:
    """RFC 5424 TIMESTAMP in UTC with milliseconds: ``2003-10-11T22:14:15.003Z``."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def syslog_message(
    *,
    facility: int,
    severity: int,
    at: datetime | None,
    hostname: str | None,
    app_name: str | None,
    procid: str | None = None,
    msgid: str | None = None,
    structured_data: Sequence[SdElement] = (),
    msg: str | None = None,
    bom: bool = True,
) -> bytes:
    """One RFC 5424 message. ``bom`` marks MSG as UTF-8 (MSG-UTF8); without it MSG is MSG-ANY."""
    if not 0 <= facility <= 23 or not 0 <= severity <= 7:
        raise ValueError("facility is 0-23 and severity 0-7")
    header = " ".join(
        (
            f"<{facility * 8 + severity}>1",
            timestamp(at) if at is not None else NIL,
            _header_field(hostname, 255),
            _header_field(app_name, 48),
            _header_field(procid, 128),
            _header_field(msgid, 32),
        )
    )
    sd = (
        "".join(
            "["
            + " ".join(
                [_sd_name(e.sd_id)] + [f'{_sd_name(k)}="{escape_param(v)}"' for k, v in e.params]
            )
            + "]"
            for e in structured_data
        )
        or NIL
    )
    out = f"{header} {sd}".encode()
    if msg is not None:
        out += b" " + (BOM if bom else b"") + msg.encode()
    return out


def alert_params(alert: Alert) -> tuple[tuple[str, str], ...]:
    return (
        ("id", alert.alert_id),
        ("detector", alert.details.get("detector", alert.kind)),
        ("severity", alert.severity.value),
        ("principal", alert.principal_id),
        ("score", f"{alert.score:g}"),
        ("customers", str(len(alert.customer_ids))),
        ("status", alert.status),
    )


@dataclass(frozen=True, slots=True)
class SyslogFormat:
    """How an alert becomes a syslog message: ``rfc5424`` (structured data) or ``cef``."""

    kind: str = "rfc5424"
    facility: int = 10
    hostname: str | None = None
    app_name: str = "shieldwall"
    sd_id: str = "alert@32473"

    def __call__(self, event: AlertEvent) -> bytes:
        alert = event.alert
        cef = self.kind == "cef"
        reasons = "; ".join(r.detail for r in alert.reasons)
        escalated = event.type == ESCALATED
        what = f"escalated to {event.severity.value}" if escalated else "alert"
        params = alert_params(alert) + ((("event", event.type),) if escalated else ())
        return syslog_message(
            facility=self.facility,
            severity=SYSLOG_SEVERITY[alert.severity],
            at=alert.raised_at,
            hostname=self.hostname,
            app_name=self.app_name,
            msgid=alert.kind,
            structured_data=() if cef else (SdElement(self.sd_id, params),),
            msg=alert_cef(alert, event.severity if escalated else None)
            if cef
            else f"{alert.kind} {what} {alert.alert_id} on {alert.principal_id}: {reasons}",
            bom=not cef,
        )


def octet_frame(message: bytes) -> bytes:
    """RFC 6587 octet counting: the length in decimal, a space, the message."""
    return str(len(message)).encode() + b" " + message


def cut_utf8(message: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes, never ending inside a UTF-8 character."""
    if len(message) <= limit:
        return message
    return message[:limit].decode("utf-8", errors="ignore").encode()


class SyslogSink:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        transport: str = "udp",
        formatter: Callable[[AlertEvent], bytes] | None = None,
        max_udp_bytes: int = 2048,
        timeout: float = 5.0,
    ) -> None:
        if transport not in ("udp", "tcp"):
            raise ValueError("transport is udp or tcp")
        self.host = host
        self.port = port
        self.transport = transport
        self.formatter = formatter or SyslogFormat()
        self.max_udp_bytes = max_udp_bytes
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._name = f"syslog:{transport}:{host}:{port}"

    @property
    def name(self) -> str:
        return self._name

    def deliver(self, event: AlertEvent) -> None:
        message = self.formatter(event)
        try:
            if self.transport == "udp":
                self._udp(cut_utf8(message, self.max_udp_bytes))
            else:
                self._tcp(octet_frame(message))
        except TimeoutError:
            self.close()
            raise DeliveryFailed("timeout", retryable=True) from None
        except OSError as exc:
            self.close()
            raise DeliveryFailed(f"network ({type(exc).__name__})", retryable=True) from None

    def _udp(self, datagram: bytes) -> None:
        if self._sock is None:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)
            family, kind, proto, _, addr = infos[0]
            sock = socket.socket(family, kind, proto)
            sock.settimeout(self.timeout)
            sock.connect(addr)
            self._sock = sock
        self._sock.send(datagram)

    def _tcp(self, frame: bytes) -> None:
        if self._sock is not None and _peer_closed(self._sock):
            self.close()
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self._sock.sendall(frame)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _peer_closed(sock: socket.socket) -> bool:
    """True when the collector closed the connection (a send would vanish into a reset)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
