"""Alembic environment: runs on the connection that :func:`shieldwall.storage.migrate.upgrade`
hands over, so migrations and the application use one engine and one configuration source."""

from __future__ import annotations

from alembic import context

from shieldwall.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through the alembic command line
    raise RuntimeError("run migrations through `shieldwall init` (shieldwall.storage.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
