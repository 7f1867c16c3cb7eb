"""Files written whole or not at all (shieldwall.core.files)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from shieldwall.core.files import atomic_output, write_atomic


def leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


def test_write_replaces_the_whole_file_with_owner_only_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old, longer than the new content\n")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(tmp_path, {"report.json"}) == []


def test_text_is_utf8_and_bytes_are_kept_as_given(tmp_path: Path) -> None:
    write_atomic(tmp_path / "zh.txt", "张三\n")
    assert (tmp_path / "zh.txt").read_bytes() == "张三\n".encode()
    write_atomic(tmp_path / "raw.bin", b"\x00\xff\r\n")
    assert (tmp_path / "raw.bin").read_bytes() == b"\x00\xff\r\n"


def test_an_error_inside_the_block_leaves_the_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    target.write_text("the old export\n")
    with pytest.raises(RuntimeError), atomic_output(target) as handle:
        handle.write("half of the new export")
        raise RuntimeError("disk full, say")
    assert target.read_text() == "the old export\n"
    assert leftovers(tmp_path, {"export.csv"}) == []


def test_exclusive_never_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "letter.pdf"
    write_atomic(target, b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(target, b"second", exclusive=True)
    assert target.read_bytes() == b"first"
    assert leftovers(tmp_path, {"letter.pdf"}) == []


def test_a_missing_directory_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "x.csv", b"x")
    assert leftovers(tmp_path, set()) == []


def test_parents_creates_the_missing_directories(tmp_path: Path) -> None:
    target = tmp_path / "redacted" / "logs" / "app.log"
    with atomic_output(target, parents=True) as handle:
        handle.write("ok\n")
    assert target.read_text() == "ok\n"
