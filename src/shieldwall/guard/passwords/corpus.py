"""The breached-password corpus, read side: exact counts and 5-hex ranges, in process.

:class:`BreachedCorpus` serves one hash kind from ``<root>/<kind>/``; :class:`PasswordCorpora`
holds the SHA-1 and NTLM corpora under one root. Shards are opened (and verified) on first use
and stay mapped; a lookup is a bucket directory read and one ``mmap.find`` over the few records
of a 6-hex bucket, so it costs about a microsecond whatever the corpus size.

The manifest ``corpus.json`` lists the shards a finished import wrote. A listed shard that is
missing is corruption; a shard present but not yet listed was written by an import still running
and is served (it was verified like any other).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shieldwall.guard.passwords.errors import CorpusCorrupt, InvalidHash
from shieldwall.guard.passwords.hashing import PREFIX_HEX, HashKind
from shieldwall.guard.passwords.shardfile import SHARDS, Shard, shard_name

MANIFEST = "corpus.json"
_HEX = "0123456789ABCDEF"
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def kind_dir(root: Path, kind: HashKind) -> Path:
    return root / kind.value


def shard_path(root: Path, kind: HashKind, shard: int) -> Path:
    return kind_dir(root, kind) / f"{shard_name(shard)}.shard"


def read_manifest(root: Path, kind: HashKind) -> dict[str, Any]:
    path = kind_dir(root, kind) / MANIFEST
    if not path.exists():
        return {"format": 1, "kind": kind.value, "shards": {}, "hashes": 0, "imports": []}
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusCorrupt(f"{path.name} of the {kind} corpus is unreadable: {exc}") from exc
    if data.get("kind") != kind.value or not isinstance(data.get("shards"), dict):
        raise CorpusCorrupt(f"{path.name} of the {kind} corpus is not a corpus manifest")
    return data


def parse_prefix(prefix: str) -> int:
    """A 5-hex range prefix (either case) as an integer; :class:`InvalidHash` otherwise.

    The two messages are the ones api.pwnedpasswords.com answers with (status 400).
    """
    if len(prefix) != PREFIX_HEX:
        raise InvalidHash("The hash prefix was not in a valid format", field="prefix")
    if not all(c in _HEXDIGITS for c in prefix):
        raise InvalidHash("The hash prefix was not valid hexadecimal", field="prefix")
    return int(prefix, 16)


@dataclass(frozen=True, slots=True)
class CorpusStats:
    kind: HashKind
    hashes: int
    shards: int
    bytes_on_disk: int
    imports: int

    @property
    def bytes_per_hash(self) -> float:
        return self.bytes_on_disk / self.hashes if self.hashes else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "hashes": self.hashes,
            "shards": self.shards,
            "bytes_on_disk": self.bytes_on_disk,
            "bytes_per_hash": round(self.bytes_per_hash, 4),
            "imports": self.imports,
        }


class BreachedCorpus:
    """Exact lookups in the corpus of one hash kind."""

    def __init__(self, root: Path, kind: HashKind, *, verify: bool = True) -> None:
        self.root = root
        self.kind = kind
        self.verify = verify
        self._digest_size = kind.digest_size  # plain ints: enum attribute access is slow
        self._hex_length = kind.hex_length
        self._lock = threading.Lock()
        self._shards: list[Shard | bool | None] = [None] * SHARDS  # None: not looked at yet
        self._listed: set[str] = set()
        self.reload()

    @property
    def has_data(self) -> bool:
        """Whether a finished import left any hash (per the manifest read at the last reload)."""
        return bool(self._listed)

    def reload(self) -> None:
        """Forget open shards and re-read the manifest (after an import by another process)."""
        with self._lock:
            self._listed = set(read_manifest(self.root, self.kind)["shards"])
            for s in self._shards:
                if isinstance(s, Shard):
                    s.close()
            self._shards = [None] * SHARDS

    def close(self) -> None:
        with self._lock:
            for s in self._shards:
                if isinstance(s, Shard):
                    s.close()
            self._shards = [False] * SHARDS

    def _shard(self, number: int) -> Shard | None:
        s = self._shards[number]
        if s is None:
            with self._lock:
                s = self._shards[number]
                if s is None:
                    path = shard_path(self.root, self.kind, number)
                    if path.exists():
                        s = Shard(path, self.kind, number, verify=self.verify)
                    elif shard_name(number) in self._listed:
                        raise CorpusCorrupt(f"shard {path.name} is listed but missing")
                    else:
                        s = False
                    self._shards[number] = s
        return s if isinstance(s, Shard) else None

    # -- lookups -------------------------------------------------------------------------------

    def count_digest(self, digest: bytes) -> int:
        """How often the hash ``digest`` appears in the corpus; 0 if it does not."""
        if len(digest) != self._digest_size:
            raise InvalidHash(f"a {self.kind} digest has {self._digest_size} bytes")
        shard = self._shard((digest[0] << 4) | (digest[1] >> 4))
        return shard.count(digest) if shard is not None else 0

    def count(self, hash_hex: str) -> int:
        """How often the hash given in hex appears in the corpus; 0 if it does not."""
        if len(hash_hex) == self._hex_length:
            try:
                return self.count_digest(bytes.fromhex(hash_hex))
            except ValueError:
                pass
        return self.count_digest(self.kind.parse_hex(hash_hex))  # raises the precise error

    def count_password(self, password: str) -> int:
        return self.count_digest(self.kind.digest(password))

    def range(self, prefix: str) -> list[tuple[str, int]]:
        """Every (suffix in upper-case hex, count) under a 5-hex prefix, sorted by suffix."""
        return [(line[: self.kind.suffix_hex_length], c) for line, c in self._range(prefix)]

    def range_lines(self, prefix: str) -> list[str]:
        """``SUFFIX:COUNT`` lines of a 5-hex prefix, as the range API returns them."""
        return [f"{s}:{c}" for s, c in self._range(prefix)]

    def _range(self, prefix: str) -> Iterator[tuple[str, int]]:
        value = parse_prefix(prefix)
        shard = self._shard(value >> 8)
        if shard is None:
            return
        digits, records, counts = shard.partition(value & 0xFF)
        width = 2 * shard.w
        hx = records.hex().upper()
        for i, (d, c) in enumerate(zip(digits, counts, strict=True)):
            yield _HEX[d] + hx[i * width : (i + 1) * width], c

    def stats(self) -> CorpusStats:
        manifest = read_manifest(self.root, self.kind)
        d = kind_dir(self.root, self.kind)
        files = list(d.glob("*.shard")) if d.exists() else []
        return CorpusStats(
            self.kind,
            int(manifest.get("hashes", 0)),
            len(files),
            sum(f.stat().st_size for f in files),
            len(manifest.get("imports", [])),
        )

    def verify_all(self) -> list[str]:
        """Open every shard with checksum verification; the problems found, one per shard."""
        problems = []
        for number in range(SHARDS):
            path = shard_path(self.root, self.kind, number)
            listed = shard_name(number) in self._listed
            if not path.exists():
                if listed:
                    problems.append(f"shard {path.name} is listed but missing")
                continue
            try:
                Shard(path, self.kind, number, verify=True).close()
            except CorpusCorrupt as exc:
                problems.append(exc.reason)
        return problems


class PasswordCorpora:
    """The SHA-1 and NTLM corpora under one directory (``$SHIELDWALL_HOME/passwords``)."""

    def __init__(self, root: Path, *, verify: bool = True) -> None:
        self.root = root
        self.sha1 = BreachedCorpus(root, HashKind.SHA1, verify=verify)
        self.ntlm = BreachedCorpus(root, HashKind.NTLM, verify=verify)

    def of(self, kind: HashKind) -> BreachedCorpus:
        return self.sha1 if kind is HashKind.SHA1 else self.ntlm

    def reload(self) -> None:
        self.sha1.reload()
        self.ntlm.reload()

    def close(self) -> None:
        self.sha1.close()
        self.ntlm.close()
