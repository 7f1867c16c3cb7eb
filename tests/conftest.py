"""Shared fixtures: settings on a temporary home, services on SQLite or PostgreSQL, a clock.

Tests that need a database take ``backend``-parametrised fixtures, so the same test runs on the
embedded default (SQLite) and on the PostgreSQL server at 127.0.0.1:5432 (database ``test``),
each in a schema of its own that is dropped afterwards.

Hypothesis runs under the ``ci`` profile unless ``HYPOTHESIS_PROFILE`` names another: no
wall-clock deadline and no too-slow health check, so a loaded machine cannot fail a property
that holds (a 516 ms example against the default 200 ms deadline once failed ``make test``);
``print_blob`` prints how to replay a failure. ``dev`` keeps Hypothesis's defaults.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from shieldwall.config import Settings, load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.wiring import Services, build, initialize

hypothesis_settings.register_profile(
    "ci", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile("dev", parent=hypothesis_settings.get_profile("default"))
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PG_ADMIN_URL = os.environ.get(
    "SHIELDWALL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def _pg_schema_url() -> Iterator[str]:
    schema = f"sw_test_{secrets.token_hex(6)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    home = tmp_path / "home"
    env = {"SHIELDWALL_HOME": str(home)}
    if backend == "postgres":
        for url in _pg_schema_url():
            env["SHIELDWALL_DATABASE_URL"] = url
            yield load_settings(env)
    else:
        yield load_settings(env)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return load_settings({"SHIELDWALL_HOME": str(tmp_path / "home")})


@pytest.fixture
def services(settings: Settings, clock: ManualClock) -> Iterator[Services]:
    initialize(settings, clock)
    svc = build(settings, clock)
    yield svc
    svc.close()
