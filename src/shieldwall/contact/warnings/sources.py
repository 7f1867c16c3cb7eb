"""Where the customers at risk come from: a leak (a trace result or a list of customer ids) or
an active scam campaign (an interface the scam-report capability implements).

A trace result file may be any of:

- a JSON array of customer ids: ``["C000001", "C000002"]``;
- a JSON object with a ``customer_ids`` (or ``victims``) array of ids, or of objects with a
  ``customer_id`` each;
- text with one customer id per line (blank lines and ``#`` comments ignored).

A victims trace (the JSON ``shieldwall trace victims --json`` prints) is read by
:func:`trace_result_customers`: its customers at risk are the victims the result names (each
source's ``customer_ids`` and the ``unexplained``), and its cause (the dedupe key) is
``trace-`` and a digest of those ids, so re-planning the same result warns nobody twice.
A leaked-file trace (``shieldwall trace file --json``) names no customer itself: its customers
at risk are those its audit entry (``audit_seq``, reason ``leak_file_match``) records as
matched in the file, and its cause is ``leak-`` and that entry's number.

An active scam campaign's victims come from the scam reports (:class:`ScamCampaignTargets`).
Campaign targets as a file (for campaigns tracked elsewhere): a JSON array of
``{"customer_id": "...", "first_seen": "<ISO 8601>"}`` objects, or an object with a
``customers`` array of them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from shieldwall.contact.ledger.errors import InvalidInput, NotFound

MAX_FILE_BYTES = 256 * 1024 * 1024
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class CampaignTargets(Protocol):
    """The customers an active campaign reached or targeted, with when each was first seen."""

    def customers(self, campaign_id: str) -> list[tuple[str, datetime]]: ...


class _CampaignVictim(Protocol):
    @property
    def customer_id(self) -> str: ...
    @property
    def first_contact_at(self) -> datetime: ...


class _ScamVictims(Protocol):
    def victims(self, campaign_id: str) -> Sequence[_CampaignVictim]: ...


class ScamCampaignTargets:
    """:class:`CampaignTargets` from the scam reports: the customers a campaign reached, first
    contact first (an unknown campaign raises the scam reports' not-found error)."""

    def __init__(self, reports: _ScamVictims) -> None:
        self.reports = reports

    def customers(self, campaign_id: str) -> list[tuple[str, datetime]]:
        return [(v.customer_id, v.first_contact_at) for v in self.reports.victims(campaign_id)]


def _ids(values: Sequence[Any], where: str) -> list[str]:
    out: list[str] = []
    for n, v in enumerate(values, 1):
        cid = v.get("customer_id") if isinstance(v, dict) else v
        if not isinstance(cid, str) or not _ID.fullmatch(cid):
            raise InvalidInput(f"entry {n} is not a customer id", field=where)
        out.append(cid)
    return out


def _read(path: Path, field: str) -> str:
    if not path.is_file():
        raise InvalidInput(f"{path} is not a readable file", field=field)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{path} is larger than {MAX_FILE_BYTES} bytes", field=field)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text", field=field) from None


def parse_customer_ids(text: str, field: str = "file") -> list[str]:
    """Customer ids from a trace result or a list (formats in the module docstring), in order
    and without repeats."""
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"is not valid JSON (line {exc.lineno})", field=field) from None
        if isinstance(doc, dict):
            key = next((k for k in ("customer_ids", "victims") if k in doc), None)
            if key is None or not isinstance(doc[key], list):
                raise InvalidInput("needs a customer_ids (or victims) array", field=field)
            ids = _ids(doc[key], field)
        elif isinstance(doc, list):
            ids = _ids(doc, field)
        else:
            raise InvalidInput("must be a JSON array or object", field=field)
    else:
        lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
        ids = _ids([ln for ln in lines if ln], field)
    return list(dict.fromkeys(ids))


def read_customer_ids(path: Path, field: str = "file") -> list[str]:
    return parse_customer_ids(_read(path, field), field)


class FileCampaignTargets:
    """:class:`CampaignTargets` read from a JSON file (one campaign per file)."""

    def __init__(self, path: Path, campaign_id: str) -> None:
        self.path = path
        self.campaign_id = campaign_id

    def customers(self, campaign_id: str) -> list[tuple[str, datetime]]:
        if campaign_id != self.campaign_id:
            raise NotFound(f"no campaign {campaign_id} in {self.path}", field="campaign")
        try:
            doc = json.loads(_read(self.path, "targets"))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"is not valid JSON (line {exc.lineno})", field="targets") from None
        rows = doc.get("customers") if isinstance(doc, dict) else doc
        if not isinstance(rows, list):
            raise InvalidInput("must be an array of {customer_id, first_seen}", field="targets")
        out: dict[str, datetime] = {}
        for n, row in enumerate(rows, 1):
            if not isinstance(row, dict):
                raise InvalidInput(f"entry {n} is not an object", field="targets")
            (cid,) = _ids([row], "targets")
            try:
                seen = datetime.fromisoformat(str(row.get("first_seen")))
            except ValueError:
                raise InvalidInput(
                    f"entry {n}: first_seen is not an ISO 8601 time", field="targets"
                ) from None
            seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
            out[cid] = min(seen, out.get(cid, seen))
        return list(out.items())


# The customers a leaked-file trace matched, read from the audit entry (by its number) that
# recorded it (``leak_file_match``); None when that entry is not such an entry.
LeakMatches = Callable[[int], Sequence[str] | None]


def _leak_customers(doc: dict[str, Any], matches: LeakMatches | None, field: str) -> list[str]:
    seq = doc.get("audit_seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise InvalidInput("is a leaked-file trace that matched no one (no audit_seq)", field=field)
    if matches is None:
        raise InvalidInput("a leaked-file trace result needs the audit log to read", field=field)
    found = matches(seq)
    if found is None:
        raise InvalidInput(f"audit entry {seq} is not a leaked-file match", field=field)
    return _ids(list(found), field)


def trace_result_customers(
    text: str, field: str = "from_trace", leak_matches: LeakMatches | None = None
) -> tuple[str, list[str]]:
    """The cause id and the customers at risk of a trace result (module docstring): a victims
    trace, or a leaked-file trace whose customers ``leak_matches`` reads from its audit entry."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"is not valid JSON (line {exc.lineno})", field=field) from None
    if isinstance(doc, dict) and isinstance(doc.get("recipients"), list) and "audit_seq" in doc:
        unique = sorted(set(_leak_customers(doc, leak_matches, field)))
        if not unique:
            raise InvalidInput("names no customers", field=field)
        return f"leak-{doc['audit_seq']}", unique
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("victims"), dict)
        or not isinstance(doc.get("sources"), list)
        or not isinstance(doc.get("unexplained"), list)
    ):
        raise InvalidInput(
            "is not a trace result (the JSON of shieldwall trace victims --json)", field=field
        )
    ids: list[str] = []
    for n, source in enumerate(doc["sources"], 1):
        if not isinstance(source, dict) or not isinstance(source.get("customer_ids"), list):
            raise InvalidInput(f"source {n} has no customer_ids array", field=field)
        ids.extend(_ids(source["customer_ids"], field))
    ids.extend(_ids(doc["unexplained"], field))
    unique = sorted(set(ids))
    if not unique:
        raise InvalidInput("names no customers", field=field)
    digest = hashlib.sha256("\n".join(unique).encode()).hexdigest()[:20]
    return f"trace-{digest}", unique


def read_trace_result(
    path: Path, field: str = "from_trace", leak_matches: LeakMatches | None = None
) -> tuple[str, list[str]]:
    return trace_result_customers(_read(path, field), field, leak_matches)
