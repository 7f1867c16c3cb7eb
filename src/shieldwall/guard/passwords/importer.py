"""Corpus import and merge: resumable, atomic per shard, exact.

An import runs in two phases, both recorded in a journal (``<root>/<kind>/import.journal``):

1. **scatter**: the sources are parsed chunk by chunk and each record (full digest, count) is
   appended to one of 256 spill files chosen by the digest's first byte. Every
   ``checkpoint_bytes`` the spill files are fsynced and the journal records the input position
   and the spill sizes. A re-run truncates the spills to those sizes and reads on from there.
2. **build**: for each spill file, its 16 shards are rebuilt: the shard's current records and the
   new ones are sorted, equal digests merged (counts summed within the import; against the
   corpus either replaced, for a newer HIBP download whose counts are totals, or added, for
   password lists), encoded and written atomically. Every shard written carries the import's
   id, so a re-run skips the shards already done even if the journal missed their completion.

At the end the manifest is rewritten and the journal and spills removed. One import runs at a
time per corpus (an exclusive lock on ``<root>/<kind>/.lock``).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import numpy.typing as npt

from shieldwall.guard.passwords import shardfile
from shieldwall.guard.passwords.corpus import (
    MANIFEST,
    kind_dir,
    read_manifest,
    shard_path,
)
from shieldwall.guard.passwords.errors import CorpusCorrupt, ImportFailed
from shieldwall.guard.passwords.formats import MergeMode, SourceFormat
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.shardfile import (
    HEADER,
    MAX_COUNT,
    SHARDS,
    Shard,
    encode_shard,
    parse_header,
    shard_name,
)
from shieldwall.guard.passwords.sources import LineError, Position, Source

JOURNAL = "import.journal"
GROUPS = 256  # spill files, by first digest byte; 16 shards each


class Progress(Protocol):
    """Where long work reports its advance (the CLI shows a Rich progress bar)."""

    def phase(self, name: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


@dataclass
class ImportReport:
    import_id: str
    kind: HashKind
    mode: MergeMode
    resumed: bool
    lines: int = 0
    records: int = 0
    malformed: int = 0
    errors: list[LineError] = field(default_factory=list)
    hashes_before: int = 0
    hashes_after: int = 0
    shards_written: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "kind": self.kind.value,
            "mode": self.mode.value,
            "resumed": self.resumed,
            "lines": self.lines,
            "records": self.records,
            "malformed": self.malformed,
            "errors": [str(e) for e in self.errors],
            "hashes_before": self.hashes_before,
            "hashes_after": self.hashes_after,
            "shards_written": self.shards_written,
            "seconds": round(self.seconds, 3),
        }


class CorpusImporter:
    """Imports sources into the corpus of one hash kind under ``root``."""

    def __init__(
        self,
        root: Path,
        kind: HashKind,
        *,
        progress: Progress | None = None,
        fsync: bool = True,
        chunk_bytes: int = 16 << 20,
        checkpoint_bytes: int = 256 << 20,
        strict: bool = False,
        max_reported_errors: int = 100,
    ) -> None:
        self.root = root
        self.kind = kind
        self.dir = kind_dir(root, kind)
        self.progress = progress or NoProgress()
        self.fsync = fsync
        self.chunk_bytes = chunk_bytes
        self.checkpoint_bytes = checkpoint_bytes
        self.strict = strict
        self.max_reported_errors = max_reported_errors
        self._record = np.dtype([("d", np.uint8, (kind.digest_size,)), ("c", "<u8")])

    # -- public --------------------------------------------------------------------------------

    def pending(self) -> dict[str, Any] | None:
        """The journal of an unfinished import, if there is one."""
        path = self.dir / JOURNAL
        if not path.exists():
            return None
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ImportFailed(f"the import journal {path} is unreadable: {exc}") from exc
        return data

    def discard_pending(self) -> None:
        """Forget an unfinished import (shards it already rewrote stay as they are)."""
        with self._locked():
            shutil.rmtree(self.dir / "staging", ignore_errors=True)
            (self.dir / JOURNAL).unlink(missing_ok=True)

    def run(
        self,
        sources: Sequence[tuple[Path, SourceFormat]],
        mode: MergeMode,
        *,
        require_empty: bool = False,
    ) -> ImportReport:
        """Import ``sources`` (or finish the interrupted import of exactly these sources)."""
        if not sources:
            raise ImportFailed("no source given", field="source")
        opened = [Source(path, fmt, self.kind) for path, fmt in sources]
        started = time.perf_counter()
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            journal = self.pending()
            fingerprints = [s.fingerprint() for s in opened]
            if journal is not None:
                if journal["sources"] != fingerprints or journal["mode"] != mode.value:
                    raise ImportFailed(
                        "an unfinished import of other sources (or another mode) is pending;"
                        " re-run it to finish, or discard it (--restart)"
                    )
                resumed = True
            else:
                before = int(read_manifest(self.root, self.kind).get("hashes", 0))
                if require_empty and before:
                    raise ImportFailed(
                        f"the {self.kind} corpus already holds {before} hashes; use merge"
                    )
                journal = {
                    "import_id": uuid.uuid4().hex,
                    "kind": self.kind.value,
                    "mode": mode.value,
                    "sources": fingerprints,
                    "phase": "scatter",
                    "source_index": 0,
                    "position": [0, 1],
                    "spill_sizes": [0] * GROUPS,
                    "lines": 0,
                    "records": 0,
                    "malformed": 0,
                    "errors": [],
                    "hashes_before": before,
                }
                self._save(journal)
                resumed = False
            report = ImportReport(journal["import_id"], self.kind, mode, resumed)
            if journal["phase"] == "scatter":
                self._scatter(opened, journal)
            self._build(journal, mode, report)
            self._finish(journal, report)
        report.lines = journal["lines"]
        report.records = journal["records"]
        report.malformed = journal["malformed"]
        report.errors = [LineError(e[0], e[1], e[2]) for e in journal["errors"]]
        report.hashes_before = journal["hashes_before"]
        report.seconds = time.perf_counter() - started
        return report

    # -- phase 1: scatter ----------------------------------------------------------------------

    def _scatter(self, sources: list[Source], journal: dict[str, Any]) -> None:
        staging = self._staging(journal)
        staging.mkdir(parents=True, exist_ok=True)
        sizes: list[int] = journal["spill_sizes"]
        spills: list[BinaryIO] = []
        try:
            for g in range(GROUPS):
                path = staging / f"{g:02X}.spill"
                with path.open("ab") as tail:
                    tail.truncate(sizes[g])  # drop what was written after the last checkpoint
                spills.append(path.open("ab"))
            total = sum(s.size for s in sources)
            done = sum(s.size for s in sources[: journal["source_index"]])
            self.progress.phase("read", total)
            first = journal["source_index"]
            if first < len(sources) and not sources[first].is_directory:
                done += journal["position"][0]
            self.progress.advance(done)
            since = 0
            for si in range(journal["source_index"], len(sources)):
                src = sources[si]
                start = (
                    Position(*journal["position"]) if si == journal["source_index"] else Position()
                )
                for chunk in src.chunks(start, self.chunk_bytes):
                    self._note_errors(journal, chunk.parsed.errors)
                    self._spill(chunk.parsed.digests, chunk.parsed.counts, spills, sizes)
                    journal["lines"] += chunk.parsed.lines
                    journal["records"] += len(chunk.parsed.counts)
                    journal["source_index"] = si
                    journal["position"] = [chunk.next.index, chunk.next.line]
                    since += chunk.consumed_bytes
                    self.progress.advance(chunk.consumed_bytes)
                    if since >= self.checkpoint_bytes:
                        self._checkpoint(spills, journal)
                        since = 0
                journal["source_index"] = si + 1
                journal["position"] = [0, 1]
            journal["phase"] = "build"
            self._checkpoint(spills, journal)
        finally:
            for spill in spills:
                spill.close()

    def _note_errors(self, journal: dict[str, Any], errors: list[LineError]) -> None:
        if not errors:
            return
        if self.strict:
            first = errors[0]
            raise ImportFailed(f"malformed input at {first} (strict mode stops at the first)")
        journal["malformed"] += len(errors)
        room = self.max_reported_errors - len(journal["errors"])
        journal["errors"].extend([e.source, e.line, e.reason] for e in errors[: max(room, 0)])

    def _spill(
        self,
        digests: npt.NDArray[np.uint8],
        counts: npt.NDArray[np.uint64],
        spills: list[BinaryIO],
        sizes: list[int],
    ) -> None:
        if not len(counts):
            return
        records = np.empty(len(counts), dtype=self._record)
        records["d"] = digests
        records["c"] = counts
        order = np.argsort(digests[:, 0], kind="stable")
        records = records[order]
        bounds = np.searchsorted(records["d"][:, 0], np.arange(GROUPS + 1), side="left")
        for g in np.flatnonzero(np.diff(bounds)).tolist():
            data = records[bounds[g] : bounds[g + 1]].tobytes()
            spills[g].write(data)
            sizes[g] += len(data)

    def _checkpoint(self, spills: list[BinaryIO], journal: dict[str, Any]) -> None:
        for fh in spills:
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        self._save(journal)

    # -- phase 2: build ------------------------------------------------------------------------

    def _build(self, journal: dict[str, Any], mode: MergeMode, report: ImportReport) -> None:
        staging = self._staging(journal)
        import_id = bytes.fromhex(journal["import_id"])
        self.progress.phase("build", GROUPS)
        for g in range(GROUPS):
            path = staging / f"{g:02X}.spill"
            if journal["spill_sizes"][g]:
                records = np.fromfile(path, dtype=self._record)
                digests, counts = records["d"], records["c"]
                shard_of = (digests[:, 0].astype(np.int64) << 4) | (digests[:, 1] >> 4)
                for shard in range(g * 16, g * 16 + 16):
                    mine = shard_of == shard
                    if mine.any():
                        report.shards_written += self._build_shard(
                            shard, digests[mine], counts[mine], mode, import_id
                        )
            self.progress.advance(1)

    def _build_shard(
        self,
        shard: int,
        digests: npt.NDArray[np.uint8],
        counts: npt.NDArray[np.uint64],
        mode: MergeMode,
        import_id: bytes,
    ) -> int:
        path = shard_path(self.root, self.kind, shard)
        digests, counts = _sum_duplicates(digests, counts)
        if path.exists():
            with path.open("rb") as fh:
                head = fh.read(HEADER.size)
            if parse_header(head, f"shard {path.name}").import_id == import_id:
                return 0  # written by this import before an interruption
            old = Shard(path, self.kind, shard, verify=True)
            try:
                old_d, old_c = old.decode()
            finally:
                old.close()
            digests, counts = _merge(old_d, old_c, digests, counts, mode)
        shardfile.write_atomic(
            path, encode_shard(self.kind, shard, digests, counts, import_id), fsync=self.fsync
        )
        return 1

    def _finish(self, journal: dict[str, Any], report: ImportReport) -> None:
        manifest = read_manifest(self.root, self.kind)
        shards: dict[str, int] = {}
        for number in range(SHARDS):
            path = shard_path(self.root, self.kind, number)
            if path.exists():
                with path.open("rb") as fh:
                    shards[shard_name(number)] = parse_header(fh.read(HEADER.size), path.name).n
            elif shard_name(number) in manifest["shards"]:
                raise CorpusCorrupt(f"shard {path.name} is listed but missing")
        manifest["shards"] = shards
        manifest["hashes"] = sum(shards.values())
        manifest["imports"].append(
            {
                "import_id": journal["import_id"],
                "mode": journal["mode"],
                "sources": journal["sources"],
                "records": journal["records"],
                "malformed": journal["malformed"],
                "hashes_after": manifest["hashes"],
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )
        shardfile.write_atomic(
            self.dir / MANIFEST,
            json.dumps(manifest, indent=1, sort_keys=True).encode(),
            fsync=self.fsync,
        )
        report.hashes_after = manifest["hashes"]
        shutil.rmtree(self._staging(journal), ignore_errors=True)
        (self.dir / JOURNAL).unlink(missing_ok=True)

    # -- helpers -------------------------------------------------------------------------------

    def _staging(self, journal: dict[str, Any]) -> Path:
        return self.dir / "staging" / str(journal["import_id"])

    def _save(self, journal: dict[str, Any]) -> None:
        shardfile.write_atomic(self.dir / JOURNAL, json.dumps(journal).encode(), fsync=self.fsync)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / ".lock").open("a") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ImportFailed(
                    f"another import into the {self.kind} corpus is running"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# -- sorting and merging ----------------------------------------------------------------------


def _sort_keys(digests: npt.NDArray[np.uint8]) -> list[npt.NDArray[Any]]:
    """Big-endian integer columns of the digests, least significant first (for lexsort)."""
    width = digests.shape[1]
    cols = []
    for a in range(0, width, 8):
        b = min(a + 8, width)
        part = np.zeros((len(digests), 8), dtype=np.uint8)
        part[:, 8 - (b - a) :] = digests[:, a:b]
        cols.append(part.view(">u8").ravel())
    return cols[::-1]


def _group_starts(digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """For sorted digests: True where a digest differs from the one before."""
    first = np.ones(len(digests), dtype=bool)
    if len(digests) > 1:
        first[1:] = np.any(digests[1:] != digests[:-1], axis=1)
    return first


def _saturating_sum(
    counts: npt.NDArray[np.uint64], starts: npt.NDArray[np.intp]
) -> npt.NDArray[np.uint64]:
    sums = np.add.reduceat(counts, starts)
    if len(counts) and int(counts.max()) > MAX_COUNT // max(len(counts), 1):
        approx = np.add.reduceat(counts.astype(np.float64), starts)
        sums = np.where(approx >= MAX_COUNT, np.uint64(MAX_COUNT), sums)
    return sums


def _sum_duplicates(
    digests: npt.NDArray[np.uint8], counts: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64]]:
    order = np.lexsort(_sort_keys(digests))
    digests, counts = digests[order], counts[order]
    starts = np.flatnonzero(_group_starts(digests))
    return np.ascontiguousarray(digests[starts]), _saturating_sum(counts, starts)


def _merge(
    old_d: npt.NDArray[np.uint8],
    old_c: npt.NDArray[np.uint64],
    new_d: npt.NDArray[np.uint8],
    new_c: npt.NDArray[np.uint64],
    mode: MergeMode,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64]]:
    """Union of two sorted unique sets; equal digests take the new count or the sum."""
    digests = np.concatenate([old_d, new_d])
    counts = np.concatenate([old_c, new_c])
    newer = np.concatenate([np.zeros(len(old_c), bool), np.ones(len(new_c), bool)])
    order = np.lexsort([newer, *_sort_keys(digests)])
    digests, counts, newer = digests[order], counts[order], newer[order]
    first = _group_starts(digests)
    starts = np.flatnonzero(first)
    if mode is MergeMode.ADD:
        merged = _saturating_sum(counts, starts)
    else:
        ends = np.append(starts[1:], len(counts)) - 1
        merged = counts[ends]  # the newer record sorts last within its group
    return np.ascontiguousarray(digests[starts]), merged
