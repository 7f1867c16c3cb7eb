"""Custody commands: customers, orders, principals, tickets, couriers, relay, keys, policy."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from shieldwall.cli.common import (
    EXIT_ERROR,
    as_principal,
    console,
    emit_json,
    err_console,
    progress_bar,
    read_secret_input,
    services,
)
from shieldwall.custody.errors import ValidationError

# The importer and the vault (cryptography, phonenumbers) load when a command runs.
if TYPE_CHECKING:
    from shieldwall.custody.importer import ImportReport, RowError
    from shieldwall.custody.vault import RecordView

customers = typer.Typer(help="Import, find and read customers.", no_args_is_help=True)
orders = typer.Typer(help="Import and read orders; move them along.", no_args_is_help=True)
principals = typer.Typer(help="Principals and their API keys.", no_args_is_help=True)
tickets = typer.Typer(
    help="Customer-service tickets (what lets an agent read a customer).", no_args_is_help=True
)
couriers = typer.Typer(help="Courier assignments.", no_args_is_help=True)
relay = typer.Typer(help="Relay numbers (privacy waybill).", no_args_is_help=True)
keys = typer.Typer(help="Encryption keys and rotation.", no_args_is_help=True)
policy = typer.Typer(help="The access policy.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
AsOpt = Annotated[str, typer.Option("--as", help="principal id to act as")]
PurposeOpt = Annotated[
    str, typer.Option("--purpose", help="why: after_sales, delivery, analytics, ...")
]


def register(app: typer.Typer) -> None:
    app.add_typer(customers, name="customers")
    app.add_typer(orders, name="orders")
    app.add_typer(principals, name="principals")
    app.add_typer(tickets, name="tickets")
    app.add_typer(couriers, name="couriers")
    app.add_typer(relay, name="relay")
    app.add_typer(keys, name="keys")
    app.add_typer(policy, name="policy")


# -- imports ---------------------------------------------------------------------------------


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ValidationError(
        "cannot tell the format from the file name; pass --format csv|jsonl", field="format"
    )


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


# GB 18030 is a superset of GBK and GB 2312: a GBK file decodes the same either way.
ENCODINGS = {"utf-8": "UTF-8", "utf8": "UTF-8", "gb18030": "GB18030", "gbk": "GBK"}

EncodingOpt = Annotated[
    str,
    typer.Option(
        "--encoding",
        help="the file's text encoding: utf-8 (default; a byte-order mark is fine), gb18030, gbk",
    ),
]


def _import(
    kind: str,
    path: Path,
    fmt: str | None,
    partial: bool,
    json_out: bool,
    encoding: str = "utf-8",
    strict_area_codes: bool | None = None,
) -> None:
    from shieldwall.custody.importer import CUSTOMER_COLUMNS, ORDER_COLUMNS, read_rows

    if not path.is_file():
        raise ValidationError(f"{path} is not a readable file", field="file")
    codec = ENCODINGS.get(encoding.lower().replace("_", "-"))
    if codec is None:
        raise ValidationError("must be utf-8, gb18030 or gbk", field="encoding")
    fmt = _format_of(path, fmt)
    columns = CUSTOMER_COLUMNS if kind == "customers" else ORDER_COLUMNS
    total = max(0, _count_lines(path) - (1 if fmt == "csv" else 0))
    importer = services().custody.importer
    try:
        with (
            path.open(encoding=codec, newline="") as handle,
            progress_bar(f"importing {kind}", total) as tick,
        ):
            rows = read_rows(handle, fmt, columns)
            if kind == "customers":
                report = importer.customers(
                    rows, all_or_nothing=not partial, progress=tick, strict_region=strict_area_codes
                )
            else:
                report = importer.orders(rows, all_or_nothing=not partial, progress=tick)
    except UnicodeDecodeError:
        hint = " (pass --encoding gb18030 for GB 18030 or GBK files)" if codec == "UTF-8" else ""
        raise ValidationError(
            f"{path} is not {codec} text{hint}; nothing imported", field="file"
        ) from None
    _print_report(kind, report, json_out)
    if report.rejected:
        raise typer.Exit(EXIT_ERROR)


def _print_report(kind: str, report: ImportReport, json_out: bool) -> None:
    def row(e: RowError) -> dict[str, object]:
        return {"line": e.line, "field": e.field, "code": e.code, "reason": e.reason}

    if json_out:
        emit_json(
            {
                "total": report.total,
                "imported": report.imported,
                "rejected": report.rejected,
                "committed": report.committed,
                "errors": [row(e) for e in report.errors],
                "warned": report.warned,
                "warnings": [row(w) for w in report.warnings],
            }
        )
        return
    for warning in report.warnings:
        err_console.print(f"warning {warning}", markup=False)
    if report.warned > len(report.warnings):
        err_console.print(f"... and {report.warned - len(report.warnings)} more warnings")
    for error in report.errors:
        err_console.print(f"rejected {error}", markup=False)
    if report.rejected and len(report.errors) < report.rejected:
        err_console.print(f"... and {report.rejected - len(report.errors)} more rejected rows")
    if report.committed:
        console.print(
            f"imported {report.imported} of {report.total} {kind}; rejected {report.rejected}"
        )
    else:
        console.print(
            f"imported nothing: {report.rejected} of {report.total} rows rejected (all-or-nothing;"
            " fix them, or pass --partial to import the valid rows)"
        )


@customers.command("import")
def customers_import(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or JSONL with customer_id,name,phone,email,address,national_id"),
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the suffix)")
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="import the valid rows even if some are rejected")
    ] = False,
    encoding: EncodingOpt = "utf-8",
    strict_area_codes: Annotated[
        bool | None,
        typer.Option(
            "--strict-area-codes/--lenient-area-codes",
            help="reject ID numbers whose area code no edition of GB/T 2260 lists (default:"
            " custody.strict_national_id_region, off: such rows import with a warning)",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Import customers: validated, encrypted field by field, indexed; all or nothing by default."""
    _import("customers", file, fmt, partial, json_out, encoding, strict_area_codes)


@orders.command("import")
def orders_import(
    file: Annotated[Path, typer.Argument(help="JSONL (or CSV with items as JSON) of orders")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the suffix)")
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="import the valid rows even if some are rejected")
    ] = False,
    encoding: EncodingOpt = "utf-8",
    json_out: JsonOpt = False,
) -> None:
    """Import orders for existing customers; all or nothing by default."""
    _import("orders", file, fmt, partial, json_out, encoding)


# -- reads -----------------------------------------------------------------------------------


def _print_view(view: RecordView, json_out: bool) -> None:
    if json_out:
        emit_json(view.as_dict())
        return
    table = Table(title=f"{view.kind} {view.record_id}", show_header=True)
    table.add_column("field")
    table.add_column("view")
    table.add_column("value")
    for name, fv in view.fields.items():
        value = fv.value
        if isinstance(value, list):
            value = "; ".join(f"{i['title']} x{i['quantity']}" for i in value)
        table.add_row(name, fv.view.value, "" if value is None else str(value))
    console.print(table)
    extra = f" via ticket {view.ticket_id}" if view.ticket_id else ""
    console.print(f"allowed ({', '.join(view.reasons)}){extra}; audit entry {view.audit_seq}")


TicketOpt = Annotated[str | None, typer.Option("--ticket", help="ticket id (agents)")]
SubjectOpt = Annotated[
    str | None, typer.Option("--subject", help="logged-in customer (account_self)")
]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="why (purposes that require one)")]


@customers.command("show")
def customers_show(
    customer_id: Annotated[str, typer.Argument(help="customer id")],
    as_: AsOpt,
    purpose: PurposeOpt,
    ticket: TicketOpt = None,
    subject: SubjectOpt = None,
    reason: ReasonOpt = None,
    risky: Annotated[
        bool, typer.Option("--risky", help="the session's login risk is elevated")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Show a customer as PRINCIPAL may see it for PURPOSE (exit 3 with the reason if denied)."""
    view = services().custody.vault.read_customer(
        as_principal(as_),
        customer_id,
        purpose,
        ticket_id=ticket,
        subject=subject,
        reason=reason,
        risky=risky,
        channel="cli",
    )
    _print_view(view, json_out)


@orders.command("show")
def orders_show(
    order_id: Annotated[str, typer.Argument(help="order id")],
    as_: AsOpt,
    purpose: PurposeOpt,
    ticket: TicketOpt = None,
    subject: SubjectOpt = None,
    reason: ReasonOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show an order (and the customer's delivery view) as PRINCIPAL may see it."""
    view = services().custody.vault.read_order(
        as_principal(as_),
        order_id,
        purpose,
        ticket_id=ticket,
        subject=subject,
        reason=reason,
        channel="cli",
    )
    _print_view(view, json_out)


@customers.command("lookup")
def customers_lookup(
    by: Annotated[str, typer.Option("--by", help="phone, email or national_id")],
    as_: AsOpt,
    purpose: PurposeOpt,
    ticket: TicketOpt = None,
    subject: SubjectOpt = None,
    reason: ReasonOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Find customer ids by phone, e-mail or ID number (read from stdin, never from argv),
    within PRINCIPAL's relationship: an agent names its open ticket."""
    value = read_secret_input(by)
    ids = services().custody.vault.lookup(
        as_principal(as_),
        purpose,
        by,
        value,
        ticket_id=ticket,
        subject=subject,
        reason=reason,
        channel="cli",
    )
    if json_out:
        emit_json({"customer_ids": ids})
    else:
        console.print("\n".join(ids) if ids else "no customer found")


@customers.command("reveal")
def customers_reveal(
    customer_id: Annotated[str, typer.Argument(help="customer id")],
    field: Annotated[str, typer.Option("--field", help="name, phone, email, address, national_id")],
    as_: AsOpt,
    purpose: PurposeOpt,
    reason: Annotated[str, typer.Option("--reason", help="why the clear value is needed (logged)")],
    ticket: Annotated[str | None, typer.Option("--ticket", help="ticket id (agents)")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one field in clear, for a purpose and a reason; logged as a reveal."""
    shown = services().custody.vault.reveal(
        as_principal(as_),
        purpose,
        field,
        reason=reason,
        customer_id=customer_id,
        ticket_id=ticket,
        channel="cli",
    )
    if json_out:
        emit_json({"field": shown.field, "value": shown.value, "audit_seq": shown.audit_seq})
    else:
        console.print(f"{shown.field}: {shown.value}", markup=False)
        console.print(f"revealed; audit entry {shown.audit_seq}")


@customers.command("break-glass")
def customers_break_glass(
    customer_id: Annotated[str, typer.Argument(help="customer id")],
    as_: AsOpt,
    reason: Annotated[
        str, typer.Option("--reason", help="the emergency (logged; raises an alert)")
    ],
    json_out: JsonOpt = False,
) -> None:
    """Emergency access to a whole record in clear; always raises an alert."""
    view = services().custody.vault.break_glass(
        as_principal(as_), customer_id, reason=reason, channel="cli"
    )
    _print_view(view, json_out)
    if not json_out:
        err_console.print("break-glass access recorded and alerted")


# -- relationships ---------------------------------------------------------------------------


@orders.command("status")
def orders_status(
    order_id: Annotated[str, typer.Argument(help="order id")],
    status: Annotated[str, typer.Argument(help="shipped, delivered or refunded")],
) -> None:
    """Move an order along; delivery ends courier access after the grace period."""
    new = services().custody.relations.set_order_status(order_id, status)
    console.print(f"{order_id}: {new.value}")


@principals.command("add")
def principals_add(
    principal_id: Annotated[str, typer.Argument(help="principal id")],
    role: Annotated[
        str,
        typer.Option("--role", help="agent, courier, partner, analyst, admin, service, monitor"),
    ],
    unit: Annotated[str | None, typer.Option("--unit", help="team or delivery outlet")] = None,
    name: Annotated[str | None, typer.Option("--name", help="display name")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Register a principal and print its API key (shown this once; stored only hashed)."""
    p, key = services().custody.principals.add(principal_id, role, unit=unit, display_name=name)
    if json_out:
        emit_json(
            {"principal_id": p.principal_id, "role": p.role.value, "unit": p.unit, "api_key": key}
        )
        return
    console.print(f"principal {p.principal_id} ({p.role.value}{', ' + p.unit if p.unit else ''})")
    console.print(f"API key (shown once): {key}", markup=False)


@principals.command("list")
def principals_list(json_out: JsonOpt = False) -> None:
    found = services().custody.principals.list()
    if json_out:
        emit_json(
            [{"principal_id": p.principal_id, "role": p.role.value, "unit": p.unit} for p in found]
        )
        return
    table = Table("principal", "role", "unit", "active")
    for p in found:
        table.add_row(p.principal_id, p.role.value, p.unit or "", "yes" if p.active else "no")
    console.print(table)


@principals.command("rotate-key")
def principals_rotate_key(
    principal_id: Annotated[str, typer.Argument(help="principal id")],
) -> None:
    """Issue a new API key; the old one stops working."""
    key = services().custody.principals.rotate_key(principal_id)
    console.print(f"new API key (shown once): {key}", markup=False)


AlertOpt = Annotated[
    str | None, typer.Option("--alert", help="the alert behind the decision (its id)")
]


@principals.command("suspend")
def principals_suspend(
    principal_id: Annotated[str, typer.Argument(help="principal id")],
    alert: AlertOpt = None,
) -> None:
    """Suspend a principal: its API key stops working and custody refuses its reads."""
    services().custody.principals.set_active(principal_id, False, alert_id=alert)
    console.print(f"{principal_id} suspended", markup=False)


@principals.command("reinstate")
def principals_reinstate(
    principal_id: Annotated[str, typer.Argument(help="principal id")],
    alert: AlertOpt = None,
) -> None:
    """Reinstate a suspended principal."""
    services().custody.principals.set_active(principal_id, True, alert_id=alert)
    console.print(f"{principal_id} reinstated", markup=False)


@tickets.command("open")
def tickets_open(
    agent: Annotated[str, typer.Option("--agent", help="agent principal id")],
    customer: Annotated[str, typer.Option("--customer", help="customer id")],
    order: Annotated[
        str | None, typer.Option("--order", help="order id the ticket is about")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Open a ticket; prints its id."""
    t = services().custody.relations.open_ticket(agent, customer, order)
    if json_out:
        emit_json({"ticket_id": t.ticket_id, "expires_at": t.expires_at.isoformat()})
    else:
        console.print(t.ticket_id)


@tickets.command("close")
def tickets_close(ticket_id: Annotated[str, typer.Argument(help="ticket id")]) -> None:
    t = services().custody.relations.close_ticket(ticket_id)
    console.print(f"{t.ticket_id}: closed")


@couriers.command("assign")
def couriers_assign(
    courier: Annotated[str, typer.Option("--courier", help="courier principal id")],
    order: Annotated[str, typer.Option("--order", help="order id")],
) -> None:
    """Assign a courier to deliver an order."""
    a = services().custody.relations.assign_courier(courier, order)
    console.print(f"{a.assignment_id}: {a.courier_id} delivers {a.order_id}")


@relay.command("resolve")
def relay_resolve(
    number: Annotated[str, typer.Argument(help="the relay number the courier dials")],
    as_: Annotated[str, typer.Option("--as", help="the calling courier")],
    json_out: JsonOpt = False,
) -> None:
    """Say where a courier's call to a relay number would be connected, or refuse (exit 3)."""
    res = services().custody.relay.resolve(number, as_principal(as_), channel="cli")
    if json_out:
        emit_json(
            {
                "connect": True,
                "relay_number": res.relay_number,
                "courier_id": res.courier_id,
                "order_id": res.order_id,
                "customer_id": res.customer_id,
                "target": res.target_masked,
            }
        )
        return
    until = res.expires_at.isoformat() if res.expires_at else "delivery + grace period"
    console.print(
        f"connect {res.relay_number} (courier {res.courier_id}) -> customer {res.customer_id}"
        f" {res.target_masked} for order {res.order_id}; valid until {until}"
    )


# -- keys and policy -------------------------------------------------------------------------


@keys.command("rotate")
def keys_rotate(
    kek: Annotated[
        bool, typer.Option("--kek", help="also replace the key-encryption key and rewrap")
    ] = False,
    keep_old_kek: Annotated[
        bool,
        typer.Option(
            "--keep-old-kek",
            help="with --kek: keep the old key-encryption keys so that backups still unwrap"
            " (retire them later with keys retire-kek)",
        ),
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = 500,
    limit: Annotated[
        int | None, typer.Option(min=1, help="stop after N rows (resume later)")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Rotate field keys: new version now, re-encrypt old rows in batches; resumable.

    Run it again to resume an interrupted rotation. Reads keep working throughout: every
    ciphertext names its key version and old versions decrypt until nothing uses them.
    """
    svc = services()
    rotation = svc.custody.rotation
    rewrapped = None
    if kek:
        rewrapped, kek_version = svc.custody.keyring.rotate_kek(retire_old=not keep_old_kek)
        err_console.print(f"key-encryption key v{kek_version}: rewrapped {rewrapped} data keys")
    if rotation.in_progress():
        err_console.print("resuming the unfinished rotation")
    else:
        version = rotation.start()
        err_console.print(f"field keys v{version} now encrypt new data")
    with progress_bar("re-encrypting", rotation.pending()) as tick:
        report = rotation.run(batch=batch, limit=limit, progress=tick)
    if json_out:
        emit_json({**dataclasses.asdict(report), "rewrapped_data_keys": rewrapped})
        return
    state = "finished" if report.finished else "paused (run again to resume)"
    console.print(
        f"v{report.version}: re-encrypted {report.customers} customers"
        f" and {report.orders} orders; {state}"
    )


@keys.command("status")
def keys_status(json_out: JsonOpt = False) -> None:
    """Field-key versions, rows left to re-encrypt, and the key provider with its KEK versions."""
    svc = services()
    versions = svc.custody.keyring.store.key_versions()
    pending = svc.custody.rotation.pending()
    provider = svc.custody.keyring.provider
    kek = provider.active_version()
    kek_versions = provider.versions()
    if json_out:
        emit_json(
            {
                "field_key_versions": versions,
                "pending_rows": pending,
                "kek_version": kek,
                "provider": provider.kind,
                "provider_location": provider.describe(),
                "kek_versions": list(kek_versions),
            }
        )
        return
    for version, state in sorted(versions.items()):
        console.print(f"field keys v{version}: {state}")
    console.print(f"key provider {provider.kind}: {provider.describe()}", markup=False)
    console.print(f"key-encryption key versions: {', '.join(f'v{v}' for v in kek_versions)}")
    console.print(f"key-encryption key v{kek}; rows still under an older version: {pending}")


@keys.command("retire-kek")
def keys_retire_kek(
    version: Annotated[int, typer.Argument(min=1, help="the key-encryption key version")],
) -> None:
    """Retire an old key-encryption key once no data key is wrapped under it (after
    keys rotate --kek --keep-old-kek): backups wrapped under it no longer open."""
    svc = services()
    svc.custody.keyring.retire_kek(version)
    console.print(f"key-encryption key v{version} retired")


@policy.command("check")
def policy_check(
    file: Annotated[
        Path | None, typer.Argument(help="policy YAML (default: the shipped one)")
    ] = None,
) -> None:
    """Validate a policy file; prints its rules or the first error (exit 1)."""
    from shieldwall.custody.policy import load_policy

    loaded = load_policy(file)
    table = Table("role", "purpose", "relationship", "customer fields", "reveal")
    for (role, purpose), rule in sorted(loaded.rules.items()):
        fields = ", ".join(f"{f.value}={v.value}" for f, v in rule.customer.items())
        table.add_row(
            role.value, purpose.value, rule.relationship, fields, ", ".join(sorted(rule.reveal))
        )
    console.print(table)
    console.print(f"valid: {len(loaded.rules)} rules, digest {loaded.digest[:16]}")
