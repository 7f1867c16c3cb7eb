"""Engines and the mapping of database failures to :class:`StorageError`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from shieldwall.core.errors import MissingExtra, StorageError

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled PostgreSQL connection idle this long is pinged before use (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 1.0


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
    ping_after = kwargs.pop("ping_after_idle", PING_AFTER_IDLE_SECONDS)
    kwargs.setdefault("pool_size", 10)
    try:
        engine = create_engine(url, **kwargs)
    except ImportError:
        # SQLAlchemy imports the URL's driver here; PostgreSQL's (psycopg) is an optional extra.
        driver = parsed.get_driver_name()
        raise MissingExtra(
            f"a {parsed.get_backend_name()} database URL needs its driver ({driver}):"
            " pip install 'shieldwall[postgres]' and use postgresql+psycopg://",
            extra="postgres",
        ) from None
    _ping_when_idle(engine, ping_after)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle ``idle_seconds`` or more.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip to the server
    on every transaction, a sixth of a masked read's. A connection back in the pool a moment
    ago was alive a moment ago; one idle for a while (the server restarted, a proxy dropped it)
    is checked, and a dead one is replaced before the caller sees it (``DisconnectionError``
    makes the pool retry with a fresh connection).
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # new, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as err:
            raise exc.DisconnectionError("a pooled connection died while idle") from err


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
    """A transaction that only reads. On PostgreSQL it runs in autocommit: under READ
    COMMITTED (the default, and ours) each statement of a transaction takes its own snapshot
    anyway, so BEGIN and COMMIT would buy no consistency for two round trips. On SQLite it is
    a deferred transaction, one snapshot for all its statements."""
    with translate_errors(), engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        with conn.begin():
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
