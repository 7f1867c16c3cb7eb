"""Import and merge: counts replaced or added, interruptions resumed without double counting."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldwall.guard.passwords import importer as importer_module
from shieldwall.guard.passwords import shardfile
from shieldwall.guard.passwords.corpus import BreachedCorpus
from shieldwall.guard.passwords.errors import ImportFailed
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.importer import CorpusImporter, MergeMode
from shieldwall.guard.passwords.sources import SourceFormat
from tests.unit.guard.passwords.conftest import (
    random_corpus,
    run_import,
    write_ranges,
    write_single,
)


def _all(root: Path, members: dict[bytes, int], kind: HashKind = HashKind.SHA1) -> bool:
    corpus = BreachedCorpus(root, kind)
    try:
        return all(corpus.count_digest(d) == c for d, c in members.items())
    finally:
        corpus.close()


def test_directory_and_single_file_give_the_same_corpus(tmp_path: Path) -> None:
    """Per-prefix range files and one big file import to byte-identical shard contents."""
    members = random_corpus(11, 3000)
    run_import(tmp_path / "a", [(write_ranges(tmp_path / "ranges", members), SourceFormat.HIBP)])
    run_import(tmp_path / "b", [(write_single(tmp_path / "one.txt", members), SourceFormat.HIBP)])
    assert _all(tmp_path / "a", members) and _all(tmp_path / "b", members)
    a = BreachedCorpus(tmp_path / "a", HashKind.SHA1)
    b = BreachedCorpus(tmp_path / "b", HashKind.SHA1)
    for d in list(members)[:50]:
        p = d.hex()[:5]
        assert a.range(p) == b.range(p)


def test_ntlm_corpus(tmp_path: Path) -> None:
    """--ntlm imports 32-hex NTLM hashes into their own corpus."""
    members = random_corpus(12, 2000, HashKind.NTLM)
    members[HashKind.NTLM.digest("password")] = 99
    run_import(
        tmp_path / "c",
        [(write_single(tmp_path / "n.txt", members), SourceFormat.HIBP)],
        kind=HashKind.NTLM,
    )
    assert _all(tmp_path / "c", members, HashKind.NTLM)
    assert BreachedCorpus(tmp_path / "c", HashKind.NTLM).count_password("password") == 99
    assert BreachedCorpus(tmp_path / "c", HashKind.SHA1).count_password("password") == 0


def test_merge_replace_updates_counts_and_adds_hashes(tmp_path: Path) -> None:
    """A newer download replaces counts, adds new hashes and keeps the old ones."""
    old = random_corpus(13, 2000)
    run_import(tmp_path / "c", [(write_single(tmp_path / "v1.txt", old), SourceFormat.HIBP)])
    changed = dict(list(old.items())[:500])
    newer = {d: c + 10 for d, c in changed.items()} | random_corpus(14, 700)
    report = run_import(
        tmp_path / "c", [(write_single(tmp_path / "v2.txt", newer), SourceFormat.HIBP)]
    )
    assert _all(tmp_path / "c", old | newer)
    assert report.hashes_before == 2000 and report.hashes_after == 2700


def test_merge_add_sums_lists_and_duplicates(tmp_path: Path) -> None:
    """Plain lists add up: repeated lines within a list and across merges."""
    (tmp_path / "a.txt").write_text("hunter2\nhunter2\ncorrect horse\n")
    (tmp_path / "b.txt").write_text("hunter2:5\nnew one:2\n")
    run_import(tmp_path / "c", [(tmp_path / "a.txt", SourceFormat.PLAIN)], MergeMode.ADD)
    run_import(tmp_path / "c", [(tmp_path / "b.txt", SourceFormat.PLAIN_COUNTS)], MergeMode.ADD)
    corpus = BreachedCorpus(tmp_path / "c", HashKind.SHA1)
    assert corpus.count_password("hunter2") == 7
    assert corpus.count_password("correct horse") == 1
    assert corpus.count_password("new one") == 2


def test_require_empty(tmp_path: Path) -> None:
    """import refuses a corpus that already has hashes (merge is the command for that)."""
    run_import(
        tmp_path / "c",
        [(write_single(tmp_path / "a.txt", random_corpus(1, 10)), SourceFormat.HIBP)],
    )
    with pytest.raises(ImportFailed, match="use merge"):
        CorpusImporter(tmp_path / "c", HashKind.SHA1, fsync=False).run(
            [(tmp_path / "a.txt", SourceFormat.HIBP)], MergeMode.REPLACE, require_empty=True
        )


def test_strict_mode_stops_at_first_bad_line(tmp_path: Path) -> None:
    """--strict turns the first malformed line into an error naming it."""
    path = tmp_path / "a.txt"
    path.write_text(f"{'A' * 40}:1\nnot a line\n")
    with pytest.raises(ImportFailed, match=r"a\.txt:2"):
        run_import(tmp_path / "c", [(path, SourceFormat.HIBP)], strict=True)


def test_malformed_lines_skipped_and_reported(tmp_path: Path) -> None:
    """Without --strict bad lines are skipped, counted and listed with their numbers."""
    path = tmp_path / "a.txt"
    path.write_text(f"{'A' * 40}:1\nnot a line\n{'B' * 40}:2\n")
    report = run_import(tmp_path / "c", [(path, SourceFormat.HIBP)])
    assert report.malformed == 1 and [str(e) for e in report.errors] == [
        "a.txt:2: expected 40 hex digits, a colon and a count"
    ]
    assert report.hashes_after == 2


class Crash(Exception):
    pass


def test_resume_after_crash_in_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after some shards were written, a re-run finishes with no count added twice."""
    base = random_corpus(21, 3000, shards=8)
    run_import(
        tmp_path / "c",
        [(write_single(tmp_path / "v1.txt", base), SourceFormat.HIBP)],
        MergeMode.ADD,
    )
    extra = dict(list(base.items())[:1500]) | random_corpus(22, 1000)
    source = [(write_single(tmp_path / "v2.txt", extra), SourceFormat.HIBP)]
    real = shardfile.write_atomic
    writes = {"n": 0}

    def failing(path: Path, data: bytes, *, fsync: bool = True) -> None:
        if path.suffix == ".shard":
            writes["n"] += 1
            if writes["n"] == 3:
                raise Crash
        real(path, data, fsync=fsync)

    monkeypatch.setattr(shardfile, "write_atomic", failing)
    with pytest.raises(Crash):
        run_import(tmp_path / "c", source, MergeMode.ADD)
    monkeypatch.setattr(shardfile, "write_atomic", real)
    assert CorpusImporter(tmp_path / "c", HashKind.SHA1).pending() is not None
    report = run_import(tmp_path / "c", source, MergeMode.ADD)
    assert report.resumed
    expected = dict(base)
    for d, c in extra.items():
        expected[d] = expected.get(d, 0) + c
    assert _all(tmp_path / "c", expected)
    assert report.hashes_after == len(expected)
    assert CorpusImporter(tmp_path / "c", HashKind.SHA1).pending() is None
    assert not (tmp_path / "c" / "sha1" / "staging").exists() or not any(
        (tmp_path / "c" / "sha1" / "staging").iterdir()
    )


def test_resume_after_crash_in_scatter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed while reading (after a checkpoint and past it), a re-run reads on exactly once."""
    members = random_corpus(23, 6000)
    source = [(write_single(tmp_path / "in.txt", members), SourceFormat.HIBP)]
    real = CorpusImporter._spill
    calls = {"n": 0}

    def failing(self: CorpusImporter, *args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 7:
            raise Crash
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(CorpusImporter, "_spill", failing)
    with pytest.raises(Crash):
        run_import(
            tmp_path / "c", source, MergeMode.ADD, chunk_bytes=20_000, checkpoint_bytes=50_000
        )
    monkeypatch.setattr(CorpusImporter, "_spill", real)
    journal = CorpusImporter(tmp_path / "c", HashKind.SHA1).pending()
    assert journal is not None and journal["phase"] == "scatter" and journal["position"][0] > 0
    report = run_import(
        tmp_path / "c", source, MergeMode.ADD, chunk_bytes=20_000, checkpoint_bytes=50_000
    )
    assert report.resumed and report.lines == 6000 and report.records == 6000
    assert _all(tmp_path / "c", members) and report.hashes_after == 6000


def test_other_pending_import_blocks_until_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unfinished import of other sources is not silently mixed with a new one."""
    a = write_single(tmp_path / "a.txt", random_corpus(31, 500))
    b = write_single(tmp_path / "b.txt", random_corpus(32, 500))

    def crash(*_: object, **__: object) -> None:
        raise Crash

    monkeypatch.setattr(importer_module.CorpusImporter, "_build", crash)
    with pytest.raises(Crash):
        run_import(tmp_path / "c", [(a, SourceFormat.HIBP)])
    monkeypatch.undo()
    with pytest.raises(ImportFailed, match="unfinished import"):
        run_import(tmp_path / "c", [(b, SourceFormat.HIBP)])
    CorpusImporter(tmp_path / "c", HashKind.SHA1).discard_pending()
    assert run_import(tmp_path / "c", [(b, SourceFormat.HIBP)]).hashes_after == 500
