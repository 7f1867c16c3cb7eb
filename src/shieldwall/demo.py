"""``make demo``: the whole attack chain, end to end, scored; ``make demo-custody``: custody alone.

``python -m shieldwall.demo`` runs ``shieldwall simulate`` at a size that finishes in about a
minute on two cores (see docs/demo.md): a store of generated customers, a week of benign work
with planted insider, partner, login and scam attacks, driven through shieldwall's API and CLI,
scored against the ground truth. Output in ``$SHIELDWALL_HOME/demo-sim`` (default
``./.shieldwall/demo-sim``): ``report.html``, ``scorecard.json`` and the simulated home.

``python -m shieldwall.demo custody`` is the custody walkthrough through the real CLI: a fresh
home under ``$SHIELDWALL_HOME/demo``, generated customers and orders (valid ID checksums,
real-format CN mobile numbers), an agent with a ticket reading a masked record, a read without a
ticket denied, a courier seeing a relay number instead of the phone, the relay refusing another
courier, a reveal with a reason, and the audit log verified, then tampered with in a copy and
caught.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from shieldwall.cli.app import main as cli
from shieldwall.custody.synthetic import PeopleFactory

console = Console(highlight=False, soft_wrap=True)
CUSTOMERS = 1000
SEED = 7
SIM_SEED, SIM_CUSTOMERS, SIM_DAYS = 7, 2000, 5


def run(*args: str, expect: int = 0, capture: bool = False) -> str:
    """Run ``shieldwall ARGS`` in a subprocess, print the command and its output."""
    console.print(f"[bold cyan]$ shieldwall {shlex.join(args)}[/]")
    done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "shieldwall", *args], capture_output=True, text=True, check=False
    )
    out = done.stdout + done.stderr
    if not capture:
        console.print(out.rstrip(), markup=False)
    if done.returncode != expect:
        console.print(f"[red]unexpected exit {done.returncode} (expected {expect})[/]")
        raise SystemExit(1)
    if expect:
        console.print(f"[dim](exit {done.returncode}, as expected)[/]")
    return done.stdout


def write_sample(directory: Path) -> tuple[Path, Path]:
    """Generate customers (CSV) and orders (JSONL); the caller deletes them after import."""
    people = PeopleFactory(SEED)
    customers = people.customers(CUSTOMERS)
    cpath = directory / "customers.csv"
    with cpath.open("w", encoding="utf-8") as f:
        f.write("customer_id,name,phone,email,address,national_id\n")
        for c in customers:
            f.write(
                f"{c.customer_id},{c.name},{c.phone[3:]},{c.email},{c.address},{c.national_id}\n"
            )
    opath = directory / "orders.jsonl"
    rng = people.rng
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with opath.open("w", encoding="utf-8") as f:
        for i, c in enumerate(customers, start=1):
            price = rng.choice([5900, 12900, 39900, 129900, 499900])
            created = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            order = {
                "order_id": f"O{i:06d}",
                "customer_id": c.customer_id,
                "items": [
                    {
                        "sku": f"SKU{rng.randrange(1000):04d}",
                        "title": rng.choice(
                            [
                                "华为 Mate 手机",
                                "小米 空气净化器",
                                "美的 电饭煲",
                                "耐克 跑步鞋",
                                "联想 笔记本电脑",
                            ]
                        ),
                        "quantity": 1,
                        "unit_price_cents": price,
                    }
                ],
                "amount_cents": price,
                "status": "paid",
                "created_at": created.isoformat(),
                "paid_at": (created + timedelta(minutes=2)).isoformat(),
                "delivery_address": c.address,
            }
            f.write(json.dumps(order, ensure_ascii=False) + "\n")
    return cpath, opath


def section(title: str) -> None:
    console.print()
    console.print(Rule(f"[bold]{title}"))


def simulation(base: Path) -> int:
    """The default demo: ``shieldwall simulate`` at demo size into ``BASE/demo-sim``."""
    out = base / "demo-sim"
    if out.exists():
        if not (out / "scorecard.json").exists() and not (out / "home").exists():
            console.print(
                f"[red]{out} exists and is not a previous demo's output; not touching it[/]"
            )
            return 1
        shutil.rmtree(out)
    argv = ["simulate", "--seed", str(SIM_SEED), "--customers", str(SIM_CUSTOMERS)]
    argv += ["--days", str(SIM_DAYS), "--out", str(out)]
    console.print(f"[bold cyan]$ shieldwall {shlex.join(argv)}[/]")
    code = cli(argv)
    if code == 0:
        home = shlex.quote(str(out / "home"))
        console.print(
            f"open {out / 'report.html'} in a browser; explore shieldwall's state with"
            f" SHIELDWALL_HOME={home} .venv/bin/shieldwall alerts list\n"
            "open the security team's console on this world (docs/console.md):\n"
            f"  SHIELDWALL_HOME={home} .venv/bin/shieldwall principals add console-admin"
            " --role admin --unit security   # prints the API key to sign in with\n"
            f"  SHIELDWALL_HOME={home} .venv/bin/shieldwall serve"
            "   # then open http://127.0.0.1:8080/console and paste the key",
            soft_wrap=True,  # commands stay whole lines, to copy as printed
            markup=False,
        )
    return code


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    base = Path(os.environ.get("SHIELDWALL_HOME", ".shieldwall")).resolve()
    if args == ["custody"]:
        return custody(base)
    if args:
        console.print("usage: python -m shieldwall.demo [custody]")
        return 2
    return simulation(base)


def custody(base: Path) -> int:
    """The custody walkthrough through the real CLI."""
    home = base / "demo"
    if home.exists():
        shutil.rmtree(home)
    os.environ["SHIELDWALL_HOME"] = str(home)
    os.environ.pop("SHIELDWALL_DATABASE_URL", None)

    section("1. Set up: a home, a key file, an encrypted database")
    run("init")

    section(f"2. Import {CUSTOMERS} generated customers and their orders (then delete the files)")
    with tempfile.TemporaryDirectory() as tmp:
        cpath, opath = write_sample(Path(tmp))
        run("customers", "import", str(cpath))
        run("orders", "import", str(opath))
    db = (home / "shieldwall.db").read_bytes()
    probe = PeopleFactory(SEED).customers(1)[0]
    leaked = [
        v for v in (probe.name, probe.phone[3:], probe.national_id or "") if v and v.encode() in db
    ]
    console.print(f"plaintext of the first customer found in the database file: {leaked or 'none'}")

    section("3. Principals: an agent, two couriers, a security admin (keys shown once)")
    run("principals", "add", "agent-li", "--role", "agent", "--unit", "cs-team-1")
    run("principals", "add", "courier-wang", "--role", "courier", "--unit", "outlet-haidian")
    run("principals", "add", "courier-zhao", "--role", "courier", "--unit", "outlet-chaoyang")
    run("principals", "add", "sec-admin", "--role", "admin", "--unit", "security")

    section("4. An agent with a ticket reads a customer: masked")
    ticket = json.loads(
        run(
            "tickets",
            "open",
            "--agent",
            "agent-li",
            "--customer",
            "C000042",
            "--order",
            "O000042",
            "--json",
        )
    )["ticket_id"]
    run(
        "customers",
        "show",
        "C000042",
        "--as",
        "agent-li",
        "--purpose",
        "after_sales",
        "--ticket",
        ticket,
    )

    section("5. The same agent, no ticket for this customer: denied")
    run("customers", "show", "C000043", "--as", "agent-li", "--purpose", "after_sales", expect=3)

    section("6. A courier sees a relay number, never the phone")
    run("orders", "status", "O000042", "shipped")
    run("couriers", "assign", "--courier", "courier-wang", "--order", "O000042")
    waybill = json.loads(
        run("orders", "show", "O000042", "--as", "courier-wang", "--purpose", "delivery", "--json")
    )
    run("orders", "show", "O000042", "--as", "courier-wang", "--purpose", "delivery")
    relay = waybill["fields"]["phone"]["value"]
    run("relay", "resolve", relay, "--as", "courier-wang")
    run("relay", "resolve", relay, "--as", "courier-zhao", expect=3)

    section("7. A reveal needs a purpose and a reason, and is logged as such")
    run(
        "customers",
        "reveal",
        "C000042",
        "--field",
        "phone",
        "--as",
        "agent-li",
        "--purpose",
        "after_sales",
        "--ticket",
        ticket,
        "--reason",
        "customer asked for a call back about the refund",
    )

    section("8. The audit log: a signed checkpoint, then verification")
    run("audit", "checkpoint")
    run("audit", "verify")

    section("9. Someone edits one audit row (in a copy of the database): caught and named")
    copy = base / "demo-tampered"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(home, copy)
    with sqlite3.connect(copy / "shieldwall.db") as conn:
        conn.execute(
            "UPDATE audit_entries SET body = replace(body, ?, ?)"
            " WHERE seq = (SELECT min(seq) FROM audit_entries WHERE action = 'reveal')",
            ('"actor":"agent-li"', '"actor":"nobody"'),
        )
    os.environ["SHIELDWALL_HOME"] = str(copy)
    run("audit", "verify", expect=1)
    shutil.rmtree(copy)
    os.environ["SHIELDWALL_HOME"] = str(home)

    section("Done")
    console.print(
        f"The demo's state is in {home}; explore it with SHIELDWALL_HOME={home} shieldwall --help"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
