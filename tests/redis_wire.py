"""What a test's redis-py connections write, command by command (round trips counted)."""

from __future__ import annotations

from typing import Any

import pytest
import redis


class Wire:
    """Counts what redis-py connections write: one entry per socket write (a round trip: the
    caller then waits for the replies), holding the names of the commands written together
    (``EVALSHA <digest prefix>`` for scripts). Wraps ``Connection.send_packed_command``, which
    every command and pipeline of redis-py, and :class:`FastScript`, goes through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.writes: list[list[str]] = []
        real = redis.connection.Connection.send_packed_command

        def send_packed_command(conn: Any, command: Any, check_health: bool = True) -> None:
            parts = [command] if isinstance(command, (bytes, str)) else command
            data = b"".join(p.encode() if isinstance(p, str) else bytes(p) for p in parts)
            self.writes.append(command_names(data))
            real(conn, command, check_health)

        monkeypatch.setattr(redis.connection.Connection, "send_packed_command", send_packed_command)


def command_names(data: bytes) -> list[str]:
    """The command names in a buffer of RESP arrays of bulk strings (what a client writes)."""
    names, i = [], 0
    while i < len(data):
        end = data.index(b"\r\n", i)
        count, i = int(data[i + 1 : end]), end + 2
        args = []
        for _ in range(count):
            end = data.index(b"\r\n", i)
            size = int(data[i + 1 : end])
            args.append(data[end + 2 : end + 2 + size])
            i = end + 2 + size + 2
        name = args[0].decode().upper()
        names.append(f"{name} {args[1][:8].decode()}" if name == "EVALSHA" else name)
    return names
