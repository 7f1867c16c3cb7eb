"""Streaming: chunk boundaries lose nothing, segments partition the input, memory is bounded."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.model import DataType, Finding
from shieldwall.discover.recognizers import MAX_CONTEXT
from shieldwall.discover.stream import StreamScanner, redact_text
from tests.unit.discover.test_recognizers import GB11643_EXAMPLE

ANALYZER = Analyzer()
PIECES = [
    GB11643_EXAMPLE,
    "13800138000",
    "6200000000000005",
    "收件人：张伟",
    "浙江省杭州市西湖区文三路90号",
    "a.b@example.com",
    "护照E12345678",
    "的",
    "，",
    "\n",
    " ",
    "123",
]


def streamed(text: str, chunk: int, piece: int) -> list[Finding]:
    """Findings of the scanner fed ``text`` in pieces of ``piece`` characters, absolute offsets."""
    scanner = StreamScanner(ANALYZER, chunk_chars=chunk)

    def pieces() -> Iterator[str]:
        for i in range(0, len(text), piece):
            yield text[i : i + piece]

    out: list[Finding] = []
    joined = []
    for segment in scanner.segments(pieces()):
        joined.append(segment.text)
        out.extend(f.shifted(segment.offset) for f in segment.findings)
    assert "".join(joined) == text
    return out


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(st.sampled_from(PIECES), max_size=200),
    chunk=st.integers(1, 300),
    piece=st.integers(1, 500),
)
def test_stream_finds_what_one_pass_finds(parts: list[str], chunk: int, piece: int) -> None:
    """Whatever the chunk and piece sizes, streaming gives the findings of one whole-text pass."""
    text = "".join(parts)
    assert streamed(text, chunk, piece) == ANALYZER.analyze(text)


def test_value_across_a_chunk_boundary_is_found_whole() -> None:
    """An ID number straddling the first chunk's end is found once, at its exact span."""
    text = "的" * 95 + GB11643_EXAMPLE + "的" * 600
    found = streamed(text, chunk=100, piece=7)
    assert [(f.start, f.end, f.type) for f in found] == [(95, 113, DataType.NATIONAL_ID)]


def test_memory_stays_bounded() -> None:
    """3,000 pieces: the scanner holds at most context + chunk + overlap + one piece."""
    scanner = StreamScanner(ANALYZER, chunk_chars=500)
    held: list[int] = []
    original = scanner._window

    def spy(buf: str, ctx: int, offset: int, *, final: bool):  # type: ignore[no-untyped-def]
        held.append(len(buf))
        return original(buf, ctx, offset, final=final)

    scanner._window = spy  # type: ignore[method-assign]
    piece = "电话13800138000，"
    segments = list(scanner.segments(piece for _ in range(3_000)))
    assert sum(len(s.text) for s in segments) == len(piece) * 3_000
    assert sum(len(s.findings) for s in segments) == 3_000
    assert max(held) <= MAX_CONTEXT + 500 + scanner.overlap + len(piece)


def test_one_large_piece_is_analyzed_a_window_at_a_time() -> None:
    """The whole text as one piece: the same findings as one pass, and no analysis sees more
    than context + chunk + overlap characters (before, every window analyzed all that was
    buffered: quadratic in the piece's size)."""
    text = "".join(f"记录{i}：电话13800138000，身份证{GB11643_EXAMPLE}。" for i in range(400))
    seen: list[int] = []

    class Spy(Analyzer):
        def analyze(self, text: str) -> list[Finding]:
            seen.append(len(text))
            return super().analyze(text)

    scanner = StreamScanner(Spy(), chunk_chars=300)
    found = [f.shifted(s.offset) for s in scanner.segments([text]) for f in s.findings]
    assert found == ANALYZER.analyze(text)
    assert len(found) == 800
    assert max(seen) <= MAX_CONTEXT + 300 + scanner.overlap


def test_redaction_replaces_values_and_keeps_the_rest() -> None:
    text = f"身份证{GB11643_EXAMPLE}，电话13800138000。"
    assert redact_text(text, ANALYZER) == "身份证[national_id]，电话[phone]。"
