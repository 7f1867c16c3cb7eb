"""FastScript: packed EVALSHA calls, one round trip each (or per batch), recovering from a
server that does not hold the script, and error replies raised without unsettling the
connection. Needs Redis at 127.0.0.1:6379."""

from __future__ import annotations

import secrets

import pytest
import redis
from redis.exceptions import ResponseError

from shieldwall.storage.redis_script import FastScript

pytestmark = pytest.mark.redis
URL = "redis://127.0.0.1:6379/0"

# ARGV[1] is the head's constant; a call returns it and its own arguments, or fails on 'bad'
SOURCE = """
if ARGV[2] == 'bad' then return redis.error_reply('refused') end
return {ARGV[1], ARGV[2], #ARGV}
"""


def fresh(client: redis.Redis) -> FastScript:
    """A script no server has seen (a random comment changes its digest): the first call meets
    NOSCRIPT, as after a restart or a SCRIPT FLUSH."""
    return FastScript(client, SOURCE + f"-- {secrets.token_hex(8)}\n", head=("const",))


def test_call_loads_an_unknown_script_and_returns_its_reply() -> None:
    """A first call on a server without the script loads it and runs the call once."""
    client = redis.Redis.from_url(URL)
    script = fresh(client)
    assert client.script_exists(script.sha) == [False]
    assert script.call(["a", 7]) == [b"const", b"a", 3]
    assert client.script_exists(script.sha) == [True]
    assert script.call(["b"]) == [b"const", b"b", 2]
    client.close()


def test_call_many_runs_every_call_in_order_after_loading() -> None:
    """A batch on a server without the script: every call runs once, replies in order."""
    client = redis.Redis.from_url(URL)
    script = fresh(client)
    replies = script.call_many([[str(n)] for n in range(5)])
    assert replies == [[b"const", str(n).encode(), 2] for n in range(5)]
    assert script.call_many([]) == []
    client.close()


def test_an_error_reply_is_raised_and_the_connection_stays_in_step() -> None:
    """An error reply in the middle of a batch raises it after all replies are read: the next
    call on the same (only) connection gets its own reply, not a leftover."""
    client = redis.Redis.from_url(URL, max_connections=1)
    script = fresh(client)
    with pytest.raises(ResponseError, match="refused"):
        script.call_many([["a"], ["bad"], ["c"]])
    assert script.call(["d"]) == [b"const", b"d", 2]
    with pytest.raises(ResponseError, match="refused"):
        script.call(["bad"])
    assert script.call(["e"]) == [b"const", b"e", 2]
    client.close()


def test_a_connection_closed_by_the_server_is_replaced_once() -> None:
    """The server closes the idle pooled connection (CLIENT KILL): the next call still gets its
    reply (the pool hands out a fresh connection, not the dead one)."""
    client = redis.Redis.from_url(URL, max_connections=2)
    script = fresh(client)
    assert script.call(["a"]) == [b"const", b"a", 2]
    conn = client.connection_pool.get_connection()
    port = conn._sock.getsockname()[1]
    client.connection_pool.release(conn)
    killer = redis.Redis.from_url(URL)
    assert killer.client_kill(f"127.0.0.1:{port}") is True
    killer.close()
    assert script.call(["b"]) == [b"const", b"b", 2]
    client.close()
