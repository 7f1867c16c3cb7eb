"""Storage edge: SQLAlchemy tables, Alembic migrations and the repositories that implement the
capabilities' storage interfaces, on SQLite (the embedded default) and PostgreSQL; counters in
memory or Redis.

Capabilities never import this package; :mod:`shieldwall.wiring` hands them its objects through
the ``typing.Protocol`` interfaces they declare.
"""
