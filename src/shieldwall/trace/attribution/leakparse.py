"""Reading a leaked file, whatever survived of it, one row at a time.

Formats: CSV/TSV (delimiter sniffed), JSON (an array of objects or arrays, or JSON lines, decoded
incrementally), XLSX (openpyxl, read-only), or plain text lines (split on commas, semicolons,
tabs and bars). Files are streamed: memory stays bounded by the longest row, not the file.
Text is UTF-8 (with or without BOM) or, failing that, GB 18030, the usual encodings of Chinese
leaks. Column names are optional: phones, ID numbers and e-mail addresses are found by content in
every cell; names and addresses by header, else addresses by content.

Every problem is a :class:`LeakFileError` naming the file and the row, never a cell's content.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import phonenumbers
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from shieldwall.custody import normalize
from shieldwall.custody.errors import ValidationError
from shieldwall.trace.errors import TraceError

FORMATS = ("csv", "json", "xlsx", "text")
SAMPLE_BYTES = 65_536
MAX_JSON_RECORD_CHARS = 1_048_576
_READ_CHARS = 65_536

NAME_HEADERS = {"name", "姓名", "收件人", "联系人", "客户", "客户姓名", "customer", "full_name"}
ADDRESS_HEADERS = {"address", "地址", "收货地址", "详细地址", "addr", "delivery_address", "住址"}
_PHONE = re.compile(r"(?<![\d])(?:\+?86[\s\-]?)?(1[3-9]\d(?:[\s\-]?\d){8})(?![\d])")
_NID = re.compile(r"(?<![\dA-Za-z])(\d{17}[\dXx])(?![\dA-Za-z])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ADDRESS_HINT = re.compile(r"(省|自治区|市).{0,20}(区|县|市|旗).*(路|街|道|巷|号|村|镇)")
_TEXT_SPLIT = re.compile(r"[,，;；\t|]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class LeakFileError(TraceError):
    """A leaked file that cannot be read: empty, binary, undecodable, malformed or too big."""

    code = "invalid_input"


@dataclass(frozen=True, slots=True)
class LeakRow:
    line: int  # 1-based row number in the file (data rows; the header is row 0)
    cells: tuple[tuple[str, str], ...]  # (column name, value)


@dataclass(slots=True)
class Extracted:
    """What one row says about a person, normalized (phones E.164, IDs upper case)."""

    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    national_ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # raw: marks are read from the raw text

    @property
    def identified(self) -> bool:
        return bool(self.phones or self.emails or self.national_ids)


@dataclass(frozen=True, slots=True)
class LeakSource:
    path: Path
    file_format: str
    encoding: str | None


def detect(path: Path, file_format: str | None = None) -> LeakSource:
    """Check the file is readable and decide its format and encoding from its first bytes."""
    if file_format is not None and file_format not in FORMATS:
        raise LeakFileError(f"must be one of {', '.join(FORMATS)}", field="format")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise LeakFileError(f"{path.name} does not exist", field="file") from None
    except OSError as exc:
        raise LeakFileError(f"cannot read {path.name}: {exc.strerror}", field="file") from None
    if size == 0 or not head.strip():
        raise LeakFileError("the file is empty", field="file", code="invalid_input")
    if head.startswith(b"PK\x03\x04"):
        if file_format not in (None, "xlsx"):
            raise LeakFileError(f"is a ZIP/XLSX file, not {file_format}", field="format")
        return LeakSource(path, "xlsx", None)
    if file_format == "xlsx":
        raise LeakFileError("is not an XLSX workbook", field="file")
    encoding = _encoding(head, size > len(head))
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")
    if file_format is None:
        suffix = path.suffix.lower()
        if suffix in (".json", ".jsonl", ".ndjson") or text[:1] in ("[", "{"):
            file_format = "json"
        elif suffix in (".txt", ".log"):
            file_format = "text"
        else:
            file_format = "csv"
    return LeakSource(path, file_format, encoding)


def _encoding(head: bytes, truncated: bool) -> str:
    if b"\x00" in head:
        raise LeakFileError("is binary, not a text, JSON or XLSX file", field="file")
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(head, final=not truncated)
        except UnicodeDecodeError:
            continue
        controls = len(_CONTROL.findall(text))
        if controls > max(8, len(text) // 100):
            raise LeakFileError("is binary, not a text, JSON or XLSX file", field="file")
        return encoding
    raise LeakFileError("is neither UTF-8 nor GB 18030 text", field="file")


def rows(source: LeakSource, *, max_rows: int, max_cell_chars: int) -> Iterator[LeakRow]:
    """The file's data rows, streamed."""
    if source.file_format == "xlsx":
        it = _xlsx_rows(source.path)
    else:
        assert source.encoding is not None  # noqa: S101 - text formats always have one
        fh = source.path.open("r", encoding=source.encoding, errors="strict", newline="")
        it = _text_rows(fh, source.file_format, max_cell_chars)
    count = 0
    try:
        for row in it:
            count += 1
            if count > max_rows:
                raise LeakFileError(f"has more than {max_rows} rows", field="file")
            for _, value in row.cells:
                if len(value) > max_cell_chars:
                    raise LeakFileError(
                        f"row {row.line} has a cell longer than {max_cell_chars} characters",
                        field="file",
                    )
            yield row
    except UnicodeDecodeError:
        raise LeakFileError(
            f"is not valid {source.encoding} after row {count}", field="file"
        ) from None
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
    if count == 0:
        raise LeakFileError("has no data rows", field="file")


def _text_rows(fh: IO[str], file_format: str, max_cell_chars: int) -> Iterator[LeakRow]:
    with fh:
        if file_format == "json":
            yield from _json_rows(fh)
        elif file_format == "text":
            n = 0
            for line in fh:
                text = line.strip("\ufeff\r\n")
                if not text.strip():
                    continue
                n += 1
                parts = [p.strip() for p in _TEXT_SPLIT.split(text) if p.strip()]
                yield LeakRow(n, tuple((f"text{i}", p) for i, p in enumerate(parts, 1)))
        else:
            yield from _csv_rows(fh, max_cell_chars)


def _csv_rows(fh: IO[str], max_cell_chars: int) -> Iterator[LeakRow]:
    sample = fh.read(SAMPLE_BYTES // 4)
    fh.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(max(max_cell_chars + 1, 1024))
    reader = csv.reader(_strip_bom(fh), dialect)
    try:
        yield from _tabular(reader)
    except csv.Error as exc:
        raise LeakFileError(
            f"is not valid CSV at line {reader.line_num}: {exc}", field="file"
        ) from None


def _strip_bom(fh: IO[str]) -> Iterator[str]:
    first = True
    for line in fh:
        yield line.lstrip("\ufeff") if first else line
        first = False


def _tabular(raw: Iterator[Any]) -> Iterator[LeakRow]:
    """Rows from a sequence of lists: the first one is a header when it names no person."""
    header: list[str] | None = None
    n = 0
    for values in raw:
        cells = ["" if v is None else str(v).strip() for v in values]
        if not any(cells):
            continue
        if header is None:
            if _is_header(cells):
                header = [c or f"col{i}" for i, c in enumerate(cells, 1)]
                continue
            header = [f"col{i}" for i in range(1, len(cells) + 1)]
        n += 1
        names = header + [f"col{i}" for i in range(len(header) + 1, len(cells) + 1)]
        yield LeakRow(n, tuple((names[i], c) for i, c in enumerate(cells) if c))


def _is_header(cells: list[str]) -> bool:
    if any(extract([("", c)]).identified for c in cells):
        return False
    known = NAME_HEADERS | ADDRESS_HEADERS | {"phone", "email", "national_id", "手机", "电话"}
    return any(c.lower() in known for c in cells) or all(len(c) <= 32 for c in cells)


def _xlsx_rows(path: Path) -> Iterator[LeakRow]:
    fh = path.open("rb")  # a file object: openpyxl would judge a path by its extension
    try:
        try:
            book = load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise LeakFileError(
                f"is not a readable XLSX workbook ({type(exc).__name__})", field="file"
            ) from None
        try:
            if not book.worksheets:
                raise LeakFileError("the workbook has no sheets", field="file")
            yield from _tabular(iter(book.worksheets[0].iter_rows(values_only=True)))
        finally:
            book.close()
    finally:
        fh.close()


def _json_rows(fh: IO[str]) -> Iterator[LeakRow]:
    """JSON values one by one: the elements of a top-level array, or a sequence of values
    (JSON lines); each decoded from a bounded buffer."""
    decoder = json.JSONDecoder()
    buf = fh.read(_READ_CHARS).lstrip("\ufeff \t\r\n")
    eof = False
    in_array = buf.startswith("[")
    if in_array:
        buf = buf[1:]
    n = 0
    while True:
        buf = buf.lstrip(" \t\r\n,")
        if in_array and buf.startswith("]"):
            if buf[1:].strip() or fh.read(1).strip():
                raise LeakFileError(f"has text after the JSON array (row {n})", field="file")
            return
        if not buf:
            if eof:
                if in_array:
                    raise LeakFileError("the JSON array is not closed", field="file")
                return
            chunk = fh.read(_READ_CHARS)
            eof = not chunk
            buf += chunk
            continue
        try:
            value, end = decoder.raw_decode(buf)
        except json.JSONDecodeError:
            if eof or len(buf) > MAX_JSON_RECORD_CHARS:
                raise LeakFileError(f"is not valid JSON at row {n + 1}", field="file") from None
            chunk = fh.read(_READ_CHARS)
            eof = not chunk
            buf += chunk
            continue
        buf = buf[end:]
        n += 1
        yield LeakRow(n, tuple(_json_cells(value)))


def _json_cells(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            if isinstance(v, dict | list):
                out.extend((f"{k}.{kk}", vv) for kk, vv in _json_cells(v))
            elif v is not None:
                out.append((str(k), str(v)))
        return out
    if isinstance(value, list):
        return [(f"col{i}", str(v)) for i, v in enumerate(value, 1) if v is not None]
    return [("value", str(value))] if value is not None else []


def extract(cells: Sequence[tuple[str, str]], region: str = "CN") -> Extracted:
    """Phones, e-mails and ID numbers by content; names and addresses by header or content."""
    out = Extracted()
    for column, raw in cells:
        folded = unicodedata.normalize("NFKC", raw)
        key = column.strip().lower()
        for m in _NID.finditer(folded):
            try:
                nid = normalize.national_id(m.group(1), strict_region=False)
            except ValidationError:
                continue
            if nid not in out.national_ids:
                out.national_ids.append(nid)
        without_ids = _NID.sub(" ", folded)
        for m in _PHONE.finditer(without_ids):
            phone = _phone(m.group(1), region)
            if phone and phone not in out.phones:
                out.phones.append(phone)
        for m in _EMAIL.finditer(folded):
            try:
                email = normalize.email(m.group(0))
            except ValidationError:
                continue
            if email not in out.emails:
                out.emails.append(email)
        if key in ADDRESS_HEADERS or (key not in NAME_HEADERS and _ADDRESS_HINT.search(folded)):
            out.addresses.append(raw.strip("\r\n"))
        elif key in NAME_HEADERS and raw.strip():
            out.names.append(raw.strip())
    return out


def _phone(digits: str, region: str) -> str | None:
    number = re.sub(r"[\s\-]", "", digits)
    if region == "CN" and len(number) == 11:
        # A CN mobile number's E.164 form is +86 and its 11 digits; whether it is a real number
        # is settled by the blind-index lookup, which only holds validated numbers.
        return "+86" + number
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def read_bytes_to(path: Path, chunks: Iterator[bytes], limit: int) -> int:
    """Stream uploaded bytes to ``path``; refuse more than ``limit`` bytes."""
    total = 0
    with path.open("wb") as out:
        for chunk in chunks:
            total += len(chunk)
            if total > limit:
                raise LeakFileError(f"the file exceeds {limit} bytes", field="file")
            out.write(chunk)
    return total


__all__ = [
    "FORMATS",
    "Extracted",
    "LeakFileError",
    "LeakRow",
    "LeakSource",
    "detect",
    "extract",
    "read_bytes_to",
    "rows",
]
