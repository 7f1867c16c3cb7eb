"""Real people's area codes through ``shieldwall customers import``: retired codes, codes younger
than their holder, and codes no edition lists (a warning; with strict mode, a rejection).

Check digits are worked out by hand in ``test_gb11643.py`` (same numbers) or beside each row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.clihome import cli_home, run_cli

HEADER = "customer_id,name,phone,email,address,national_id"
REAL = [
    # 邯山区: only the 1980-1982 editions list 132102 (not python-stdnum's table).
    "R1,张建国,13812345001,r1@qq.com,河北省邯郸市邯山区光明路1号,132102195003011234",
    # 通县 until 1997; stdnum dates its code from 1982, this holder was born in 1975.
    "R2,李秀英,13812345002,r2@qq.com,北京市通州区新华大街2号,110223197506150456",
    # 通州区 exists since 1997; its holder was born in 1985 (numbers are issued later in life).
    "R3,王伟,13812345003,r3@qq.com,北京市通州区新华大街3号,110112198511203380",
    # 崇文区, merged into 东城区 in 2010.
    "R4,刘洋,13812345004,r4@qq.com,北京市东城区崇文门外大街4号,110103196202282112",
]
# 110199 is in no edition: 7+9+0+5+72+36+2+9+48+0+0+9+0+5+0+0+2 = 204, 204 mod 11 = 6 -> "6".
UNKNOWN = "U1,陈静,13812345005,u1@qq.com,北京市东城区5号,110199198001010016"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with cli_home(tmp_path, monkeypatch) as h:
        yield h


def _file(tmp_path: Path, rows: list[str]) -> str:
    path = tmp_path / "customers.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def _count(home: Path) -> int:
    with sqlite3.connect(home / "shieldwall.db") as db:
        return int(db.execute("select count(*) from customers").fetchone()[0])


def test_retired_and_younger_area_codes_import(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Codes later editions retired, and codes of counties created after the holder's birth
    year, import without rejection or warning, even in strict mode."""
    code, out, err = run_cli(
        capsys, "customers", "import", _file(tmp_path, REAL), "--strict-area-codes", "--json"
    )
    report = json.loads(out)
    assert code == 0, err
    assert report["imported"] == 4 and report["rejected"] == 0 and report["warnings"] == []
    assert _count(home) == 4


def test_unknown_area_code_is_a_warning(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """By default an area code no edition lists imports, with a warning naming line and field
    but not the number."""
    code, out, err = run_cli(capsys, "customers", "import", _file(tmp_path, [*REAL, UNKNOWN]))
    assert code == 0
    assert "imported 5 of 5 customers; rejected 0" in out
    assert (
        "warning line 6: national_id: starts with an area code no edition of GB/T 2260 lists" in err
    )
    assert "110199" not in err + out
    assert _count(home) == 5


def test_unknown_area_code_rejected_in_strict_mode(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --strict-area-codes the unknown code is a rejected row and nothing is imported."""
    code, out, err = run_cli(
        capsys, "customers", "import", _file(tmp_path, [*REAL, UNKNOWN]), "--strict-area-codes"
    )
    assert code == 1
    assert "rejected line 6: national_id: starts with an area code no edition" in err
    assert "imported nothing: 1 of 5 rows rejected" in out
    assert _count(home) == 0
