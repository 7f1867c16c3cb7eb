"""Files as located text: plain text and logs, CSV/TSV, XLSX and JSON lines.

Each kind is read as a stream (bounded memory: text in chunks with overlap, CSV and JSON lines one
record at a time, XLSX with openpyxl's read-only reader) and yields :class:`~.report.Hit` objects
whose ``where`` names the place in the kind's own terms:

- text and logs: ``line``, ``column`` (1-based, in characters);
- CSV/TSV: ``row`` (1-based, header is row 1) and ``column`` (the header's name, else its number);
- XLSX: ``sheet`` and ``cell`` (``B4``);
- JSON lines: ``line`` and ``path`` (``$.customer.phone``, ``$.items[0].note``).

A CSV column's header, an XLSX column's first-row value and a JSON key count as the context
before a value (a column ``姓名`` makes its cells names). With ``redact_to`` a redacted copy is
written beside the scan, atomically: to a temporary file that replaces ``redact_to`` only when
the whole input was read. Missing files, text not in ``encoding`` and corrupt XLSX or JSON raise
:class:`~.errors.UnreadableInput` naming the file and the place, never the content.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from shieldwall.core.files import atomic_output
from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.errors import UnreadableInput
from shieldwall.discover.model import Finding
from shieldwall.discover.report import Hit
from shieldwall.discover.stream import DEFAULT_CHUNK, StreamScanner, label

CSV_SUFFIXES = frozenset({".csv", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
MAX_RECORD_CHARS = 1 << 22  # one CSV field or JSON line; longer is refused, not read whole

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ByteCounter = Callable[[int], None]


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    return "text"


class _Counting(io.RawIOBase):
    """A binary file that reports how many bytes were read (for the progress bar)."""

    def __init__(self, raw: IO[bytes], counter: ByteCounter | None) -> None:
        self.raw = raw
        self.counter = counter
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.position += n
        if self.counter:
            self.counter(n)
        return int(n)


def _hits_in_value(
    analyzer: Analyzer, path: str, where: dict[str, str | int], value: str, context: str
) -> tuple[list[Hit], list[Finding]]:
    """Findings in one field value, its header or key read as the context before it."""
    prefix = f"{context}：" if context else ""
    text = prefix + value
    findings = [f.shifted(-len(prefix)) for f in analyzer.analyze(text) if f.start >= len(prefix)]
    hits = [Hit.of(path, where, f, value[f.start : f.end]) for f in findings]
    return hits, findings


def _redacted(value: str, findings: list[Finding]) -> str:
    out, at = [], 0
    for f in findings:
        out += [value[at : f.start], label(f, value[f.start : f.end])]
        at = f.end
    return "".join([*out, value[at:]])


class FileScanner:
    """Scans files of every supported kind with one analyzer."""

    def __init__(
        self,
        analyzer: Analyzer,
        *,
        encoding: str = "utf-8",
        chunk_chars: int = DEFAULT_CHUNK,
        on_bytes: ByteCounter | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.encoding = encoding
        self.stream = StreamScanner(analyzer, chunk_chars=chunk_chars)
        self.on_bytes = on_bytes

    def scan(self, path: Path, redact_to: Path | None = None) -> Iterator[Hit]:
        """Every hit in ``path``; with ``redact_to``, also write the redacted copy there."""
        if not path.is_file():
            raise UnreadableInput(f"{path}: no such file")
        kind = kind_of(path)
        if kind == "xlsx":
            yield from self._xlsx(path, redact_to)
            return
        reader = {"csv": self._csv, "jsonl": self._jsonl, "text": self._text}[kind]
        try:
            with path.open("rb") as raw:
                counting = _Counting(raw, self.on_bytes)
                binary = io.BufferedReader(counting, buffer_size=1 << 16)
                handle = io.TextIOWrapper(binary, encoding=self.encoding, newline="")
                if redact_to is None:
                    yield from reader(path, handle, None)
                else:
                    with atomic_output(redact_to, parents=True) as out:
                        yield from reader(path, handle, out)
        except UnicodeDecodeError as exc:
            raise UnreadableInput(
                f"{path}: not valid {self.encoding} text ({exc.reason}); try --encoding gb18030"
            ) from None
        except LookupError:
            raise UnreadableInput(f"unknown encoding {self.encoding!r}") from None
        except OSError as exc:
            raise UnreadableInput(f"{path}: cannot read ({exc.strerror})") from None

    def _text(self, path: Path, handle: IO[str], out: IO[str] | None) -> Iterator[Hit]:
        line, column = 1, 1

        def pieces() -> Iterator[str]:
            while piece := handle.read(self.stream.chunk_chars):
                yield piece

        for segment in self.stream.segments(pieces()):
            text, at = segment.text, 0
            for f in segment.findings:
                newlines = text.count("\n", at, f.start)
                if newlines:
                    line += newlines
                    column = f.start - text.rfind("\n", at, f.start)
                else:
                    column += f.start - at
                at = f.start
                where: dict[str, str | int] = {"line": line, "column": column}
                yield Hit.of(str(path), where, f, text[f.start : f.end])
            newlines = text.count("\n", at)
            if newlines:
                line += newlines
                column = len(text) - text.rfind("\n")
            else:
                column += len(text) - at
            if out is not None:
                out.write(segment.redacted())

    def _csv(self, path: Path, handle: IO[str], out: IO[str] | None) -> Iterator[Hit]:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        reader = csv.reader(handle, delimiter=delimiter)
        writer = csv.writer(out, delimiter=delimiter) if out is not None else None
        header: list[str] = []
        try:
            for row_number, row in enumerate(reader, start=1):
                if row_number == 1:
                    header = row
                redacted_row = []
                for i, value in enumerate(row):
                    name = header[i] if i < len(header) and header[i] else str(i + 1)
                    context = "" if row_number == 1 else name
                    where: dict[str, str | int] = {"row": row_number, "column": name}
                    hits, findings = _hits_in_value(self.analyzer, str(path), where, value, context)
                    yield from hits
                    redacted_row.append(_redacted(value, findings))
                if writer is not None:
                    writer.writerow(redacted_row)
        except csv.Error as exc:
            raise UnreadableInput(
                f"{path}: not valid CSV at row {reader.line_num} ({exc})"
            ) from None

    def _jsonl(self, path: Path, handle: IO[str], out: IO[str] | None) -> Iterator[Hit]:
        for line_number, line in enumerate(handle, start=1):
            if len(line) > MAX_RECORD_CHARS:
                raise UnreadableInput(
                    f"{path}: line {line_number} longer than {MAX_RECORD_CHARS} characters"
                )
            if not line.strip():
                if out is not None:
                    out.write(line)
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UnreadableInput(
                    f"{path}: line {line_number} is not JSON ({exc.msg} at column {exc.colno})"
                ) from None
            hits: list[Hit] = []
            redacted = self._walk(str(path), line_number, record, "$", "", hits)
            yield from hits
            if out is not None:
                ending = "\r\n" if line.endswith("\r\n") else "\n"
                out.write(json.dumps(redacted, ensure_ascii=False) + ending)

    def _walk(self, path: str, line: int, value: Any, where: str, key: str, hits: list[Hit]) -> Any:
        """Hits of every string (and integer: phones are often stored as numbers) under
        ``value``; return ``value`` with its findings redacted."""
        if isinstance(value, dict):
            return {
                k: self._walk(path, line, v, _child(where, k), k, hits) for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self._walk(path, line, v, f"{where}[{i}]", key, hits) for i, v in enumerate(value)
            ]
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            text = str(value)
            found, findings = _hits_in_value(
                self.analyzer, path, {"line": line, "path": where}, text, key
            )
            hits.extend(found)
            return _redacted(text, findings) if findings else value
        return value

    def _xlsx(self, path: Path, redact_to: Path | None) -> Iterator[Hit]:
        from openpyxl import Workbook, load_workbook  # noqa: PLC0415 (only XLSX scans need it)
        from openpyxl.utils import get_column_letter  # noqa: PLC0415
        from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            raise UnreadableInput(
                f"{path}: not a readable XLSX workbook ({type(exc).__name__})"
            ) from None
        copy = Workbook(write_only=True) if redact_to is not None else None
        try:
            for sheet in book.worksheets:
                target = copy.create_sheet(sheet.title) if copy is not None else None
                header: list[str] = []
                for r, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                    if r == 1:
                        header = ["" if v is None else str(v) for v in row]
                    out_row: list[Any] = []
                    for c, value in enumerate(row, start=1):
                        if (
                            value is None
                            or not isinstance(value, (str, int))
                            or isinstance(value, bool)
                        ):
                            out_row.append(value)
                            continue
                        text = str(value)
                        context = header[c - 1] if r > 1 and c - 1 < len(header) else ""
                        where: dict[str, str | int] = {
                            "sheet": sheet.title,
                            "cell": f"{get_column_letter(c)}{r}",
                        }
                        hits, findings = _hits_in_value(
                            self.analyzer, str(path), where, text, context
                        )
                        yield from hits
                        out_row.append(_redacted(text, findings) if findings else value)
                    if target is not None:
                        target.append(out_row)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise UnreadableInput(f"{path}: corrupt XLSX workbook ({type(exc).__name__})") from None
        finally:
            book.close()
        if self.on_bytes:
            self.on_bytes(path.stat().st_size)
        if copy is not None and redact_to is not None:
            with atomic_output(redact_to, binary=True, parents=True) as handle:
                copy.save(handle)


def _child(where: str, key: str) -> str:
    return (
        f"{where}.{key}"
        if _PLAIN_KEY.fullmatch(key)
        else f"{where}[{json.dumps(key, ensure_ascii=False)}]"
    )
