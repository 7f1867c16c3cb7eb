"""Official numbers and sender ids: what the store calls and writes from, and how to tell.

Every number, sender id or e-mail address is first brought to one canonical form, so that
``010-5632 1234``, ``+86 10 5632 1234`` and ``0086 1056321234`` are the same number:

=============  =============================================  ==============================
form           accepted as                                    canonical value
=============  =============================================  ==============================
``phone``      any number ``phonenumbers`` validates in the   E.164: ``+861056321234``,
               region (mobiles, landlines, 400 and 800        ``+864006065500``
               service numbers)
``short_code`` national short codes (95xxx, 950xxx, 96xxx,    digits: ``95618``, ``950618``,
               1xxxx) and SMS service numbers (106…, 5 to     ``10690000123``
               20 digits); see below
``alpha_id``   alphanumeric SMS sender ids, 2-11 characters   upper case: ``JDCOM``
               with at least one letter
``domain``     an e-mail domain                               lower-case IDNA: ``jd.com``
``email``      an e-mail address (checked by its domain)      lower case: ``kefu@jd.com``
=============  =============================================  ==============================

Short codes are where ``phonenumbers`` needs help: it calls 95618 and 950618 "not a valid
number" (they are not dialable from abroad) but knows many of them as valid *short numbers* for
CN (``shortnumberinfo``). We accept a national digit string of 3 to 8 digits when either
``phonenumbers`` calls it a valid short number for the region or, for region CN, it has the
shape of a CN service code (``95`` or ``96`` + 3-4 digits, ``1`` + 4 digits); and ``106`` + 2 to
17 digits as an SMS service number, which ``phonenumbers`` validates only in part. A short code
written with the country code (``+86 95618``) is the same short code. 400 and 800 numbers are
ordinary E.164 numbers to ``phonenumbers`` (shared cost and toll free) and are kept that way.

A store registers ranges for its outbound call centre by ending a number with ``X`` wildcards
(``010-5632-XXXX``: every number ``+86105632`` + four digits). At most
``LedgerSettings.max_range_wildcards`` wildcards are allowed, so nobody registers "every
number" as official by mistake. E-mail domains must be registrable domains (checked with the
Public Suffix List snapshot shipped in ``tldextract``; never fetched): ``com`` or ``com.cn`` is
refused. An address is official when its domain or a parent domain is registered.

Caller ids can be forged. :meth:`NumberBook.check` says whether a number is one of the store's,
never whether a call really comes from the store; the contact ledger answers that.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

import phonenumbers
import tldextract
from phonenumbers import shortnumberinfo

from shieldwall.contact.ledger.errors import InvalidInput

MAX_INPUT = 254


class Form(StrEnum):
    PHONE = "phone"
    SHORT_CODE = "short_code"
    ALPHA_ID = "alpha_id"
    DOMAIN = "domain"
    EMAIL = "email"


class NumberKind(StrEnum):
    """What the store uses a registered number for."""

    HOTLINE = "hotline"  # customers call it and it calls them: 950618, 400 and 800 numbers
    OUTBOUND = "outbound"  # call-centre outbound numbers and ranges
    SMS_SENDER = "sms_sender"  # SMS sender numbers and alphanumeric sender ids
    EMAIL_DOMAIN = "email_domain"  # domains the store sends e-mail from


# Which canonical forms each kind may hold.
KIND_FORMS: dict[NumberKind, frozenset[Form]] = {
    NumberKind.HOTLINE: frozenset({Form.PHONE, Form.SHORT_CODE}),
    NumberKind.OUTBOUND: frozenset({Form.PHONE, Form.SHORT_CODE}),
    NumberKind.SMS_SENDER: frozenset({Form.PHONE, Form.SHORT_CODE, Form.ALPHA_ID}),
    NumberKind.EMAIL_DOMAIN: frozenset({Form.DOMAIN}),
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"^\+?\d{1,20}$")
_PATTERN = re.compile(r"^(\+?\d{1,19})([Xx]+)$")
_ALPHA = re.compile(r"^[A-Za-z0-9]{2,11}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}$")
_CN_SHORT = re.compile(r"^(?:9[56]\d{3,4}|1\d{4})$")
_CN_SMS = re.compile(r"^106\d{2,17}$")

# The Public Suffix List as shipped inside tldextract: no network access, ever.
_PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@dataclass(frozen=True, slots=True)
class ContactPoint:
    """A number, sender id, domain or address in canonical form.

    ``value`` is canonical; for a range it ends in ``X`` wildcards. ``domain`` is set for
    e-mail addresses and domains.
    """

    form: Form
    value: str
    pattern: bool = False
    domain: str | None = None

    @property
    def wildcards(self) -> int:
        return len(self.value) - len(self.value.rstrip("X")) if self.pattern else 0

    def display(self, region: str = "CN") -> str:
        """How a person in ``region`` sees it: ``010 5632 1234``, ``950618``, ``jd.com``."""
        if self.form is not Form.PHONE or self.pattern:
            return self.value
        parsed = phonenumbers.parse(self.value)
        home = phonenumbers.country_code_for_region(region)
        fmt = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if parsed.country_code == home
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(parsed, fmt)


def _clean(text: str, field: str) -> str:
    if not isinstance(text, str):
        raise InvalidInput("must be text", field=field)
    cleaned = _CONTROL.sub("", unicodedata.normalize("NFKC", text)).strip()
    if not cleaned:
        raise InvalidInput("must not be empty", field=field)
    if len(cleaned) > MAX_INPUT:
        raise InvalidInput(f"longer than {MAX_INPUT} characters", field=field)
    return cleaned


def _domain(text: str, field: str) -> str:
    name = text.rstrip(".").lower()
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput("is not a valid domain name", field=field) from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > 253 or not all(_LABEL.match(x) for x in labels):
        raise InvalidInput("is not a valid domain name", field=field)
    if labels[-1].isdigit():
        raise InvalidInput("is an IP address, not a domain name", field=field)
    return ascii_name


def registrable(domain: str) -> str | None:
    """The registrable part of ``domain`` (``mail.jd.com`` → ``jd.com``), None for a suffix."""
    parts = _PSL(domain)
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}"


def _short_code(digits: str, region: str) -> bool:
    if 3 <= len(digits) <= 8:
        try:
            parsed = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            return False
        if shortnumberinfo.is_valid_short_number_for_region(parsed, region):
            return True
        if region == "CN" and _CN_SHORT.match(digits):
            return True
    return region == "CN" and bool(_CN_SMS.match(digits))


def _numeric(text: str, region: str, field: str) -> ContactPoint:
    """A digit string (optionally with ``+`` or ``00``) as a phone number or a short code."""
    international = text.startswith("+") or text.startswith("00")
    digits = text.lstrip("+")
    if international:
        if text.startswith("00"):
            digits = text[2:]
        try:
            parsed = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            raise InvalidInput("is not a phone number", field=field, code="invalid_input") from None
        if phonenumbers.is_valid_number(parsed):
            return ContactPoint(
                Form.PHONE, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            )
        national = str(parsed.national_number)
        if parsed.country_code == phonenumbers.country_code_for_region(region) and _short_code(
            national, region
        ):
            return ContactPoint(Form.SHORT_CODE, national)
        raise InvalidInput("is not a valid phone number", field=field)
    if _short_code(digits, region):
        return ContactPoint(Form.SHORT_CODE, digits)
    try:
        parsed = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput("is not a phone number", field=field) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            f"is not a valid phone number, short code or SMS number for region {region}",
            field=field,
        )
    return ContactPoint(
        Form.PHONE, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    )


def parse_point(
    text: str,
    region: str = "CN",
    *,
    field: str = "number",
    max_wildcards: int = 0,
) -> ContactPoint:
    """Bring ``text`` to canonical form or raise :class:`InvalidInput` naming ``field``.

    Trailing ``X`` wildcards are accepted only when ``max_wildcards`` > 0 (registration).
    Results are cached (the numbers people see are few; parsing one costs ~0.1 ms); errors are
    not, and the cache is bounded.
    """
    if not isinstance(text, str):
        raise InvalidInput("must be text", field=field)
    return _parse_cached(text, region, field, max_wildcards)


@lru_cache(maxsize=8192)
def _parse_cached(text: str, region: str, field: str, max_wildcards: int) -> ContactPoint:
    cleaned = _clean(text, field)
    if "@" in cleaned:
        local, _, host = cleaned.rpartition("@")
        if not _LOCAL.match(local) or ".." in local:
            raise InvalidInput("is not a valid e-mail address", field=field)
        try:
            domain = _domain(host, field)
        except InvalidInput:
            raise InvalidInput("is not a valid e-mail address", field=field) from None
        return ContactPoint(Form.EMAIL, f"{local.lower()}@{domain}", domain=domain)
    compact = _SEPARATORS.sub("", cleaned)
    if "." in cleaned and not _DIGITS.match(compact) and not _PATTERN.match(compact):
        domain = _domain(cleaned, field)
        return ContactPoint(Form.DOMAIN, domain, domain=domain)
    ranged = _PATTERN.match(compact)
    if ranged and max_wildcards == 0:
        raise InvalidInput("X wildcards are only for registering a range", field=field)
    if ranged:
        head, tail = ranged.groups()
        if len(tail) > max_wildcards:
            raise InvalidInput(
                f"a range may end in at most {max_wildcards} X wildcards", field=field
            )
        point = _numeric(head + "0" * len(tail), region, field)
        return ContactPoint(point.form, point.value[: -len(tail)] + "X" * len(tail), pattern=True)
    if _DIGITS.match(compact):
        return _numeric(compact, region, field)
    if _ALPHA.match(cleaned) and any(c.isalpha() for c in cleaned):
        return ContactPoint(Form.ALPHA_ID, cleaned.upper())
    raise InvalidInput(
        "is not a phone number, short code, sender id, domain or e-mail address", field=field
    )


# -- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfficialNumber:
    """A number, range, sender id or e-mail domain the store has registered as its own."""

    value: str
    form: Form
    kind: NumberKind
    label: str | None
    pattern: bool
    created_at: datetime
    created_by: str

    @property
    def point(self) -> ContactPoint:
        domain = self.value if self.form is Form.DOMAIN else None
        return ContactPoint(self.form, self.value, self.pattern, domain)


@dataclass(frozen=True, slots=True)
class NumberCheck:
    """The answer to "is this one of the store's?": the entry that matched and how."""

    point: ContactPoint
    entry: OfficialNumber | None
    matched_by: str | None  # "exact" | "range" | "domain"

    @property
    def official(self) -> bool:
        return self.entry is not None


class NumberSource(Protocol):
    """Where the registered numbers live (the database)."""

    def load_numbers(self) -> list[OfficialNumber]: ...


class _Snapshot:
    """An immutable index over the registered entries: exact values, ranges, domains."""

    def __init__(self, entries: Iterable[OfficialNumber]) -> None:
        self.exact: dict[str, OfficialNumber] = {}
        self.ranges: dict[tuple[str, int], OfficialNumber] = {}
        self.domains: dict[str, OfficialNumber] = {}
        for e in entries:
            if e.pattern:
                head = e.value.rstrip("X")
                self.ranges[(head, len(e.value))] = e
            elif e.form is Form.DOMAIN:
                self.domains[e.value] = e
            else:
                self.exact[e.value] = e
        self.range_heads = sorted({len(h) for h, _ in self.ranges})

    def find(self, point: ContactPoint) -> tuple[OfficialNumber | None, str | None]:
        if point.domain is not None:
            labels = point.domain.split(".")
            for i in range(len(labels) - 1):
                hit = self.domains.get(".".join(labels[i:]))
                if hit is not None:
                    return hit, "domain"
            return None, None
        hit = self.exact.get(point.value)
        if hit is not None:
            return hit, "exact"
        n = len(point.value)
        for head_len in self.range_heads:
            hit = self.ranges.get((point.value[:head_len], n))
            if hit is not None and hit.form is point.form:
                return hit, "range"
        return None, None


class NumberBook:
    """The registered numbers, cached in the process for ``cache_seconds``.

    A miss reloads the list before answering "not ours" (at most once a second, so a flood of
    unknown numbers cannot turn every check into a database read): a number registered by
    another process is found within a second; a stale positive lasts at most
    ``cache_seconds``. Thread-safe: readers see one immutable snapshot.
    """

    FORCED_RELOAD_SECONDS = 1.0

    def __init__(
        self,
        source: NumberSource,
        *,
        region: str = "CN",
        cache_seconds: float = 30.0,
        max_wildcards: int = 4,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.region = region
        self.cache_seconds = cache_seconds
        self.max_wildcards = max_wildcards
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._loaded_at = 0.0

    def parse(self, text: str, field: str = "number") -> ContactPoint:
        return parse_point(text, self.region, field=field)

    def check(self, text_or_point: str | ContactPoint, field: str = "number") -> NumberCheck:
        point = (
            text_or_point
            if isinstance(text_or_point, ContactPoint)
            else self.parse(text_or_point, field)
        )
        snapshot = self._current()
        entry, how = snapshot.find(point)
        if entry is None:
            entry, how = self._current(force=True).find(point)
        return NumberCheck(point, entry, how)

    def invalidate(self) -> None:
        with self._lock:
            self._snapshot = None

    def _current(self, force: bool = False) -> _Snapshot:
        now = self._monotonic()
        snap = self._snapshot
        fresh_for = (
            min(self.cache_seconds, self.FORCED_RELOAD_SECONDS) if force else self.cache_seconds
        )
        if snap is not None and now - self._loaded_at < fresh_for:
            return snap
        with self._lock:
            snap = _Snapshot(self.source.load_numbers())
            self._snapshot, self._loaded_at = snap, now
            return snap
