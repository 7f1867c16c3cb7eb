"""Engines and the mapping of database failures to :class:`StorageError`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from shieldwall.core.errors import MissingExtra, StorageError

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys.

    WAL lets readers run beside the single writer; ``synchronous=NORMAL`` in WAL mode keeps the
    database consistent after a crash (a committed transaction may be lost on power failure,
    never half-applied).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            parent = Path(database).parent
            if not parent.is_dir():
                raise StorageError(
                    f"database directory {parent} does not exist; run shieldwall init"
                )
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate_if_asked)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    try:
        return create_engine(url, **kwargs)
    except ImportError:
        # SQLAlchemy imports the URL's driver here; PostgreSQL's (psycopg) is an optional extra.
        driver = parsed.get_driver_name()
        raise MissingExtra(
            f"a {parsed.get_backend_name()} database URL needs its driver ({driver}):"
            " pip install 'shieldwall[postgres]' and use postgresql+psycopg://",
            extra="postgres",
        ) from None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy own transaction boundaries (pysqlite's implicit BEGIN is off).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Checkpoint the WAL every ~40 MB instead of every ~4 MB: fewer fsyncs on a write-heavy log.
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.close()


def _sqlite_begin_immediate_if_asked(conn: Connection) -> None:
    """Start SQLite transactions explicitly; ``IMMEDIATE`` when the caller will write.

    A deferred transaction that later writes can fail with "database is locked" without waiting
    for the busy timeout; taking the write lock up front makes writers queue instead.
    """
    mode = "IMMEDIATE" if conn.info.pop("sqlite_write", False) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock at BEGIN."""
    with translate_errors(), engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.info["sqlite_write"] = True
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    with translate_errors(), engine.connect() as conn, conn.begin():
        yield conn


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver errors into :class:`StorageError` without echoing SQL parameters.

    SQLAlchemy's own messages include bound parameters, which may be ciphertexts or ids; we keep
    only the driver's first line, which names the problem (locked, unreachable, no such table).
    """
    try:
        yield
    except exc.OperationalError as err:
        raise StorageError(_describe(err)) from None
    except exc.IntegrityError as err:
        raise StorageError(f"integrity error: {_first_line(err.orig)}", code="conflict") from None
    except exc.DBAPIError as err:
        raise StorageError(f"database error: {_first_line(err.orig)}") from None


def _first_line(orig: object) -> str:
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def _describe(err: exc.OperationalError) -> str:
    text = _first_line(err.orig)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return "the database is locked by another process; try again"
    if "no such table" in lowered or "does not exist" in lowered:
        return f"the database is not initialised ({text}); run shieldwall init"
    if "unable to open" in lowered or "connection" in lowered or "could not" in lowered:
        return f"the database is unreachable: {text}"
    return f"database error: {text}"
