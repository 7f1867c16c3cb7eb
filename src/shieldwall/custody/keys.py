"""Envelope keys: key-encryption keys (KEKs) from a :class:`KeyProvider`, data keys in the database.

Each (purpose, version) has its own 256-bit data key, stored wrapped under a KEK: field keys
(``customers.phone``), blind-index keys (``bidx.phone``), the pseudonym key and the audit signing
seed. The provider only wraps and unwraps, so a token or a KMS can stand in for the local key file
without custody ever seeing its KEK.

:class:`LocalKeyFile` is the default provider: a JSON file, mode 0600, written atomically, with a
checksum so that truncation and corruption are reported as such instead of as a decryption failure.
The others keep the KEK outside the worker (``keys.provider`` chooses; see docs/custody.md):
:class:`~shieldwall.custody.keys_pkcs11.Pkcs11KeyProvider` in a PKCS#11 token and
:class:`~shieldwall.custody.keys_transit.VaultTransitKeyProvider` in Vault's Transit engine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shieldwall.core.clock import Clock
from shieldwall.core.files import write_atomic
from shieldwall.custody.crypto import unwrap_key, wrap_key
from shieldwall.custody.errors import (
    CustodyError,
    InvalidCiphertext,
    KeyFileError,
    KeyProviderError,
)

KEY_BYTES = 32
FILE_FORMAT = "shieldwall-keyfile/1"

# Field keys rotate (a new version re-encrypts the data); the others are stable secrets.
FIELD_PURPOSES: tuple[str, ...] = (
    "customers.name",
    "customers.phone",
    "customers.email",
    "customers.address",
    "customers.national_id",
    "orders.items",
    "orders.delivery_address",
)


class KeyProvider(Protocol):
    """Holds key-encryption keys and never lets them out: it wraps and unwraps data keys.

    ``unwrap`` raises :class:`InvalidCiphertext` when the wrapped bytes do not authenticate
    (wrong KEK, purpose or version, tampering) and :class:`KeyProviderError` when the provider
    cannot answer (KEK retired or missing, token or service unreachable).
    """

    kind: str  # "file", "pkcs11", "vault": what `shieldwall keys status` reports

    def describe(self) -> str:
        """Where the KEKs are, for an operator (a path, a token label, a URL; no secret)."""
        ...

    def close(self) -> None: ...

    def active_version(self) -> int: ...

    def versions(self) -> tuple[int, ...]: ...

    def wrap(self, purpose: str, version: int, key: bytes) -> tuple[int, bytes]:
        """Wrap ``key`` under the active KEK; return (kek version, wrapped bytes)."""
        ...

    def unwrap(self, kek_version: int, purpose: str, version: int, wrapped: bytes) -> bytes: ...

    def rotate(self) -> int:
        """Create a new KEK, make it active and return its version."""
        ...

    def retire(self, kek_version: int) -> None:
        """Forget a KEK that no longer wraps any data key (after which it unwraps nothing)."""
        ...


class LocalKeyFile:
    """KEKs in a local JSON file (mode 0600). Reloaded when the file changes on disk."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: int | None = None
        self._keks: dict[int, AESGCM] = {}
        self._active = 0
        self._load()

    @classmethod
    def create(cls, path: Path, *, clock: Clock) -> LocalKeyFile:
        """Write a new key file with one KEK; refuses to overwrite an existing file."""
        if path.exists():
            raise KeyFileError(f"key file {path} already exists; refusing to overwrite it")
        doc = {"format": FILE_FORMAT, "created_at": clock.now().isoformat(), "active": 1}
        doc["keks"] = {"1": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}
        _write_atomically(path, doc)
        return cls(path)

    # -- KeyProvider -------------------------------------------------------------------------

    def describe(self) -> str:
        return f"key file {self.path}"

    def close(self) -> None:
        """Nothing to release: the file is read whole and closed."""

    def active_version(self) -> int:
        self._reload_if_changed()
        return self._active

    def versions(self) -> tuple[int, ...]:
        self._reload_if_changed()
        return tuple(sorted(self._keks))

    def wrap(self, purpose: str, version: int, key: bytes) -> tuple[int, bytes]:
        self._reload_if_changed()
        active = self._active
        return active, wrap_key(self._keks[active], purpose, version, key)

    def unwrap(self, kek_version: int, purpose: str, version: int, wrapped: bytes) -> bytes:
        self._reload_if_changed()
        kek = self._keks.get(kek_version)
        if kek is None:
            raise KeyFileError(
                f"key file {self.path} has no key-encryption key version {kek_version}"
            )
        return unwrap_key(kek, purpose, version, wrapped)

    def rotate(self) -> int:
        with self._lock:
            doc = self._read_document()
            new = max(int(v) for v in doc["keks"]) + 1
            doc["keks"][str(new)] = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
            doc["active"] = new
            _write_atomically(self.path, doc)
        self._load()
        return new

    def retire(self, kek_version: int) -> None:
        with self._lock:
            doc = self._read_document()
            if int(doc["active"]) == kek_version:
                raise KeyFileError("cannot retire the active key-encryption key")
            doc["keks"].pop(str(kek_version), None)
            _write_atomically(self.path, doc)
        self._load()

    # -- file handling -----------------------------------------------------------------------

    def _reload_if_changed(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            return  # keep serving from memory; the next write or restart reports the problem
        if mtime != self._mtime:
            self._load()

    def _load(self) -> None:
        with self._lock:
            doc = self._read_document()
            try:
                keks = {int(v): base64.b64decode(k, validate=True) for v, k in doc["keks"].items()}
                active = int(doc["active"])
            except (ValueError, TypeError, AttributeError):
                raise KeyFileError(f"key file {self.path} is corrupt: bad key entries") from None
            if active not in keks or any(len(k) != KEY_BYTES for k in keks.values()):
                raise KeyFileError(f"key file {self.path} is corrupt: bad key entries")
            self._keks = {v: AESGCM(k) for v, k in keks.items()}
            self._active = active
            self._mtime = self.path.stat().st_mtime_ns

    def _read_document(self) -> dict[str, Any]:
        path = self.path
        try:
            info = path.stat()
            raw = path.read_bytes()
        except FileNotFoundError:
            raise KeyFileError(f"key file {path} not found; run shieldwall init") from None
        except OSError as exc:
            raise KeyFileError(f"key file {path} cannot be read: {exc.strerror}") from None
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"key file {path} is readable by other users; run: chmod 600 {path}")
        try:
            doc = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise KeyFileError(f"key file {path} is truncated or not JSON") from None
        if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT:
            raise KeyFileError(f"key file {path} is not a shieldwall key file ({FILE_FORMAT})")
        claimed = doc.pop("checksum", None)
        if not isinstance(claimed, str) or not hmac.compare_digest(claimed, _checksum(doc)):
            raise KeyFileError(f"key file {path} is corrupt: checksum mismatch")
        if not isinstance(doc.get("keks"), dict) or not doc["keks"]:
            raise KeyFileError(f"key file {path} is corrupt: no keys")
        return doc


def _checksum(doc: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _write_atomically(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` with its checksum whole or not at all (a 0600 file; core.files)."""
    body = dict(doc)
    body["checksum"] = _checksum(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(body, indent=2, sort_keys=True))


@dataclass(frozen=True, slots=True)
class DataKeyRecord:
    """A data key as stored: wrapped under KEK ``kek_version``."""

    purpose: str
    version: int
    kek_version: int
    wrapped: bytes
    created_at: datetime


class DataKeyStore(Protocol):
    """Where wrapped data keys and field-key versions are kept (the database)."""

    def load_data_keys(self) -> list[DataKeyRecord]: ...

    def add_data_keys(self, records: Iterable[DataKeyRecord]) -> bool:
        """Insert records; return False (and insert nothing) if any already exists."""
        ...

    def rewrap_data_keys(self, records: Iterable[DataKeyRecord]) -> None: ...

    def key_versions(self) -> dict[int, str]:
        """Field-key versions and their states (``active``, ``retiring``, ``retired``)."""
        ...

    def set_key_version(self, version: int, state: str, at: datetime) -> None: ...


class Keyring:
    """Unwrapped data keys, cached in memory, loaded and created on demand.

    Thread-safe. A version unknown to this process (another process rotated) is looked up again
    in the store before giving up, so running servers keep decrypting during a rotation.
    """

    def __init__(self, provider: KeyProvider, store: DataKeyStore, clock: Clock) -> None:
        self.provider = provider
        self.store = store
        self.clock = clock
        self._lock = threading.RLock()
        self._raw: dict[tuple[str, int], bytes] = {}
        self._aead: dict[tuple[str, int], AESGCM] = {}
        self._active_field_version = 0

    # -- lookups -----------------------------------------------------------------------------

    def field_key(self, purpose: str, version: int) -> AESGCM:
        """The AEAD for field purpose ``purpose`` at ``version``; LookupError if none exists."""
        found = self._aead.get((purpose, version))
        if found is None:
            self.refresh()
            found = self._aead.get((purpose, version))
            if found is None:
                raise LookupError(f"no data key {purpose} v{version}")
        return found

    def active_field_version(self) -> int:
        if not self._active_field_version:
            self.refresh()
        if not self._active_field_version:
            raise CustodyError("no active field-key version; run shieldwall init", code="no_keys")
        return self._active_field_version

    def secret(self, purpose: str) -> bytes:
        """A stable 256-bit secret for ``purpose`` (blind index, pseudonyms, signing, marks).

        Created on first use; if two processes race, the first insert wins and both use it.
        """
        raw = self._raw.get((purpose, 1))
        if raw is not None:
            return raw
        with self._lock:
            self.refresh()
            raw = self._raw.get((purpose, 1))
            if raw is None:
                self._create({purpose: 1})
                raw = self._raw[(purpose, 1)]
            return raw

    # -- lifecycle ---------------------------------------------------------------------------

    def bootstrap(self) -> int:
        """Create field-key version 1 if the database has none; return the active version."""
        with self._lock:
            self.refresh()
            if not self.store.key_versions():
                self._create(dict.fromkeys(FIELD_PURPOSES, 1))
                self.store.set_key_version(1, "active", self.clock.now())
                self.refresh()
            return self.active_field_version()

    def start_field_rotation(self) -> int:
        """Create a new field-key version, make it the one that encrypts, and return it.

        Older versions become ``retiring``: they still decrypt until re-encryption finishes.
        """
        with self._lock:
            self.refresh()
            versions = self.store.key_versions()
            new = max(versions, default=0) + 1
            self._create(dict.fromkeys(FIELD_PURPOSES, new))
            now = self.clock.now()
            for version, state in versions.items():
                if state == "active":
                    self.store.set_key_version(version, "retiring", now)
            self.store.set_key_version(new, "active", now)
            self.refresh()
            return new

    def finish_field_rotation(self) -> None:
        now = self.clock.now()
        for version, state in self.store.key_versions().items():
            if state == "retiring":
                self.store.set_key_version(version, "retired", now)

    def rotate_kek(self, *, retire_old: bool = True) -> tuple[int, int]:
        """Create a new KEK and rewrap every data key under it; return (rewrapped, new version).

        The old KEKs are retired only after every data key has been rewrapped and committed, and
        only if ``retire_old``: kept, they still unwrap a database backup taken before the
        rotation, until :meth:`retire_kek`.
        """
        with self._lock:
            old_versions = set(self.provider.versions())
            new_kek = self.provider.rotate()
            records = self.store.load_data_keys()
            rewrapped = []
            for rec in records:
                raw = self.provider.unwrap(rec.kek_version, rec.purpose, rec.version, rec.wrapped)
                kek_version, wrapped = self.provider.wrap(rec.purpose, rec.version, raw)
                rewrapped.append(
                    DataKeyRecord(rec.purpose, rec.version, kek_version, wrapped, rec.created_at)
                )
            self.store.rewrap_data_keys(rewrapped)
            if retire_old:
                for old in sorted(old_versions - {new_kek}):
                    self.provider.retire(old)
            return len(rewrapped), new_kek

    def retire_kek(self, kek_version: int) -> None:
        """Retire KEK ``kek_version``, refusing while a data key here is wrapped under it or an
        older one (Vault Transit retires every version below the one named)."""
        with self._lock:
            if any(rec.kek_version <= kek_version for rec in self.store.load_data_keys()):
                raise KeyProviderError(
                    f"key-encryption key v{kek_version} (or an older one) still wraps data keys;"
                    " run shieldwall keys rotate --kek first"
                )
            self.provider.retire(kek_version)

    def refresh(self) -> None:
        """Reload wrapped keys and versions from the store; unwrap any new ones."""
        with self._lock:
            for rec in self.store.load_data_keys():
                key = (rec.purpose, rec.version)
                if key in self._raw:
                    continue
                try:
                    raw = self.provider.unwrap(
                        rec.kek_version, rec.purpose, rec.version, rec.wrapped
                    )
                except InvalidCiphertext:
                    if self.provider.kind == "file":
                        raise KeyFileError(
                            f"data key {rec.purpose} v{rec.version} does not unwrap with the key"
                            " file; wrong or replaced key file"
                        ) from None
                    raise KeyProviderError(
                        f"data key {rec.purpose} v{rec.version} does not unwrap with"
                        f" {self.provider.describe()}; wrong or replaced key-encryption key"
                    ) from None
                self._raw[key] = raw
                self._aead[key] = AESGCM(raw)
            active = [v for v, s in self.store.key_versions().items() if s == "active"]
            self._active_field_version = max(active, default=0)

    def _create(self, wanted: dict[str, int]) -> None:
        now = self.clock.now()
        records = []
        for purpose, version in wanted.items():
            raw = secrets.token_bytes(KEY_BYTES)
            kek_version, wrapped = self.provider.wrap(purpose, version, raw)
            records.append(DataKeyRecord(purpose, version, kek_version, wrapped, now))
        self.store.add_data_keys(records)
        self.refresh()
