"""Alembic migrations, one branch per capability (``custody``, ``audit``, ``guard``, ...)."""
