"""Files written whole or not at all.

Every file shieldwall writes for someone else to read (an export, a report, a key file, a note,
a redacted copy) goes through :func:`atomic_output` or :func:`write_atomic`: the bytes go to a
temporary sibling (``mkstemp``: mode 0600, same directory, so the final step is a rename on one
file system), are flushed and fsynced, and only then become the target, and the directory is
fsynced so that the new name survives a crash. A reader sees the old file or the whole new one;
on any error the temporary file is removed and the target is untouched.

``exclusive=True`` links the temporary file to the target instead of renaming it over: an
existing target is never replaced (``FileExistsError``), for files a user names with ``--out``
where overwriting would destroy something.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_output(
    target: Path,
    *,
    binary: bool = False,
    exclusive: bool = False,
    fsync: bool = True,
    parents: bool = False,
) -> Iterator[IO[Any]]:
    """A file handle whose content becomes ``target`` only if the block finishes
    (``parents``: create the missing directories above it first)."""
    if parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with (
            os.fdopen(fd, "wb")
            if binary
            else os.fdopen(fd, "w", encoding="utf-8", newline="") as handle
        ):
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, target)
        else:
            Path(tmp).replace(target)
    finally:
        Path(tmp).unlink(missing_ok=True)  # after a rename there is nothing left to remove
    if fsync:
        _fsync_directory(target.parent)


def write_atomic(
    path: Path, content: bytes | str, *, exclusive: bool = False, fsync: bool = True
) -> None:
    """Write ``content`` (text as UTF-8) to ``path`` whole or not at all."""
    with atomic_output(
        path, binary=isinstance(content, bytes), exclusive=exclusive, fsync=fsync
    ) as handle:
        handle.write(content)


def _fsync_directory(directory: Path) -> None:
    # Not every file system lets a directory be opened or fsynced; the file itself is durable.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
