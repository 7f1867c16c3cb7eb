"""The corpus is exact: no false positives, no false negatives, ranges as HIBP lists them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shieldwall.guard.passwords.corpus import BreachedCorpus, parse_prefix
from shieldwall.guard.passwords.errors import CorpusCorrupt, InvalidHash
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.sources import SourceFormat
from tests.unit.guard.passwords.conftest import random_corpus, run_import, write_single

# Few first bytes (at most 48 shard files per example), anything below them.
digests = st.tuples(st.sampled_from([0x00, 0x7C, 0xFF]), st.binary(min_size=19, max_size=19)).map(
    lambda t: bytes([t[0]]) + t[1]
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    members=st.dictionaries(digests, st.integers(1, 2**62), min_size=1, max_size=300),
    probes=st.lists(digests, max_size=100),
)
def test_exact_against_a_set(
    tmp_path_factory: pytest.TempPathFactory, members: dict[bytes, int], probes: list[bytes]
) -> None:
    """Every member answers its count; every non-member and near-miss answers 0."""
    root = tmp_path_factory.mktemp("c")
    run_import(root / "corpus", [(write_single(root / "in.txt", members), SourceFormat.HIBP)])
    corpus = BreachedCorpus(root / "corpus", HashKind.SHA1)
    for d, c in members.items():
        assert corpus.count_digest(d) == c
        assert corpus.count(d.hex()) == c  # lower-case hex too
        for i in (2, 3, 19):  # flip a bit in the bucket byte, the first and last stored byte
            near = bytearray(d)
            near[i] ^= 0x01
            assert corpus.count_digest(bytes(near)) == members.get(bytes(near), 0)
    for p in probes:
        assert corpus.count_digest(p) == members.get(p, 0)
    corpus.close()


def test_random_data_no_false_positives(tmp_path: Path) -> None:
    """20,000 random hashes over all shards, 100,000 random probes: only members are found."""
    members = random_corpus(1, 20_000, shards=4096)
    run_import(tmp_path / "c", [(write_single(tmp_path / "in.txt", members), SourceFormat.HIBP)])
    corpus = BreachedCorpus(tmp_path / "c", HashKind.SHA1)
    assert all(corpus.count_digest(d) == c for d, c in members.items())
    rng = random.Random(2)
    probes = [rng.randbytes(20) for _ in range(100_000)]
    assert sum(corpus.count_digest(p) for p in probes if p not in members) == 0


def test_range_lists_every_suffix_sorted(tmp_path: Path) -> None:
    """range() returns exactly the members under the prefix, sorted, upper-case, 35 digits."""
    members = random_corpus(3, 5000)
    prefix = next(iter(members)).hex().upper()[:4]
    members.update({bytes.fromhex(f"{prefix}0{i:035X}"): i + 1 for i in range(40)})
    run_import(tmp_path / "c", [(write_single(tmp_path / "in.txt", members), SourceFormat.HIBP)])
    corpus = BreachedCorpus(tmp_path / "c", HashKind.SHA1)
    for p in {prefix + "0", next(iter(members)).hex()[:5], "FFFFF", "00000"}:
        expected = sorted(
            (d.hex().upper()[5:], c)
            for d, c in members.items()
            if d.hex().upper().startswith(p.upper())
        )
        assert corpus.range(p) == expected
        assert corpus.range(p.lower()) == expected


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("", "not in a valid format"),
        ("5BAA", "not in a valid format"),
        ("5BAA61", "not in a valid format"),
        ("5BAAG", "not valid hexadecimal"),
        ("0x5BA", "not valid hexadecimal"),
        (" 5BAA", "not valid hexadecimal"),
    ],
)
def test_bad_prefixes(prefix: str, message: str) -> None:
    """Bad prefixes raise with the message api.pwnedpasswords.com answers."""
    with pytest.raises(InvalidHash, match=message):
        parse_prefix(prefix)


def test_listed_shard_missing_is_corruption(tmp_path: Path) -> None:
    """A shard the manifest lists but the disk lacks is reported, not read as empty."""
    members = random_corpus(4, 100)
    run_import(tmp_path / "c", [(write_single(tmp_path / "in.txt", members), SourceFormat.HIBP)])
    first = next(iter(members))
    (tmp_path / "c" / "sha1" / f"{first.hex().upper()[:3]}.shard").unlink()
    corpus = BreachedCorpus(tmp_path / "c", HashKind.SHA1)
    with pytest.raises(CorpusCorrupt, match="missing"):
        corpus.count_digest(first)
    assert any("missing" in p for p in corpus.verify_all())


def test_stats_bytes_per_hash(tmp_path: Path) -> None:
    """stats() counts hashes and bytes on disk."""
    members = random_corpus(5, 2000)
    run_import(tmp_path / "c", [(write_single(tmp_path / "in.txt", members), SourceFormat.HIBP)])
    st_ = BreachedCorpus(tmp_path / "c", HashKind.SHA1).stats()
    assert st_.hashes == 2000
    assert st_.bytes_on_disk == sum(
        p.stat().st_size for p in (tmp_path / "c" / "sha1").glob("*.shard")
    )
