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

import gc
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

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
def restored_collector() -> Iterator[None]:
    """The garbage collector as it was: thresholds set back, nothing left frozen (a test that
    freezes would otherwise keep every later test's garbage)."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


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
    """``initialize(settings, clock)`` on a fresh home, by copying what ``initialize`` wrote for
    the same tenant and clock earlier in this process (xdist worker).

    Initialising migrates the schema and creates the keys: seconds per test on a loaded 2-core
    machine, for hundreds of tests. The copy is what ``initialize`` wrote: the home (the key
    file, and SQLite's database) byte for byte, and on PostgreSQL the template schema's
    ``pg_dump`` (tables, triggers, rows) replayed into the test's own schema. With the file key
    provider ``initialize`` reads nothing else from the settings. Other key providers keep their
    keys out of the home, and a home that already exists is the test's own: those initialise
    as before, as does PostgreSQL when ``pg_dump`` is missing or fails. Tests in one worker
    then share keys, each with a database of its own."""
    schema = _test_schema(settings)
    fresh = (
        settings.key_file is None
        and settings.keys.provider == "file"
        and not settings.home.exists()
        and (settings.database_url is None or schema is not None)
    )
    key = (schema is not None, settings.tenant, clock.now())
    if fresh and key not in _INITIALIZED:
        _INITIALIZED[key] = _initialized(settings, clock, factory, postgres=schema is not None)
    made = _INITIALIZED.get(key) if fresh else None
    if made is None or (schema is not None and made[1] is None):
        initialize(settings, clock)
        return
    home, dump = made
    shutil.copytree(home, settings.home)
    if schema is not None and dump is not None:
        engine = create_engine(PG_ADMIN_URL, poolclass=NullPool)
        raw = engine.raw_connection()
        try:
            raw.cursor().execute(dump.replace(_TEMPLATE, schema))  # simple protocol: many
            raw.commit()
        finally:
            raw.close()
            engine.dispose()


_TEMPLATE = "sw_template_schema"  # a placeholder for the schema's name in a kept dump
_INITIALIZED: dict[tuple[bool, str, datetime], tuple[Path, str | None]] = {}


def _test_schema(settings: Settings) -> str | None:
    """The schema of a URL ``_pg_schema_url`` made, else None."""
    prefix = f"{PG_ADMIN_URL}?options=-csearch_path%3D"
    url = settings.database_url or ""
    return url.removeprefix(prefix) if url.startswith(prefix) else None


def _initialized(
    settings: Settings, clock: ManualClock, factory: pytest.TempPathFactory, *, postgres: bool
) -> tuple[Path, str | None]:
    """A home ``initialize`` made for ``settings`` and ``clock``; on PostgreSQL also the dump
    of the schema it migrated (None if ``pg_dump`` could not make one)."""
    home = factory.mktemp("initialized") / "home"
    if not postgres:
        initialize(settings.model_copy(update={"home": home}), clock)
        return home, None
    for url in _pg_schema_url():
        initialize(settings.model_copy(update={"home": home, "database_url": url}), clock)
        template = url.rsplit("%3D", 1)[1]
        return home, _pg_dump(template)
    raise AssertionError("unreachable: _pg_schema_url yields once")


def _pg_dump(schema: str) -> str | None:
    """``schema`` as SQL that recreates it in another (named ``_TEMPLATE``), or None."""
    program = shutil.which("pg_dump")
    if program is None:
        return None
    url = make_url(PG_ADMIN_URL)
    done = subprocess.run(  # our own arguments: the test server and a schema we made
        [
            program,
            f"--host={url.host}",
            f"--port={url.port or 5432}",
            f"--username={url.username}",
            f"--dbname={url.database}",
            f"--schema={schema}",
            "--inserts",
            "--no-owner",
            "--no-privileges",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    lines = [
        line
        for line in done.stdout.replace(schema, _TEMPLATE).splitlines()
        if not line.startswith(("\\", "CREATE SCHEMA"))  # psql's meta-commands; it exists
    ]
    return "\n".join(lines)


@pytest.fixture
def services(
    settings: Settings, clock: ManualClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    _initialize_by_copy(settings, clock, tmp_path_factory)
    svc = build(settings, clock)
    yield svc
    svc.close()
