"""Bounded input types for the API: every integer, string and list a request carries has limits.

Unbounded values reached storage and parsers that could not take them (an id past 2**63 raised
``OverflowError`` in SQLite's driver; an address with a NUL or a zone id raised from ``socket`` and
``ipaddress``): each was a 500. With these types pydantic refuses them first, and the problem
handler answers 422 problem+json naming the field. The capabilities still check their own rules
(an identifier's characters, a phone number's region) and answer with their own field errors;
these bounds only keep absurd input away from them.

- ``Int``, ``NonNegative``, ``Positive``: at most 2**53 in size, the largest range a JSON number
  carries exactly (RFC 8259 section 6) and well inside SQLite's and PostgreSQL's 64-bit integers.
  ``Int`` and ``Flag`` are for JSON bodies and strict: ``0`` is not ``false``, ``"5"`` not ``5``
  (path and query values are text, so ``NonNegative`` and ``Positive`` parse it).
- ``Timestamp``: an RFC 3339 date-time with a UTC offset (not a number read as Unix time) whose
  UTC form exists; ``Day``: an ISO 8601 date.
- ``Id``: an identifier or enumerated word, 1-64 characters, no control characters.
- ``Text``: a value a capability checks more tightly (a name, an address, a title), at most 1000
  characters; free text with its own cap keeps a ``Field(max_length=...)`` where it is declared.
- ``IpAddress``: an IPv4 or IPv6 address ``ipaddress`` parses, without a zone id (``%eth0``).
- ``MAX_LIST``: the default cap on a list's length.
- ``PageLimit``, ``Cursor``: a list route's page size (1-500, default 50) and the opaque cursor
  from the previous page (see :mod:`shieldwall.core.paging`).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from shieldwall.core.paging import MAX_CURSOR_CHARS, MAX_LIMIT

MAX_INT = 2**53
MAX_ID = 64
MAX_TEXT = 1000
MAX_LIST = 1000
# What the control-character check refuses, for the OpenAPI document (C0, DEL and C1).
PRINTABLE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


def _printable(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise PydanticCustomError("control_character", "must not contain control characters")
    return value


def _ip(value: str) -> str:
    # ipaddress accepts "fe80::1%eth0" (RFC 4007 scoped addresses) since Python 3.9; a zone id
    # names an interface on the client's host and means nothing to us, so it is refused.
    try:
        if "%" in value:
            raise ValueError(value)
        ipaddress.ip_address(value.strip())
    except ValueError:
        raise PydanticCustomError("ip_address", "is not an IPv4 or IPv6 address") from None
    return value


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _not_unix_time(value: object) -> object:
    # pydantic reads a number, or text that is one, as seconds since 1970: not what a caller means.
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise PydanticCustomError("datetime_type", "must be an ISO 8601 date or date-time")
    return value


def _has_utc_form(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)  # 9999-12-31T23:59-01:00 has none
    except OverflowError:
        raise PydanticCustomError("datetime_range", "is out of range") from None
    return value


Flag = StrictBool
Int = Annotated[int, Field(strict=True, ge=-MAX_INT, le=MAX_INT)]
NonNegative = Annotated[int, Field(ge=0, le=MAX_INT)]
Positive = Annotated[int, Field(ge=1, le=MAX_INT)]

Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ID),
    AfterValidator(_printable),
    Field(json_schema_extra={"pattern": PRINTABLE_PATTERN}),
]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_not_unix_time), AfterValidator(_has_utc_form)]
Day = Annotated[date, BeforeValidator(_not_unix_time)]
IpAddress = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64),
    AfterValidator(_ip),
    Field(json_schema_extra={"pattern": r"^[^%\x00]*$"}),
]

PageLimit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="items per page")]
Cursor = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CURSOR_CHARS, pattern=r"^[A-Za-z0-9_\-]+$"),
    Field(description="the previous page's next_cursor"),
]


async def single_valued_query(request: Request) -> None:
    """Refuse a query parameter given more than once (``?case_id=a&case_id=b``): no route takes
    a list in its query, and reading only the last value would accept what the document
    forbids (schemathesis found it). ``async`` though it awaits nothing: every route depends on
    it, and FastAPI would run a plain ``def`` in the thread pool (a thread hand-off each)."""
    seen: set[str] = set()
    for key, _ in request.query_params.multi_items():
        if key in seen:
            raise RequestValidationError(
                [{"loc": ("query", key), "msg": "given more than once", "type": "value_error"}]
            )
        seen.add(key)
