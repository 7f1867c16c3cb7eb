"""Streaming: bounded line reading, one JSON-ready record per line, errors per line."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Iterator

from shieldwall.contact.domains.scanner import LookalikeScanner
from shieldwall.contact.domains.stream import LineTooLong, read_lines, safe_repr, scan_lines

KEYS = {"input", "verdict", "brand", "techniques", "score", "host", "registrable_domain", "reasons"}


def test_read_lines_bounds_a_huge_line() -> None:
    """A 5 MB line is skipped in chunks and reported; the next line is read normally."""
    data = b"jd.com\n" + b"a" * 5_000_000 + b"\nnext.com\r\nlast.com"
    lines = list(read_lines(io.BytesIO(data), 4096))
    assert lines[0] == b"jd.com"
    assert isinstance(lines[1], LineTooLong)
    assert lines[1].length == 5_000_001 and len(lines[1].head) <= 120
    assert lines[2:] == [b"next.com", b"last.com"]


def test_safe_repr_escapes_and_truncates() -> None:
    """Control characters and undecodable bytes are escaped; long input is cut."""
    assert safe_repr(b"a\x00b\xff") == "a\\x00b\\xff"
    assert safe_repr("x" * 500).endswith("…") and len(safe_repr("x" * 500)) == 121


def test_bad_lines_give_errors_and_the_run_goes_on(scanner: LookalikeScanner) -> None:
    """Invalid UTF-8, huge lines, IDN garbage and malformed URLs each yield an error record."""
    data = b"\n".join(
        [
            b"jd.com",
            b"\xff\xfejd.com",
            b"x" * 10_000,
            b"xn--zz.com",
            b"http://[::1",
            b"",
            b"# a comment",
            b"192.168.0.1",
            b"jd-kefu.com",
        ]
    )
    records = list(scan_lines(scanner, read_lines(io.BytesIO(data), 4096)))
    assert [r.get("verdict") for r in records] == [
        "official",
        None,
        None,
        None,
        None,
        None,
        "lookalike",
    ]
    errors = [r for r in records if "error" in r]
    assert [e["line"] for e in errors] == [2, 3, 4, 5, 8]
    assert "not valid UTF-8" in str(errors[0]["error"])
    assert "longer than the limit" in str(errors[1]["error"])
    assert "punycode" in str(errors[2]["error"])
    assert "malformed URL" in str(errors[3]["error"])
    assert "IP address" in str(errors[4]["error"])
    assert all(set(e) == {"input", "error", "line"} for e in errors)


def test_records_are_json_lines(scanner: LookalikeScanner) -> None:
    """Each verdict record has the contract keys and serialises to one JSON line."""
    lines = [b"jd.com", b"jingdon.com", b"example.org", "京东客服.com".encode()]
    for record in scan_lines(scanner, iter(lines)):
        assert set(record) == KEYS
        text = json.dumps(record, ensure_ascii=False)
        assert "\n" not in text
        assert json.loads(text) == record
        assert record["verdict"] in {"official", "lookalike", "clean"}
        assert isinstance(record["techniques"], list)


def _generated(lines: int) -> Iterator[bytes]:
    for i in range(lines):
        yield b"\xff bad\n" if i % 101 == 0 else f"shop{i}.example{i % 7}.com\n".encode()


class _GeneratedStream(io.RawIOBase):
    def __init__(self, lines: int) -> None:
        self._chunks = _generated(lines)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _peak(scanner: LookalikeScanner, lines: int) -> tuple[int, int]:
    stream = io.BufferedReader(_GeneratedStream(lines), buffer_size=65536)
    tracemalloc.start()
    count = sum(1 for _ in scan_lines(scanner, read_lines(stream, 4096)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, peak


def test_memory_does_not_grow_with_input(scanner: LookalikeScanner) -> None:
    """Peak traced memory for 30,000 generated lines is within 1.5x of that for 3,000."""
    small_count, small_peak = _peak(scanner, 3_000)
    big_count, big_peak = _peak(scanner, 30_000)
    assert (small_count, big_count) == (3_000, 30_000)
    assert big_peak < 1.5 * small_peak + 64_000
