"""Bulk import of customers and orders: validate, seal, insert; all or nothing by default.

Rows come from CSV or JSON Lines. Every rejected row is reported with its line number, the
field and the reason (never the value). With ``all_or_nothing`` (the default) one bad row means
nothing is written; otherwise the good rows are written and the bad ones reported.

What counts as a bad row and what as a bad file (:func:`read_rows`):

- a row with a NUL character in any field is a bad row (``nul_byte``), never silently cleaned;
- a line longer than :data:`MAX_LINE_CHARS` or a field longer than :data:`MAX_FIELD_CHARS`, a
  malformed CSV, or a file with no rows at all is a bad *file*: a :class:`ValidationError` naming
  the line, raised inside the import's transaction, so nothing is written even with partial
  imports (a 10 MB "name" is a broken export or an attack, not a customer);
- a leading byte-order mark is ignored.

A national ID number whose area code no edition of GB/T 2260 lists is imported with a warning
in the report; with ``strict_region`` it is a bad row.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TextIO, TypeVar

from shieldwall.core.clock import Clock, utc
from shieldwall.core.errors import ShieldwallError
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Customer, Order, OrderItem, OrderStatus, Principal
from shieldwall.custody import normalize
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.errors import CustodyError, ValidationError
from shieldwall.custody.ports import (
    CustodyStore,
    CustodyTx,
    OutboxAuditSink,
    ProgressCallback,
    no_progress,
)
from shieldwall.custody.sealing import Sealer

log = logging.getLogger(__name__)

CUSTOMER_COLUMNS = ("customer_id", "name", "phone", "email", "address", "national_id")
CUSTOMER_REQUIRED = ("customer_id", "name", "phone")
ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "items",
    "amount_cents",
    "status",
    "created_at",
    "paid_at",
    "shipped_at",
    "delivered_at",
    "refunded_at",
    "delivery_address",
)
ORDER_REQUIRED = ("order_id", "customer_id", "items", "amount_cents", "status", "created_at")
MAX_REPORTED = 1000
MAX_ITEMS = 200
MAX_LINE_CHARS = 1_048_576  # bounds what one line can make us hold in memory
MAX_FIELD_CHARS = 131_072  # the csv module's default field limit, for every format


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str | None
    code: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"line {self.line}: {where}{self.reason}"


@dataclass(slots=True)
class ImportReport:
    total: int = 0
    imported: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    warned: int = 0
    warnings: list[RowError] = field(default_factory=list)

    def reject(self, error: RowError) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(error)

    def warn(self, warning: RowError) -> None:
        """A row that was accepted but that the operator should look at."""
        self.warned += 1
        if len(self.warnings) < MAX_REPORTED:
            self.warnings.append(warning)


def _file_error(line: int, reason: str, code: str = "bad_file") -> ValidationError:
    return ValidationError(f"line {line}: {reason}; nothing imported", field="file", code=code)


class _Lines:
    """The stream's lines, a leading byte-order mark dropped, none longer than MAX_LINE_CHARS;
    ``number`` is the number of the last line handed out (what csv's errors refer to)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        while line := self.stream.readline(MAX_LINE_CHARS + 1):
            self.number += 1
            if self.number == 1:
                line = line.removeprefix("\ufeff")
            if len(line) > MAX_LINE_CHARS:
                raise _file_error(
                    self.number, f"longer than {MAX_LINE_CHARS} characters", "too_long"
                )
            yield line


def _check_size(line: int, values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise _file_error(
                line, f"a field is longer than {MAX_FIELD_CHARS} characters", "too_long"
            )
        if isinstance(value, dict):
            _check_size(line, value.values())
        elif isinstance(value, list):
            _check_size(line, value)


def _csv_error(line: int, exc: csv.Error) -> ValidationError:
    # csv says "field larger than field limit (N)" or names the syntax fault: the file's
    # shape, never its content.
    if "field limit" in str(exc):
        return _file_error(line, f"a field is longer than {MAX_FIELD_CHARS} characters", "too_long")
    return _file_error(line, "is not well-formed CSV", "bad_csv")


def _csv_rows(stream: TextIO, columns: tuple[str, ...]) -> Iterator[tuple[int, Any]]:
    lines = _Lines(stream)
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise _csv_error(lines.number, exc) from None
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise ValidationError(
            f"unknown column {unknown[0]!r}; expected {', '.join(columns)}", field="header"
        )
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_error(lines.number, exc) from None
        if None in row:  # more cells than header columns
            yield reader.line_num, RowError(reader.line_num, None, "bad_row", "too many cells")
            continue
        _check_size(reader.line_num, row.values())
        yield reader.line_num, {k: (v if v != "" else None) for k, v in row.items()}


def _jsonl_rows(stream: TextIO) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(_Lines(stream), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            yield number, RowError(number, None, "bad_json", "not a JSON object")
            continue
        if not isinstance(obj, dict):
            yield number, RowError(number, None, "bad_json", "not a JSON object")
            continue
        _check_size(number, obj.values())
        yield number, obj


def read_rows(stream: TextIO, fmt: str, columns: tuple[str, ...]) -> Iterator[tuple[int, Any]]:
    """Yield (line number, row) from CSV or JSON Lines; a row that cannot be parsed is yielded
    as a :class:`RowError` so the import reports it instead of stopping.

    A CSV header with an unknown column, an over-long line or field, malformed CSV and a file
    without a single row are file-level errors (:class:`ValidationError` with ``field="file"``
    or ``"header"``, naming the line).
    """
    if fmt == "csv":
        rows = _csv_rows(stream, columns)
    elif fmt == "jsonl":
        rows = _jsonl_rows(stream)
    else:
        raise ValidationError("format must be csv or jsonl", field="format")
    empty = True
    for item in rows:
        empty = False
        yield item
    if empty:
        raise ValidationError("has no rows; nothing imported", field="file", code="empty_file")


def _reject_nul(row: Mapping[str, Any]) -> None:
    """A NUL character is never cleaned away: it marks a corrupt or crafted row."""

    def has_nul(value: Any) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(has_nul(k) or has_nul(v) for k, v in value.items())
        if isinstance(value, list):
            return any(has_nul(v) for v in value)
        return False

    for key, value in row.items():
        if has_nul(key) or has_nul(value):
            raise ValidationError("contains a NUL character", field=str(key), code="nul_byte")


def _check_columns(
    row: Mapping[str, Any], columns: tuple[str, ...], required: tuple[str, ...]
) -> None:
    for key in row:
        if key not in columns:
            raise ValidationError(f"unknown field; expected {', '.join(columns)}", field=str(key))
    for key in required:
        if row.get(key) in (None, ""):
            raise ValidationError("is required", field=key)


def parse_customer(row: Mapping[str, Any], *, region: str, strict_region: bool) -> Customer:
    _reject_nul(row)
    _check_columns(row, CUSTOMER_COLUMNS, CUSTOMER_REQUIRED)

    def opt(key: str, fn: Callable[[str], str]) -> str | None:
        value = row.get(key)
        return None if value in (None, "") else fn(_text(value, key))

    return Customer(
        customer_id=normalize.record_id(_text(row["customer_id"], "customer_id")),
        name=normalize.name(_text(row["name"], "name")),
        phone=normalize.phone(_text(row["phone"], "phone"), region),
        email=opt("email", normalize.email),
        address=opt("address", normalize.address),
        national_id=opt(
            "national_id", lambda v: normalize.national_id(v, strict_region=strict_region)
        ),
    )


def parse_order(row: Mapping[str, Any]) -> Order:
    _reject_nul(row)
    _check_columns(row, ORDER_COLUMNS, ORDER_REQUIRED)
    items_raw = row["items"]
    if isinstance(items_raw, str):
        try:
            items_raw = json.loads(items_raw)
        except json.JSONDecodeError:
            raise ValidationError("must be a JSON list of items", field="items") from None
    if not isinstance(items_raw, list) or not 1 <= len(items_raw) <= MAX_ITEMS:
        raise ValidationError(f"must be a list of 1-{MAX_ITEMS} items", field="items")
    items = tuple(_item(i, n) for n, i in enumerate(items_raw))
    try:
        status = OrderStatus(row["status"])
    except ValueError:
        options = ", ".join(s.value for s in OrderStatus)
        raise ValidationError(f"must be one of {options}", field="status") from None
    amount = row["amount_cents"]
    if isinstance(amount, str) and amount.isdigit():
        amount = int(amount)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount < 10**12:
        raise ValidationError("must be a whole number of cents, 0 or more", field="amount_cents")
    address = row.get("delivery_address")
    return Order(
        order_id=normalize.record_id(_text(row["order_id"], "order_id"), "order_id"),
        customer_id=normalize.record_id(_text(row["customer_id"], "customer_id")),
        items=items,
        amount_cents=amount,
        status=status,
        created_at=_time(row, "created_at") or _missing("created_at"),
        delivery_address=None
        if not address
        else normalize.address(_text(address, "delivery_address")),
        paid_at=_time(row, "paid_at"),
        shipped_at=_time(row, "shipped_at"),
        delivered_at=_time(row, "delivered_at"),
        refunded_at=_time(row, "refunded_at"),
    )


def _text(value: Any, key: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValidationError("must be text", field=key)
    return value


def _missing(key: str) -> datetime:
    raise ValidationError("is required", field=key)


def _time(row: Mapping[str, Any], key: str) -> datetime | None:
    value = row.get(key)
    if value in (None, ""):
        return None
    try:
        return utc(datetime.fromisoformat(_text(value, key)))
    except ValueError:
        raise ValidationError("must be an ISO 8601 time", field=key) from None


def _item(raw: Any, n: int) -> OrderItem:
    where = f"items[{n}]"
    if not isinstance(raw, dict):
        raise ValidationError(
            "must be an object with sku, title, quantity, unit_price_cents", field=where
        )
    try:
        item = OrderItem(
            sku=normalize.clean_text(raw["sku"], f"{where}.sku", max_len=64),
            title=normalize.clean_text(raw["title"], f"{where}.title", max_len=200),
            quantity=int(raw["quantity"]),
            unit_price_cents=int(raw["unit_price_cents"]),
        )
    except KeyError as exc:
        raise ValidationError("is required", field=f"{where}.{exc.args[0]}") from None
    except (TypeError, ValueError):
        raise ValidationError(
            "quantity and unit_price_cents must be whole numbers", field=where
        ) from None
    if item.quantity < 1 or item.unit_price_cents < 0:
        raise ValidationError("quantity must be 1 or more and price 0 or more", field=where)
    return item


R = TypeVar("R", Customer, Order)


@dataclass(frozen=True, slots=True)
class _Spec(Generic[R]):
    """What differs between importing customers and orders."""

    name: str
    parse: Callable[[Mapping[str, Any]], R]
    key: Callable[[R], str]
    flush: Callable[[CustodyTx, list[tuple[int, R]], ImportReport], None]
    advise: Callable[[int, R], list[RowError]] = lambda _line, _record: []


class _Rollback(Exception):
    """Raised inside the import transaction to undo it when a row was rejected."""


class Importer:
    """Imports customers and orders in batches inside one transaction."""

    def __init__(
        self,
        store: CustodyStore,
        sealer: Sealer,
        audit: OutboxAuditSink,
        clock: Clock,
        *,
        region: str = "CN",
        strict_region: bool = True,
        batch_size: int = 1000,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.audit = audit
        self.clock = clock
        self.region = region
        self.strict_region = strict_region
        self.batch_size = batch_size
        # Called with (actor, channel) after an import that wrote customers: e.g. the victims
        # register matches again the victims it had to keep unmatched (wired in wiring/).
        self.after_customers: list[Callable[[Principal, str], object]] = []

    def customers(
        self,
        rows: Iterable[tuple[int, Any]],
        *,
        all_or_nothing: bool = True,
        progress: ProgressCallback = no_progress,
        actor: Principal = OPERATOR,
        channel: str = "cli",
        strict_region: bool | None = None,
    ) -> ImportReport:
        """Import customers. ``strict_region`` (default: the configured one) rejects ID numbers
        whose area code no edition of GB/T 2260 lists; otherwise they are warnings."""
        strict = self.strict_region if strict_region is None else strict_region

        def parse(row: Mapping[str, Any]) -> Customer:
            return parse_customer(row, region=self.region, strict_region=strict)

        def advise(line: int, c: Customer) -> list[RowError]:
            if c.national_id is None or normalize.area_code_known(c.national_id):
                return []
            reason = f"{normalize.UNKNOWN_AREA_REASON}; imported (strict mode rejects it)"
            return [RowError(line, "national_id", "unknown_area_code", reason)]

        def flush(tx: CustodyTx, batch: list[tuple[int, Customer]], report: ImportReport) -> None:
            existing = tx.existing_customer_ids(c.customer_id for _, c in batch)
            now = self.clock.now()
            fresh = []
            for line, c in batch:
                if c.customer_id in existing:
                    report.reject(RowError(line, "customer_id", "conflict", "already exists"))
                else:
                    fresh.append(self.sealer.seal_customer(c, now))
            if fresh and not (all_or_nothing and report.rejected):
                tx.insert_customers(fresh)
                report.imported += len(fresh)

        spec = _Spec("customers", parse, lambda c: c.customer_id, flush, advise)
        report = self._run(spec, rows, all_or_nothing, progress, actor, channel)
        if report.imported:
            for listener in self.after_customers:
                try:
                    listener(actor, channel)
                except ShieldwallError as exc:  # the import is committed: it stands
                    log.warning("after customer import: %s failed: %s", listener, exc.code)
        return report

    def orders(
        self,
        rows: Iterable[tuple[int, Any]],
        *,
        all_or_nothing: bool = True,
        progress: ProgressCallback = no_progress,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> ImportReport:
        def flush(tx: CustodyTx, batch: list[tuple[int, Order]], report: ImportReport) -> None:
            existing = tx.existing_order_ids(o.order_id for _, o in batch)
            owners = tx.existing_customer_ids({o.customer_id for _, o in batch})
            fresh = []
            for line, o in batch:
                if o.order_id in existing:
                    report.reject(RowError(line, "order_id", "conflict", "already exists"))
                elif o.customer_id not in owners:
                    report.reject(RowError(line, "customer_id", "not_found", "no such customer"))
                else:
                    fresh.append(self.sealer.seal_order(o))
            if fresh and not (all_or_nothing and report.rejected):
                tx.insert_orders(fresh)
                report.imported += len(fresh)

        spec = _Spec("orders", parse_order, lambda o: o.order_id, flush)
        return self._run(spec, rows, all_or_nothing, progress, actor, channel)

    def _run(
        self,
        spec: _Spec[R],
        rows: Iterable[tuple[int, Any]],
        all_or_nothing: bool,
        progress: ProgressCallback,
        actor: Principal,
        channel: str,
    ) -> ImportReport:
        report = ImportReport()
        seen: set[str] = set()
        staged: list[int] = []
        try:
            with self.store.write() as tx:
                batch: list[tuple[int, R]] = []
                for line, row in rows:
                    report.total += 1
                    progress(1)
                    if isinstance(row, RowError):
                        report.reject(row)
                        continue
                    try:
                        record = spec.parse(row)
                    except CustodyError as exc:
                        report.reject(RowError(line, exc.field, exc.code, exc.reason))
                        continue
                    if spec.key(record) in seen:
                        report.reject(
                            RowError(line, None, "duplicate", "duplicate id in this file")
                        )
                        continue
                    seen.add(spec.key(record))
                    for warning in spec.advise(line, record):
                        report.warn(warning)
                    batch.append((line, record))
                    if len(batch) >= self.batch_size:
                        spec.flush(tx, batch, report)
                        batch = []
                if batch:
                    spec.flush(tx, batch, report)
                if all_or_nothing and report.rejected:
                    raise _Rollback
                if report.imported:
                    # Staged in the data's own transaction: if this process dies after the
                    # commit, the next start logs it (flush_outbox), so no import goes unaudited.
                    staged = tx.stage_audit(
                        [
                            access_event(
                                self.clock.now(),
                                actor,
                                Action.IMPORT,
                                Decision.ALLOW,
                                "bulk_import",
                                channel=channel,
                                extra={"kind": spec.name, "rows": str(report.imported)},
                            )
                        ]
                    )
        except _Rollback:
            report.imported = 0
            return report
        report.committed = True
        self.audit.log_staged(staged)
        return report
