"""Publishing checkpoints outside the database, and reading them back to verify against.

A checkpoint only protects the log if a copy lives where whoever can write the database cannot
rewrite it. :class:`CheckpointPublisher` is the interface (a NATS JetStream publisher can be
added beside these); :class:`WitnessFile` is the default: an append-only file, one JSON line per
signed note, written with ``O_APPEND`` and fsync. Put it on another volume or host
(``audit.witness_file``) to make it count. :class:`WebhookPublisher` also POSTs each note to
``audit.webhook_url`` when set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import httpx

from shieldwall.audit.checkpoint import CheckpointVerifier
from shieldwall.audit.errors import AuditError, WitnessError
from shieldwall.audit.ports import Checkpoint


class CheckpointPublisher(Protocol):
    """Somewhere outside the database that keeps every checkpoint it is given."""

    name: str

    def publish(self, checkpoint: Checkpoint) -> None:
        """Keep ``checkpoint`` durably; raise :class:`WitnessError` if it could not."""
        ...


class CheckpointWitness(Protocol):
    """A publisher that can also give back what it kept (to verify the log against)."""

    def notes(self) -> list[str]:
        """Every signed note kept, oldest first."""
        ...


class WitnessFile:
    """An append-only file of signed checkpoint notes (JSON lines ``{"note": ...}``)."""

    name = "witness-file"

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = path
        self.fsync = fsync

    def publish(self, checkpoint: Checkpoint) -> None:
        if checkpoint.note is None:
            raise WitnessError("only checkpoints in the signed-note format are published")
        line = json.dumps({"tree_size": checkpoint.tree_size, "note": checkpoint.note})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                # A write torn by a crash leaves a line without its newline: start afresh.
                torn = os.fstat(fd).st_size > 0 and not self._ends_with_newline()
                os.write(fd, (("\n" if torn else "") + line + "\n").encode())
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise WitnessError(f"cannot append to the witness file {self.path}: {exc}") from exc

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"

    def exists(self) -> bool:
        return self.path.is_file()

    def notes(self) -> list[str]:
        """The notes kept, oldest first; a torn line (a crash mid-write) is skipped."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise WitnessError(f"cannot read the witness file {self.path}: {exc}") from exc
        found = []
        for line in text.splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict) and isinstance(doc.get("note"), str):
                found.append(doc["note"])
        return found


class WebhookPublisher:
    """POSTs each checkpoint's signed note (``text/plain``, the C2SP checkpoint as is) to a URL,
    e.g. a witness service or another organisation's collector. The note carries the log's
    Ed25519 signature, so the receiver checks it with the verifier key alone."""

    name = "webhook"

    def __init__(self, url: str, *, timeout: float = 5.0, client: httpx.Client | None = None):
        self.url = url
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def publish(self, checkpoint: Checkpoint) -> None:
        if checkpoint.note is None:
            raise WitnessError("only checkpoints in the signed-note format are published")
        headers = {
            "Content-Type": "text/x.tlog.checkpoint; charset=utf-8",
            "Idempotency-Key": f"checkpoint-{checkpoint.tree_size}",
        }
        try:
            resp = self.client.post(self.url, content=checkpoint.note.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise WitnessError(f"the checkpoint webhook failed: {type(exc).__name__}") from None
        if not 200 <= resp.status_code < 300:
            raise WitnessError(f"the checkpoint webhook answered HTTP {resp.status_code}")


def publish_all(publishers: Sequence[CheckpointPublisher], checkpoint: Checkpoint) -> list[str]:
    """Publish to each; return the failures (``"name: reason"``) instead of stopping at one."""
    failures = []
    for publisher in publishers:
        try:
            publisher.publish(checkpoint)
        except WitnessError as exc:
            failures.append(f"{publisher.name}: {exc.reason}")
    return failures


def witnessed_checkpoints(
    notes: Sequence[str], verifier: CheckpointVerifier
) -> tuple[list[Checkpoint], list[str]]:
    """The witnessed checkpoints whose signature checks out, and a problem for each that does
    not (a forged or corrupted line in the witness is itself a finding)."""
    good, bad = [], []
    for i, text in enumerate(notes):
        try:
            good.append(verifier.open(text))
        except AuditError as exc:
            bad.append(f"witnessed checkpoint #{i + 1} does not verify: {exc.reason}")
    return good, bad
