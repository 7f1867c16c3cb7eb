"""Input formats of a corpus import, parsed in resumable chunks.

- ``hibp`` file: what PwnedPasswordsDownloader writes with ``--single``: ``FULLHASH:COUNT``
  lines (40 hex digits for SHA-1, 32 for NTLM).
- ``hibp`` directory: its default output, one file per 5-hex prefix named ``XXXXX.txt`` holding
  ``SUFFIX:COUNT`` lines (35 or 27 hex digits); the file name supplies the prefix.
- ``plain``: one password per line, UTF-8, each line counting once (repeats add up).
- ``plain-counts``: ``password:count`` per line; the count follows the *last* colon, so
  passwords may contain colons.

Hex may be either case; CRLF or LF line ends; empty lines are ignored. A malformed line (wrong
length, missing colon, non-hex, count not a whole number from 1 to 2**63 - 1, invalid UTF-8)
becomes a :class:`LineError` with its file and line number and is skipped; the importer decides
whether to go on (the default) or stop (strict mode).

HIBP lines are parsed column-wise with numpy (several million lines a second); plain lines
are hashed one by one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from shieldwall.guard.passwords.errors import ImportFailed
from shieldwall.guard.passwords.formats import SourceFormat
from shieldwall.guard.passwords.hashing import PREFIX_HEX, HashKind

MAX_COUNT_DIGITS = 19  # 10**19 - 1 still fits in 64 unsigned bits while parsing
MAX_COUNT = 2**63 - 1

_NIBBLE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _NIBBLE[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _NIBBLE[_c] = 10 + _i


@dataclass(frozen=True, slots=True)
class LineError:
    source: str
    line: int  # 1-based; 0 for a problem with the file itself
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.source}:{self.line}: {self.reason}"
            if self.line
            else f"{self.source}: {self.reason}"
        )


@dataclass
class Parsed:
    """Records parsed from one chunk: digests (n x digest_size), counts, and the bad lines."""

    digests: npt.NDArray[np.uint8]
    counts: npt.NDArray[np.uint64]
    lines: int
    errors: list[LineError] = field(default_factory=list)

    @classmethod
    def empty(cls, kind: HashKind) -> Parsed:
        return cls(np.empty((0, kind.digest_size), np.uint8), np.empty(0, np.uint64), 0)


def parse_hash_lines(
    data: bytes, kind: HashKind, *, prefix: str | None, first_line: int, source: str
) -> Parsed:
    """Parse ``HEX:COUNT`` lines (full hashes, or suffixes under ``prefix``) column by column."""
    arr = np.frombuffer(data, dtype=np.uint8)
    if data and data[-1] != 0x0A:
        arr = np.append(arr, np.uint8(0x0A))
    nl = np.flatnonzero(arr == 0x0A)
    lines = len(nl)
    if not lines:
        return Parsed.empty(kind)
    starts = np.empty(lines, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl.astype(np.int64)
    ends -= (ends > starts) & (arr[np.maximum(ends - 1, 0)] == 0x0D)
    numbers = np.arange(first_line, first_line + lines)
    keep = ends > starts
    starts, ends, numbers = starts[keep], ends[keep], numbers[keep]
    hexlen = kind.suffix_hex_length if prefix is not None else kind.hex_length
    last = len(arr) - 1
    n = len(starts)
    length = ends - starts
    bad_len = length < hexlen + 2
    bad_colon = ~bad_len & (arr[np.minimum(starts + hexlen, last)] != 0x3A)
    nibbles = np.empty((n, kind.hex_length), dtype=np.uint8)
    offset = 0
    if prefix is not None:
        nibbles[:, :PREFIX_HEX] = _NIBBLE[np.frombuffer(prefix.encode(), np.uint8)]
        offset = PREFIX_HEX
    bad_hex = np.zeros(n, dtype=bool)
    for j in range(hexlen):
        v = _NIBBLE[arr[np.minimum(starts + j, last)]]
        bad_hex |= v == 255
        nibbles[:, offset + j] = v
    cstart = starts + hexlen + 1
    clen = ends - cstart
    bad_count = (clen < 1) | (clen > MAX_COUNT_DIGITS)
    counts = np.zeros(n, dtype=np.uint64)
    width = int(np.clip(clen, 0, MAX_COUNT_DIGITS).max()) if n else 0
    for j in range(width):
        inside = j < clen
        d = arr[np.minimum(cstart + j, last)] - np.uint8(0x30)
        bad_count |= inside & (d > 9)
        counts = np.where(inside, counts * np.uint64(10) + d.astype(np.uint64), counts)
    bad_count |= (counts == 0) | (counts > np.uint64(MAX_COUNT))
    bad = bad_len | bad_colon | bad_hex | bad_count
    errors = []
    if bad.any():
        for i in np.flatnonzero(bad).tolist():
            if bad_len[i]:
                reason = f"expected {hexlen} hex digits, a colon and a count"
            elif bad_colon[i]:
                reason = f"expected a colon after {hexlen} hex digits"
            elif bad_hex[i]:
                reason = "the hash is not hexadecimal"
            else:
                reason = f"the count is not a whole number from 1 to {MAX_COUNT}"
            errors.append(LineError(source, int(numbers[i]), reason))
        good = ~bad
        nibbles, counts = nibbles[good], counts[good]
    digests = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    return Parsed(np.ascontiguousarray(digests), counts, lines, errors)


def parse_plain_lines(
    data: bytes, kind: HashKind, *, with_counts: bool, first_line: int, source: str
) -> Parsed:
    """Hash one password per line (``password:count`` when ``with_counts``)."""
    raw = data.split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    digests: list[bytes] = []
    counts: list[int] = []
    errors = []
    digest = kind.digest_bytes
    for i, line in enumerate(raw):
        if line.endswith(b"\r"):
            line = line[:-1]  # noqa: PLW2901 - the line end is not part of the password
        if not line:
            continue
        count = 1
        if with_counts:
            line, sep, tail = line.rpartition(b":")  # noqa: PLW2901
            if not sep or not tail.isdigit() or not 1 <= int(tail) <= MAX_COUNT:
                errors.append(
                    LineError(source, first_line + i, "expected password:count, count >= 1")
                )
                continue
            if not line:
                errors.append(LineError(source, first_line + i, "the password is empty"))
                continue
            count = int(tail)
        try:
            line.decode("utf-8")
            digests.append(digest(line))
        except UnicodeDecodeError:
            errors.append(LineError(source, first_line + i, "not valid UTF-8"))
            continue
        counts.append(count)
    arr = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, kind.digest_size)
    return Parsed(arr, np.asarray(counts, dtype=np.uint64), len(raw), errors)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a source's next chunk starts: a byte offset and line number in a file, or the
    index of the next file in a per-prefix directory."""

    index: int = 0
    line: int = 1


@dataclass(frozen=True, slots=True)
class Chunk:
    parsed: Parsed
    next: Position
    consumed_bytes: int


class Source:
    """One input of an import: a file or a per-prefix directory, read in resumable chunks."""

    def __init__(self, path: Path, fmt: SourceFormat, kind: HashKind) -> None:
        self.path = path
        self.format = fmt
        self.kind = kind
        if not path.exists():
            raise ImportFailed(f"{path} does not exist", field="source")
        self.is_directory = path.is_dir()
        if self.is_directory and fmt is not SourceFormat.HIBP:
            raise ImportFailed(
                f"{path} is a directory; only the hibp format comes as one file per prefix",
                field="source",
            )
        self._files = sorted(p for p in path.iterdir()) if self.is_directory else []

    @property
    def size(self) -> int:
        if self.is_directory:
            return sum(p.stat().st_size for p in self._files if p.is_file())
        return self.path.stat().st_size

    def fingerprint(self) -> dict[str, object]:
        """What identifies this input in the import journal (a resumed import must match)."""
        st = self.path.stat()
        return {
            "path": str(self.path.resolve()),
            "format": self.format.value,
            "size": self.size,
            "files": len(self._files),
            "mtime_ns": st.st_mtime_ns,
        }

    def chunks(self, start: Position, chunk_bytes: int) -> Iterator[Chunk]:
        if self.is_directory:
            yield from self._directory_chunks(start, chunk_bytes)
        else:
            yield from self._file_chunks(start, chunk_bytes)

    def _parse(self, data: bytes, first_line: int, name: str, prefix: str | None) -> Parsed:
        if self.format is SourceFormat.HIBP:
            return parse_hash_lines(
                data, self.kind, prefix=prefix, first_line=first_line, source=name
            )
        return parse_plain_lines(
            data,
            self.kind,
            with_counts=self.format is SourceFormat.PLAIN_COUNTS,
            first_line=first_line,
            source=name,
        )

    def _file_chunks(self, start: Position, chunk_bytes: int) -> Iterator[Chunk]:
        offset, line = start.index, start.line
        name = self.path.name
        with self.path.open("rb") as fh:
            fh.seek(offset)
            carry = b""
            while True:
                block = fh.read(chunk_bytes)
                if not block:
                    if carry:
                        parsed = self._parse(carry, line, name, None)
                        yield Chunk(
                            parsed, Position(offset + len(carry), line + parsed.lines), len(carry)
                        )
                    return
                data = carry + block
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
                parsed = self._parse(data, line, name, None)
                offset += len(data)
                line += parsed.lines
                yield Chunk(parsed, Position(offset, line), len(data))

    def _directory_chunks(self, start: Position, chunk_bytes: int) -> Iterator[Chunk]:
        index = start.index
        while index < len(self._files):
            parts: list[Parsed] = []
            consumed = 0
            while index < len(self._files) and consumed < chunk_bytes:
                path = self._files[index]
                index += 1
                stem, suffix = path.stem.upper(), path.suffix.lower()
                if (
                    not path.is_file()
                    or suffix != ".txt"
                    or len(stem) != PREFIX_HEX
                    or not all(c in "0123456789ABCDEF" for c in stem)
                ):
                    parsed = Parsed.empty(self.kind)
                    parsed.errors.append(
                        LineError(path.name, 0, "not a range file (expected XXXXX.txt, 5 hex)")
                    )
                    parts.append(parsed)
                    continue
                data = path.read_bytes()
                consumed += len(data)
                parts.append(self._parse(data, 1, path.name, stem))
            yield Chunk(_concat(parts, self.kind), Position(index, 1), consumed)


def _concat(parts: list[Parsed], kind: HashKind) -> Parsed:
    if not parts:
        return Parsed.empty(kind)
    return Parsed(
        np.concatenate([p.digests for p in parts])
        if parts
        else np.empty((0, kind.digest_size), np.uint8),
        np.concatenate([p.counts for p in parts]),
        sum(p.lines for p in parts),
        [e for p in parts for e in p.errors],
    )
