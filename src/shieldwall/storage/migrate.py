"""Schema migrations: upgrade to every branch head, and check that a database is current."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from shieldwall.core.errors import StorageError
from shieldwall.storage.db import translate_errors

# Migration attribute: the contact scam sealer (``IndicatorSealer``) for cs0002's data step.
SCAM_SEALER = "contact_scam.sealer"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "shieldwall.storage:migrations")
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    """The migration scripts, read once per process: Alembic executes every revision file each
    time a ``ScriptDirectory`` is made (most of ``check_current``'s time), and the installed
    files do not change while the process runs. ``upgrade`` still reads its own."""
    return ScriptDirectory.from_config(_config())


def upgrade(engine: Engine, attributes: Mapping[str, object] | None = None) -> None:
    """Bring the schema to the head of every capability's branch; idempotent.

    ``attributes`` reach the migrations (``context.config.attributes``): data migrations that
    must seal existing values take their sealer from there (``shieldwall init`` passes them).
    """
    cfg = _config()
    with translate_errors(), engine.begin() as conn:
        cfg.attributes.update(attributes or {})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def expected_heads() -> set[str]:
    return set(_scripts().get_heads())


def check_current(engine: Engine) -> None:
    """Raise :class:`StorageError` unless the database is migrated to every head.

    A branch whose first migration ``depends_on`` another branch's (foreign keys across
    capabilities) makes Alembic keep only the dependent revision in ``alembic_version``; the
    heads it depends on count as applied through it.
    """
    with translate_errors(), engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if not current:
        raise StorageError("the database is not initialised; run shieldwall init")
    script = _scripts()
    applied = {r.revision for r in script.iterate_revisions(tuple(current), "base")}
    missing = expected_heads() - applied
    if missing:
        raise StorageError(
            "the database schema is out of date; run shieldwall init to migrate",
            code="schema_outdated",
        )
