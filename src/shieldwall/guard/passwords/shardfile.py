"""The on-disk shard format of the breached-password corpus: exact, sorted, memory-mapped.

A corpus of one hash kind is 4,096 shard files, one per value of the first 12 bits of the hash
(the first 3 hex digits, which name the file: ``sha1/7C4.shard``). Inside a shard, a directory
splits the records by the next 12 bits (hex digits 4-6) into 4,096 buckets. So 24 bits of every
hash are implied by where its record sits, and each record stores exactly the remaining bits:
17 bytes for SHA-1 (136 of 160 bits), 13 bytes for NTLM (104 of 128 bits). Nothing is dropped
or hashed again, so a lookup compares the full hash: there are no false positives and no false
negatives.

Layout (little-endian)::

    header   64 bytes  magic "SWPWSHRD", version, kind, flags, shard number, record count n,
                       tier-1 count n1, tier-2 count n2, id of the import that wrote the shard,
                       BLAKE2b-128 of everything after the header
    pbase    257 x u32 first record of each 5-hex partition (the 4th and 5th hex digits)
    t1base   257 x u32 first tier-1 count of each partition
    t2base   257 x u32 first tier-2 count of each partition
    sizes    4096 x u8 records per 6-hex bucket (u16 when a bucket holds more than 255: flag 1)
    records  n x w     the stored hash bits, sorted
    bitmap   ceil(n/8) one bit per record: set when its count is 2 or more
    tier1    n1 x u8   per set bit, count - 2, or 255 when the count is 257 or more
    tier2    n2 x u64  the counts of 257 or more, in record order

A count of 1 (the most common value in breach data) costs one bit; counts 2-256 one more byte;
larger counts eight more. Per hash that is ``w + 1/8 + P(count>=2) + 8*P(count>=257)`` bytes
plus 7,180 bytes of directory per non-empty shard (29 MiB for a full corpus, 0.03 bytes per
hash at HIBP's two billion).

A shard is written once, whole, to a temporary file that is fsynced and renamed over the old
one; readers check the size, the directory's internal sums and (by default) the checksum before
the first lookup, so a truncated or altered file is reported, never read as data.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from shieldwall.core.files import write_atomic as write_atomic  # noqa: PLC0414 - re-exported
from shieldwall.guard.passwords.errors import CorpusCorrupt
from shieldwall.guard.passwords.hashing import HashKind

MAGIC = b"SWPWSHRD"
VERSION = 1
SHARDS = 4096
PARTITIONS = 256  # 5-hex partitions per shard
BUCKETS = 4096  # 6-hex buckets per shard
IMPLIED_BYTES = 3  # 24 bits of each hash are implied by shard and bucket
HEADER = struct.Struct("<8sHBBHHIII4s16s16s")
assert HEADER.size == 64  # noqa: S101 - layout constant
FLAG_WIDE_SIZES = 1
ESCAPE = 255
MAX_COUNT = 2**63 - 1

U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]


def shard_of(digest: bytes) -> int:
    return (digest[0] << 4) | (digest[1] >> 4)


def shard_name(shard: int) -> str:
    return f"{shard:03X}"


def record_width(kind: HashKind) -> int:
    return kind.digest_size - IMPLIED_BYTES


def _directory_size(wide: bool) -> int:
    return 3 * 257 * 4 + BUCKETS * (2 if wide else 1)


@dataclass(frozen=True, slots=True)
class ShardHeader:
    kind: HashKind
    shard: int
    n: int
    n1: int
    n2: int
    wide: bool
    import_id: bytes
    checksum: bytes

    def expected_size(self) -> int:
        w = record_width(self.kind)
        return (
            HEADER.size
            + _directory_size(self.wide)
            + self.n * w
            + (self.n + 7) // 8
            + self.n1
            + 8 * self.n2
        )


def parse_header(buf: bytes | mmap.mmap, where: str) -> ShardHeader:
    if len(buf) < HEADER.size:
        raise CorpusCorrupt(f"{where}: truncated ({len(buf)} bytes, no complete header)")
    magic, version, kind, flags, shard, _r, n, n1, n2, _r2, import_id, checksum = (
        HEADER.unpack_from(buf, 0)
    )
    if magic != MAGIC:
        raise CorpusCorrupt(f"{where}: not a shieldwall password shard")
    if version != VERSION:
        raise CorpusCorrupt(f"{where}: shard format version {version}, expected {VERSION}")
    try:
        hash_kind = HashKind.from_code(kind)
    except KeyError:
        raise CorpusCorrupt(f"{where}: unknown hash kind {kind}") from None
    return ShardHeader(
        hash_kind, shard, n, n1, n2, bool(flags & FLAG_WIDE_SIZES), import_id, checksum
    )


def encode_shard(kind: HashKind, shard: int, digests: U8, counts: U64, import_id: bytes) -> bytes:
    """The shard file for ``digests`` (n x digest_size, sorted, unique) with their counts.

    The caller guarantees order and uniqueness (the importer sorts and merges); this function
    checks that every digest belongs to ``shard`` and every count is in 1..2**63-1.
    """
    n = len(counts)
    w = record_width(kind)
    if digests.shape != (n, kind.digest_size):
        raise ValueError("digests and counts disagree in length or width")
    if n and (not np.all(((digests[:, 0].astype(np.uint16) << 4) | (digests[:, 1] >> 4)) == shard)):
        raise ValueError("a digest does not belong to this shard")
    if n and (int(counts.min()) < 1 or int(counts.max()) > MAX_COUNT):
        raise ValueError("counts must be between 1 and 2**63-1")
    bucket = ((digests[:, 1].astype(np.int64) & 0x0F) << 8) | digests[:, 2]
    sizes = np.bincount(bucket, minlength=BUCKETS)
    wide = bool(n and int(sizes.max()) > 255)
    pbase = np.zeros(257, dtype="<u4")
    np.cumsum(np.bincount(bucket >> 4, minlength=PARTITIONS), out=pbase[1:])
    many = counts >= 2
    cum_many = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(many, out=cum_many[1:])
    t1_full = counts[many] - 2
    escaped = t1_full >= ESCAPE
    tier1 = np.where(escaped, ESCAPE, t1_full).astype(np.uint8)
    tier2 = counts[many][escaped].astype("<u8")
    esc_full = np.zeros(n, dtype=bool)
    esc_full[np.flatnonzero(many)[escaped]] = True
    cum_esc = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(esc_full, out=cum_esc[1:])
    body = b"".join(
        (
            pbase.tobytes(),
            cum_many[pbase].astype("<u4").tobytes(),
            cum_esc[pbase].astype("<u4").tobytes(),
            sizes.astype("<u2" if wide else "u1").tobytes(),
            np.ascontiguousarray(digests[:, IMPLIED_BYTES:]).tobytes(),
            np.packbits(many).tobytes(),
            tier1.tobytes(),
            tier2.tobytes(),
        )
    )
    assert len(body) == _directory_size(wide) + n * w + (n + 7) // 8 + len(tier1) + 8 * len(tier2)  # noqa: S101
    header = HEADER.pack(
        MAGIC,
        VERSION,
        kind.code,
        FLAG_WIDE_SIZES if wide else 0,
        shard,
        0,
        n,
        len(tier1),
        len(tier2),
        b"\0" * 4,
        import_id,
        hashlib.blake2b(body, digest_size=16).digest(),
    )
    return header + body


class Shard:
    """One memory-mapped shard: exact lookups and 5-hex partition listings."""

    def __init__(self, path: Path, kind: HashKind, shard: int, *, verify: bool = True) -> None:
        self.path = path
        where = f"shard {path.name}"
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise CorpusCorrupt(f"{where}: empty file")
            self._mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            self._open(kind, shard, size, verify, where)
        except BaseException:
            self.close()
            raise

    def _open(self, kind: HashKind, shard: int, size: int, verify: bool, where: str) -> None:
        mm = self._mm
        h = parse_header(mm, where)
        if h.kind is not kind or h.shard != shard:
            raise CorpusCorrupt(f"{where}: holds {h.kind} shard {h.shard:03X}, not this one")
        if size != h.expected_size():
            raise CorpusCorrupt(
                f"{where}: {size} bytes, the header describes {h.expected_size()} (truncated?)"
            )
        if verify and hashlib.blake2b(mm[HEADER.size :], digest_size=16).digest() != h.checksum:
            raise CorpusCorrupt(f"{where}: checksum mismatch (the file was altered)")
        self.header = h
        self.w = record_width(kind)
        off = HEADER.size
        self._base = memoryview(mm)
        self._pbase = _view(self._base, off, 257, "I")
        self._t1base = _view(self._base, off + 1028, 257, "I")
        self._t2base = _view(self._base, off + 2056, 257, "I")
        off += 3 * 1028
        self._sizes = _view(self._base, off, BUCKETS, "H" if h.wide else "B")
        sizes = np.asarray(self._sizes.tolist(), dtype=np.int64)
        off += BUCKETS * (2 if h.wide else 1)
        self._rec_off = off
        self._bm_off = off + h.n * self.w
        self._t1_off = self._bm_off + (h.n + 7) // 8
        self._t2_off = self._t1_off + h.n1
        self._check_directory(sizes, where)

    def _check_directory(self, sizes: npt.NDArray[np.int64], where: str) -> None:
        h = self.header
        pbase = np.asarray(self._pbase, dtype=np.int64)
        part_sums = sizes.reshape(PARTITIONS, 16).sum(axis=1)
        t1 = np.asarray(self._t1base, dtype=np.int64)
        t2 = np.asarray(self._t2base, dtype=np.int64)
        bits = np.unpackbits(np.frombuffer(self._mm, np.uint8, (h.n + 7) // 8, self._bm_off))
        tier1 = np.frombuffer(self._mm, np.uint8, h.n1, self._t1_off)
        ok = (
            pbase[0] == 0
            and pbase[-1] == h.n
            and np.array_equal(np.diff(pbase), part_sums)
            and t1[0] == 0
            and t1[-1] == h.n1
            and t2[0] == 0
            and t2[-1] == h.n2
            and np.all(np.diff(t1) >= 0)
            and np.all(np.diff(t2) >= 0)
            and int(bits[: h.n].sum()) == h.n1
            and not bits[h.n :].any()
            and int(np.count_nonzero(tier1 == ESCAPE)) == h.n2
        )
        del bits, tier1  # views of the map: a traceback holding them would block close()
        if not ok:
            raise CorpusCorrupt(f"{where}: directory does not match the records (altered file)")

    def close(self) -> None:
        for name in ("_pbase", "_t1base", "_t2base", "_sizes", "_base"):
            view = getattr(self, name, None)
            if isinstance(view, memoryview):
                view.release()
        self._mm.close()

    # -- lookups -------------------------------------------------------------------------------

    def count(self, digest: bytes) -> int:
        """How often ``digest`` (a full hash of this shard's kind) was seen; 0 if never."""
        b = ((digest[1] & 0x0F) << 8) | digest[2]
        size = self._sizes[b]
        if not size:
            return 0
        part = b >> 4
        pstart = self._pbase[part]
        start = pstart + sum(self._sizes[part << 4 : b])
        w = self.w
        lo = self._rec_off + start * w
        hi = lo + size * w
        needle = digest[IMPLIED_BYTES:]
        mm = self._mm
        pos = mm.find(needle, lo, hi)
        while pos >= 0 and (pos - lo) % w:  # a match straddling two records is not a record
            pos = mm.find(needle, pos + 1, hi)
        if pos < 0:
            return 0
        return self._count_at(start + (pos - lo) // w, part, pstart)

    def _count_at(self, k: int, part: int, pstart: int) -> int:
        mm = self._mm
        if not (mm[self._bm_off + (k >> 3)] >> (7 - (k & 7))) & 1:
            return 1
        i1 = self._t1base[part] + self._ones(pstart, k)
        v = mm[self._t1_off + i1]
        if v != ESCAPE:
            return v + 2
        first = self._t1_off + self._t1base[part]
        i2 = self._t2base[part] + mm[first : self._t1_off + i1].count(ESCAPE)
        at = self._t2_off + 8 * i2
        return int.from_bytes(mm[at : at + 8], "little")

    def _ones(self, a: int, k: int) -> int:
        """Set bits of the count bitmap in record positions [a, k)."""
        if k <= a:
            return 0
        fb, lb = a >> 3, (k - 1) >> 3
        chunk = int.from_bytes(self._mm[self._bm_off + fb : self._bm_off + lb + 1], "big")
        chunk >>= (lb - fb + 1) * 8 - (k - (fb << 3))
        return (chunk & ((1 << (k - a)) - 1)).bit_count()

    def partition(self, part: int) -> tuple[list[int], bytes, list[int]]:
        """Partition ``part`` (0-255): per-record 6th hex digit, stored bits, counts."""
        pstart, pend = self._pbase[part], self._pbase[part + 1]
        n = pend - pstart
        if not n:
            return [], b"", []
        w = self.w
        digits: list[int] = []
        for sub in range(16):
            digits.extend([sub] * self._sizes[(part << 4) | sub])
        records = self._mm[self._rec_off + pstart * w : self._rec_off + pend * w]
        fb, lb = pstart >> 3, (pend + 7) >> 3
        bits = np.unpackbits(np.frombuffer(self._mm, np.uint8, lb - fb, self._bm_off + fb))
        many = bits[pstart - (fb << 3) : pend - (fb << 3)].astype(bool)
        counts = np.ones(n, dtype=np.uint64)
        t1a, t1b = self._t1base[part], self._t1base[part + 1]
        tier1 = np.frombuffer(self._mm, np.uint8, t1b - t1a, self._t1_off + t1a).astype(np.uint64)
        escaped = tier1 == ESCAPE
        t2a, t2b = self._t2base[part], self._t2base[part + 1]
        tier1 += 2
        tier1[escaped] = np.frombuffer(self._mm, "<u8", t2b - t2a, self._t2_off + 8 * t2a)
        counts[many] = tier1
        return digits, records, counts.tolist()

    def decode(self) -> tuple[U8, U64]:
        """Every record as (full digests, counts): the input to a merge."""
        h = self.header
        kind, n, w = h.kind, h.n, self.w
        digests = np.empty((n, kind.digest_size), dtype=np.uint8)
        sizes = np.asarray(self._sizes.tolist(), dtype=np.int64)
        bucket = np.repeat(np.arange(BUCKETS, dtype=np.int64), sizes)
        digests[:, 0] = h.shard >> 4
        digests[:, 1] = ((h.shard & 0x0F) << 4) | (bucket >> 8)
        digests[:, 2] = bucket & 0xFF
        digests[:, IMPLIED_BYTES:] = np.frombuffer(
            self._mm, np.uint8, n * w, self._rec_off
        ).reshape(n, w)
        bits = np.unpackbits(np.frombuffer(self._mm, np.uint8, (n + 7) // 8, self._bm_off))
        many = bits[:n].astype(bool)
        tier1 = np.frombuffer(self._mm, np.uint8, h.n1, self._t1_off).astype(np.uint64)
        escaped = tier1 == ESCAPE
        tier1 += 2
        tier1[escaped] = np.frombuffer(self._mm, "<u8", h.n2, self._t2_off)
        counts = np.ones(n, dtype=np.uint64)
        counts[many] = tier1
        return digests, counts


def _view(
    base: memoryview, offset: int, count: int, fmt: Literal["B", "H", "I"]
) -> memoryview | array[int]:
    """``count`` little-endian unsigned integers at ``offset``, read in place where possible."""
    width = struct.calcsize(fmt)
    if sys.byteorder == "little" or width == 1:
        view: memoryview = base[offset : offset + width * count].cast(fmt)
        return view
    values = array(fmt, base[offset : offset + width * count])
    values.byteswap()
    return values
