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
import shutil
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` first, the rest in their order: with ``-n 2`` the minute-long
    simulations then start while the other worker takes the short tests, instead of starting
    last and leaving one worker idle at the end (``make unit`` uses ``--dist worksteal``)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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


def _initialize_by_copy(
    settings: Settings, clock: ManualClock, factory: pytest.TempPathFactory
) -> None:
    """``initialize(settings, clock)`` on a fresh SQLite home, by copying a home that
    ``initialize`` made for the same settings and clock earlier in this process (xdist worker).

    Initialising migrates the schema and creates the keys: seconds per test on a loaded 2-core
    machine, for hundreds of tests. The copy is byte for byte what ``initialize`` wrote (the key
    file and the database; nothing else is written). Only the embedded default qualifies: a
    database elsewhere, a key file outside the home or another key provider keep their state
    out of the home, and a home that already exists is the test's own; those initialise as
    before. Tests in one worker then share keys, each with a database of its own."""
    fresh_file_home = (
        settings.database_url is None
        and settings.key_file is None
        and settings.keys.provider == "file"
        and not settings.home.exists()
    )
    if not fresh_file_home:
        initialize(settings, clock)
        return
    key = (settings.tenant, clock.now())  # all else initialize reads is the home's
    template = _INITIALIZED_HOMES.get(key)
    if template is None:
        template = factory.mktemp("initialized") / "home"
        initialize(settings.model_copy(update={"home": template}), clock)
        _INITIALIZED_HOMES[key] = template
    shutil.copytree(template, settings.home)


_INITIALIZED_HOMES: dict[tuple[str, datetime], Path] = {}  # (tenant, now) -> a home initialized


@pytest.fixture
def services(
    settings: Settings, clock: ManualClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    _initialize_by_copy(settings, clock, tmp_path_factory)
    svc = build(settings, clock)
    yield svc
    svc.close()
