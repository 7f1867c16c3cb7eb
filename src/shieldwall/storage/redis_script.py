"""A Lua script called on the hot path with as little client work as the wire allows.

redis-py's ``Script.__call__`` goes through the client's generic command path: argument
encoding in Python, the retry wrapper, response callbacks, observability hooks, and for a
pipeline a ``SCRIPT EXISTS`` round trip before every ``execute``. For the risk engine's
``assess`` (one script per login attempt, about 45 arguments) that path cost about as much
client CPU as the engine's own scoring (cProfile of 2,000 calls; docs/guard.md, "Speed").
:class:`FastScript` keeps redis-py's connection pool, connections and hiredis reply parser, and
only replaces the layer above them:

- arguments are packed by hiredis' C packer (``hiredis.pack_command``) in one call, with the
  constant leading arguments (``EVALSHA``, the digest, the key count, the settings) kept as one
  tuple made once;
- :meth:`FastScript.call` is one socket write and one read (``EVALSHA``; on ``NOSCRIPT`` the
  script is loaded and the call sent again, which can happen once after a server restart or a
  ``SCRIPT FLUSH``);
- :meth:`FastScript.call_many` writes many calls in one buffer and reads their replies in
  order: one round trip for the lot, with no ``SCRIPT EXISTS`` check before it.

A pooled connection the server closed while it sat idle is replaced by the pool before it is
handed out (redis-py checks it for unread data or EOF). A connection error during a call is
not retried, since the script may have run: it is raised (``redis.RedisError`` subclasses, as
redis-py's), and callers translate it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import hiredis
import redis
from redis.exceptions import NoScriptError, ResponseError

Arg = bytes | str | int


class FastScript:
    """One Lua script on one client, called by ``EVALSHA`` with packed arguments."""

    def __init__(self, client: redis.Redis, source: str, head: Sequence[Arg] = ()) -> None:
        self.client = client
        self.source = source
        self.sha = client.register_script(source).sha
        # EVALSHA sha 0 (no KEYS: every key is built in the script from the prefix) + head
        self._head: tuple[Arg, ...] = ("EVALSHA", self.sha, 0, *head)

    def pack(self, args: Sequence[Arg]) -> bytes:
        """The wire form of one call with ``args`` after the head."""
        # hiredis' stub types the argument as a one-element tuple; it takes any length
        packed: bytes = hiredis.pack_command(self._head + tuple(args))  # type: ignore[arg-type]
        return packed

    def call(self, args: Sequence[Arg]) -> Any:
        """Run the script once: one round trip (two after a ``NOSCRIPT``)."""
        return self._exchange([self.pack(args)])[0]

    def call_many(self, calls: Sequence[Sequence[Arg]]) -> list[Any]:
        """Run the script once per ``calls`` entry, in order, in one round trip; each run is
        atomic and sees the runs before it. Raises the first error reply (after reading every
        reply, so the connection stays in step)."""
        if not calls:
            return []
        return self._exchange([self.pack(args) for args in calls])

    def _exchange(self, packed: list[bytes]) -> list[Any]:
        replies = self._round_trip(packed)
        missing = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
        if missing:
            # the server lost its script cache (restart, SCRIPT FLUSH): load it and run the calls
            # that did not run, in their order
            self.client.script_load(self.source)
            again = self._round_trip([packed[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies

    def _round_trip(self, packed: list[bytes]) -> list[Any]:
        """Write every packed call in one ``sendall``, read one reply each (an error reply is
        returned as its exception, not raised)."""
        pool = self.client.connection_pool
        data = packed[0] if len(packed) == 1 else b"".join(packed)
        conn: Any = pool.get_connection()  # redis-py's Connection methods are untyped
        try:
            conn.send_packed_command([data], check_health=False)
            replies: list[Any] = []
            for _ in packed:
                try:
                    replies.append(conn.read_response())
                except ResponseError as exc:
                    replies.append(exc)
            return replies
        finally:
            pool.release(conn)
