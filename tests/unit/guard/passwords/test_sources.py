"""Input parsing: every HIBP and list format, and malformed lines reported by line number."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldwall.guard.passwords.errors import ImportFailed
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.sources import (
    Position,
    Source,
    SourceFormat,
    parse_hash_lines,
    parse_plain_lines,
)

PW = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"


def test_full_hash_lines_crlf_lf_lowercase_and_blank_lines() -> None:
    """CRLF or LF, either case, blank lines ignored; digests and counts exact."""
    data = f"{PW}:3\r\n\r\n{PW.lower()}:10\n{'0' * 40}:1".encode()
    p = parse_hash_lines(data, HashKind.SHA1, prefix=None, first_line=1, source="f")
    assert p.errors == []
    assert [d.tobytes().hex().upper() for d in p.digests] == [PW, PW, "0" * 40]
    assert p.counts.tolist() == [3, 10, 1]
    assert p.lines == 4


def test_suffix_lines_take_the_prefix_from_the_file() -> None:
    """In a range file the 5-hex prefix comes from the file name."""
    p = parse_hash_lines(
        f"{PW[5:]}:7".encode(), HashKind.SHA1, prefix=PW[:5], first_line=1, source="5BAA6.txt"
    )
    assert p.digests[0].tobytes().hex().upper() == PW and p.counts.tolist() == [7]


def test_malformed_lines_reported_with_numbers() -> None:
    """Each kind of bad line is skipped and named with its line number and reason."""
    lines = [
        f"{PW}:1",  # 1 ok
        f"{PW[:-1]}:1",  # 2 short
        f"{PW}-1",  # 3 no colon
        f"{PW[:-1]}G:1",  # 4 not hex
        f"{PW}:0",  # 5 count 0
        f"{PW}:1x",  # 6 count not a number
        f"{PW}:",  # 7 no count
        f"{PW}:{2**63}",  # 8 count too big
        f"{PW}:{'9' * 20}",  # 9 too many digits
        f"{PW}:{2**63 - 1}",  # 10 ok, the largest
    ]
    p = parse_hash_lines(
        "\n".join(lines).encode(), HashKind.SHA1, prefix=None, first_line=1, source="big.txt"
    )
    assert [e.line for e in p.errors] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "hex digits" in p.errors[0].reason and "colon" in p.errors[1].reason
    assert "hexadecimal" in p.errors[2].reason and "count" in p.errors[3].reason
    assert str(p.errors[0]) == "big.txt:2: expected 40 hex digits, a colon and a count"
    assert p.counts.tolist() == [1, 2**63 - 1]


def test_ntlm_lengths() -> None:
    """NTLM lines have 32 hex digits (27 after the prefix); SHA-1 lengths are errors there."""
    ntlm = HashKind.NTLM.digest("password").hex().upper()
    p = parse_hash_lines(
        f"{ntlm}:5\n{PW}:1".encode(), HashKind.NTLM, prefix=None, first_line=1, source="n"
    )
    assert p.counts.tolist() == [5] and [e.line for e in p.errors] == [2]


def test_plain_lists() -> None:
    """Plain lines hash as UTF-8; CRLF stripped; spaces kept; bad UTF-8 reported."""
    data = "password\r\n密码 with spaces \n\n".encode() + b"\xff\xfe\n"
    p = parse_plain_lines(data, HashKind.SHA1, with_counts=False, first_line=1, source="l")
    assert p.digests[0].tobytes() == HashKind.SHA1.digest("password")
    assert p.digests[1].tobytes() == HashKind.SHA1.digest("密码 with spaces ")
    assert [(e.line, e.reason) for e in p.errors] == [(4, "not valid UTF-8")]


def test_plain_counts_split_at_the_last_colon() -> None:
    """password:count lines: the password may hold colons; a bad count is reported."""
    data = b"a:b:c:12\nnocount\npw:0\n:3\n"
    p = parse_plain_lines(data, HashKind.NTLM, with_counts=True, first_line=10, source="l")
    assert p.digests[0].tobytes() == HashKind.NTLM.digest("a:b:c") and p.counts.tolist() == [12]
    assert [e.line for e in p.errors] == [11, 12, 13]


def test_file_chunks_resume_at_a_position(tmp_path: Path) -> None:
    """Reading from a recorded position yields the rest of the file with true line numbers."""
    path = tmp_path / "f.txt"
    path.write_text("".join(f"{i:040X}:{i + 1}\n" for i in range(100)) + "bad\n")
    src = Source(path, SourceFormat.HIBP, HashKind.SHA1)
    chunks = list(src.chunks(Position(), 1000))
    assert len(chunks) > 3
    assert sum(len(c.parsed.counts) for c in chunks) == 100
    resume_at = chunks[2].next
    rest = list(src.chunks(resume_at, 1000))
    assert sum(len(c.parsed.counts) for c in rest) == sum(len(c.parsed.counts) for c in chunks[3:])
    assert [e.line for c in rest for e in c.parsed.errors] == [101]


def test_directory_source_reports_stray_files(tmp_path: Path) -> None:
    """Files that are not XXXXX.txt in a range directory are reported and skipped."""
    d = tmp_path / "ranges"
    d.mkdir()
    (d / "5BAA6.txt").write_text(f"{PW[5:]}:9")
    (d / "readme.md").write_text("hello")
    src = Source(d, SourceFormat.HIBP, HashKind.SHA1)
    (chunk,) = list(src.chunks(Position(), 1 << 20))
    assert chunk.parsed.counts.tolist() == [9]
    assert [str(e) for e in chunk.parsed.errors] == [
        "readme.md: not a range file (expected XXXXX.txt, 5 hex)"
    ]


def test_missing_source_and_plain_directory_refused(tmp_path: Path) -> None:
    """A missing path, or a directory given as a plain list, is a clear ImportFailed."""
    with pytest.raises(ImportFailed, match="does not exist"):
        Source(tmp_path / "nope", SourceFormat.HIBP, HashKind.SHA1)
    with pytest.raises(ImportFailed, match="directory"):
        Source(tmp_path, SourceFormat.PLAIN, HashKind.SHA1)
