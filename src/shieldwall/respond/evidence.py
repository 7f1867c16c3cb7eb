"""Evidence with a chain of custody: sealed at receipt, hashed at receipt, every access audited.

An item's bytes are stored only as an AES-256-GCM token made with custody's field recipe
(:func:`shieldwall.custody.crypto.encrypt_field`) under the keyring's stable secret for
``respond.evidence``; the :class:`~shieldwall.custody.crypto.FieldContext` binds tenant, table,
field and ``<case id>/<evidence id>`` as associated data, so a sealed item copied onto another
item or case does not open. The SHA-256 of the bytes as received is recorded with the item and
in its receipt's audit entry (the log is tamper-evident): whoever later holds the bytes can show
they are those received. Each read and each export opens the item, checks it still hashes as at
receipt, and is an audit entry and a timeline entry (who, when, the reason's length, never its
text); only admins open evidence, and only with a reason.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from pathlib import PurePath

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shieldwall.core.clock import Clock
from shieldwall.core.events import Action
from shieldwall.core.ids import new_id
from shieldwall.core.model import Principal, Role
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.custody.crypto import FieldContext, decrypt_field, encrypt_field
from shieldwall.custody.errors import InvalidCiphertext
from shieldwall.custody.policy import REASON_MAX, REASON_MIN, reason_ok
from shieldwall.custody.ports import OutboxAuditSink
from shieldwall.respond.case_model import EvidenceKind, EvidenceRecord
from shieldwall.respond.case_ports import CaseStore, CaseTx
from shieldwall.respond.cases import case_event, valid_id
from shieldwall.respond.errors import (
    CaseInvalid,
    CaseNotFound,
    EvidenceCorrupt,
    EvidenceDenied,
    EvidenceTooLarge,
)

PURPOSE = "respond.evidence"
TABLE = "respond_evidence"
KEY_VERSION = 1
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+\-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+\-]{0,62}$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


class EvidenceCipher:
    """Seals and opens evidence bytes, bound to the case and the item; ``secret`` is the
    keyring's stable secret for :data:`PURPOSE`."""

    def __init__(self, secret: bytes, tenant: str) -> None:
        self._key = AESGCM(secret)
        self._tenant = tenant

    def _context(self, case_id: str, evidence_id: str) -> FieldContext:
        return FieldContext(self._tenant, TABLE, "content", f"{case_id}/{evidence_id}")

    def seal(self, case_id: str, evidence_id: str, data: bytes) -> bytes:
        return encrypt_field(self._key, KEY_VERSION, self._context(case_id, evidence_id), data)

    def open(self, case_id: str, evidence_id: str, token: bytes) -> bytes:
        """The bytes; :class:`EvidenceCorrupt` if the token was altered or moved."""
        try:
            return decrypt_field(self._key_for, self._context(case_id, evidence_id), token)
        except InvalidCiphertext:
            raise EvidenceCorrupt(
                f"evidence {evidence_id} does not open (altered or moved)", field="evidence_id"
            ) from None

    def _key_for(self, version: int) -> AESGCM:
        if version != KEY_VERSION:
            raise LookupError(version)
        return self._key


def suffix_of(name: str | None) -> str:
    """The file suffix an item keeps (``.csv``, ``.png``), lower-cased; '' when the name has
    none that is 1-8 letters or digits. The name itself is not kept (it may name a person)."""
    if not name:
        return ""
    suffix = PurePath(name.replace("\\", "/")).suffix.lower()
    return suffix if _SUFFIX.fullmatch(suffix) else ""


def parse_kind(value: str) -> EvidenceKind:
    try:
        return EvidenceKind(value)
    except ValueError:
        options = ", ".join(k.value for k in EvidenceKind)
        raise CaseInvalid(f"unknown kind; expected one of {options}", field="kind") from None


@dataclass(frozen=True, slots=True)
class OpenedEvidence:
    """An item opened for an audited access: its record, its bytes, and the access's audit
    entry (``access_seq``; None if another process logged it first)."""

    record: EvidenceRecord
    content: bytes
    access_seq: int | None


class EvidenceLocker:
    """Receives, lists and opens evidence; keeps the chain of custody."""

    def __init__(
        self,
        store: CaseStore,
        cipher: EvidenceCipher,
        audit: OutboxAuditSink,
        clock: Clock,
        *,
        max_bytes: int,
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.audit = audit
        self.clock = clock
        self.max_bytes = max_bytes

    def add(
        self,
        case_id: str,
        content: bytes,
        *,
        kind: str,
        media_type: str = "application/octet-stream",
        name: str | None = None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> EvidenceRecord:
        """Receive an item: hash it, seal it, record it and its receipt's audit entry in one
        transaction; return the record with the receipt's audit seq."""
        evidence_kind = parse_kind(kind)
        media = media_type.strip().lower()
        if not _MEDIA_TYPE.fullmatch(media):
            raise CaseInvalid("is not a media type (type/subtype)", field="media_type")
        if not content:
            raise CaseInvalid("the evidence is empty", field="content")
        if len(content) > self.max_bytes:
            raise EvidenceTooLarge(f"evidence exceeds {self.max_bytes} bytes", field="content")
        case_id = valid_id(case_id, "case_id")
        evidence_id = new_id("ev")
        now = self.clock.now()
        record = EvidenceRecord(
            evidence_id,
            case_id,
            evidence_kind,
            media,
            suffix_of(name),
            len(content),
            hashlib.sha256(content).hexdigest(),
            actor.principal_id,
            now,
        )
        sealed = self.cipher.seal(case_id, evidence_id, content)
        detail = {
            "evidence": evidence_id,
            "kind": evidence_kind.value,
            "media_type": media,
            "sha256": record.sha256,
            "size": str(record.size),
        }
        with self.store.write() as tx:
            _require_case(tx, case_id)
            tx.insert_evidence(record, sealed)
            tx.add_timeline(case_id, now, actor.principal_id, "evidence_received", detail)
            staged = tx.stage_audit(
                [
                    case_event(
                        now,
                        actor,
                        Action.EVIDENCE,
                        "evidence_received",
                        channel=channel,
                        case_id=case_id,
                        extra=detail,
                    )
                ]
            )
        (seq,) = self.audit.log_staged(staged)
        if seq is None:
            return record  # logged by another process's start-up flush: found at export
        with self.store.write() as tx:
            tx.set_receipt_seq(evidence_id, seq)
        return replace(record, receipt_seq=seq)

    def items(self, case_id: str) -> list[EvidenceRecord]:
        """A case's evidence records (metadata only: nothing is opened, nothing audited)."""
        with self.store.read() as tx:
            _require_case(tx, valid_id(case_id, "case_id"))
            return tx.evidence(case_id)

    def read(
        self,
        case_id: str,
        evidence_id: str,
        *,
        reason: str | None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> OpenedEvidence:
        """Open one item for ``actor`` (an admin, with a reason); the access is audited."""
        return self._open(case_id, [evidence_id], reason, actor, channel, "evidence_read")[0]

    def export(
        self,
        case_id: str,
        *,
        reason: str | None,
        export_id: str,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> list[OpenedEvidence]:
        """Open every item of a case for an export (one audit entry per item)."""
        with self.store.read() as tx:
            _require_case(tx, valid_id(case_id, "case_id"))
            ids = [r.evidence_id for r in tx.evidence(case_id)]
        if not ids:
            raise CaseInvalid(f"case {case_id} has no evidence to export", field="case_id")
        return self._open(case_id, ids, reason, actor, channel, "evidence_exported", export_id)

    def _open(
        self,
        case_id: str,
        evidence_ids: list[str],
        reason: str | None,
        actor: Principal,
        channel: str,
        what: str,
        export_id: str | None = None,
    ) -> list[OpenedEvidence]:
        if actor.role is not Role.ADMIN:
            raise EvidenceDenied("only admins open evidence", ["role_not_allowed"])
        if not reason_ok(reason):
            raise EvidenceDenied(
                f"opening evidence needs a reason of {REASON_MIN}-{REASON_MAX} characters",
                ["reason_required"],
                field="reason",
            )
        case_id = valid_id(case_id, "case_id")
        opened: list[tuple[EvidenceRecord, bytes]] = []
        with self.store.read() as tx:
            _require_case(tx, case_id)
            for evidence_id in evidence_ids:
                found = tx.sealed_evidence(case_id, valid_id(evidence_id, "evidence_id"))
                if found is None:
                    raise CaseNotFound(
                        f"no evidence {evidence_id} in {case_id}", field="evidence_id"
                    )
                record, sealed = found
                content = self.cipher.open(case_id, record.evidence_id, sealed)
                digest = hashlib.sha256(content).hexdigest()
                if not hmac.compare_digest(digest, record.sha256):
                    raise EvidenceCorrupt(
                        f"evidence {record.evidence_id} no longer hashes as at receipt",
                        field="evidence_id",
                    )
                opened.append((record, content))
        now = self.clock.now()
        basis = {"reason_length": str(len((reason or "").strip()))}
        if export_id is not None:
            basis["export"] = export_id
        events = [
            case_event(
                now,
                actor,
                Action.EVIDENCE,
                what,
                channel=channel,
                case_id=case_id,
                extra={"evidence": r.evidence_id, "sha256": r.sha256, **basis},
            )
            for r, _ in opened
        ]
        with self.store.write() as tx:
            _require_case(tx, case_id)
            detail = {"evidence": ",".join(r.evidence_id for r, _ in opened), **basis}
            tx.add_timeline(case_id, now, actor.principal_id, what, detail)
            staged = tx.stage_audit(events)
        seqs = self.audit.log_staged(staged)
        return [OpenedEvidence(r, c, s) for (r, c), s in zip(opened, seqs, strict=True)]


def _require_case(tx: CaseTx, case_id: str) -> None:
    if tx.get_case(case_id) is None:
        raise CaseNotFound(f"no case {case_id}", field="case_id")
