"""The login risk engine's state in Redis, shared by every worker of the service.

Each call is Lua (atomic on the server, one round trip), doing exactly the arithmetic of
:class:`~shieldwall.storage.risk_state_memory.MemoryRiskState`, so a replay decides the same
on both (tested). An ``assess`` is two scripts on one connection of a
:class:`~shieldwall.storage.redis_script.Lane`: ``_LOOK`` reads what the decision needs (the
records decayed to now, whether each pair is new, the profile, popularity and breach tag) and
keeps the pending assessment; once its reply is in, ``_COUNT`` is written, and the server counts
the attempt while the engine decides (its reply is read by the next call on the connection).
The client adds the attempt to the looked records exactly as ``_COUNT`` adds it, so the view
is the same numbers as the one-script ``_ASSESS`` gives (which ``assess_many`` pipelines). A
thread's later calls run after its counts; another worker's attempt can run between the two
halves (it then counts the same pair new once more, at most). A batch of outcomes is two round
trips: ``_TAKE_MANY`` takes every id's pending payload, then ``_OUTCOME`` once per outcome,
pipelined. Keys live under ``shieldwall:<tenant>:risk:``:

- ``r:<entity>``  a record: ten little-endian doubles (``struct`` in the script, :mod:`struct`
  here) in the order of :data:`~shieldwall.guard.risk.ports.RECORD_SIZE`'s slots
- ``ps:<account>`` hash of the account's seen pairs, each one double: the (simulated) time the
  pair stops counting as seen; ``#`` the additions since it was last pruned (see ``_ADD``)
- ``a:<account>`` hash of profile counts, ``_e`` its expiry
- ``pop``         hash of popularity counts
- ``h``           hash ``<hour>:a|f|u`` of hourly platform totals
- ``pd:<id>``     a pending assessment's payload
- ``b:<account>`` hash of the account's breach tags (each field a tag), ``_e`` its expiry
- ``o:<once>``    an idempotency key counted (``AssessOps.once``; a stop's ``<once>:s``): the
  engine-clock time it expires. An attempt with a key is the one script ``_ASSESS``, which
  decides whether it is a repeat and counts it (or not) atomically
- ``ot:<once>``   hash of an outcome's take under its idempotency key (``TakeOnce``): ``e`` the
  engine-clock time it expires, ``a`` the assessment id, ``r`` what the outcome reported
  (success + 2 * account known), ``p`` the payload taken; ``_TAKE_ONCE`` takes and keeps, or
  answers a repeat, atomically

Records and pairs are binary doubles rather than hash fields of ``%.17g`` text: both round-trip
exactly, but packing ten doubles is one call where formatting and parsing them was twenty, and a
record is one ``GET``/``SET`` where it was ``HMGET``/``HSET``/``EXPIRE`` (the script went from
about 35 commands and 70 number formats per attempt to about 17 and none; see docs/guard.md,
"Speed"). The prefixes changed with the layout (``e:``/``pr:`` held the old one), so a worker of
the new layout never reads a record of the old: it starts those counts afresh. Likewise the seen
pairs were one ``q:<pair>`` key each (a ``SET ... GET`` per pair, five or six an attempt) before
they became one hash per account: after that upgrade every pair counts as new once more (one
more distinct account or address on each source and account, once), and the ``q:`` keys expire
by their TTL; while old and new workers run side by side, each layout counts a pair new once.

Times inside values are the engine's clock (a replay runs on a :class:`ManualClock`), so
expiry decisions never depend on the wall clock; Redis TTLs (on the wall clock, at least as long)
only collect garbage.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar, cast

import redis
from hiredis import pack_command

from shieldwall.config import RiskSettings
from shieldwall.core.errors import StorageError
from shieldwall.guard.risk.ports import (
    A_L,
    A_S,
    D_L,
    D_S,
    RECORD_SIZE,
    RUN,
    STOP_SUFFIX,
    AssessOps,
    AssessView,
    OutcomeOps,
    Repeat,
    TakeOnce,
)
from shieldwall.storage.redis_script import Arg, Call, FastScript, Lane

T = TypeVar("T")
_RECORD = struct.Struct("<" + "d" * RECORD_SIZE)
_BIG_ENDIAN = sys.byteorder == "big"  # records are little-endian doubles on the wire
# attempts per write of assess_many, one chunk written ahead of the replies read: the server
# runs a chunk while the client decides on the last one and makes the next. Small enough that
# the first chunk (made before the server has anything to run) and the last (decided after it
# has nothing left) are short; large enough that a write and a read (some 20 us of system calls
# each side) are a small part of a chunk. Redis runs a write's scripts back to back, so a
# bounded chunk also keeps other clients' commands from waiting behind a whole fetched batch.
STREAM = 20
# ids taken, or outcomes recorded, per pipelined script of a batch of outcomes
PIPELINE = 100


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last shorter), each taken when it is asked for."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


_COMMON = """
local P = ARGV[1]
local tau_s = tonumber(ARGV[2])
local tau_l = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local REC = '<dddddddddd'
local function fmt(x) return string.format('%.17g', x) end
-- MGET the records of n entity keys from ARGV[k..k+n-1]; each decayed to now (a new one zero)
local function load(k, n)
  local keys = {}
  for i = 1, n do keys[i] = P .. 'r:' .. ARGV[k + i - 1] end
  local recs = {}
  if n == 0 then return keys, recs end
  local v = redis.call('MGET', unpack(keys))
  for i = 1, n do
    local rec
    if not v[i] then
      rec = {now, 0, 0, 0, 0, 0, 0, 0, 0, 0}
    else
      rec = {struct.unpack(REC, v[i])}
      rec[11] = nil
      local dt = now - rec[1]
      if dt > 0 then
        local ks = math.exp(-dt / tau_s)
        local kl = math.exp(-dt / tau_l)
        rec[2] = rec[2] * ks; rec[4] = rec[4] * ks; rec[6] = rec[6] * ks; rec[8] = rec[8] * ks
        rec[3] = rec[3] * kl; rec[5] = rec[5] * kl; rec[7] = rec[7] * kl; rec[9] = rec[9] * kl
        rec[1] = now
      end
    end
    recs[i] = rec
  end
  return keys, recs
end
local function save(key, r)
  local packed = struct.pack(REC, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
  redis.call('SET', key, packed, 'EX', ttl)
  return packed
end
"""

# The assess script's ARGV: prefix tau_s tau_l ttl now pair_ttl pending_ttl once_ttl pending_id
#       pending once ('' for none) n_entities entities... n_pairs (index pair)... profile
#       n_fields fields... n_popular popular... hour breach_account breach_tag ('' '' for none)
# It is made of parts, which also make the two halves ``assess`` sends (_LOOK, _COUNT; these
# two ignore ``once``: ``assess`` sends an attempt that has one as the one script _ASSESS).
_ENTITIES = """
local pair_ttl = tonumber(ARGV[6])
local k = 12
local ne = tonumber(ARGV[k]); k = k + 1
local keys, recs = load(k, ne)
k = k + ne
local np = tonumber(ARGV[k]); k = k + 1
local out = {}
"""

# the attempt's idempotency key (``o:<once>``, its value the engine-clock time it expires): a
# live one makes the attempt a repeat, counted nowhere (and ``stopped`` when its stop's key is
# live too); otherwise it is set, in the same script as the counts
_ONCE = f"""
local repeat_, stopped = 0, 0
if ARGV[11] ~= '' then
  local okey = P .. 'o:' .. ARGV[11]
  local e = redis.call('GET', okey)
  if e and tonumber(e) > now then
    repeat_ = 1
    local s = redis.call('GET', okey .. '{STOP_SUFFIX}')
    if s and tonumber(s) > now then stopped = 1 end
  else
    local once_ttl = tonumber(ARGV[8])
    redis.call('SET', okey, fmt(now + once_ttl), 'EX', math.ceil(once_ttl))
  end
end
"""

# a repeat's records: decayed to now, not written back (nor counted)
_SKIP = """
k = k + 2 * np
for i = 1, ne do
  local r = recs[i]
  out[i] = struct.pack(REC, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
end
"""

# count the attempt: every record, and each pair not seen within the TTL (marked seen), saved.
# The account's pairs are one hash (the profile, its account's key, follows the pairs in ARGV):
# one HMGET and one HSET where each pair was a SET ... GET of its own. A pair named twice in one
# attempt counts once, as two SETs in a row did. The hash lives the pair TTL after the account's
# last attempt; so that an account tried from ever new sources does not keep every pair as long,
# ``#`` (read and written with the pairs: no call of its own; no pair is named so) counts the
# pairs added since the hash was last pruned less the pairs then kept, and above 64 the pairs
# expired by now are dropped (an expired pair and an absent one both count as new): a cost in
# proportion to the hash, paid once per as many additions as it then held.
_ADD = """
for i = 1, ne do
  local rec = recs[i]
  rec[2] = rec[2] + 1; rec[3] = rec[3] + 1
end
if np > 0 then
  local until_ = struct.pack('<d', now + pair_ttl)
  local seen = P .. 'ps:' .. ARGV[k + 2 * np]
  local names, set, met = {}, {}, {}
  for j = 1, np do names[j] = ARGV[k + 2 * j - 1] end
  names[np + 1] = '#'
  local held = redis.call('HMGET', seen, unpack(names))
  local added = 0
  for j = 1, np do
    local name, e = names[j], held[j]
    if not met[name] then
      if not e then added = added + 1 end
      if (not e) or struct.unpack('<d', e) <= now then
        local i = tonumber(ARGV[k + 2 * j - 2]) + 1
        recs[i][8] = recs[i][8] + 1; recs[i][9] = recs[i][9] + 1
      end
    end
    met[name] = true
    set[2 * j - 1] = name; set[2 * j] = until_
  end
  local count = tonumber(held[np + 1] or '0') + added
  if added > 0 then set[2 * np + 1] = '#'; set[2 * np + 2] = count end
  redis.call('HSET', seen, unpack(set))
  redis.call('EXPIRE', seen, math.ceil(pair_ttl))
  if count > 64 then
    local all = redis.call('HGETALL', seen)
    local dead, kept = {}, 0
    for j = 1, #all, 2 do
      if all[j] ~= '#' then
        if struct.unpack('<d', all[j + 1]) <= now then dead[#dead + 1] = all[j]
        else kept = kept + 1 end
      end
    end
    for j = 1, #dead, 1000 do
      redis.call('HDEL', seen, unpack(dead, j, math.min(j + 999, #dead)))
    end
    redis.call('HSET', seen, '#', -kept)
  end
  k = k + 2 * np
end
for i = 1, ne do out[i] = save(keys[i], recs[i]) end
"""

# read the account's profile, the popularity counts and the breach tag; keep the pending
# assessment
_READ = """
local profile = P .. 'a:' .. ARGV[k]; k = k + 1
local nf = tonumber(ARGV[k]); k = k + 1
local fields = {'n'}
for i = 1, nf do fields[i + 1] = ARGV[k]; k = k + 1 end
local pv = redis.call('HMGET', profile, '_e', unpack(fields))
local alive = pv[1] and tonumber(pv[1]) > now
local npop = tonumber(ARGV[k]); k = k + 1
local pfields = {'n'}
for i = 1, npop do pfields[i + 1] = ARGV[k]; k = k + 1 end
local popv = redis.call('HMGET', P .. 'pop', unpack(pfields))
local hour = ARGV[k]
local breach = 0
if ARGV[k + 1] ~= '' then
  local bv = redis.call('HMGET', P .. 'b:' .. ARGV[k + 1], '_e', ARGV[k + 2])
  if bv[1] and tonumber(bv[1]) > now and bv[2] then breach = 1 end
end
if ARGV[9] ~= '' then
  redis.call('SET', P .. 'pd:' .. ARGV[9], ARGV[10], 'EX', ARGV[7])
end
local prof = {}
for i = 1, nf + 1 do prof[i] = (alive and pv[i + 1]) or '0' end
local pop = {}
for i = 1, npop + 1 do pop[i] = popv[i] or '0' end
"""

_HOUR = """
redis.call('HINCRBY', P .. 'h', hour .. ':a', 1)
"""

# the whole attempt, atomic: counted (unless a repeat), then read (assess_many, an assess with
# an idempotency key, and the state contract)
_ASSESS = (
    _COMMON
    + _ENTITIES
    + _ONCE
    + "if repeat_ == 0 then\n"
    + _ADD
    + "else\n"
    + _SKIP
    + "end\n"
    + _READ
    + "if repeat_ == 0 then\n"
    + _HOUR
    + "end\n"
    + "return {out, prof, pop, breach, repeat_, stopped}\n"
)

# ``assess``'s first half, what the decision needs: the records decayed to now (not yet
# counting this attempt) and whether each pair is new (the client adds the attempt, as _ADD
# does), the reads of _READ and the pending assessment kept
_LOOK = (
    _COMMON
    + _ENTITIES
    + """
local new = {}
if np > 0 then
  local names, met = {}, {}
  for j = 1, np do names[j] = ARGV[k + 2 * j - 1] end
  local held = redis.call('HMGET', P .. 'ps:' .. ARGV[k + 2 * np], unpack(names))
  for j = 1, np do
    local name, e = names[j], held[j]
    new[j] = (not met[name] and ((not e) or struct.unpack('<d', e) <= now)) and 1 or 0
    met[name] = true
  end
  k = k + 2 * np
end
for i = 1, ne do
  local r = recs[i]
  out[i] = struct.pack(REC, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
end
out = table.concat(out)
"""
    + _READ
    + """
for i = 1, #prof do prof[i] = tonumber(prof[i]) end
for i = 1, #pop do pop[i] = tonumber(pop[i]) end
return {out, prof, pop, breach, new}
"""
)

# ``assess``'s second half, whose reply the caller does not wait for: the attempt counted (as
# _ASSESS counts it, each record loaded again) and the hour bucket
_COUNT = (
    _COMMON
    + _ENTITIES
    + _ADD
    + """
k = k + 1
k = k + tonumber(ARGV[k]) + 1
k = k + tonumber(ARGV[k]) + 1
local hour = ARGV[k]
"""
    + _HOUR
    + "return 1\n"
)

# ARGV: prefix tau_s tau_l ttl now success known profile_ttl once_ttl once ('' for none)
#       n_entities entities...
#       (success: 0 failure, 1 success, 2 and 3 the same answering a stop: OutcomeOps)
#       n_runs runs... profile n_fields fields... n_popular popular... hour
#       n_distinct (field index, counter)...
_OUTCOME = (
    _COMMON
    + """
local success = ARGV[6] == '1' or ARGV[6] == '3'
local retract = ARGV[6] == '2' or ARGV[6] == '3'
local known = ARGV[7] == '1'
local profile_ttl = tonumber(ARGV[8])
if ARGV[10] ~= '' then
  local okey = P .. 'o:' .. ARGV[10]
  local e = redis.call('GET', okey)
  if e and tonumber(e) > now then return 0 end
  local once_ttl = tonumber(ARGV[9])
  redis.call('SET', okey, fmt(now + once_ttl), 'EX', math.ceil(once_ttl))
end
local k = 11
local failed = (success or retract) and 0 or 1
local unknown = ((not success) and (not known)) and 1 or 0
local ne = tonumber(ARGV[k]); k = k + 1
local keys, recs = load(k, ne)
k = k + ne
for i = 1, ne do
  local rec = recs[i]
  if retract and success then
    rec[4] = math.max(rec[4] - 1, 0); rec[5] = math.max(rec[5] - 1, 0)
  end
  rec[4] = rec[4] + failed; rec[5] = rec[5] + failed
  rec[6] = rec[6] + unknown; rec[7] = rec[7] + unknown
end
local nr = tonumber(ARGV[k]); k = k + 1
for _ = 1, nr do
  local i = tonumber(ARGV[k]) + 1; k = k + 1
  if success then recs[i][10] = 0 elseif not retract then recs[i][10] = recs[i][10] + 1 end
end
for i = 1, ne do save(keys[i], recs[i]) end
local profile = P .. 'a:' .. ARGV[k]; k = k + 1
local nf = tonumber(ARGV[k]); k = k + 1
local fields = {}
for i = 1, nf do fields[i] = ARGV[k]; k = k + 1 end
local npop = tonumber(ARGV[k]); k = k + 1
local pfields = {}
for i = 1, npop do pfields[i] = ARGV[k]; k = k + 1 end
local hour = ARGV[k]; k = k + 1
local nd = tonumber(ARGV[k]); k = k + 1
if retract and success and redis.call('HINCRBY', P .. 'h', hour .. ':f', -1) < 0 then
  redis.call('HSET', P .. 'h', hour .. ':f', 0)
end
if failed == 1 then redis.call('HINCRBY', P .. 'h', hour .. ':f', 1) end
if unknown == 1 then redis.call('HINCRBY', P .. 'h', hour .. ':u', 1) end
if success then
  local e = redis.call('HGET', profile, '_e')
  if e and tonumber(e) <= now then redis.call('DEL', profile) end
  redis.call('HINCRBY', profile, 'n', 1)
  local seen = {}
  for i = 1, nf do seen[i] = redis.call('HINCRBY', profile, fields[i], 1) end
  for _ = 1, nd do
    local i = tonumber(ARGV[k]) + 1
    if seen[i] == 1 then redis.call('HINCRBY', profile, ARGV[k + 1], 1) end
    k = k + 2
  end
  redis.call('HSET', profile, '_e', fmt(now + profile_ttl))
  redis.call('EXPIRE', profile, math.ceil(profile_ttl))
  redis.call('HINCRBY', P .. 'pop', 'n', 1)
  for i = 1, npop do redis.call('HINCRBY', P .. 'pop', pfields[i], 1) end
end
return 1
"""
)

# the run is the record's last double: rewrite it in place, keeping the key's TTL
_RESET = f"""
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('SETRANGE', KEYS[i], {8 * RUN}, struct.pack('<d', 0))
  end
end
return 1
"""

# KEYS: the account's breach hash; ARGV: now expiry ttl tags...: an expired hash starts afresh
_BREACH = """
local e = redis.call('HGET', KEYS[1], '_e')
if e and tonumber(e) <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
for i = 4, #ARGV, 500 do
  local args = {}
  for j = i, math.min(i + 499, #ARGV) do
    args[#args + 1] = ARGV[j]; args[#args + 1] = '1'
  end
  redis.call('HSET', KEYS[1], unpack(args))
end
redis.call('HSET', KEYS[1], '_e', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

_TAKE = """
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v
"""

# ARGV: prefix ids...: each id's pending payload taken (read, deleted) in order; false (a nil in
# the reply) when there is none, so an id given twice is taken once
_TAKE_MANY = """
local P = ARGV[1]
local out = {}
for i = 2, #ARGV do
  local key = P .. 'pd:' .. ARGV[i]
  local v = redis.call('GET', key)
  if v then redis.call('DEL', key) end
  out[i - 1] = v
end
return out
"""


# ARGV: prefix now once_ttl (id once report)...: ``_TAKE_MANY`` of each id, and with a key
# (``once``, '' for none; ``report`` success + 2 * account known): a payload taken is kept under
# the key (hash ``ot:<once>``); a payload gone answers the kept one, unexpired and of the same
# id, as {payload, report} (a repeat)
_TAKE_ONCE = """
local P = ARGV[1]
local now = tonumber(ARGV[2])
local once_ttl = tonumber(ARGV[3])
local out = {}
local n = 0
for i = 4, #ARGV, 3 do
  n = n + 1
  local id, once = ARGV[i], ARGV[i + 1]
  local key = P .. 'pd:' .. id
  local v = redis.call('GET', key)
  if v then
    redis.call('DEL', key)
    if once ~= '' then
      local okey = P .. 'ot:' .. once
      redis.call('HSET', okey, 'e', string.format('%.17g', now + once_ttl), 'a', id,
        'r', ARGV[i + 2], 'p', v)
      redis.call('EXPIRE', okey, math.ceil(once_ttl))
    end
    out[n] = v
  elseif once ~= '' then
    local kept = redis.call('HMGET', P .. 'ot:' .. once, 'e', 'a', 'r', 'p')
    if kept[1] and tonumber(kept[1]) > now and kept[2] == id then
      out[n] = {kept[4], kept[3]}
    else
      out[n] = false
    end
  else
    out[n] = false
  end
end
return out
"""


def _taken(got: Any) -> bytes | Repeat | None:
    """One id's answer of ``_TAKE_ONCE``: the payload, a repeat's pair, or nil."""
    if isinstance(got, list):
        payload, report = got
        code = int(report)
        return Repeat(payload, code & 1 == 1, code & 2 == 2)
    return cast(bytes | None, got)


def _view(out: list[Any]) -> AssessView:
    rows, prof, pop, breach, repeat, stopped = out
    unpack = _RECORD.unpack
    return AssessView(
        [list(unpack(row)) for row in rows],
        [int(x) for x in prof],
        [int(x) for x in pop],
        int(breach) == 1,
        repeat == 1,
        stopped == 1,
    )


def _looked(out: list[Any], pairs: Sequence[tuple[int, str]]) -> AssessView:
    """The view of ``_LOOK``'s reply with the attempt counted as ``_ADD`` counts it (the same
    additions on the same doubles, so the same numbers)."""
    blob, prof, pop, breach, new = out
    values = array("d")
    values.frombytes(blob)
    if _BIG_ENDIAN:
        values.byteswap()
    flat = values.tolist()
    recs = [flat[i : i + RECORD_SIZE] for i in range(0, len(flat), RECORD_SIZE)]
    for rec in recs:
        rec[A_S] += 1
        rec[A_L] += 1
    for (i, _), fresh in zip(pairs, new, strict=True):
        if fresh:
            recs[i][D_S] += 1
            recs[i][D_L] += 1
    return AssessView(recs, prof, pop, breach == 1)


class RedisRiskState:
    def __init__(
        self, client: redis.Redis, *, tenant: str = "default", settings: RiskSettings | None = None
    ) -> None:
        rs = settings or RiskSettings()
        self.client = client
        self.prefix = f"shieldwall:{tenant}:risk:"
        self.short_tau = rs.short_window_seconds
        self.long_tau = rs.long_window_seconds
        self.pair_ttl = float(rs.pair_ttl_seconds)
        self.pending_ttl = rs.pending_ttl_seconds
        self.profile_ttl = rs.profile_ttl_days * 86_400
        self.once_ttl = float(rs.once_ttl_seconds)
        self._once_ttl = repr(self.once_ttl)
        # entity records are garbage after a few long windows without traffic
        self.record_ttl = int(max(8 * self.long_tau, 3600))
        # the hot path: packed EVALSHA, the settings packed once, on one lane of connections
        # (see redis_script.py)
        self._lane = Lane(client)
        head = (self.prefix, repr(self.short_tau), repr(self.long_tau), self.record_ttl)
        self._assess = FastScript(client, _ASSESS, head, self._lane)
        self._look = FastScript(client, _LOOK, head, self._lane)
        self._count = FastScript(client, _COUNT, head, self._lane)
        self._assess_settings = (repr(self.pair_ttl), self.pending_ttl, self._once_ttl)
        self._outcome = FastScript(client, _OUTCOME, head, self._lane)
        self._take = client.register_script(_TAKE)
        self._take_many = FastScript(client, _TAKE_MANY, (self.prefix,), self._lane)
        self._take_once = FastScript(client, _TAKE_ONCE, (self.prefix,), self._lane)
        self._reset = client.register_script(_RESET)
        self._breach = client.register_script(_BREACH)

    @classmethod
    def from_url(
        cls, url: str, *, tenant: str = "default", settings: RiskSettings | None = None
    ) -> RedisRiskState:
        return cls(redis.Redis.from_url(url), tenant=tenant, settings=settings)

    @property
    def blocking(self) -> bool:
        return True

    def assess(self, now: float, ops: AssessOps) -> AssessView:
        """One round trip: ``_LOOK`` (what the decision needs) and ``_COUNT`` (the attempt
        counted) written together, and only ``_LOOK``'s reply waited for; the server counts
        while the engine decides. ``_COUNT``'s reply is read by the next call on the connection
        (an error in it is raised there). An attempt with an idempotency key (``ops.once``) is
        the one script ``_ASSESS``, waited for: whether it is a repeat is decided with its
        counts, atomically."""
        if ops.once is not None:
            try:
                return _view(self._assess.call(self._assess_args(now, ops)))
            except redis.RedisError as exc:
                raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        look = self._look.pack(self._assess_args(now, ops))
        count = look.replace(self._look.sha.encode(), self._count.sha.encode(), 1)
        try:
            out = self._look.run([(self._look, look), (self._count, count)], owe=1)[0]
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        return _looked(out, ops.pairs)

    def settle(self) -> None:
        """Wait until every attempt this process assessed has been counted on the server (the
        calls other than ``assess`` do so first)."""
        try:
            self._lane.settle()
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def close(self) -> None:
        """Settle and give the lane's connections back to the client's pool."""
        try:
            self._lane.close()
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def assess_many(self, batch: Iterable[tuple[float, AssessOps]]) -> Iterator[AssessView]:
        """The assess script once per attempt, pipelined: the scripts run one after another on
        the server, each atomic, in order. The attempts go in chunks of ``STREAM`` calls, one
        chunk written ahead of the replies read (:meth:`FastScript.stream`): the server runs
        chunk k+1 while the caller decides on chunk k's views and the next chunk is taken from
        ``batch`` (made by the caller). Each chunk's views are given once its replies are in."""
        args = self._assess_args
        chunks = ([args(now, ops) for now, ops in chunk] for chunk in _chunks(batch, STREAM))
        replies = self._assess.stream(chunks)
        try:
            for outs in replies:
                for out in outs:
                    yield _view(out)
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        finally:
            replies.close()

    def _assess_args(self, now: float, ops: AssessOps) -> list[Arg]:
        """The assess script's ARGV after its packed head (prefix and windows)."""
        pending_id, payload = ops.pending if ops.pending is not None else ("", b"")
        args: list[Arg] = [
            repr(now),
            *self._assess_settings,
            pending_id,
            payload,
            ops.once or "",
            len(ops.entities),
            *ops.entities,
            len(ops.pairs),
        ]
        for i, pair in ops.pairs:
            args += (i, pair)
        args += (ops.profile, len(ops.fields), *ops.fields, len(ops.popular), *ops.popular)
        args.append(ops.hour)
        args += list(ops.breach) if ops.breach is not None else ["", ""]
        return args

    def put_pending(self, assessment_id: str, payload: bytes) -> None:
        try:
            self.client.set(self.prefix + "pd:" + assessment_id, payload, ex=self.pending_ttl)
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def take_pending(self, assessment_id: str) -> bytes | None:
        try:
            self._lane.settle()  # a stop's pending payload may be owed on the lane
            got = self._take(keys=[self.prefix + "pd:" + assessment_id])
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        return cast(bytes | None, got)

    def take_pending_many(
        self,
        assessment_ids: Sequence[str],
        *,
        now: float = 0.0,
        once: Sequence[TakeOnce | None] = (),
    ) -> list[bytes | Repeat | None]:
        """One round trip: one script per ``PIPELINE`` ids, written together, each taking its
        ids in order on the server (on the lane, after this thread's owed counts); with keys,
        ``_TAKE_ONCE``, which takes and keeps (or answers a repeat) in the same script."""
        if not assessment_ids:
            return []
        if once:
            return self._take_keyed(assessment_ids, now, once)
        chunks = [
            list(assessment_ids[start : start + PIPELINE])
            for start in range(0, len(assessment_ids), PIPELINE)
        ]
        try:
            replies = self._take_many.call_many(chunks)
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        return [cast(bytes | None, got) for reply in replies for got in reply]

    def _take_keyed(
        self, assessment_ids: Sequence[str], now: float, once: Sequence[TakeOnce | None]
    ) -> list[bytes | Repeat | None]:
        """:meth:`take_pending_many` with keys: ``_TAKE_ONCE`` per ``PIPELINE`` ids."""
        args: list[Arg] = []
        for assessment_id, key in zip(assessment_ids, once, strict=True):
            if key is None:
                args += (assessment_id, "", "")
            else:
                args += (assessment_id, key.once, key.success + 2 * key.account_known)
        head: list[Arg] = [repr(now), self._once_ttl]
        step = 3 * PIPELINE
        chunks = [head + args[start : start + step] for start in range(0, len(args), step)]
        try:
            replies = self._take_once.call_many(chunks)
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        return [_taken(got) for reply in replies for got in reply]

    def record_outcome(self, now: float, ops: OutcomeOps) -> None:
        try:
            # on the lane: after the attempts this thread assessed, whose counts may be owed
            self._outcome.call(self._outcome_args(now, ops))
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def record_outcomes(self, batch: Sequence[tuple[float, OutcomeOps]]) -> None:
        """The outcome script once per outcome, pipelined as :meth:`assess_many` pipelines its
        attempts: one round trip per ``PIPELINE`` outcomes, each script atomic, in order."""
        try:
            for start in range(0, len(batch), PIPELINE):
                calls = [
                    self._outcome_args(now, ops) for now, ops in batch[start : start + PIPELINE]
                ]
                self._outcome.call_many(calls)
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def record_stops(self, stops: Sequence[tuple[float, str, bytes, OutcomeOps]]) -> None:
        """Each stop's pending payload (``SET``) and failure (the outcome script), written
        together on the lane and left owed: the server applies them while the engine goes on;
        the next call on the connection, or :meth:`settle`, reads their replies."""
        calls: list[Call] = []
        for now, assessment_id, payload, ops in stops:
            key = self.prefix + "pd:" + assessment_id
            # hiredis' stub types the argument as a one-element tuple; it takes any length
            pending = pack_command(("SET", key, payload, "EX", self.pending_ttl))  # type: ignore[arg-type]
            calls.append((None, pending))
            calls.append((self._outcome, self._outcome.pack(self._outcome_args(now, ops))))
        if not calls:
            return
        try:
            self._outcome.run(calls, owe=len(calls))
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def _outcome_args(self, now: float, ops: OutcomeOps) -> list[Arg]:
        """The outcome script's ARGV after its packed head (prefix and windows)."""
        args: list[Arg] = [
            repr(now),
            "0123"[ops.success + 2 * ops.retract],
            "1" if ops.account_known else "0",
            repr(self.profile_ttl),
            self._once_ttl,
            ops.once or "",
            len(ops.entities),
            *ops.entities,
            len(ops.runs),
            *ops.runs,
            ops.profile,
            len(ops.fields),
            *ops.fields,
            len(ops.popular),
            *ops.popular,
            ops.hour,
            len(ops.distinct),
        ]
        for i, name in ops.distinct:
            args += [i, name]
        return args

    def reset_runs(self, keys: Sequence[str]) -> None:
        try:
            self._lane.settle()
            self._reset(keys=[self.prefix + "r:" + key for key in keys])
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def hours(self, first: int, last: int) -> list[tuple[int, float, float, float]]:
        fields = [f"{h}:{x}" for h in range(first, last + 1) for x in "afu"]
        try:
            self._lane.settle()  # the hour buckets of every attempt assessed so far
            # on the lane, whose connections the pool does not have back
            hmget = ("HMGET", self.prefix + "h", *fields)
            # hiredis' stub types the argument as a one-element tuple; it takes any length
            (reply,) = self._lane.exchange([(None, pack_command(hmget))])  # type: ignore[arg-type]
            if isinstance(reply, redis.ResponseError):
                raise reply
            values = cast(list[bytes | None], reply)
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None
        out = []
        for n, h in enumerate(range(first, last + 1)):
            a, f, u = values[3 * n : 3 * n + 3]
            # a bucket as memory keeps one: made by an attempt or an outcome (an hour may hold
            # only outcomes: of attempts of the hour before, or repeats, which count nothing)
            if a is not None or f is not None or u is not None:
                out.append((h, float(a or 0), float(f or 0), float(u or 0)))
        return out

    def add_breach(self, now: float, tags: Mapping[str, Collection[str]], ttl: float) -> None:
        """One MULTI/EXEC transaction of one script per account: an assess never sees part of
        an import, and a connection lost before EXEC leaves none of it."""
        head: list[str | int] = [repr(now), repr(now + ttl), max(math.ceil(ttl), 1)]
        try:
            pipe = self.client.pipeline(transaction=True)
            for account, new in tags.items():
                self._breach(keys=[self.prefix + "b:" + account], args=[*head, *new], client=pipe)
            pipe.execute()
        except redis.RedisError as exc:
            raise StorageError(f"redis is unavailable: {type(exc).__name__}") from None

    def clear(self) -> None:
        """Delete every key of this tenant (tests)."""
        self.settle()
        for key in self.client.scan_iter(match=self.prefix + "*", count=1000):
            self.client.delete(key)
