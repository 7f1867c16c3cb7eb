"""Key-encryption keys in HashiCorp Vault's Transit secrets engine.

:class:`VaultTransitKeyProvider` never holds a KEK: Vault keeps the named Transit key and its
versions, and wrap and unwrap are Transit ``encrypt`` and ``decrypt`` calls with the data key as
the (base64) plaintext. The key is created with ``derived=true``, so every call must carry a
``context`` from which Vault derives the key it encrypts with (HKDF-SHA256 in current Vault);
the context is :func:`~shieldwall.custody.crypto.data_key_binding` (purpose and version), so a
wrapped key moved to another purpose or version fails to decrypt, as with the key file.

Versions are the Transit key's versions: the ciphertext (``vault:v<N>:...``, stored as is) names
the one that encrypted it; :meth:`rotate` is Transit ``rotate``; :meth:`retire` raises the key's
``min_decryption_version`` past the version, which in Transit retires every older version too.

``hvac`` is imported by this module alone, which the composition root imports only when
``keys.provider = "vault"`` (the ``vault`` extra); without it the import fails with a
:class:`KeyProviderError` saying what to install. The tests run against a fake of the Transit
HTTP API (tests/unit/custody/fake_transit.py), not against a real Vault.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from shieldwall.custody.crypto import data_key_binding
from shieldwall.custody.errors import InvalidCiphertext, KeyProviderError

try:
    import hvac
    import requests
    from hvac import exceptions as vault_errors
except ImportError as exc:  # the optional extra is not installed
    raise KeyProviderError(
        "keys.provider vault needs hvac: pip install 'shieldwall[vault]'", field="keys.provider"
    ) from exc

_CIPHERTEXT = re.compile(r"^vault:v([1-9][0-9]{0,9}):[A-Za-z0-9+/=]+$")


@dataclass(frozen=True, slots=True)
class TransitKeyState:
    """What Vault reports about the named key (``GET /v1/<mount>/keys/<name>``)."""

    latest_version: int
    min_decryption_version: int
    versions: tuple[int, ...]  # the versions that still decrypt
    derived: bool


class VaultTransitKeyProvider:
    """KEKs as the versions of one Transit key; wrap = encrypt, unwrap = decrypt, in Vault."""

    kind = "vault"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        mount_point: str = "transit",
        key_name: str = "shieldwall-kek",
        namespace: str | None = None,
        verify: bool | str = True,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.mount_point = mount_point
        self.key_name = key_name
        self._client = hvac.Client(
            url=url, token=token, namespace=namespace, verify=verify, timeout=timeout
        )
        self._transit = self._client.secrets.transit

    def ensure_key(self) -> bool:
        """Create the Transit key (derived, aes256-gcm96) if it does not exist; True if made.
        An existing key that is not derived is refused."""
        created = False
        try:
            self.state()
        except _NoSuchKey:
            self._call(
                "creating the key",
                lambda: self._transit.create_key(
                    self.key_name,
                    derived=True,
                    key_type="aes256-gcm96",
                    mount_point=self.mount_point,
                ),
            )
            created = True
        self.check()
        return created

    def describe(self) -> str:
        return f"Vault Transit key {self.key_name!r} at {self.url} (mount {self.mount_point!r})"

    def close(self) -> None:
        self._client.adapter.close()

    def check(self) -> TransitKeyState:
        """The key's state, refusing a key that is not derived (it could not bind purpose)."""
        state = self.state()
        if not state.derived:
            raise KeyProviderError(
                f"Transit key {self.key_name!r} is not derived: shieldwall binds purpose and"
                " version as the context, which needs a key created with derived=true"
            )
        return state

    def state(self) -> TransitKeyState:
        body = self._call(
            "reading the key",
            lambda: self._transit.read_key(self.key_name, mount_point=self.mount_point),
        )
        try:
            data = body["data"]
            latest = int(data["latest_version"])
            minimum = int(data["min_decryption_version"])
            known = sorted(int(v) for v in data["keys"])
            derived = bool(data.get("derived", False))
        except (KeyError, TypeError, ValueError):
            raise KeyProviderError(
                f"Vault's answer for Transit key {self.key_name!r} is not a key description"
            ) from None
        return TransitKeyState(latest, minimum, tuple(v for v in known if v >= minimum), derived)

    # -- KeyProvider -------------------------------------------------------------------------

    def active_version(self) -> int:
        return self.state().latest_version

    def versions(self) -> tuple[int, ...]:
        return self.state().versions

    def wrap(self, purpose: str, version: int, key: bytes) -> tuple[int, bytes]:
        body = self._call(
            "encrypt",
            lambda: self._transit.encrypt_data(
                self.key_name,
                plaintext=_b64(key),
                context=_b64(data_key_binding(purpose, version)),
                mount_point=self.mount_point,
            ),
        )
        try:
            ciphertext = str(body["data"]["ciphertext"])
        except (KeyError, TypeError):
            raise KeyProviderError("Vault's encrypt answer has no ciphertext") from None
        match = _CIPHERTEXT.match(ciphertext)
        if match is None:
            raise KeyProviderError("Vault's encrypt answer is not a vault:v<N>: ciphertext")
        return int(match.group(1)), ciphertext.encode("ascii")

    def unwrap(self, kek_version: int, purpose: str, version: int, wrapped: bytes) -> bytes:
        try:
            ciphertext = wrapped.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidCiphertext() from None
        match = _CIPHERTEXT.match(ciphertext)
        if match is None or int(match.group(1)) != kek_version:
            raise InvalidCiphertext()
        try:
            body = self._transit.decrypt_data(
                self.key_name,
                ciphertext=ciphertext,
                context=_b64(data_key_binding(purpose, version)),
                mount_point=self.mount_point,
            )
        except vault_errors.InvalidRequest:
            # Vault answers 400 both for a failed tag and for a version below
            # min_decryption_version; the key's state tells which.
            if kek_version < self.state().min_decryption_version:
                raise self._retired(kek_version) from None
            raise InvalidCiphertext() from None
        except (vault_errors.VaultError, requests.RequestException) as exc:
            raise self._failed("decrypt", exc) from None
        try:
            return base64.b64decode(body["data"]["plaintext"], validate=True)
        except (KeyError, TypeError, binascii.Error):
            raise KeyProviderError("Vault's decrypt answer has no base64 plaintext") from None

    def rotate(self) -> int:
        self._call(
            "rotate",
            lambda: self._transit.rotate_key(self.key_name, mount_point=self.mount_point),
        )
        return self.state().latest_version

    def retire(self, kek_version: int) -> None:
        """Raise ``min_decryption_version`` to ``kek_version + 1``: this version and every older
        one stop decrypting (Vault keeps them until ``trim``; lowering the setting again would
        bring them back, so restrict ``keys/<name>/config`` in the token's policy)."""
        state = self.state()
        if kek_version >= state.latest_version:
            raise KeyProviderError("cannot retire the active key-encryption key")
        if kek_version < state.min_decryption_version:
            return
        self._call(
            "raising min_decryption_version",
            lambda: self._transit.update_key_configuration(
                self.key_name,
                min_decryption_version=kek_version + 1,
                mount_point=self.mount_point,
            ),
        )

    # -- calls -------------------------------------------------------------------------------

    def _call(self, what: str, call: Any) -> Any:
        try:
            return call()
        except vault_errors.InvalidPath:
            raise _NoSuchKey(
                f"Vault has no Transit key {self.key_name!r} at mount {self.mount_point!r};"
                " run shieldwall init"
            ) from None
        except (vault_errors.VaultError, requests.RequestException) as exc:
            raise self._failed(what, exc) from None

    def _failed(self, what: str, exc: Exception) -> KeyProviderError:
        if isinstance(exc, vault_errors.Forbidden | vault_errors.Unauthorized):
            reason = "permission denied (token missing, wrong, expired or without the policy)"
        elif isinstance(exc, requests.RequestException):
            reason = f"Vault unreachable ({type(exc).__name__})"
        else:
            reason = type(exc).__name__
        return KeyProviderError(
            f"Vault Transit {what} for key {self.key_name!r} at {self.url} failed: {reason}"
        )

    def _retired(self, kek_version: int) -> KeyProviderError:
        return KeyProviderError(
            f"key-encryption key v{kek_version} (Transit key {self.key_name!r}) was retired:"
            " it is below min_decryption_version"
        )


class _NoSuchKey(KeyProviderError):
    """The Transit key does not exist (HTTP 404)."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
