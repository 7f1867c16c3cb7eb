"""``shieldwall customers import`` on real-world files: byte-order marks, GB 18030/GBK, NUL
characters, oversize fields and empty files, through the real CLI on a fresh SQLite home."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.custody.errors import ValidationError
from shieldwall.custody.importer import parse_customer
from tests.functional.clihome import cli_home, run_cli

HEADER = "customer_id,name,phone,email,address,national_id"
ROWS = [
    "C1,张三,13812345678,c1@qq.com,北京市朝阳区建国路1号,11010519491231002X",
    "C2,李四,13812345679,c2@qq.com,北京市朝阳区建国路2号,",
    "C3,王五,13812345670,c3@qq.com,北京市朝阳区建国路3号,",
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with cli_home(tmp_path, monkeypatch) as h:
        yield h


def _count(home: Path) -> int:
    with sqlite3.connect(home / "shieldwall.db") as db:
        return int(db.execute("select count(*) from customers").fetchone()[0])


def _csv(tmp_path: Path, rows: list[str], *, encoding: str = "utf-8", name: str = "c.csv") -> str:
    path = tmp_path / name
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
    return str(path)


def _jsonl(rows: list[str]) -> str:
    keys = HEADER.split(",")
    return "".join(
        json.dumps({k: v for k, v in zip(keys, r.split(","), strict=True) if v}, ensure_ascii=False)
        + "\n"
        for r in rows
    )


def _revealed_name(capsys: pytest.CaptureFixture[str], customer_id: str) -> str:
    assert run_cli(capsys, "principals", "add", "sec-1", "--role", "admin")[0] == 0
    code, out, err = run_cli(
        capsys,
        *("customers", "reveal", customer_id, "--field", "name", "--as", "sec-1"),
        *("--purpose", "investigation", "--reason", "check how the import decoded names"),
        "--json",
    )
    assert code == 0, err
    return str(json.loads(out)["value"])


def test_utf8_bom_csv_imports(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CSV saved with a UTF-8 byte-order mark (Excel's "CSV UTF-8") imports every row."""
    code, out, err = run_cli(
        capsys, "customers", "import", _csv(tmp_path, ROWS, encoding="utf-8-sig")
    )
    assert code == 0, err
    assert "imported 3 of 3 customers" in out and _count(home) == 3


def test_utf8_bom_jsonl_imports(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON Lines file with a byte-order mark imports every row."""
    path = tmp_path / "c.jsonl"
    path.write_bytes(_jsonl(ROWS).encode("utf-8-sig"))
    code, _out, err = run_cli(capsys, "customers", "import", str(path))
    assert code == 0, err
    assert _count(home) == 3


def test_gb18030_with_encoding_option(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A GB 18030 file imports with --encoding gb18030, a four-byte character intact; read as
    UTF-8 it is refused with a hint and nothing is written."""
    rows = [ROWS[0].replace("张三", "张𠮷"), *ROWS[1:]]  # U+20BB7: GB 18030, not GBK
    path = _csv(tmp_path, rows, encoding="gb18030")
    code, _, err = run_cli(capsys, "customers", "import", path)
    assert code == 1 and "is not UTF-8 text (pass --encoding gb18030" in err
    assert _count(home) == 0
    code, _out, err = run_cli(capsys, "customers", "import", path, "--encoding", "gb18030")
    assert code == 0, err
    assert _count(home) == 3
    assert _revealed_name(capsys, "C1") == "张𠮷"


def test_gbk_with_encoding_option(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A GBK file (with a GB 18030 byte-order mark) imports with --encoding gbk."""
    raw = ("\n".join([HEADER, *ROWS]) + "\n").encode("gbk")
    path = tmp_path / "gbk.csv"
    path.write_bytes(raw)
    code, _, err = run_cli(capsys, "customers", "import", str(path), "--encoding", "GBK")
    assert code == 0, err
    assert _revealed_name(capsys, "C1") == "张三"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(
        "\ufeff".encode("gb18030") + "\n".join([HEADER, "C9" + ROWS[0][2:]]).encode("gbk")
    )
    code, _, err = run_cli(capsys, "customers", "import", str(bom), "--encoding", "gb18030")
    assert code == 0, err


def test_unknown_encoding_is_refused(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An encoding other than utf-8, gb18030 or gbk is a one-line error."""
    code, _, err = run_cli(
        capsys, "customers", "import", _csv(tmp_path, ROWS), "--encoding", "latin-1"
    )
    assert code == 1 and err.strip() == "error: encoding: must be utf-8, gb18030 or gbk"


def test_nul_byte_rejects_the_import_with_its_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A NUL inside a field is reported with line and field and nothing is imported; with
    --partial the other rows import and the NUL row does not."""
    rows = [ROWS[0], ROWS[1].replace("李四", "李\x00四"), ROWS[2]]
    path = _csv(tmp_path, rows)
    code, out, err = run_cli(capsys, "customers", "import", path)
    assert code == 1
    assert "rejected line 3: name: contains a NUL character" in err
    assert "imported nothing: 1 of 3 rows rejected" in out
    assert _count(home) == 0
    code, out, err = run_cli(capsys, "customers", "import", path, "--partial", "--json")
    report = json.loads(out)
    assert code == 1 and report["imported"] == 2
    assert report["errors"] == [
        {"line": 3, "field": "name", "code": "nul_byte", "reason": "contains a NUL character"}
    ]
    assert _count(home) == 2


def test_nul_byte_in_jsonl_and_api_rows() -> None:
    """The row parser shared by files and the HTTP import refuses NUL in any field, nested too."""
    row = {"customer_id": "C1", "name": "张三", "phone": "13812345678", "email": "a@qq.com\x00"}
    with pytest.raises(ValidationError) as err:
        parse_customer(row, region="CN", strict_region=False)
    assert err.value.field == "email" and err.value.code == "nul_byte"


@pytest.mark.parametrize("partial", [False, True])
def test_ten_megabyte_field_is_one_line_error(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], partial: bool
) -> None:
    """A 10 MB field gives one line on stderr naming its line, exit 1, and writes nothing,
    also with --partial."""
    rows = [ROWS[0], ROWS[1].replace("李四", "李" * 10_000_000), ROWS[2]]
    args = ["customers", "import", _csv(tmp_path, rows)] + (["--partial"] if partial else [])
    code, out, err = run_cli(capsys, *args)
    assert code == 1
    assert err.strip() == "error: file: line 3: longer than 1048576 characters; nothing imported"
    assert "Traceback" not in out + err
    assert _count(home) == 0


def test_field_over_the_field_limit_is_one_line_error(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 200,000-character field (under the line limit) names its line too, in CSV and JSONL."""
    rows = [ROWS[0], ROWS[1], ROWS[2].replace("王五", "王" * 200_000)]
    code, _, err = run_cli(capsys, "customers", "import", _csv(tmp_path, rows))
    assert code == 1 and err.strip() == (
        "error: file: line 4: a field is longer than 131072 characters; nothing imported"
    )
    path = tmp_path / "c.jsonl"
    path.write_text(_jsonl(rows), encoding="utf-8")
    code, _, err = run_cli(capsys, "customers", "import", str(path), "--partial")
    assert code == 1 and err.strip() == (
        "error: file: line 3: a field is longer than 131072 characters; nothing imported"
    )
    assert _count(home) == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.csv", b""), ("header.csv", (HEADER + "\n").encode()), ("blank.jsonl", b"\n\n")],
)
def test_empty_file_exits_non_zero(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes
) -> None:
    """A file without a single row (no bytes, a header only, blank lines) is an error."""
    path = tmp_path / name
    path.write_bytes(content)
    code, _, err = run_cli(capsys, "customers", "import", str(path))
    assert code == 1 and err.strip() == "error: file: has no rows; nothing imported"
