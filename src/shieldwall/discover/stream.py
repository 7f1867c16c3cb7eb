"""The analyzer over a stream of text in bounded memory: chunks that overlap.

Text arrives in pieces of any size; :class:`StreamScanner` keeps at most ``chunk_chars`` +
``overlap`` characters, analyzes them, and hands on the part that later text cannot change: every
finding that starts more than ``overlap`` characters before the end of what it holds. A finding is
never longer than :data:`~.recognizers.MAX_SPAN` and its context never reaches further back than
:data:`~.recognizers.MAX_CONTEXT`, and ``overlap`` covers two spans plus a context, so a value
cut in two by a chunk boundary is found whole in the next window, and findings match those of one
:meth:`Analyzer.analyze` over the whole text.

:meth:`StreamScanner.segments` yields consecutive :class:`Segment` objects that partition the
input exactly (their texts joined are the input), each with the findings that start in it, in
offsets relative to the segment; :meth:`Segment.redacted` replaces them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.model import Finding
from shieldwall.discover.recognizers import MAX_CONTEXT, MAX_SPAN

DEFAULT_CHUNK = 1 << 16


def label(finding: Finding, _value: str) -> str:
    """The default replacement of a redacted value: its type in brackets (``[phone]``)."""
    return f"[{finding.type.value}]"


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of the input (``offset`` characters in) and the findings that start in it."""

    text: str
    offset: int
    findings: tuple[Finding, ...]

    def redacted(self, replace: Callable[[Finding, str], str] = label) -> str:
        """The segment with every finding replaced by ``replace(finding, value)``."""
        out: list[str] = []
        at = 0
        for f in self.findings:
            out.append(self.text[at : f.start])
            out.append(replace(f, self.text[f.start : f.end]))
            at = f.end
        out.append(self.text[at:])
        return "".join(out)


def redact_text(
    text: str, analyzer: Analyzer, replace: Callable[[Finding, str], str] = label
) -> str:
    """``text`` with every finding of ``analyzer`` replaced."""
    return Segment(text, 0, tuple(analyzer.analyze(text))).redacted(replace)


class StreamScanner:
    def __init__(
        self, analyzer: Analyzer, *, chunk_chars: int = DEFAULT_CHUNK, overlap: int | None = None
    ) -> None:
        self.analyzer = analyzer
        self.chunk_chars = max(1, chunk_chars)
        self.overlap = overlap if overlap is not None else 2 * MAX_SPAN + MAX_CONTEXT
        if self.overlap < 2 * MAX_SPAN + MAX_CONTEXT:
            raise ValueError("overlap must cover two spans and a context")

    def segments(self, pieces: Iterable[str]) -> Iterator[Segment]:
        """Consecutive segments covering ``pieces`` joined, with their findings."""
        buf = ""
        ctx = 0  # leading characters of buf already handed on (context only)
        offset = 0  # input offset of buf[ctx]
        for piece in pieces:
            buf += piece
            while len(buf) - ctx >= self.chunk_chars + self.overlap:
                segment, buf, ctx = self._window(buf, ctx, offset, final=False)
                offset += len(segment.text)
                yield segment
        if len(buf) > ctx:
            segment, buf, ctx = self._window(buf, ctx, offset, final=True)
            yield segment

    def _window(self, buf: str, ctx: int, offset: int, *, final: bool) -> tuple[Segment, str, int]:
        # Analyze one window, not all that is buffered: a piece far larger than a chunk would
        # otherwise be analyzed again for every chunk it holds (quadratic time).
        window = buf if final else buf[: ctx + self.chunk_chars + self.overlap]
        findings = self.analyzer.analyze(window)
        cut = len(buf) if final else min(len(window) - self.overlap, ctx + self.chunk_chars)
        cut = max(cut, ctx + 1)
        taken = [f for f in findings if ctx <= f.start < cut]
        end = max([cut, *(f.end for f in taken)])
        segment = Segment(buf[ctx:end], offset, tuple(f.shifted(-ctx) for f in taken))
        keep_from = max(0, end - MAX_CONTEXT)
        return segment, buf[keep_from:], end - keep_from
