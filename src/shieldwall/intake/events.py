"""The events the store sends, one pydantic model per kind, and their parsing.

Every event has an ``event_id`` (1-128 characters of ``A-Z a-z 0-9 _ . : -``), unique per kind:
a second event with the same id is a redelivery and changes nothing. Other fields follow the
single-event HTTP routes (``/v1/logins/assess``, ``/v1/logins/outcome``, ``/v1/scam/reports``)
with the same bounds; an access event is a record read done in the store's own systems.

:func:`parse_event` turns raw bytes into a model or raises :class:`~.errors.BadEvent` naming
the field and the kind of problem, never the value (an account name or a phone number must not
reach a log or the dead-letter subject).

The two login kinds, the stream's bulk, are first decoded by msgspec into
:class:`StreamedLoginAttempt` / :class:`StreamedLoginOutcome` (the same fields and bounds as the
pydantic models, read by the service the same way; building a pydantic model, even unvalidated,
costs more than msgspec's whole decode). Anything msgspec refuses goes through the pydantic
path, so what is accepted and every error are exactly those of the models
(``tests/unit/intake/test_events_fast.py`` checks the two paths agree on generated input).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from shieldwall.api.bounds import Flag, Id, IpAddress, Text, Timestamp
from shieldwall.intake.errors import BadEvent

MAX_EVENT_BYTES = 1_048_576
EVENT_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,128}$"

EventId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=EVENT_ID_PATTERN)]


class Kind(StrEnum):
    """An event kind; its value is the subject suffix and the decision subject's last token."""

    LOGIN_ATTEMPT = "logins.attempts"
    LOGIN_OUTCOME = "logins.outcomes"
    ACCESS = "access"
    SCAM_REPORT = "scam.reports"

    @property
    def decision(self) -> str:
        """The ``<kind>`` of ``<prefix>.decisions.<kind>``."""
        return _DECISIONS[self]


_DECISIONS = {
    Kind.LOGIN_ATTEMPT: "login",
    Kind.LOGIN_OUTCOME: "outcome",
    Kind.ACCESS: "access",
    Kind.SCAM_REPORT: "scam",
}


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: EventId


class LoginAttemptEvent(_Event):
    """A login attempt before the password check (as ``POST /v1/logins/assess``)."""

    account: str = Field(min_length=1, max_length=320)
    ip: IpAddress
    user_agent: str | None = Field(None, max_length=1024)
    device_id: str | None = Field(None, max_length=200)
    password_sha1: str | None = Field(None, pattern=r"^[0-9a-fA-F]{40}$")


class LoginOutcomeEvent(_Event):
    """The password check's result for an assessment (as ``POST /v1/logins/outcome``); the
    ``assessment_id`` is the one the attempt's decision carried."""

    assessment_id: str = Field(min_length=1, max_length=64)
    success: Flag
    account_known: Flag = True


FieldView = Literal["clear", "masked", "derived"]


class AccessReadEvent(_Event):
    """A read of customer records done in the store's own systems (an order screen, a CRM),
    by a principal shieldwall knows: it is audited and watched like a read through custody."""

    ts: Timestamp
    principal_id: Id
    action: Literal["read", "lookup", "reveal", "export"] = "read"
    customer_ids: list[Id] = Field(default_factory=list, max_length=1000)
    order_ids: list[Id] = Field(default_factory=list, max_length=1000)
    fields: dict[Id, FieldView] = Field(default_factory=dict, max_length=50)
    purpose: Id | None = None
    ticket_id: Id | None = None
    system: Id = Field("store", description="the store system that served the read")


class ScamReportEvent(_Event):
    """A report of a suspicious call or message (as ``POST /v1/scam/reports``). On the stream
    ``reporter_id`` names the reporting principal (a ``service`` acting for ``customer_id``, or
    an ``agent``); over HTTP the caller is the reporter."""

    reporter_id: Id | None = None
    channel: str = Field(max_length=16)
    received_at: Timestamp
    text: str = Field("", max_length=1_000_000)
    sender: str | None = Field(None, max_length=1024)
    links: list[Text] = Field(default_factory=list, max_length=500)
    customer_id: str | None = Field(None, max_length=256)
    victim_phone: str | None = Field(None, max_length=64)
    caller_knew: list[Text] = Field(default_factory=list, max_length=20)


MODELS: dict[Kind, type[_Event]] = {
    Kind.LOGIN_ATTEMPT: LoginAttemptEvent,
    Kind.LOGIN_OUTCOME: LoginOutcomeEvent,
    Kind.ACCESS: AccessReadEvent,
    Kind.SCAM_REPORT: ScamReportEvent,
}


# -- the login kinds' fast path (msgspec) ---------------------------------------------------------
# Each bound is the model's: the patterns anchored with \A...\Z since msgspec searches (a "$"
# would let a trailing newline through, which pydantic's full match refuses).


_WireId = Annotated[str, msgspec.Meta(pattern=r"\A[A-Za-z0-9_.:\-]{1,128}\Z")]
_WireAccount = Annotated[str, msgspec.Meta(min_length=1, max_length=320)]
_WireIp = Annotated[str, msgspec.Meta(min_length=2, max_length=64)]  # an address: _is_ip
_WireAgent = Annotated[str, msgspec.Meta(max_length=1024)]
_WireDevice = Annotated[str, msgspec.Meta(max_length=200)]
_WireSha1 = Annotated[str, msgspec.Meta(pattern=r"\A[0-9a-fA-F]{40}\Z")]
_WireAssessment = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class StreamedLoginAttempt(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A :class:`LoginAttemptEvent` as msgspec decodes it from the stream (its ``ip`` checked
    by :func:`_is_ip` after)."""

    event_id: _WireId
    account: _WireAccount
    ip: _WireIp
    user_agent: _WireAgent | None = None
    device_id: _WireDevice | None = None
    password_sha1: _WireSha1 | None = None


class StreamedLoginOutcome(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A :class:`LoginOutcomeEvent` as msgspec decodes it from the stream."""

    event_id: _WireId
    assessment_id: _WireAssessment
    success: bool
    account_known: bool = True


LoginAttemptLike = LoginAttemptEvent | StreamedLoginAttempt
LoginOutcomeLike = LoginOutcomeEvent | StreamedLoginOutcome
Event = (
    LoginAttemptEvent
    | LoginOutcomeEvent
    | AccessReadEvent
    | ScamReportEvent
    | StreamedLoginAttempt
    | StreamedLoginOutcome
)

_FAST: dict[Kind, msgspec.json.Decoder[Any]] = {
    Kind.LOGIN_ATTEMPT: msgspec.json.Decoder(StreamedLoginAttempt),
    Kind.LOGIN_OUTCOME: msgspec.json.Decoder(StreamedLoginOutcome),
}


def _is_ip(value: str) -> bool:
    """What ``api.bounds.IpAddress`` accepts (its length checked by the wire schema)."""
    try:  # a dotted quad inet_pton takes is one ipaddress takes too, without its Python parser
        socket.inet_pton(socket.AF_INET, value)
        return True
    except (OSError, ValueError):
        pass
    if "%" in value:
        return False
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return True


def _parse_fast(kind: Kind, raw: bytes) -> Event | None:
    """The event in ``raw`` when msgspec accepts it as ``kind``; None: let pydantic decide."""
    decoder = _FAST.get(kind)
    if decoder is None:
        return None
    try:
        event = decoder.decode(raw)
    except msgspec.DecodeError:  # ValidationError included: pydantic names the problem
        return None
    if isinstance(event, StreamedLoginAttempt) and not _is_ip(event.ip):
        return None
    assert isinstance(event, Event)  # noqa: S101 - _FAST maps each kind to one of them
    return event


def describe(exc: ValidationError) -> tuple[str, str]:
    """``(field, reason)`` of a validation error's first problem, without the input value."""
    first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "event"
    return where, f"{first['type']}: {first['msg']}"


def parse_event(kind: Kind, raw: bytes) -> Event:
    """The event in ``raw`` (UTF-8 JSON), validated as ``kind``; :class:`BadEvent` otherwise."""
    if len(raw) > MAX_EVENT_BYTES:
        raise BadEvent(f"larger than {MAX_EVENT_BYTES} bytes", field="event", code="too_large")
    fast = _parse_fast(kind, raw)
    if fast is not None:
        return fast
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadEvent("not UTF-8 JSON", field="event", code="not_json") from None
    if not isinstance(data, dict):
        raise BadEvent("not a JSON object", field="event", code="not_object")
    return validate_event(kind, data)


def validate_event(kind: Kind, data: object) -> Event:
    """``data`` (decoded JSON) validated as ``kind``; :class:`BadEvent` otherwise."""
    try:
        event = MODELS[kind].model_validate(data)
    except ValidationError as exc:
        where, reason = describe(exc)
        raise BadEvent(reason, field=where) from None
    assert isinstance(event, Event)  # noqa: S101 - MODELS maps each kind to one of them
    return event


def event_id_of(raw: bytes) -> str | None:
    """The ``event_id`` of a message that did not validate, when it has a well-formed one (the
    dead-letter entry names it so the store can find and resend the event)."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    value = data.get("event_id") if isinstance(data, dict) else None
    if isinstance(value, str) and len(value) <= 128:
        try:
            _Event.model_validate({"event_id": value})
        except ValidationError:
            return None
        return value
    return None
