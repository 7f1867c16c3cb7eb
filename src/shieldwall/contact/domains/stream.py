"""Streaming scans: one line in, one JSON object out, in constant memory.

:func:`read_lines` reads a binary stream with a bounded buffer: a line longer than the limit is
skipped chunk by chunk (never held whole) and reported as an error. :func:`scan_lines` turns each
line into a result dictionary: the verdict, or ``{"input": <safe repr>, "error": <reason>}``
for a line that cannot be judged (invalid UTF-8, too long, not a domain or URL). Blank lines
and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from shieldwall.contact.domains.errors import InvalidObservedName
from shieldwall.contact.domains.scanner import LookalikeScanner

SAFE_REPR_CHARS = 120
_SKIP_CHUNK = 65_536


class LineTooLong:
    """Stands for a line that exceeded the limit: its first bytes and its length so far."""

    __slots__ = ("head", "length")

    def __init__(self, head: bytes, length: int) -> None:
        self.head = head
        self.length = length


def read_lines(stream: BinaryIO, max_bytes: int) -> Iterator[bytes | LineTooLong]:
    """Yield lines without their end of line; never buffer more than ``max_bytes`` + 64 KiB."""
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            length = len(line)
            while True:
                chunk = stream.readline(_SKIP_CHUNK)
                length += len(chunk)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield LineTooLong(line[:SAFE_REPR_CHARS], length)
            continue
        yield line.rstrip(b"\r\n")


def safe_repr(raw: bytes | str) -> str:
    """A printable, bounded rendering of untrusted input (undecodable bytes as ``\\xNN``)."""
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
    shown = "".join(
        c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
        for c in text[:SAFE_REPR_CHARS]
    )
    return shown + "…" if len(text) > SAFE_REPR_CHARS else shown


def scan_lines(
    scanner: LookalikeScanner, lines: Iterable[bytes | LineTooLong]
) -> Iterator[dict[str, object]]:
    """Judge each line; a bad line yields an error record and the scan goes on."""
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, LineTooLong):
            yield {
                "input": safe_repr(raw.head) + "…",
                "error": f"line longer than the limit ({raw.length} bytes)",
                "line": number,
            }
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield {"input": safe_repr(raw), "error": "line is not valid UTF-8", "line": number}
            continue
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            verdict = scanner.scan(stripped)
        except InvalidObservedName as exc:
            yield {"input": safe_repr(stripped), "error": exc.reason, "line": number}
            continue
        yield verdict.as_dict()
