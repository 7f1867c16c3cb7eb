"""Victims as input: the CSV a store receives (or the API's rows), the vocabulary of what a
caller knew, and resolving each row to one customer in custody (or a reason it does not)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shieldwall.trace.attribution.errors import InvalidVictims
from shieldwall.trace.attribution.exposure import SEEN_MASK, Knowledge

# What a caller can be said to have known, with the vocabulary of scam reports
# (contact/scam/scrub.py KNEW_KINDS) accepted as aliases.
KNEW: Mapping[str, Knowledge] = {
    "name": Knowledge.NAME,
    "phone": Knowledge.PHONE,
    "email": Knowledge.EMAIL,
    "address": Knowledge.ADDRESS,
    "national_id": Knowledge.NATIONAL_ID,
    "id_number": Knowledge.NATIONAL_ID,
    "items": Knowledge.ITEMS,
    "item": Knowledge.ITEMS,
    "order_items": Knowledge.ITEMS,
    "amount": Knowledge.AMOUNT,
    "order_number": Knowledge.ORDER,
    "order": Knowledge.ORDER,
    "delivery": Knowledge.ORDER,
}
COLUMNS = ("phone", "customer_id", "called_at", "knew")
_SPLIT = re.compile(r"[;|,]+")


@dataclass(frozen=True, slots=True)
class VictimRow:
    """One line of input: a phone or a customer id, when the call came, what the caller knew."""

    row: int
    phone: str | None = None
    customer_id: str | None = None
    called_at: datetime | None = None
    knew: frozenset[Knowledge] = frozenset()


@dataclass(frozen=True, slots=True)
class Victim:
    """A resolved victim: a customer in custody."""

    customer_id: str
    called_at: datetime | None = None
    knew: frozenset[Knowledge] = frozenset()
    row: int = 0

    @property
    def mask(self) -> int:
        m = SEEN_MASK
        for k in self.knew:
            m |= 1 << k
        return m

    @property
    def before(self) -> float:
        return math.inf if self.called_at is None else self.called_at.timestamp()


@dataclass(frozen=True, slots=True)
class Unresolved:
    row: int
    reason: str  # invalid_phone, unknown_phone, phone_matches_several, unknown_customer, ...

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason}


def parse_knew(value: Iterable[str] | str, where: str) -> frozenset[Knowledge]:
    items = _SPLIT.split(value.strip()) if isinstance(value, str) else list(value)
    out: set[Knowledge] = set()
    for item in items:
        token = item.strip().lower().replace(" ", "_").replace("-", "_")
        if not token:
            continue
        k = KNEW.get(token)
        if k is None:
            # The token is not echoed: a misplaced column could put a phone here.
            raise InvalidVictims(
                f"has an unknown item; expected some of {', '.join(sorted(KNEW))}", field=where
            )
        out.add(k)
    return frozenset(out)


def parse_called_at(value: str | datetime | None, where: str) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidVictims(
                "is not an ISO 8601 time (2026-03-05T14:30:00+08:00)", field=where
            ) from None
    if when.tzinfo is None:
        raise InvalidVictims("needs a UTC offset (2026-03-05T14:30:00+08:00)", field=where)
    return when


def victim_row(
    row: int,
    *,
    phone: str | None,
    customer_id: str | None,
    called_at: str | datetime | None,
    knew: Iterable[str] | str,
    where: str,
) -> VictimRow:
    return VictimRow(
        row,
        (phone or "").strip() or None,
        (customer_id or "").strip() or None,
        parse_called_at(called_at, f"{where}.called_at"),
        parse_knew(knew, f"{where}.knew"),
    )


def parse_csv(data: bytes, *, max_rows: int) -> list[VictimRow]:
    """Read a victims CSV (UTF-8, a header naming some of :data:`COLUMNS`, one of ``phone`` or
    ``customer_id`` required). Errors name the column or row, never a value."""
    if b"\x00" in data:
        raise InvalidVictims("is not CSV text (binary data)", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidVictims("is not UTF-8 text", field="file") from None
    if not text.strip():
        raise InvalidVictims("is empty", field="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
        unknown = [i + 1 for i, h in enumerate(header) if h not in COLUMNS]
        if unknown:
            raise InvalidVictims(
                f"unknown column at position {', '.join(map(str, unknown))};"
                f" expected a header with some of {', '.join(COLUMNS)}",
                field="file",
            )
        if len(set(header)) != len(header):
            raise InvalidVictims("a column appears twice in the header", field="file")
        if "phone" not in header and "customer_id" not in header:
            raise InvalidVictims("needs a phone or a customer_id column", field="file")
        rows: list[VictimRow] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            n = reader.line_num
            if len(cells) > len(header):
                raise InvalidVictims("has more cells than the header has columns", field=f"row {n}")
            if len(rows) >= max_rows:
                raise InvalidVictims(f"has more than {max_rows} victims", field="file")
            got = dict(zip(header, cells, strict=False))
            rows.append(
                victim_row(
                    n,
                    phone=got.get("phone"),
                    customer_id=got.get("customer_id"),
                    called_at=got.get("called_at"),
                    knew=got.get("knew", ""),
                    where=f"row {n}",
                )
            )
    except csv.Error:
        raise InvalidVictims("is not valid CSV", field="file") from None
    if not rows:
        raise InvalidVictims("has a header but no victims", field="file")
    return rows


class CustomerDirectory(Protocol):
    """Custody as attribution sees it: phones to customers through the blind index (audited),
    which customer ids exist, how many customers there are. Nothing is decrypted."""

    def valid_phone(self, phone: str) -> bool: ...

    def by_phone(self, phone: str) -> list[str]: ...

    def existing(self, customer_ids: Sequence[str]) -> set[str]: ...

    def population(self) -> int: ...


def resolve(
    rows: Sequence[VictimRow], directory: CustomerDirectory
) -> tuple[list[Victim], list[Unresolved]]:
    """Victims for the rows that name one customer in custody; the others with a reason.

    A row with a customer id is taken by its id (its phone, if any, is not looked up). A phone
    that matches several customers is not guessed at.
    """
    unresolved: list[Unresolved] = []
    found: list[tuple[VictimRow, str]] = []
    for r in rows:
        if r.customer_id is not None:
            found.append((r, r.customer_id))
        elif r.phone is None:
            unresolved.append(Unresolved(r.row, "no_phone_or_customer_id"))
        elif not directory.valid_phone(r.phone):
            unresolved.append(Unresolved(r.row, "invalid_phone"))
        else:
            ids = directory.by_phone(r.phone)
            if not ids:
                unresolved.append(Unresolved(r.row, "unknown_phone"))
            elif len(ids) > 1:
                unresolved.append(Unresolved(r.row, "phone_matches_several_customers"))
            else:
                found.append((r, ids[0]))
    known = directory.existing([cid for _, cid in found]) if found else set()
    victims: list[Victim] = []
    seen: set[str] = set()
    for r, cid in found:
        if cid not in known:
            unresolved.append(Unresolved(r.row, "unknown_customer"))
        elif cid in seen:
            unresolved.append(Unresolved(r.row, "duplicate"))
        else:
            seen.add(cid)
            victims.append(Victim(cid, r.called_at, r.knew, r.row))
    unresolved.sort(key=lambda u: u.row)
    return victims, unresolved
