"""The shard format: round trips through every count tier, and damage is detected."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from shieldwall.guard.passwords.errors import CorpusCorrupt
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.shardfile import (
    HEADER,
    Shard,
    encode_shard,
    record_width,
    write_atomic,
)

SHARD = 0x7C4


def _digests(n: int, seed: int = 1, kind: HashKind = HashKind.SHA1) -> np.ndarray:
    rng = random.Random(seed)
    raw = sorted(
        bytes([SHARD >> 4, ((SHARD & 0xF) << 4) | rng.randrange(16)])
        + rng.randbytes(kind.digest_size - 2)
        for _ in range(n)
    )
    return np.frombuffer(b"".join(raw), np.uint8).reshape(n, kind.digest_size).copy()


def _write(tmp_path: Path, digests: np.ndarray, counts: list[int], kind=HashKind.SHA1) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "7C4.shard"
    data = encode_shard(kind, SHARD, digests, np.asarray(counts, np.uint64), b"\1" * 16)
    write_atomic(path, data, fsync=False)
    return path


def test_round_trip_every_count_tier(tmp_path: Path) -> None:
    """Counts 1, 2..256, 257.. and 2**63-1 come back exactly, by lookup and by decode."""
    counts = [1, 2, 3, 255, 256, 257, 258, 1_000_000, 2**63 - 1, 1, 1, 42]
    digests = _digests(len(counts))
    path = _write(tmp_path, digests, counts)
    shard = Shard(path, HashKind.SHA1, SHARD)
    for row, expected in zip(digests, counts, strict=True):
        assert shard.count(row.tobytes()) == expected
    back_d, back_c = shard.decode()
    assert np.array_equal(back_d, digests)
    assert back_c.tolist() == counts
    shard.close()


def test_size_per_record(tmp_path: Path) -> None:
    """A record of count 1 costs 17 bytes and one bit, plus the fixed directory."""
    n = 8000
    path = _write(tmp_path, _digests(n, 3), [1] * n)
    directory = 3 * 257 * 4 + 4096
    assert path.stat().st_size == HEADER.size + directory + n * record_width(HashKind.SHA1) + n // 8


def test_wide_buckets(tmp_path: Path) -> None:
    """More than 255 records in one 6-hex bucket switch the sizes to 16 bits, still exact."""
    rng = random.Random(5)
    raw = sorted(bytes([0x7C, 0x40, 0x00]) + rng.randbytes(17) for _ in range(600))
    digests = np.frombuffer(b"".join(raw), np.uint8).reshape(600, 20).copy()
    path = _write(tmp_path, digests, [3] * 600)
    shard = Shard(path, HashKind.SHA1, SHARD)
    assert shard.header.wide
    assert all(shard.count(r.tobytes()) == 3 for r in digests)
    shard.close()


def test_misaligned_match_is_not_a_hit(tmp_path: Path) -> None:
    """A needle that occurs across two adjacent records is not reported as present."""
    digests = _digests(2, 9)
    digests[:, :3] = digests[0, :3]  # same 6-hex bucket, so the records sit side by side
    digests = digests[np.lexsort(digests.T[::-1])]
    path = _write(tmp_path, digests, [5, 6])
    joined = digests[0, 3:].tobytes() + digests[1, 3:].tobytes()
    straddling = digests[0, :3].tobytes() + joined[4 : 4 + 17]
    shard = Shard(path, HashKind.SHA1, SHARD)
    assert shard.count(straddling) == 0
    assert shard.count(digests[1].tobytes()) == 6
    shard.close()


def test_truncated_file_detected(tmp_path: Path) -> None:
    """A shard cut short (a crash mid-copy, a full disk) is reported, never read."""
    path = _write(tmp_path, _digests(50), [1] * 50)
    data = path.read_bytes()
    path.write_bytes(data[:-7])
    with pytest.raises(CorpusCorrupt, match="truncated"):
        Shard(path, HashKind.SHA1, SHARD)
    path.write_bytes(data[:20])
    with pytest.raises(CorpusCorrupt, match="truncated"):
        Shard(path, HashKind.SHA1, SHARD)


def test_altered_byte_detected(tmp_path: Path) -> None:
    """One flipped bit in a record fails the checksum."""
    path = _write(tmp_path, _digests(50), [2] * 50)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CorpusCorrupt, match="checksum"):
        Shard(path, HashKind.SHA1, SHARD)


def test_altered_directory_detected_without_checksum(tmp_path: Path) -> None:
    """Even with checksums off, a directory that disagrees with the records is refused."""
    path = _write(tmp_path, _digests(50), [1] * 50)
    data = bytearray(path.read_bytes())
    data[HEADER.size + 4] ^= 0x01  # pbase[1]
    path.write_bytes(bytes(data))
    with pytest.raises(CorpusCorrupt, match="directory"):
        Shard(path, HashKind.SHA1, SHARD, verify=False)


def test_wrong_file_detected(tmp_path: Path) -> None:
    """A file that is not a shard, or the shard of another prefix or kind, is refused."""
    path = _write(tmp_path, _digests(5), [1] * 5)
    with pytest.raises(CorpusCorrupt, match="not this one"):
        Shard(path, HashKind.SHA1, 0x7C5)
    with pytest.raises(CorpusCorrupt, match="not this one"):
        Shard(path, HashKind.NTLM, SHARD)
    path.write_bytes(b"SUFFIX:1\r\n" * 10)
    with pytest.raises(CorpusCorrupt, match="not a shieldwall"):
        Shard(path, HashKind.SHA1, SHARD)


def test_encode_refuses_foreign_digest_and_zero_count() -> None:
    """The encoder checks that digests belong to the shard and counts are at least 1."""
    digests = _digests(3)
    with pytest.raises(ValueError, match="belong"):
        encode_shard(HashKind.SHA1, SHARD + 1, digests, np.ones(3, np.uint64), b"\0" * 16)
    with pytest.raises(ValueError, match="counts"):
        encode_shard(HashKind.SHA1, SHARD, digests, np.zeros(3, np.uint64), b"\0" * 16)
