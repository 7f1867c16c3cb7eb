"""Lua scripts called on the hot path with as little client work as the wire allows.

redis-py's ``Script.__call__`` goes through the client's generic command path: argument
encoding in Python, the retry wrapper, response callbacks, observability hooks, and for a
pipeline a ``SCRIPT EXISTS`` round trip before every ``execute``. For the risk engine's
``assess`` (one script per login attempt, about 45 arguments) that path cost about as much
client CPU as the engine's own scoring (cProfile of 2,000 calls; docs/guard.md, "Speed").
:class:`FastScript` keeps redis-py's connections and hiredis reply parser, and only replaces
the layer above them:

- arguments are packed by hiredis' C packer (``hiredis.pack_command``) in one call, with the
  constant leading arguments (``EVALSHA``, the digest, the key count, the settings) kept as one
  tuple made once;
- :meth:`FastScript.call` is one socket write and one read (``EVALSHA``; on ``NOSCRIPT`` the
  script is loaded and the call sent again, which can happen once after a server restart or a
  ``SCRIPT FLUSH``);
- :meth:`FastScript.call_many` writes many calls in one buffer and reads their replies in
  order: one round trip for the lot, with no ``SCRIPT EXISTS`` check before it;
- :meth:`FastScript.stream` (:meth:`Lane.stream`) writes chunks of calls one chunk ahead of
  the replies it reads: the server runs chunk k+1 while the caller works on chunk k's replies
  (and makes the next chunk's arguments), so on a machine with a core for each the client's
  work and the server's overlap instead of taking turns;
- :meth:`Lane.exchange` can leave the replies of the last calls of a write unread (*owed*):
  the caller gets its answer as soon as the server has run the calls it needs, and the server
  runs the rest (writes whose reply the caller does not wait for) while the caller goes on.
  An owed reply is read before anything else on its connection, which the next call on it does
  without a round trip of its own (the reply is already in the socket's buffer), or
  :meth:`Lane.settle`.

The scripts of one :class:`Lane` share its connections, taken from the client's pool and kept:
a connection that owes replies cannot go back to redis-py's pool (the pool would find unread
data on it). A thread gets back the connection it used last when it is free, so one thread's
calls run on the server in the order it made them, owed ones included. A connection error
during a call is not retried, since the script may have run: it is raised (``redis.RedisError``
subclasses, as redis-py's), the connection dropped, and callers translate it; an error reply
owed by an earlier call is raised by the call that reads it.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import hiredis
import redis
from redis.exceptions import NoScriptError, ResponseError

Arg = bytes | str | int


# a packed call and its script (None: a plain command, such as the SCRIPT LOAD of a script)
Call = tuple["FastScript | None", bytes]


@dataclass(eq=False)
class _Slot:
    conn: Any  # a redis-py Connection (untyped)
    owed: list[Call] = field(default_factory=list)
    fresh: bool = True  # connected since the lane's scripts were last loaded on it


class Lane:
    """Connections for :class:`FastScript` calls whose last replies may be read later."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._pool = client.connection_pool
        self._lock = threading.Lock()
        self._free: list[_Slot] = []
        self._last = threading.local()
        self._pid = os.getpid()
        self.scripts: list[FastScript] = []  # every script called on this lane

    def _take(self) -> _Slot:
        """The calling thread's last connection if free, else another free one, else a new one
        from the pool. One that owes nothing is checked as the pool checks an idle connection:
        closed by the server (or holding stray data), it is connected afresh."""
        mine: _Slot | None = getattr(self._last, "slot", None)
        slot: _Slot | None = None
        with self._lock:
            if os.getpid() != self._pid:  # a forked child: the parent's sockets are not ours
                self._free, self._pid, mine = [], os.getpid(), None
            if mine is not None and mine in self._free:
                self._free.remove(mine)
                slot = mine
            elif self._free:
                slot = self._free.pop()
        if slot is None:
            slot = _Slot(self._pool.get_connection())
        elif not slot.owed:
            try:
                stale = slot.conn._sock is not None and slot.conn.can_read()
            except (redis.ConnectionError, OSError):
                stale = True
            if stale:
                slot.conn.disconnect()  # the next send connects again
                slot.fresh = True
        self._last.slot = slot
        return slot

    def _give(self, slot: _Slot) -> None:
        with self._lock:
            self._free.append(slot)

    def _drop(self, slot: _Slot) -> None:
        slot.conn.disconnect()
        self._pool.release(slot.conn)

    def exchange(self, calls: Sequence[Call], owe: int = 0) -> list[Any]:
        """Send the calls but the last ``owe`` in one write and return their replies (an error
        reply as its exception, not raised); then write the last ``owe``, whose replies are read
        later, so that the server runs them while the caller goes on (Redis sends a reply only
        after running every command it read with it: written together, the first call's reply
        would wait for the last's). The owed calls are not written when a reply says the server
        lacks a script (``NOSCRIPT``): they must run after the refused call, once it is sent
        again, and the caller gets None in their place. Replies owed by earlier calls on the
        connection are read first; an error among them is raised (after this call's replies are
        read, so the connection stays in step)."""
        now, later = list(calls[: len(calls) - owe]), list(calls[len(calls) - owe :])
        slot = self._take()
        try:
            earlier, slot.owed = slot.owed, []
            if slot.fresh or slot.conn._sock is None:
                # a new (or reconnected) connection loads every script of the lane first: the
                # server may hold one script of an assess and not the other (just after a new
                # version of one is deployed)
                now = [*_loads([(script, b"") for script in self.scripts]), *now]
                skip = len(self.scripts)
                slot.fresh = False
            else:
                skip = 0
            conn = slot.conn
            if now:
                conn.send_packed_command([b"".join(packed for _, packed in now)], False)
            failed, redo = _collect(conn, earlier)
            replies = [_read(conn) for _ in now]
            failed = failed or next(
                (r for r in replies[:skip] if isinstance(r, ResponseError)), None
            )
            replies = replies[skip:]
            if any(isinstance(r, NoScriptError) for r in replies):
                replies += [None] * len(later)
            elif later:
                conn.send_packed_command([b"".join(packed for _, packed in later)], False)
                slot.owed = later
            # sent after this call's: a reorder, only after the server lost its scripts
            slot.owed += _resend(conn, redo)
        except BaseException:
            self._drop(slot)
            raise
        self._give(slot)
        if failed is not None:
            raise failed
        return replies

    def stream(self, chunks: Iterable[Sequence[Call]]) -> Generator[list[Any], None, None]:
        """Send each chunk of calls in one write and yield its replies (an error reply as its
        exception, not raised), chunk by chunk in order, one chunk ahead: chunk k+1 is written
        (taken from ``chunks``, so made, while the server runs chunk k) before chunk k's
        replies are read, and the server runs it while the caller uses them. Calls the server
        refused for want of their script (``NOSCRIPT``, after a ``SCRIPT FLUSH``) are loaded
        and sent again once the chunk written behind them is read, before their replies are
        yielded: the order of the runs then differs from the order of the calls (a refused
        call runs after the next chunk's), as only after the server lost its scripts.

        The stream holds one connection from its start until it ends or is closed: no other
        call of the lane uses it, and :meth:`settle` does not wait for it (a call the caller
        makes between two chunks takes another connection). Replies owed by earlier calls on
        it are read first, and an error among them is raised before anything is written.
        Closed early (the caller stopped reading), or when ``chunks`` raises, it reads the
        replies of what it wrote, so every chunk written has run when ``close`` returns or the
        error is raised (an error reply among them is dropped: the caller has stopped for a
        reason of its own)."""
        slot = self._take()
        failed: ResponseError | None = None
        try:
            failed = _read_owed(slot)  # what earlier calls owe on it, as settle reads it
        except BaseException:
            self._drop(slot)
            raise
        if failed is not None:
            self._give(slot)
            raise failed
        conn = slot.conn
        # written, replies unread: (leading SCRIPT LOADs, calls); read, not yet yielded
        sent: deque[tuple[int, list[Call]]] = deque()
        ready: deque[list[Any]] = deque()
        broken = False
        source_failed = False  # the caller's iterator raised: the connection is sound
        try:
            source = iter(chunks)
            while True:
                try:
                    chunk = next(source, None)
                except BaseException:
                    source_failed = True
                    raise
                if chunk is None:
                    break
                loads: list[Call] = []
                if slot.fresh or conn._sock is None:
                    # a new (or reconnected) connection loads every script of the lane first
                    loads = _loads([(script, b"") for script in self.scripts])
                    slot.fresh = False
                calls = [*loads, *chunk]
                conn.send_packed_command([b"".join(packed for _, packed in calls)], False)
                sent.append((len(loads), list(chunk)))
                if not ready and len(sent) > 1:
                    failed = self._read_oldest(conn, sent, ready) or failed
                if ready:
                    yield ready.popleft()
            while sent or ready:
                if not ready:
                    failed = self._read_oldest(conn, sent, ready) or failed
                yield ready.popleft()
        except BaseException as exc:
            if not (source_failed or isinstance(exc, GeneratorExit)):
                broken = True  # an error of the connection (or the server's replies)
                raise
            try:
                while sent:  # written: read, so that every chunk written has run
                    skip, calls = sent.popleft()
                    for _ in range(skip + len(calls)):
                        _read(conn)
            except BaseException:
                broken = True
            raise
        finally:
            if broken:
                self._drop(slot)
            else:
                self._give(slot)
        if failed is not None:  # a SCRIPT LOAD refused (its calls were refused too)
            raise failed

    @staticmethod
    def _read_oldest(
        conn: Any, sent: deque[tuple[int, list[Call]]], ready: deque[list[Any]]
    ) -> ResponseError | None:
        """Read the replies of the oldest chunk of ``sent`` into ``ready``. If the server
        refused some for want of their script, read every chunk written behind it too, then
        load the scripts and send the refused calls again, in order, and put their replies in
        place. Returns the first error reply of a ``SCRIPT LOAD``."""
        failed: ResponseError | None = None
        batch: list[tuple[list[Call], list[Any]]] = []
        while sent:
            skip, calls = sent.popleft()
            replies = [_read(conn) for _ in range(skip + len(calls))]
            failed = failed or next(
                (r for r in replies[:skip] if isinstance(r, ResponseError)), None
            )
            batch.append((calls, replies[skip:]))
            if not any(isinstance(r, NoScriptError) for r in batch[0][1]):
                break
        refused = [
            (b, i)
            for b, (calls, replies) in enumerate(batch)
            for i, reply in enumerate(replies)
            if isinstance(reply, NoScriptError) and calls[i][0] is not None
        ]
        if refused:
            redo = [batch[b][0][i] for b, i in refused]
            again = _loads(redo) + redo
            conn.send_packed_command([b"".join(packed for _, packed in again)], False)
            got = [_read(conn) for _ in again]
            skip = len(again) - len(redo)
            failed = failed or next((r for r in got[:skip] if isinstance(r, ResponseError)), None)
            for (b, i), reply in zip(refused, got[skip:], strict=True):
                batch[b][1][i] = reply
        ready.extend(replies for _, replies in batch)
        return failed

    def settle(self) -> None:
        """Read every reply owed on the free connections: each call made before by a thread
        that is not in a call now has run on the server when this returns. Raises the first
        error reply among them."""
        with self._lock:
            slots, self._free = self._free, []
        failed: ResponseError | None = None
        try:
            while slots:
                slot = slots.pop()
                try:
                    error = _read_owed(slot)  # read whatever came before
                    failed = failed or error
                except BaseException:
                    self._drop(slot)
                    raise
                self._give(slot)
        finally:
            for slot in slots:
                self._give(slot)
        if failed is not None:
            raise failed

    def close(self) -> None:
        """Read what is owed and give the connections back to the client's pool."""
        try:
            self.settle()
        finally:
            with self._lock:
                slots, self._free = self._free, []
            for slot in slots:
                self._pool.release(slot.conn)


def _read(conn: Any) -> Any:
    try:
        return conn.read_response()
    except ResponseError as exc:
        return exc


def _read_owed(slot: _Slot) -> ResponseError | None:
    """Read every reply owed on ``slot`` (sending again, after loading their scripts, the calls
    the server lacked a script for, until none is owed); the first error reply among them."""
    failed: ResponseError | None = None
    while slot.owed:
        earlier, slot.owed = slot.owed, []
        error, redo = _collect(slot.conn, earlier)
        slot.owed = _resend(slot.conn, redo)
        failed = failed or error
    return failed


def _collect(conn: Any, owed: list[Call]) -> tuple[ResponseError | None, list[Call]]:
    """Read the replies ``owed`` on ``conn``: the first error reply, and the calls the server
    did not run for want of their script (``NOSCRIPT``), to be sent again."""
    failed: ResponseError | None = None
    redo: list[Call] = []
    for call in owed:
        reply = _read(conn)
        if isinstance(reply, NoScriptError) and call[0] is not None:
            redo.append(call)
        elif isinstance(reply, ResponseError) and failed is None:
            failed = reply
    return failed, redo


def _loads(calls: Sequence[Call]) -> list[Call]:
    """``SCRIPT LOAD`` of each script of ``calls``, once each, as plain calls."""
    scripts = dict.fromkeys(script for script, _ in calls if script is not None)
    # hiredis' stub types the argument as a one-element tuple; it takes any length
    return [(None, hiredis.pack_command(("SCRIPT", "LOAD", s.source))) for s in scripts]  # type: ignore[arg-type]


def _resend(conn: Any, calls: list[Call]) -> list[Call]:
    """Send ``calls`` again after loading their scripts, on ``conn`` (the connection need not
    be free for another): what is now owed on it, in order."""
    if not calls:
        return []
    again = _loads(calls) + calls
    conn.send_packed_command([b"".join(packed for _, packed in again)], False)
    return again


class FastScript:
    """One Lua script on one client, called by ``EVALSHA`` with packed arguments."""

    def __init__(
        self, client: redis.Redis, source: str, head: Sequence[Arg] = (), lane: Lane | None = None
    ) -> None:
        self.client = client
        self.source = source
        self.sha = client.register_script(source).sha
        self.lane = lane if lane is not None else Lane(client)
        self.lane.scripts.append(self)
        # EVALSHA sha 0 (no KEYS: every key is built in the script from the prefix) + head
        self._head: tuple[Arg, ...] = ("EVALSHA", self.sha, 0, *head)

    def pack(self, args: Sequence[Arg]) -> bytes:
        """The wire form of one call with ``args`` after the head."""
        # hiredis' stub types the argument as a one-element tuple; it takes any length
        packed: bytes = hiredis.pack_command(self._head + tuple(args))  # type: ignore[arg-type]
        return packed

    def call(self, args: Sequence[Arg]) -> Any:
        """Run the script once: one round trip (two after a ``NOSCRIPT``)."""
        return self.run([(self, self.pack(args))])[0]

    def call_many(self, calls: Sequence[Sequence[Arg]]) -> list[Any]:
        """Run the script once per ``calls`` entry, in order, in one round trip; each run is
        atomic and sees the runs before it. Raises the first error reply (after reading every
        reply, so the connection stays in step)."""
        if not calls:
            return []
        return self.run([(self, self.pack(args)) for args in calls])

    def stream(self, chunks: Iterable[Sequence[Sequence[Arg]]]) -> Generator[list[Any], None, None]:
        """Run the script once per entry of each chunk, in order, and yield each chunk's
        replies, written one chunk ahead of the replies read (:meth:`Lane.stream`: the server
        runs a chunk while the caller uses the last one's replies; each chunk is packed only
        when it is written). Each run is atomic and sees the runs before it. Raises the first
        error reply of a chunk when that chunk is reached (the chunk written behind it has run
        too, its replies read)."""
        pack = self.pack
        replies_of = self.lane.stream([(self, pack(args)) for args in chunk] for chunk in chunks)
        try:
            for replies in replies_of:
                for reply in replies:
                    if isinstance(reply, ResponseError):
                        raise reply
                yield replies
        finally:
            replies_of.close()

    def run(self, calls: Sequence[Call], owe: int = 0) -> list[Any]:
        """Send packed ``calls`` (of this script or others on the same lane) and return the
        replies of all but the last ``owe`` (see :meth:`Lane.exchange`); a call the server
        lacked the script for is loaded and sent again, followed by the owed calls if they
        were held back. Raises the first error reply."""
        replies = self.lane.exchange(calls, owe)
        waited = len(calls) - owe
        missing = [i for i, r in enumerate(replies[:waited]) if isinstance(r, NoScriptError)]
        if missing:
            # the server lost its script cache (restart, SCRIPT FLUSH): load each script and run
            # the calls that did not run, in their order, on the lane (one round trip), then the
            # owed calls that were held back
            redo = [calls[i] for i in missing]
            later = list(calls[waited:])
            loads = _loads(redo + later)
            again = self.lane.exchange(loads + redo + later, len(later))[len(loads) :]
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        replies = replies[:waited]
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies
