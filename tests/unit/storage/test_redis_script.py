"""FastScript and its Lane: packed EVALSHA calls, one round trip each (or per batch),
recovering from a server that does not hold the script, error replies raised without
unsettling the connection, and replies left owed: read by the next call, or by a settle.
Needs Redis at 127.0.0.1:6379."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import redis
from redis.exceptions import ResponseError

from shieldwall.storage.redis_script import FastScript, Lane

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
    """The server closes the lane's idle connection (CLIENT KILL): the next call still gets its
    reply (the lane connects it again rather than write into the dead one)."""
    client = redis.Redis.from_url(URL, max_connections=2)
    script = fresh(client)
    assert script.call(["a"]) == [b"const", b"a", 2]
    (slot,) = script.lane._free
    port = slot.conn._sock.getsockname()[1]
    killer = redis.Redis.from_url(URL)
    assert killer.client_kill(f"127.0.0.1:{port}") is True
    killer.close()
    assert script.call(["b"]) == [b"const", b"b", 2]
    client.close()


# ARGV[2] names a counter: a call adds one to it and returns the new count, or fails on 'bad'
COUNTER = """
if ARGV[2] == 'bad' then return redis.error_reply('refused') end
return redis.call('INCR', ARGV[2])
"""


def counter(client: redis.Redis, lane: Lane | None = None) -> FastScript:
    return FastScript(client, COUNTER + f"-- {secrets.token_hex(8)}\n", ("const",), lane)


def test_an_owed_reply_is_read_by_the_next_call_which_runs_after_it() -> None:
    """A call whose reply is owed has run before the next call on the lane: the next call
    sees its count and gets its own reply (not the owed one)."""
    client = redis.Redis.from_url(URL, max_connections=1)  # the lane's only connection
    peek = redis.Redis.from_url(URL)
    script = counter(client)
    script.call(["warm"])  # loaded
    key = f"sw-test:{secrets.token_hex(6)}"
    assert script.run([(script, script.pack([key]))], owe=1) == []
    assert script.call([key]) == 2
    # two owed at once, then settled: both ran, in order
    assert script.run([(script, script.pack([key])), (script, script.pack([key]))], owe=2) == []
    script.lane.settle()
    assert int(peek.get(key) or 0) == 4
    peek.delete(key, "warm")
    client.close()
    peek.close()


def test_a_settle_waits_for_what_is_owed() -> None:
    """Only the first of two calls written together is waited for; after a settle the second
    has run (its key is there), and the lane's connection goes back to the pool on close."""
    client = redis.Redis.from_url(URL, max_connections=1)  # the lane's only connection
    peek = redis.Redis.from_url(URL)
    lane = Lane(client)
    script = counter(client, lane)
    script.call(["warm"])
    first, second = f"sw-test:{secrets.token_hex(6)}", f"sw-test:{secrets.token_hex(6)}"
    assert script.run([(script, script.pack([first])), (script, script.pack([second]))], owe=1) == [
        1
    ]
    lane.settle()
    assert peek.get(second) == b"1"
    lane.close()
    assert lane._free == []
    assert client.get(first) == b"1"  # the pool has its one connection for a plain command again
    peek.delete(first, second, "warm")
    client.close()
    peek.close()


def test_an_owed_error_is_raised_by_the_next_call_and_the_lane_stays_in_step() -> None:
    """An error reply left owed is raised by the call that reads it (after that call's own
    reply is read); the call after that gets its own reply."""
    client = redis.Redis.from_url(URL, max_connections=1)  # the lane's only connection
    peek = redis.Redis.from_url(URL)
    script = counter(client)
    key = f"sw-test:{secrets.token_hex(6)}"
    script.call([key])
    script.run([(script, script.pack(["bad"]))], owe=1)
    with pytest.raises(ResponseError, match="refused"):
        script.call([key])
    assert peek.get(key) == b"2"  # the raising call itself ran
    assert script.call([key]) == 3
    script.run([(script, script.pack(["bad"]))], owe=1)
    with pytest.raises(ResponseError, match="refused"):
        script.lane.settle()
    assert script.call([key]) == 4
    peek.delete(key)
    client.close()
    peek.close()


def test_an_owed_call_of_an_unknown_script_is_loaded_and_runs_once() -> None:
    """An owed call the server could not run (NOSCRIPT, as after a restart) is loaded and sent
    again when its reply is read: it runs exactly once, on a lane with one connection."""
    client = redis.Redis.from_url(URL, max_connections=1)  # the lane's only connection
    peek = redis.Redis.from_url(URL)
    lane = Lane(client)
    known = counter(client, lane)
    known.call(["warm"])
    unknown = counter(client, lane)  # made after the lane connected (and loaded its scripts)
    assert peek.script_exists(unknown.sha) == [False]
    key = f"sw-test:{secrets.token_hex(6)}"
    assert known.run([(unknown, unknown.pack([key]))], owe=1) == []
    assert known.call(["warm"]) == 2  # reads the NOSCRIPT, sends the call again, owed
    lane.settle()
    assert peek.script_exists(unknown.sha) == [True]
    assert peek.get(key) == b"1"
    # the same through a settle alone
    other = counter(client, lane)
    known.run([(other, other.pack([key]))], owe=1)
    lane.settle()
    assert peek.get(key) == b"2"
    peek.delete(key, "warm")
    client.close()
    peek.close()


def test_a_new_connection_loads_every_script_of_its_lane_before_its_first_calls() -> None:
    """The server holds the second script of a write but not the first (as just after a
    version of the first is deployed): without loading first, the first would be refused and
    sent again after the second had run. A new lane connection loads both first, so they run in
    the order written: the first sees 1, and the owed second makes 2."""
    peek = redis.Redis.from_url(URL)
    client = redis.Redis.from_url(URL, max_connections=1)
    lane = Lane(client)
    first, second = counter(client, lane), counter(client, lane)
    peek.script_load(second.source)
    assert peek.script_exists(first.sha, second.sha) == [False, True]
    key = f"sw-test:{secrets.token_hex(6)}"
    assert first.run([(first, first.pack([key])), (second, second.pack([key]))], owe=1) == [1]
    lane.settle()
    assert peek.get(key) == b"2"
    peek.delete(key)
    client.close()
    peek.close()


def test_owed_calls_wait_for_a_refused_call_sent_again() -> None:
    """On a connection that has loaded its scripts, the first call of a write is refused
    (NOSCRIPT: a script made afterwards, as after a SCRIPT FLUSH): the owed second call is held
    back and written after the first is sent again, so they still run in order."""
    peek = redis.Redis.from_url(URL)
    client = redis.Redis.from_url(URL, max_connections=1)
    lane = Lane(client)
    second = counter(client, lane)
    second.call(["warm"])  # connected, scripts loaded
    first = counter(client, lane)
    assert peek.script_exists(first.sha, second.sha) == [False, True]
    key = f"sw-test:{secrets.token_hex(6)}"
    assert first.run([(first, first.pack([key])), (second, second.pack([key]))], owe=1) == [1]
    lane.settle()
    assert peek.get(key) == b"2"
    peek.delete(key, "warm")
    client.close()
    peek.close()


def test_a_stream_runs_every_call_in_order_one_chunk_ahead() -> None:
    """A stream of four chunks of three calls on one key: every call runs once, in order (the
    counts 1 to 12, chunk by chunk), and the first chunk's replies are given once the second
    chunk has been taken (and written), not before, nor more."""
    client = redis.Redis.from_url(URL, max_connections=1)  # the lane's only connection
    peek = redis.Redis.from_url(URL)
    script = counter(client)
    key = f"sw-test:{secrets.token_hex(6)}"
    taken: list[int] = []

    def chunks() -> Iterator[list[list[str]]]:
        for n in range(4):
            taken.append(n)
            yield [[key]] * 3

    stream = script.stream(chunks())
    assert next(stream) == [1, 2, 3]
    assert taken == [0, 1]
    assert list(stream) == [[4, 5, 6], [7, 8, 9], [10, 11, 12]]
    assert script.call([key]) == 13  # the connection is back, in step
    peek.delete(key)
    client.close()
    peek.close()


def test_a_stream_sends_calls_refused_for_want_of_their_script_again_in_order() -> None:
    """A stream of a script the server does not hold, on a connection that loaded its lane's
    scripts before the script was made (as after a SCRIPT FLUSH): both chunks written are
    refused, then loaded and sent again in order, once each, on the lane's one connection."""
    client = redis.Redis.from_url(URL, max_connections=1)
    peek = redis.Redis.from_url(URL)
    lane = Lane(client)
    known = counter(client, lane)
    known.call(["warm"])  # connected, scripts loaded
    unknown = counter(client, lane)
    assert peek.script_exists(unknown.sha) == [False]
    key = f"sw-test:{secrets.token_hex(6)}"
    assert list(unknown.stream([[[key]] * 2, [[key]] * 3, [[key]]])) == [[1, 2], [3, 4, 5], [6]]
    assert peek.get(key) == b"6"
    assert known.call([key]) == 7
    peek.delete(key, "warm")
    client.close()
    peek.close()


def test_a_stream_raises_an_error_reply_and_the_lane_stays_in_step() -> None:
    """An error reply in the second of three one-call chunks is raised when that chunk is
    reached; the third chunk, written ahead, has run and its reply was read: the next call on
    the one connection gets its own reply."""
    client = redis.Redis.from_url(URL, max_connections=1)
    peek = redis.Redis.from_url(URL)
    script = counter(client)
    key = f"sw-test:{secrets.token_hex(6)}"
    stream = script.stream([[[key]], [["bad"]], [[key]]])
    assert next(stream) == [1]
    with pytest.raises(ResponseError, match="refused"):
        next(stream)
    assert peek.get(key) == b"2"
    assert script.call([key]) == 3
    peek.delete(key)
    client.close()
    peek.close()


def test_a_stream_closed_early_has_run_what_it_wrote() -> None:
    """A stream closed after its first chunk's replies (its caller stopped) reads the replies of
    the chunk written ahead: that chunk has run, the one after it was never taken, and the lane
    (one connection) is in step for the next call."""
    client = redis.Redis.from_url(URL, max_connections=1)
    peek = redis.Redis.from_url(URL)
    script = counter(client)
    key = f"sw-test:{secrets.token_hex(6)}"
    taken: list[int] = []

    def chunks() -> Iterator[list[list[str]]]:
        for n in range(3):
            taken.append(n)
            yield [[key]] * 2

    stream = script.stream(chunks())
    assert next(stream) == [1, 2]
    stream.close()
    assert taken == [0, 1]
    assert peek.get(key) == b"4"
    assert script.call([key]) == 5
    peek.delete(key)
    client.close()
    peek.close()


def test_a_stream_whose_chunks_fail_has_run_what_it_wrote() -> None:
    """The caller's chunks raise after two chunks were taken (one written ahead): the error
    comes out of the stream, both chunks written have run, and the lane keeps its one
    connection, in step for the next call."""
    client = redis.Redis.from_url(URL, max_connections=1)
    peek = redis.Redis.from_url(URL)
    script = counter(client)
    key = f"sw-test:{secrets.token_hex(6)}"

    def chunks() -> Iterator[list[list[str]]]:
        yield [[key]] * 2
        yield [[key]] * 3
        raise LookupError("the caller's own error")

    stream = script.stream(chunks())
    assert next(stream) == [1, 2]
    with pytest.raises(LookupError):
        next(stream)
    # the connection was kept, not dropped: its replies were read, nothing is left on it
    assert [slot.conn._sock is not None for slot in script.lane._free] == [True]
    assert peek.get(key) == b"5"
    assert script.call([key]) == 6
    peek.delete(key)
    client.close()
    peek.close()
