"""Reading leaked files: every format, whatever columns survived, normalized identifiers, clear
errors for bad input, and bounded memory on a file of tens of MB."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from shieldwall.sim.people import PeopleFactory
from shieldwall.trace.attribution.leakparse import (
    LeakFileError,
    _json_cells,
    detect,
    extract,
    rows,
)

PEOPLE = PeopleFactory(31).customers(5)
LIMITS = {"max_rows": 1_000_000, "max_cell_chars": 4096}


def read_all(path: Path, fmt: str | None = None) -> list[list[tuple[str, str]]]:
    return [list(r.cells) for r in rows(detect(path, fmt), **LIMITS)]


def test_csv_with_header_and_reformatted_phones(tmp_path: Path) -> None:
    """A CSV with Chinese headers and phones written as 138 0013 8000 / +86-…: all found."""
    path = tmp_path / "leak.csv"
    lines = ["姓名,手机,地址"]
    for i, c in enumerate(PEOPLE):
        national = c.phone[3:]
        phone = f"{national[:3]} {national[3:7]} {national[7:]}" if i % 2 else f"+86-{national}"
        lines.append(f"{c.name},{phone},{c.address}")
    path.write_text("\n".join(lines), encoding="utf-8")
    got = read_all(path)
    assert len(got) == 5 and got[0][0][0] == "姓名"
    for cells, person in zip(got, PEOPLE, strict=True):
        found = extract(cells)
        assert found.phones == [person.phone]
        assert found.addresses == [person.address] and found.names == [person.name]


def test_headerless_tsv_gbk_with_ids_and_emails(tmp_path: Path) -> None:
    """No header, tab-separated, GB 18030 encoded: ID numbers and e-mails by content."""
    path = tmp_path / "leak.txt.csv"
    text = "\n".join(f"{c.name}\t{c.national_id}\t{c.email}" for c in PEOPLE)
    path.write_bytes(text.encode("gb18030"))
    got = read_all(path)
    assert len(got) == 5 and got[0][0][0] == "col1"
    found = extract(got[2])
    assert found.national_ids == [PEOPLE[2].national_id] and found.emails == [PEOPLE[2].email]
    assert not found.phones  # the ID number's digits are not read as a phone


def test_json_array_and_lines(tmp_path: Path) -> None:
    """A JSON array of objects (nested too) and JSON lines give the same rows."""
    records = [{"user": {"tel": c.phone}, "addr": c.address} for c in PEOPLE]
    arr, lines = tmp_path / "a.json", tmp_path / "b.jsonl"
    arr.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    lines.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    a, b = read_all(arr), read_all(lines)
    assert a == b and len(a) == 5
    assert extract(a[1]).phones == [PEOPLE[1].phone] and ("user.tel", PEOPLE[1].phone) in a[1]


def test_xlsx_and_plain_text(tmp_path: Path) -> None:
    """An XLSX workbook and free text lines (split on commas and bars)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "phone", "address"])
    for c in PEOPLE:
        sheet.append([c.name, c.phone[3:], c.address])
    xlsx = tmp_path / "leak.xlsx"
    book.save(xlsx)
    got = read_all(xlsx)
    assert detect(xlsx).file_format == "xlsx" and len(got) == 5
    assert extract(got[4]).phones == [PEOPLE[4].phone]
    txt = tmp_path / "leak.txt"
    txt.write_text("\n\n".join(f"客户 {c.name} | 电话{c.phone[3:]}，{c.address}" for c in PEOPLE))
    got = read_all(txt)
    assert detect(txt).file_format == "text" and len(got) == 5
    found = extract(got[0])
    assert found.phones == [PEOPLE[0].phone] and found.addresses == [PEOPLE[0].address]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "binary"),
        (bytes(range(1, 32)) * 200, "binary"),
        (b"\xff\xfe\xfd" * 1000, "neither UTF-8"),
        (b'[{"a": 1}, {"b": ', "not valid JSON"),
        (b'[{"a": 1}', "not closed"),
        (b"PK\x03\x04not really a zip", "XLSX"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, reason: str) -> None:
    """Empty, binary, undecodable, truncated JSON and a fake XLSX: one clear error each."""
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(LeakFileError, match=reason) as err:
        list(rows(detect(path), **LIMITS))
    assert err.value.field == "file"


def test_limits_and_unknown_format(tmp_path: Path) -> None:
    """Too many rows, an over-long cell, an unknown format and a missing file are refused."""
    path = tmp_path / "x.csv"
    path.write_text("a,b\n" + "1,2\n" * 20)
    with pytest.raises(LeakFileError, match="more than 10 rows"):
        list(rows(detect(path), max_rows=10, max_cell_chars=100))
    path.write_text("a,b\n" + "x" * 500 + ",1\n")
    with pytest.raises(LeakFileError, match=r"longer than 100|field larger"):
        list(rows(detect(path), max_rows=10, max_cell_chars=100))
    with pytest.raises(LeakFileError, match="must be one of"):
        detect(path, "pdf")
    with pytest.raises(LeakFileError, match="does not exist"):
        detect(tmp_path / "missing.csv")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_large_file_is_streamed_in_bounded_memory(tmp_path: Path, fmt: str) -> None:
    """~12 MB of rows pass through the parser with a peak of 0.3 MB traced (measured; the bound
    is 4 MB), where a parser holding the whole file would need at least its 12 MB, three times
    the bound (the file was 24 MB: twice the time for a margin that 12 MB already gives)."""
    path = tmp_path / f"big.{fmt}"
    c = PEOPLE[0]
    with path.open("w", encoding="utf-8") as fh:
        if fmt == "csv":
            fh.write("name,phone,address\n")
            line = f"{c.name},{c.phone},{c.address}\n"
            written = 12_000_000 // len(line.encode())
            for _ in range(written):
                fh.write(line)
        else:
            fh.write("[")
            item = json.dumps({"name": c.name, "phone": c.phone, "address": c.address})
            written = 12_000_000 // (len(item) + 2)
            for i in range(written):
                fh.write(("," if i else "") + item + "\n")
            fh.write("]")
    assert path.stat().st_size > 11_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in rows(detect(path), max_rows=10_000_000, max_cell_chars=4096))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == written  # every row, none lost (62,827 JSON rows, 134,831 CSV)
    assert peak < 4_000_000, peak


def test_unknown_column_names(tmp_path: Path) -> None:
    """Columns named nothing we know still yield phones and addresses by content."""
    path = tmp_path / "odd.csv"
    lines = ["x1,x2,x3"] + [f"{c.phone[3:]},{c.address},whatever" for c in PEOPLE]
    path.write_text("\n".join(lines), encoding="utf-8")
    got = read_all(path)
    assert [cells[0][0] for cells in got] == ["x1"] * 5
    found = extract(got[3])
    assert found.phones == [PEOPLE[3].phone] and found.addresses == [PEOPLE[3].address]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=4), max_size=6))
@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_json_stream_matches_json_loads(tmp_path: Path, records: list[dict[str, object]]) -> None:
    """Decoding in 7-character reads gives the rows a whole-file ``json.loads`` gives."""
    path = tmp_path / "h.json"
    text = json.dumps(records, ensure_ascii=False, indent=1)
    path.write_text(text, encoding="utf-8")
    with patch("shieldwall.trace.attribution.leakparse._READ_CHARS", 7):
        if not records:
            with pytest.raises(LeakFileError):
                read_all(path, "json")
            return
        streamed = [r.cells for r in rows(detect(path, "json"), **LIMITS)]
    assert streamed == [tuple(_json_cells(r)) for r in json.loads(text)]
