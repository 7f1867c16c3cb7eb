"""The shared MetaData and the column types used across capabilities."""

from __future__ import annotations

from sqlalchemy import DateTime, MetaData

# Constraint names are deterministic so that migrations and autogenerate agree on both backends.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def Timestamp() -> DateTime:  # noqa: N802 - reads like a type in column definitions
    """A timezone-aware timestamp (UTC); SQLite stores it naive, see ``core.clock.utc``."""
    return DateTime(timezone=True)
