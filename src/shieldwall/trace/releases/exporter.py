"""Export files: the rows of a release as CSV (default), JSON or XLSX bytes, written atomically."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

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
    """Write ``content`` to ``path`` so that readers see the old file or the whole new one:
    a temporary file in the same directory, fsynced, then renamed over ``path``."""
    directory = path.parent
    if not directory.is_dir():
        raise ReleaseInvalid(f"directory {directory} does not exist", field="out")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(0o600)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
