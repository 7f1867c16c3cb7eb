"""Key-encryption keys in a PKCS#11 token (an HSM; SoftHSM2 in the tests).

:class:`Pkcs11KeyProvider` keeps each KEK as an AES-256 secret-key object on the token, labelled
``shieldwall-kek-<version>``, generated inside the token with ``CKA_SENSITIVE`` true and
``CKA_EXTRACTABLE`` false: the token refuses to export its value, wrapped or in clear, so the KEK
is never written to the worker's disk and never enters this process's memory (with a hardware
token; SoftHSM2 is a software token loaded into the process, so it only models that).

A data key is wrapped with ``CKM_AES_GCM`` run inside the token: a random 96-bit nonce, the data
key as plaintext and :func:`~shieldwall.custody.crypto.data_key_binding` (purpose and version) as
the associated data, so a wrapped key moved to another purpose or version fails to unwrap, as with
the key file. The stored form is ``nonce (12) | ciphertext | tag (16)``, the key file's layout.
``CKM_AES_KEY_WRAP_PAD`` (RFC 5649) would need the data key to be a token object first and has no
associated data, so GCM through ``C_Encrypt`` binds purpose and version where key wrap cannot.

The highest version on the token encrypts; older versions keep unwrapping (a restored backup still
opens) until :meth:`Pkcs11KeyProvider.retire` destroys their object. ``python-pkcs11`` is imported
by this module alone, which the composition root imports only when ``keys.provider = "pkcs11"``
(the ``pkcs11`` extra), so the default install needs none; without it the import fails with a
:class:`KeyProviderError` saying what to install.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shieldwall.custody.crypto import NONCE_BYTES, TAG_BYTES, data_key_binding
from shieldwall.custody.errors import InvalidCiphertext, KeyProviderError

try:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass, Session
    from pkcs11 import exceptions as p11
    from pkcs11.mechanisms import GCMParams
except ImportError as exc:  # the optional extra is not installed
    raise KeyProviderError(
        "keys.provider pkcs11 needs python-pkcs11: pip install 'shieldwall[pkcs11]'",
        field="keys.provider",
    ) from exc

LABEL_PREFIX = "shieldwall-kek-"
_LABEL = re.compile(r"^shieldwall-kek-([1-9][0-9]{0,8})$")
KEK_BITS = 256


@dataclass(frozen=True, slots=True)
class KekProperties:
    """What the token says about one KEK object (read from its attributes)."""

    version: int
    label: str
    extractable: bool
    sensitive: bool
    never_extractable: bool
    always_sensitive: bool


class Pkcs11KeyProvider:
    """KEKs as non-extractable AES keys in a PKCS#11 token; wrap and unwrap run in the token.

    One logged-in read-write session per provider, used under a lock (a PKCS#11 session must not
    be used by two threads at once). The key objects are listed on every call, so a rotation or
    retirement by another process is seen at once.
    """

    kind = "pkcs11"

    def __init__(self, module: Path, token_label: str, pin: str) -> None:
        self.module = module
        self.token_label = token_label
        self._lock = threading.Lock()
        self._session = _open_session(module, token_label, pin)

    def ensure_key(self) -> bool:
        """Generate KEK version 1 if the token holds no ``shieldwall-kek-<n>``; True if made."""
        if self._objects():
            return False
        self.rotate()
        return True

    def describe(self) -> str:
        return f"PKCS#11 token {self.token_label!r} via {self.module}"

    def close(self) -> None:

        # PKCS11Error: the library was finalised under us; nothing is left to close.
        with self._lock, contextlib.suppress(pkcs11.PKCS11Error):
            self._session.close()

    # -- KeyProvider -------------------------------------------------------------------------

    def active_version(self) -> int:
        versions = self.versions()
        if not versions:
            raise KeyProviderError(
                f"token {self.token_label!r} holds no {LABEL_PREFIX}<n> key; run shieldwall init"
            )
        return versions[-1]

    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self._objects()))

    def wrap(self, purpose: str, version: int, key: bytes) -> tuple[int, bytes]:

        with self._lock:
            objects = self._objects_locked()
            if not objects:
                raise KeyProviderError(
                    f"token {self.token_label!r} holds no {LABEL_PREFIX}<n> key;"
                    " run shieldwall init"
                )
            active = max(objects)
            nonce = os.urandom(NONCE_BYTES)
            try:
                sealed = objects[active].encrypt(
                    key,
                    mechanism=Mechanism.AES_GCM,
                    mechanism_param=GCMParams(nonce, data_key_binding(purpose, version)),
                )
            except pkcs11.PKCS11Error as exc:
                raise self._failed("AES-GCM encryption", exc) from None
        return active, nonce + bytes(sealed)

    def unwrap(self, kek_version: int, purpose: str, version: int, wrapped: bytes) -> bytes:

        if len(wrapped) < NONCE_BYTES + TAG_BYTES:
            raise InvalidCiphertext()
        with self._lock:
            kek = self._objects_locked().get(kek_version)
            if kek is None:
                raise KeyProviderError(
                    f"token {self.token_label!r} has no key-encryption key"
                    f" {LABEL_PREFIX}{kek_version}: retired or never created"
                )
            try:
                return bytes(
                    kek.decrypt(
                        wrapped[NONCE_BYTES:],
                        mechanism=Mechanism.AES_GCM,
                        mechanism_param=GCMParams(
                            wrapped[:NONCE_BYTES], data_key_binding(purpose, version)
                        ),
                    )
                )
            except pkcs11.PKCS11Error:
                # SoftHSM2 reports a failed GCM tag as CKR_GENERAL_ERROR, so a bad tag cannot be
                # told apart from a token fault: both are the one opaque failure.
                raise InvalidCiphertext() from None

    def rotate(self) -> int:

        with self._lock:
            new = max(self._objects_locked(), default=0) + 1
            try:
                self._session.generate_key(
                    KeyType.AES,
                    KEK_BITS,
                    label=f"{LABEL_PREFIX}{new}",
                    store=True,
                    capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
                    template={
                        Attribute.TOKEN: True,
                        Attribute.PRIVATE: True,
                        Attribute.SENSITIVE: True,
                        Attribute.EXTRACTABLE: False,
                        Attribute.MODIFIABLE: False,
                        Attribute.WRAP: False,
                        Attribute.UNWRAP: False,
                        Attribute.SIGN: False,
                        Attribute.VERIFY: False,
                        Attribute.DERIVE: False,
                    },
                )
            except pkcs11.PKCS11Error as exc:
                raise self._failed("key generation", exc) from None
        return new

    def retire(self, kek_version: int) -> None:
        """Destroy KEK ``kek_version``'s object: what it wrapped no longer unwraps, backups too."""

        with self._lock:
            objects = self._objects_locked()
            if kek_version == max(objects, default=0):
                raise KeyProviderError("cannot retire the active key-encryption key")
            kek = objects.get(kek_version)
            if kek is None:
                return
            try:
                kek.destroy()
            except pkcs11.PKCS11Error as exc:
                raise self._failed("destroying the key object", exc) from None

    # -- inspection --------------------------------------------------------------------------

    def properties(self, kek_version: int) -> KekProperties:
        """The token's own account of KEK ``kek_version`` (extractable, sensitive, ...)."""

        with self._lock:
            kek = self._objects_locked().get(kek_version)
            if kek is None:
                raise KeyProviderError(
                    f"token {self.token_label!r} has no key {LABEL_PREFIX}{kek_version}"
                )
            try:
                return KekProperties(
                    version=kek_version,
                    label=f"{LABEL_PREFIX}{kek_version}",
                    extractable=bool(kek[Attribute.EXTRACTABLE]),
                    sensitive=bool(kek[Attribute.SENSITIVE]),
                    never_extractable=bool(kek[Attribute.NEVER_EXTRACTABLE]),
                    always_sensitive=bool(kek[Attribute.ALWAYS_SENSITIVE]),
                )
            except pkcs11.PKCS11Error as exc:
                raise self._failed("reading key attributes", exc) from None

    # -- token handling ----------------------------------------------------------------------

    def _objects(self) -> dict[int, Any]:
        with self._lock:
            return self._objects_locked()

    def _objects_locked(self) -> dict[int, Any]:
        """Version -> secret-key object for every ``shieldwall-kek-<n>`` AES key on the token."""

        found: dict[int, Any] = {}
        try:
            for obj in self._session.get_objects(
                {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES}
            ):
                match = _LABEL.match(str(obj[Attribute.LABEL]))
                if match is None:
                    continue
                version = int(match.group(1))
                if version in found:
                    raise KeyProviderError(
                        f"token {self.token_label!r} holds two objects labelled"
                        f" {LABEL_PREFIX}{version}; remove the one that wraps no data key"
                    )
                found[version] = obj
        except pkcs11.PKCS11Error as exc:
            raise self._failed("listing key objects", exc) from None
        return found

    def _failed(self, what: str, exc: Exception) -> KeyProviderError:
        return KeyProviderError(
            f"PKCS#11 {what} failed on token {self.token_label!r}: {type(exc).__name__}"
        )


def _open_session(module: Path, token_label: str, pin: str) -> Session:
    """Load ``module``, find the token labelled ``token_label`` and log in with ``pin``."""
    if not module.is_file():
        raise KeyProviderError(f"PKCS#11 module {module} not found", field="keys.pkcs11.module")
    try:
        lib = pkcs11.lib(str(module))
    except (RuntimeError, OSError, pkcs11.PKCS11Error) as exc:
        raise KeyProviderError(
            f"cannot load PKCS#11 module {module}: {type(exc).__name__}",
            field="keys.pkcs11.module",
        ) from None
    try:
        token = lib.get_token(token_label=token_label)
    except p11.NoSuchToken:
        raise KeyProviderError(
            f"no PKCS#11 token labelled {token_label!r} in {module}",
            field="keys.pkcs11.token_label",
        ) from None
    except p11.MultipleTokensReturned:
        raise KeyProviderError(
            f"more than one PKCS#11 token labelled {token_label!r} in {module}",
            field="keys.pkcs11.token_label",
        ) from None
    except pkcs11.PKCS11Error as exc:
        raise KeyProviderError(f"PKCS#11 token lookup failed: {type(exc).__name__}") from None
    try:
        return token.open(user_pin=pin, rw=True)
    except p11.UserAlreadyLoggedIn:
        # Login belongs to the application, not the session (PKCS#11 v2.40, 5.6): another
        # provider in this process already logged in, and a new session shares its login.
        return token.open(rw=True)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
        raise KeyProviderError(
            f"wrong PIN for PKCS#11 token {token_label!r}", field="keys.pkcs11.pin"
        ) from None
    except p11.PinLocked:
        raise KeyProviderError(
            f"the user PIN of PKCS#11 token {token_label!r} is locked", field="keys.pkcs11.pin"
        ) from None
    except pkcs11.PKCS11Error as exc:
        raise KeyProviderError(
            f"cannot log in to PKCS#11 token {token_label!r}: {type(exc).__name__}"
        ) from None
