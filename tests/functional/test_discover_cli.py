"""``shieldwall discover scan`` through the real CLI: every file kind, redaction, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from shieldwall.cli import common
from shieldwall.cli.app import main

ID = "11010519491231002X"  # GB 11643-1999's own example
MOBILE = "13800138000"
CARD = "6200000000000005"  # Stripe's UnionPay test card


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scanning needs no store; a fresh home keeps the CLI's caches clean."""
    monkeypatch.setenv("SHIELDWALL_HOME", str(tmp_path / "home"))
    common.settings.cache_clear()
    common.services.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]], str]:
    code = main(["discover", "scan", "--json", *args])
    out = capsys.readouterr()
    return code, [json.loads(line) for line in out.out.splitlines() if line], out.err


def no_plaintext(text: str) -> None:
    for value in (ID, MOBILE, CARD, "张伟", "文三路90号"):
        assert value not in text


def test_log_file_lines_columns_and_masks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log: each value at its line and column, masked; plaintext appears nowhere in output."""
    log = tmp_path / "app.log"
    log.write_text(
        f"2026-03-01 INFO order ok\n2026-03-01 WARN user phone={MOBILE} id={ID}\n",
        encoding="utf-8",
    )
    code, rows, err = run(capsys, str(log))
    assert code == 0
    hits = [r for r in rows if "type" in r]
    assert [(h["line"], h["column"], h["type"], h["masked"]) for h in hits] == [
        (2, 28, "phone", "138****8000"),  # "2026-03-01 WARN user phone=" is 27 characters
        (2, 43, "national_id", "110105********002X"),
    ]
    assert rows[-1]["summary"]["found"] == {str(log): {"phone": 1, "national_id": 1}}  # type: ignore[index]
    no_plaintext(json.dumps(rows, ensure_ascii=False) + err)


def test_value_across_the_read_chunk_boundary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An ID number straddling the 65,536th character of a big log is found once, exactly."""
    filler = ("x" * 99 + "\n") * 655  # 65,500 characters
    log = tmp_path / "big.log"
    log.write_text(filler + "a" * 30 + " " + ID + " tail\n" + filler, encoding="utf-8")
    code, rows, _ = run(capsys, str(log))
    hits = [r for r in rows if "type" in r]
    assert code == 0
    assert [(h["line"], h["column"], h["type"]) for h in hits] == [(656, 32, "national_id")]


def test_csv_header_as_context_and_redacted_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 姓名 column makes its cells names; the redacted copy keeps structure, drops values."""
    src = tmp_path / "export.csv"
    src.write_text(
        f"姓名,电话,卡号,地址\n张伟,{MOBILE},{CARD},浙江省杭州市西湖区文三路90号\n",
        encoding="utf-8",
    )
    out = tmp_path / "clean.csv"
    code, rows, _ = run(capsys, str(src), "--redact", str(out))
    assert code == 0
    hits = {(h["row"], h["column"], h["type"]) for h in rows if "type" in h}
    assert hits == {(2, "姓名", "name"), (2, "电话", "phone"), (2, "卡号", "bank_card"),
                    (2, "地址", "address")}  # fmt: skip
    copy = out.read_text(encoding="utf-8")
    assert copy.splitlines() == ["姓名,电话,卡号,地址", "[name],[phone],[bank_card],[address]"]
    assert list(tmp_path.glob(".*part")) == []


def test_xlsx_cells_and_redacted_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workbook written by openpyxl: a phone stored as a number is found at its cell, and the
    redacted workbook opens in openpyxl without any of the values."""
    src = tmp_path / "partners.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "发货"
    sheet.append(["收件人", "手机", "备注"])
    sheet.append(["张伟", int(MOBILE), f"身份证 {ID}"])
    book.save(src)
    out = tmp_path / "redacted.xlsx"
    code, rows, _ = run(capsys, str(src), "--redact", str(out))
    assert code == 0
    hits = {(h["sheet"], h["cell"], h["type"]) for h in rows if "type" in h}
    assert hits == {("发货", "A2", "name"), ("发货", "B2", "phone"), ("发货", "C2", "national_id")}
    copy = load_workbook(out)
    values = [[c.value for c in row] for row in copy["发货"].iter_rows()]
    assert values[1] == ["[name]", "[phone]", "身份证 [national_id]"]


def test_json_lines_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON lines: nested values are named by JSON path; keys are context; a redacted copy
    parses back as JSON with the same keys."""
    src = tmp_path / "events.jsonl"
    records = [
        {"event": "login", "user": {"phone": int(MOBILE)}},
        {"event": "ticket", "notes": ["ok", f"客户证件号 {ID}"], "联系人": "王芳"},
    ]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", "utf-8")
    out = tmp_path / "clean.jsonl"
    code, rows, _ = run(capsys, str(src), "--redact", str(out))
    assert code == 0
    hits = [(h["line"], h["path"], h["type"]) for h in rows if "type" in h]
    assert hits == [
        (1, "$.user.phone", "phone"),
        (2, "$.notes[1]", "national_id"),
        (2, '$["联系人"]', "name"),
    ]
    copies = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert copies[0] == {"event": "login", "user": {"phone": "[phone]"}}
    assert copies[1]["联系人"] == "[name]"


def test_directory_and_gb18030(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory is scanned file by file; --encoding reads a GB 18030 file."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(f"电话 {MOBILE}", encoding="gb18030")
    code, rows, _ = run(capsys, str(folder), "--encoding", "gb18030")
    assert code == 0 and [r["type"] for r in rows if "type" in r] == ["phone"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("latin.txt", "电话 13800138000".encode("gb18030"), "not valid utf-8"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable XLSX"),
        ("bad.jsonl", b'{"a": 1}\n{"b": \n', "line 2 is not JSON"),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    """Wrong encoding, corrupt XLSX, broken JSON line: exit 1, one line on stderr naming the
    file, and no redacted copy (not even a partial one) left behind."""
    src = tmp_path / name
    src.write_bytes(content)
    out = tmp_path / "out" / name
    code = main(["discover", "scan", str(src), "--redact", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and message in err and name in err
    assert not out.exists() and list((tmp_path / "out").glob("*")) == []
    no_plaintext(err)


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["discover", "scan", str(tmp_path / "nope.csv")])
    err = capsys.readouterr().err
    assert code == 1 and "no such file" in err


def test_redact_onto_an_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "a.txt"
    src.write_text(f"电话 {MOBILE}", encoding="utf-8")
    code = main(["discover", "scan", str(src), "--redact", str(src)])
    assert code == 2 and src.read_text(encoding="utf-8") == f"电话 {MOBILE}"
