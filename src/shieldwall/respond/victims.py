"""The victims register, pure: lists read and checked, rows matched to customers, duplicates
found, and each victim's status and contact history.

A list (from customers, the police, lawyers, or a trace result) names people by phone, GB 11643
resident ID number, order number or customer id, with a name and the loss. Nothing of the list's
plaintext is kept: a row that matches one customer becomes that customer's id; a row that
matches none is kept under keyed hashes (custody's blind indexes of the phone and ID number,
so the row is found again when the customer is imported later, and an HMAC of the order
number). Names are only read to say that one was given: a name alone matches no one.

Matching (:func:`match`) takes, for each identifier a row gives, the customers it names, and
keeps the one customer all of them agree on: identifiers that name different customers are a
conflict a person must sort out, and a phone shared by several customers is not guessed at.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from shieldwall.custody import normalize
from shieldwall.custody.errors import ValidationError
from shieldwall.respond.compensation import fen, parse_yuan
from shieldwall.respond.errors import RespondInvalid, TransitionRefused

COLUMNS = ("customer_id", "phone", "national_id", "name", "order_id", "loss_fen", "loss_yuan")
IDENTIFIERS = ("customer_id", "national_id", "phone", "order_id")
MAX_FIELD_CHARS = 256  # no cell of a victims list is longer; a longer one is a broken file
MAX_BYTES = 8 * 1024 * 1024
_DIGITS = re.compile(r"\d{1,16}")


class Source(StrEnum):
    """Where a list came from."""

    CUSTOMER = "customer"
    POLICE = "police"
    LAWYER = "lawyer"
    TRACE = "trace"
    STAFF = "staff"


class VictimStatus(StrEnum):
    REPORTED = "reported"
    CONFIRMED = "confirmed"
    CONTACTED = "contacted"
    COMPENSATED = "compensated"
    CLOSED = "closed"


VICTIM_TRANSITIONS: Mapping[VictimStatus, frozenset[VictimStatus]] = {
    VictimStatus.REPORTED: frozenset({VictimStatus.CONFIRMED, VictimStatus.CLOSED}),
    VictimStatus.CONFIRMED: frozenset(
        {VictimStatus.CONTACTED, VictimStatus.COMPENSATED, VictimStatus.CLOSED}
    ),
    VictimStatus.CONTACTED: frozenset({VictimStatus.COMPENSATED, VictimStatus.CLOSED}),
    VictimStatus.COMPENSATED: frozenset({VictimStatus.CLOSED}),
    VictimStatus.CLOSED: frozenset(),
}


def transition(victim_id: str, current: VictimStatus, target: VictimStatus) -> VictimStatus:
    if target not in VICTIM_TRANSITIONS[current]:
        raise TransitionRefused(
            f"victim {victim_id} is {current.value}; it cannot become {target.value}",
            field="status",
        )
    return target


class ContactChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in_person"


class ContactOutcome(StrEnum):
    """What came of a contact: codes only, no notes (notes collect personal data)."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    LEFT_MESSAGE = "left_message"
    CALLBACK_REQUESTED = "callback_requested"
    DECLINED = "declined"
    WRONG_NUMBER = "wrong_number"


E = TypeVar("E", bound=StrEnum)


def choice(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise RespondInvalid(f"must be one of {allowed}", field=field) from None


@dataclass(frozen=True, slots=True)
class VictimRow:
    """One row, checked and normalized (E.164 phone, upper-case ID number). Lives in memory
    only, for the time it takes to match it."""

    row: int
    customer_id: str | None = None
    phone: str | None = None
    national_id: str | None = None
    order_id: str | None = None
    has_name: bool = False
    loss: int = 0


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that was not registered: its number, the field and a reason code (no value)."""

    row: int
    field: str | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


def _cell(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def check_row(
    row: int,
    cells: Mapping[str, str | None],
    *,
    region: str,
    where: str,
) -> VictimRow | RowProblem:
    """Check one row's values; a problem names the field (``where`` prefixes it) and a code."""
    got = {k: _cell(v) for k, v in cells.items()}
    for k, v in got.items():
        if v is not None and len(v) > MAX_FIELD_CHARS:
            return RowProblem(row, f"{where}{k}", "too_long")
    if not any(got.get(k) for k in IDENTIFIERS):
        return RowProblem(row, None, "no_identifier")
    customer_id = got.get("customer_id")
    order_id = got.get("order_id")
    try:
        if customer_id is not None:
            normalize.record_id(customer_id, f"{where}customer_id")
        if order_id is not None:
            normalize.record_id(order_id, f"{where}order_id")
        raw_phone = got.get("phone")
        phone = None if raw_phone is None else normalize.phone(raw_phone, region, "phone")
        raw_id = got.get("national_id")
        national_id = None if raw_id is None else normalize.national_id(raw_id)
    except ValidationError as exc:
        field_name = exc.field or ""
        short = field_name.removeprefix(where)
        reason = {"phone": "invalid_phone", "national_id": "invalid_national_id"}.get(
            short, "invalid_id"
        )
        return RowProblem(row, f"{where}{short}", reason)
    try:
        loss = _loss(got.get("loss_fen"), got.get("loss_yuan"), where)
    except RespondInvalid as exc:
        return RowProblem(row, exc.field, "invalid_loss")
    return VictimRow(
        row, customer_id, phone, national_id, order_id, got.get("name") is not None, loss
    )


def _loss(fen_text: str | None, yuan_text: str | None, where: str) -> int:
    from_fen = None
    if fen_text is not None:
        if not _DIGITS.fullmatch(fen_text):
            raise RespondInvalid("must be a whole number of fen", field=f"{where}loss_fen")
        from_fen = fen(int(fen_text), f"{where}loss_fen", allow_zero=True)
    from_yuan = None if yuan_text is None else parse_yuan(yuan_text, f"{where}loss_yuan")
    if from_fen is not None and from_yuan is not None and from_fen != from_yuan:
        raise RespondInvalid("loss_fen and loss_yuan disagree", field=f"{where}loss_fen")
    return from_fen if from_fen is not None else (from_yuan or 0)


@dataclass(frozen=True, slots=True)
class ParsedList:
    rows: tuple[VictimRow, ...]
    rejected: tuple[RowProblem, ...]


def parse_csv(data: bytes, *, region: str, max_rows: int, encoding: str = "utf-8") -> ParsedList:
    """Read a victims CSV: a header naming some of :data:`COLUMNS` (at least one identifier),
    then one victim a line.

    ``encoding`` is ``utf-8`` (a byte-order mark is dropped) or ``gb18030`` (lists exported
    from Chinese spreadsheets). A file that cannot be read as a whole (binary, wrong encoding,
    unknown or repeated column, too large, too many rows, malformed CSV, no rows) raises
    :class:`RespondInvalid` naming the file and the line; a row with a bad value is returned
    as a :class:`RowProblem`. No message echoes a value.
    """
    if encoding not in ("utf-8", "gb18030"):
        raise RespondInvalid("must be utf-8 or gb18030", field="encoding")
    if len(data) > MAX_BYTES:
        raise RespondInvalid(f"is larger than {MAX_BYTES} bytes", field="file")
    if b"\x00" in data:
        raise RespondInvalid("is not CSV text (binary data)", field="file")
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError:
        raise RespondInvalid(f"is not {encoding} text", field="file") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise RespondInvalid("is empty", field="file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[VictimRow] = []
    rejected: list[RowProblem] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
        unknown = [str(i + 1) for i, h in enumerate(header) if h not in COLUMNS]
        if unknown:
            raise RespondInvalid(
                f"unknown column at position {', '.join(unknown)}; expected some of"
                f" {', '.join(COLUMNS)}",
                field="file",
            )
        if len(set(header)) != len(header):
            raise RespondInvalid("a column appears twice in the header", field="file")
        if not set(header) & set(IDENTIFIERS):
            raise RespondInvalid(
                f"needs at least one of the columns {', '.join(IDENTIFIERS)}", field="file"
            )
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            n = reader.line_num
            if len(rows) + len(rejected) >= max_rows:
                raise RespondInvalid(f"has more than {max_rows} victims", field="file")
            if len(cells) > len(header):
                rejected.append(RowProblem(n, None, "too_many_cells"))
                continue
            checked = check_row(n, dict(zip(header, cells, strict=False)), region=region, where="")
            if isinstance(checked, VictimRow):
                rows.append(checked)
            else:
                rejected.append(checked)
    except csv.Error:
        raise RespondInvalid(f"line {reader.line_num}: is not valid CSV", field="file") from None
    if not rows and not rejected:
        raise RespondInvalid("has a header but no victims", field="file")
    return ParsedList(tuple(rows), tuple(rejected))


# matching -------------------------------------------------------------------------------------


def rematch_customer(found: Sequence[set[str]]) -> str | None:
    """The customer an unmatched victim now names: ``found`` holds, per keyed hash it is kept
    under (ID number, phone), the customers with that digest. One customer named by every hash
    that names anyone; None when none does or they disagree (ambiguous: left unmatched)."""
    named = [f for f in found if f]
    if not named:
        return None
    common = set.intersection(*named)
    return next(iter(common)) if len(common) == 1 and all(len(f) == 1 for f in named) else None


class VictimLookups(Protocol):
    """Custody as the register sees it: customers found through blind indexes and orders, and
    keyed hashes for what matches no one. Nothing is decrypted."""

    def by_phone(self, e164: str) -> list[str]: ...
    def by_national_id(self, national_id: str) -> list[str]: ...
    def order_customer(self, order_id: str) -> str | None: ...
    def existing(self, customer_ids: Sequence[str]) -> set[str]: ...
    def by_digest(self, field: str, digest: bytes) -> list[str]:
        """Customers whose ``field`` (phone or national_id) has this blind-index digest."""
        ...

    def keys(self, row: VictimRow) -> Keys:
        """The keyed hashes of the row's phone, ID number and order number."""
        ...


@dataclass(frozen=True, slots=True)
class Keys:
    phone: bytes | None = None
    national_id: bytes | None = None
    order: bytes | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """A row to register: the customer it names, or (unmatched) its keyed hashes."""

    row: int
    victim_key: str  # c:<customer id>, or n:/p:/o: and the hex of a keyed hash
    customer_id: str | None
    keys: Keys
    loss: int


@dataclass(frozen=True, slots=True)
class Duplicate:
    row: int
    duplicate_of: int

    def to_dict(self) -> dict[str, int]:
        return {"row": self.row, "duplicate_of": self.duplicate_of}


@dataclass(frozen=True, slots=True)
class MatchResult:
    matches: tuple[Match, ...]
    rejected: tuple[RowProblem, ...]
    duplicates: tuple[Duplicate, ...]
    ambiguous: tuple[int, ...] = field(default=())  # rows kept unmatched: a shared phone

    @property
    def matched(self) -> int:
        return sum(1 for m in self.matches if m.customer_id is not None)


def _candidates(r: VictimRow, lookups: VictimLookups, known: set[str]) -> list[set[str]]:
    sets: list[set[str]] = []
    if r.customer_id is not None:
        sets.append({r.customer_id} & known)
    if r.national_id is not None:
        sets.append(set(lookups.by_national_id(r.national_id)))
    if r.phone is not None:
        sets.append(set(lookups.by_phone(r.phone)))
    if r.order_id is not None:
        owner = lookups.order_customer(r.order_id)
        sets.append(set() if owner is None else {owner})
    return sets


def match(rows: Sequence[VictimRow], lookups: VictimLookups) -> MatchResult:
    """Match each row to a customer; deduplicate (one customer, or one keyed identity, is one
    victim: later rows are reported as duplicates of the first)."""
    known = lookups.existing([r.customer_id for r in rows if r.customer_id is not None])
    matches: list[Match] = []
    rejected: list[RowProblem] = []
    duplicates: list[Duplicate] = []
    ambiguous: list[int] = []
    first: dict[str, int] = {}
    for r in rows:
        if r.customer_id is not None and r.customer_id not in known:
            rejected.append(RowProblem(r.row, "customer_id", "unknown_customer"))
            continue
        found = [s for s in _candidates(r, lookups, known) if s]
        agreed = set.intersection(*found) if found else set()
        keys = lookups.keys(r)
        if found and not agreed:
            rejected.append(RowProblem(r.row, None, "conflicting_identifiers"))
            continue
        if len(agreed) == 1:
            cid = next(iter(agreed))
            key, customer = f"c:{cid}", cid
        else:
            if len(agreed) > 1:
                ambiguous.append(r.row)
            key, customer = _keyed(keys), None
        if key in first:
            duplicates.append(Duplicate(r.row, first[key]))
            continue
        first[key] = r.row
        matches.append(Match(r.row, key, customer, keys, r.loss))
    return MatchResult(tuple(matches), tuple(rejected), tuple(duplicates), tuple(ambiguous))


def _keyed(keys: Keys) -> str:
    # The strongest identifier names the unmatched victim: an ID number is one person's, a
    # phone may be a household's, an order number may be someone else's store.
    for prefix, digest in (("n", keys.national_id), ("p", keys.phone), ("o", keys.order)):
        if digest is not None:
            return f"{prefix}:{digest.hex()}"
    raise RespondInvalid("has no identifier to register it by", field="row")  # pragma: no cover


# the register's records -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactRecord:
    contact_id: str
    victim_id: str
    at: datetime
    channel: ContactChannel
    outcome: ContactOutcome
    by: str

    def to_dict(self) -> dict[str, object]:
        return {
            "contact_id": self.contact_id,
            "at": self.at.isoformat(),
            "channel": self.channel.value,
            "outcome": self.outcome.value,
            "by": self.by,
        }


@dataclass(frozen=True, slots=True)
class Victim:
    """One victim in one case: a customer, or an unmatched identity kept as keyed hashes."""

    victim_id: str
    case_id: str
    victim_key: str
    customer_id: str | None
    source: Source
    trace_ref: str | None
    loss: int
    status: VictimStatus
    created_at: datetime
    created_by: str
    updated_at: datetime
    contacts: tuple[ContactRecord, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "victim_id": self.victim_id,
            "case_id": self.case_id,
            "customer_id": self.customer_id,
            "matched": self.customer_id is not None,
            "source": self.source.value,
            "trace_ref": self.trace_ref,
            "loss_fen": self.loss,
            "status": self.status.value,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "updated_at": self.updated_at.isoformat(),
            "contacts": [c.to_dict() for c in self.contacts],
        }
