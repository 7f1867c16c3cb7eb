"""A FAKE of an external service: HashiCorp Vault's Transit secrets engine, over real HTTP.

Vault is not installed on this machine and cannot be downloaded, so the Vault key provider is
tested against this stand-in. It follows the request and response shapes Vault documents for
the Transit API (developer.hashicorp.com/vault/api-docs/secret/transit): ``X-Vault-Token`` auth,
``{"errors": [...]}`` bodies with 400/403/404, ``vault:v<N>:<base64>`` ciphertexts, derived keys
whose per-request ``context`` is the HKDF-SHA256 ``info`` (Vault's default ``kdf``), and
``min_decryption_version``. It is not Vault: no policies, leases, namespaces, convergent
encryption or key types other than aes256-gcm96. It records requests so tests can check what
the provider sent.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PATH = re.compile(
    r"^/v1/(?P<mount>[A-Za-z0-9_\-/]+?)/(?P<op>keys|encrypt|decrypt)/(?P<name>[^/]+)(?P<tail>/rotate|/config)?$"
)
FAKE_TOKEN = "s.fake-test-token"
_CIPHERTEXT = re.compile(r"^vault:v([0-9]+):(.+)$")


@dataclass
class TransitKey:
    derived: bool
    versions: dict[int, bytes] = field(default_factory=dict)
    min_decryption_version: int = 1

    @property
    def latest(self) -> int:
        return max(self.versions)

    def key_for(self, version: int, context: bytes | None) -> AESGCM:
        raw = self.versions[version]
        if self.derived:
            raw = HKDF(hashes.SHA256(), 32, salt=None, info=context).derive(raw)
        return AESGCM(raw)


class FakeTransit:
    """The Transit engine's state: keys by (mount, name), the token it accepts, requests seen."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.keys: dict[tuple[str, str], TransitKey] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def handle(
        self, method: str, path: str, token: str | None, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any] | None]:
        with self.lock:
            self.requests.append((method, path, body))
            if token != self.token:
                return 403, {"errors": ["permission denied"]}
            match = _PATH.match(path)
            if match is None:
                return 404, {"errors": []}
            where = (match["mount"], match["name"])
            op, tail = match["op"], match["tail"]
            key = self.keys.get(where)
            if op == "keys" and tail is None and method == "POST":
                if key is None:
                    self.keys[where] = TransitKey(
                        bool(body.get("derived", False)), {1: os.urandom(32)}
                    )
                return 204, None
            if key is None:
                return 404, {"errors": []} if method == "GET" else {
                    "errors": ["encryption key not found"]
                }
            if op == "keys" and tail is None and method == "GET":
                return 200, {"data": self._describe(match["name"], key)}
            if tail == "/rotate":
                key.versions[key.latest + 1] = os.urandom(32)
                return 200, {"data": self._describe(match["name"], key)}
            if tail == "/config":
                wanted = int(body.get("min_decryption_version", key.min_decryption_version))
                if wanted > key.latest:
                    return 400, {
                        "errors": [
                            "cannot set min decryption version greater than the latest version"
                        ]
                    }
                key.min_decryption_version = wanted
                return 200, {"data": self._describe(match["name"], key)}
            context = _b64(body["context"]) if body.get("context") else None
            if key.derived and context is None:
                return 400, {
                    "errors": [
                        (
                            "missing 'context' for key derivation; the key was created using a"
                            " derived key, which means additional, per-request information must"
                            " be included in order to perform operations with the key"
                        )
                    ]
                }
            if op == "encrypt":
                plaintext = _b64(body["plaintext"])
                version = key.latest
                nonce = os.urandom(12)
                sealed = key.key_for(version, context).encrypt(nonce, plaintext, None)
                text = base64.b64encode(nonce + sealed).decode()
                return 200, {
                    "data": {"ciphertext": f"vault:v{version}:{text}", "key_version": version}
                }
            found = _CIPHERTEXT.match(str(body.get("ciphertext", "")))
            if found is None:
                return 400, {"errors": ["invalid ciphertext: no prefix"]}
            version = int(found.group(1))
            if version < key.min_decryption_version:
                return 400, {
                    "errors": ["ciphertext or signature version is disallowed by policy (too old)"]
                }
            if version not in key.versions:
                return 400, {"errors": ["invalid key version"]}
            blob = base64.b64decode(found.group(2))
            try:
                plain = key.key_for(version, context).decrypt(blob[:12], blob[12:], None)
            except InvalidTag:
                return 400, {"errors": ["cipher: message authentication failed"]}
            return 200, {"data": {"plaintext": base64.b64encode(plain).decode()}}

    @staticmethod
    def _describe(name: str, key: TransitKey) -> dict[str, Any]:
        return {
            "name": name,
            "type": "aes256-gcm96",
            "derived": key.derived,
            "kdf": "hkdf_sha256" if key.derived else None,
            "keys": {str(v): 1700000000 + v for v in key.versions},
            "latest_version": key.latest,
            "min_decryption_version": key.min_decryption_version,
            "min_encryption_version": 0,
            "deletion_allowed": False,
            "exportable": False,
            "supports_encryption": True,
            "supports_decryption": True,
            "supports_derivation": True,
        }


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@contextmanager
def fake_transit(token: str = FAKE_TOKEN) -> Iterator[tuple[str, FakeTransit]]:
    """Serve a :class:`FakeTransit` on 127.0.0.1 (a free port); yields (base URL, state)."""
    state = FakeTransit(token)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, answer = state.handle(
                self.command, self.path, self.headers.get("X-Vault-Token"), body
            )
            payload = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve  # noqa: N815 (http.server's naming)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
