"""No plaintext personal data at rest, in errors, in logs or in audit entries."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shieldwall.core.model import Customer
from shieldwall.wiring import Services
from tests.functional.conftest import Store


def secrets_of(customers: list[Customer]) -> list[str]:
    values: list[str] = []
    for c in customers:
        values += [
            c.name,
            c.phone,
            c.phone[3:],
            c.email or "",
            c.address or "",
            c.national_id or "",
        ]
    return [v for v in values if v]


def database_bytes(services: Services, backend: str, tmp_path: Path) -> bytes:
    """Every byte the database holds: the SQLite file and its WAL, or a PostgreSQL dump."""
    if backend == "sqlite":
        db = Path(services.engine.url.database or "")
        return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed to check the PostgreSQL database"
    with services.engine.connect() as conn:
        schema = conn.execute(text("select current_schema()")).scalar_one()
    out = tmp_path / "dump.sql"
    subprocess.run(
        [pg_dump, "-h", "127.0.0.1", "-U", "postgres", "-n", schema, "-f", str(out), "test"],
        check=True,
    )
    return out.read_bytes()


def test_nothing_readable_at_rest_or_in_errors_logs_and_audit(
    store: Store, client: TestClient, backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """After imports, reads, reveals and rejected input, no customer value appears anywhere."""
    caplog.set_level(logging.DEBUG)
    people = store.customers
    agent, app = store.auth("agent-li"), store.auth("app")
    bodies: list[str] = []
    for c in people[:4]:
        client.post(
            "/v1/tickets", json={"agent_id": "agent-li", "customer_id": c.customer_id}, headers=app
        )
        client.get(
            f"/v1/customers/{c.customer_id}", params={"purpose": "after_sales"}, headers=agent
        )
        client.post(
            f"/v1/customers/{c.customer_id}/reveal",
            json={"field": "phone", "purpose": "after_sales", "reason": "call back"},
            headers=agent,
        )
    # Rejected input that contains real values: they must not be echoed back.
    for c in people[4:8]:
        bad_phone = c.phone[3:] + "9"
        bad_id = (c.national_id or "")[:-1] + ("0" if (c.national_id or "").endswith("1") else "1")
        row = {
            "customer_id": "Z" + c.customer_id,
            "name": c.name,
            "phone": bad_phone,
            "email": c.email,
            "address": c.address,
            "national_id": bad_id,
        }
        bodies.append(
            client.post("/v1/customers:import", json={"customers": [row]}, headers=app).text
        )
        bodies.append(
            client.post(
                "/v1/customers/lookup",
                json={"by": "national_id", "value": bad_id, "purpose": "after_sales"},
                headers=agent,
            ).text
        )
        bodies.append(
            client.get(
                f"/v1/customers/{c.customer_id}", params={"purpose": "after_sales"}, headers=agent
            ).text
        )
    audit = [r.event.to_dict() for r in store.services.audit.read(-1, 10_000)]
    assert len(audit) > 20
    haystacks = {
        "database": database_bytes(store.services, backend, tmp_path),
        "errors": "\n".join(bodies).encode(),
        "logs": "\n".join(r.getMessage() for r in caplog.records).encode(),
        "audit": repr(audit).encode(),
    }
    for where, hay in haystacks.items():
        found = [v for v in secrets_of(people) if v.encode() in hay]
        assert not found, f"plaintext in {where}: {len(found)} values"
    assert b"customers" in haystacks["database"]  # the check looked at a real database
