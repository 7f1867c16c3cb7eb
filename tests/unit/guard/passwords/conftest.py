"""Helpers for the password tests: small synthetic corpora written in HIBP's formats."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

from shieldwall.guard.passwords.corpus import BreachedCorpus
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.importer import CorpusImporter, ImportReport, MergeMode
from shieldwall.guard.passwords.sources import SourceFormat


def random_corpus(
    seed: int, n: int, kind: HashKind = HashKind.SHA1, *, shards: int = 6
) -> dict[bytes, int]:
    """``n`` random digests with counts from every encoding tier (1, 2-256, 257 and more).

    The digests fall in ``shards`` random shards (the first 12 bits), uniformly random below
    that, so a test writes a few shard files rather than thousands; ``shards=4096`` spreads
    them over the whole space.
    """
    rng = random.Random(seed)
    tiers = [1, 1, 1, 2, 7, 255, 256, 257, 4_000, 23_597_311, 2**40]
    heads = [rng.randrange(4096) for _ in range(shards)]
    out = {}
    for _ in range(n):
        head = rng.choice(heads) if shards < 4096 else rng.randrange(4096)
        nibble = rng.randrange(16)
        digest = bytes([head >> 4, ((head & 0xF) << 4) | nibble]) + rng.randbytes(
            kind.digest_size - 2
        )
        out[digest] = rng.choice(tiers)
    return out


def write_single(path: Path, corpus: Mapping[bytes, int], *, crlf: bool = True) -> Path:
    """An HIBP ``--single`` file: FULLHASH:COUNT lines."""
    sep = "\r\n" if crlf else "\n"
    path.write_text(sep.join(f"{d.hex().upper()}:{c}" for d, c in corpus.items()) + sep)
    return path


def write_ranges(directory: Path, corpus: Mapping[bytes, int]) -> Path:
    """HIBP's per-prefix output: XXXXX.txt files of SUFFIX:COUNT lines."""
    directory.mkdir(parents=True, exist_ok=True)
    by_prefix: dict[str, list[str]] = {}
    for d, c in corpus.items():
        hx = d.hex().upper()
        by_prefix.setdefault(hx[:5], []).append(f"{hx[5:]}:{c}")
    for prefix, lines in by_prefix.items():
        (directory / f"{prefix}.txt").write_text("\r\n".join(sorted(lines)))
    return directory


def run_import(
    root: Path,
    sources: list[tuple[Path, SourceFormat]],
    mode: MergeMode = MergeMode.REPLACE,
    kind: HashKind = HashKind.SHA1,
    **kwargs: object,
) -> ImportReport:
    return CorpusImporter(root, kind, fsync=False, **kwargs).run(sources, mode)  # type: ignore[arg-type]


def corpus_of(root: Path, kind: HashKind = HashKind.SHA1) -> BreachedCorpus:
    return BreachedCorpus(root, kind)
