"""Export files: the rows of a release as CSV (default), JSON or XLSX bytes, written atomically."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from shieldwall.core import files
from shieldwall.trace.releases.errors import ReleaseInvalid
from shieldwall.trace.releases.model import FORMATS, ExportFile

MEDIA = {
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "json": ("application/json", ".json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}


def render(
    columns: Sequence[str], rows: Sequence[Mapping[str, str | None]], file_format: str
) -> ExportFile:
    """The file's bytes; empty values become empty cells (CSV, XLSX) or ``null`` (JSON)."""
    if file_format not in FORMATS:
        raise ReleaseInvalid(f"must be one of {', '.join(FORMATS)}", field="format")
    if file_format == "csv":
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c) or "" for c in columns])
        content = buf.getvalue().encode("utf-8")
    elif file_format == "json":
        content = json.dumps(
            [{c: row.get(c) for c in columns} for row in rows], ensure_ascii=False, indent=1
        ).encode("utf-8")
    else:
        from openpyxl import Workbook  # noqa: PLC0415 - a slow import, paid only when used

        book = Workbook(write_only=True)
        sheet = book.create_sheet("release")
        sheet.append(list(columns))
        for row in rows:
            sheet.append([row.get(c) or "" for c in columns])
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
    media, suffix = MEDIA[file_format]
    return ExportFile(content, media, suffix, hashlib.sha256(content).hexdigest())


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` whole or not at all (:mod:`shieldwall.core.files`)."""
    if not path.parent.is_dir():
        raise ReleaseInvalid(f"directory {path.parent} does not exist", field="out")
    files.write_atomic(path, content)
