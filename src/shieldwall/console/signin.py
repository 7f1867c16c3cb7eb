"""Who may sign in to the console, and how often an address may try.

The credential is the principal's own API key: it is already a 256-bit secret stored only as a
SHA-256 digest and compared in constant time (:class:`~shieldwall.custody.principals.Principals`),
it is suspended and rotated with the principal, and it adds no second secret to manage. Only
admins and analysts are served: agents, couriers, partners, services and monitors are refused
even with a valid key. Attempts are counted per client address (a moving window, the ``limits``
library, on the same storage as the API's rate limits), success or not, so a guesser gains
nothing from a fast loop; the counter key is an HMAC tag of the address, never the address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import Protocol

from limits import parse_many
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from shieldwall.api.ratelimit import client_address
from shieldwall.console.errors import SignInRefused, SignInThrottled
from shieldwall.core.model import Principal, Role
from shieldwall.custody.errors import AuthenticationFailed

CONSOLE_ROLES = frozenset({Role.ADMIN, Role.ANALYST})


class KeyAuthenticator(Protocol):
    def authenticate(self, api_key: str | None) -> Principal: ...


class SignInGate:
    """Checks a presented key and the principal's role, under a per-address rate limit."""

    def __init__(
        self, principals: KeyAuthenticator, storage: Storage, rate: str, tag_key: bytes
    ) -> None:
        self.principals = principals
        self._items = tuple(parse_many(rate))
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._key = tag_key

    def sign_in(self, api_key: str, host: str | None) -> Principal:
        """The principal to open a session for; :class:`SignInThrottled` beyond the rate,
        :class:`SignInRefused` for a wrong key or a role the console does not serve."""
        self._count(client_address(host))
        try:
            principal = self.principals.authenticate(api_key.strip())
        except AuthenticationFailed:
            raise SignInRefused("that key is not valid", field="api_key") from None
        if principal.role not in CONSOLE_ROLES:
            raise SignInRefused(
                "the console is for admins and analysts", field="api_key", code="role_not_allowed"
            )
        return principal

    def _count(self, address: str) -> None:
        tag = hmac.digest(self._key, b"console.signin\x00" + address.encode(), hashlib.sha256)
        ident = tag[:12].hex()
        spent = [i for i in self._items if not self._limiter.hit(i, "console.signin", ident)]
        if spent:
            now = time.time()
            wait = max(
                self._limiter.get_window_stats(i, "console.signin", ident).reset_time - now
                for i in spent
            )
            raise SignInThrottled(
                "too many sign-in attempts from this address; try again later",
                max(1, math.ceil(wait)),
            )
