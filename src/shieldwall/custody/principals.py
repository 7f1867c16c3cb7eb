"""Principals and their API keys.

A key reads ``swk_<key id>_<secret>``: the key id finds the principal, the secret is checked
against a SHA-256 digest with a constant-time comparison. The secret has 256 bits of entropy, so
a fast hash is the right tool (a password hash would only slow every request). Keys are shown
once, when created, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from shieldwall.core.clock import Clock
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody import normalize
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from shieldwall.custody.ports import CustodyStore, OutboxAuditSink, PrincipalRecord

_KEY = re.compile(r"^swk_([0-9a-f]{16})_([A-Za-z0-9_\-]{43})$")
_UNIT = re.compile(r"^[\w.:\-]{1,64}$")


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class Principals:
    """Registers principals, issues keys, authenticates requests (with a short-lived cache)."""

    def __init__(
        self,
        store: CustodyStore,
        audit: OutboxAuditSink,
        clock: Clock,
        *,
        cache_seconds: float = 30.0,
        check_seconds: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.check_seconds = check_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, bytes, Principal]] = {}
        self._lock = threading.Lock()
        self._version: int | None = None
        self._checked_at = float("-inf")  # monotonic time at the start of the last check

    def add(
        self,
        principal_id: str,
        role: Role | str,
        *,
        unit: str | None = None,
        display_name: str | None = None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> tuple[Principal, str]:
        """Create a principal and return it with its API key (shown this once)."""
        pid = normalize.record_id(principal_id, "principal_id")
        try:
            role = Role(role)
        except ValueError:
            options = ", ".join(r.value for r in Role)
            raise ValidationError(
                f"unknown role; expected one of {options}", field="role"
            ) from None
        if unit is not None and not _UNIT.fullmatch(unit):
            raise ValidationError("must be 1-64 letters, digits or _ . : -", field="unit")
        name = (
            normalize.clean_text(display_name, "display_name", max_len=128)
            if display_name
            else None
        )
        principal = Principal(pid, role, unit, name)
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.store.write() as tx:
            if tx.get_principal(pid) is not None:
                raise Conflict(f"principal {pid} already exists", field="principal_id")
            tx.insert_principal(PrincipalRecord(principal, key_id, _digest(secret), now))
            staged = tx.stage_audit([_registered(now, actor, principal, channel)])
        self.audit.log_staged(staged)
        return principal, f"swk_{key_id}_{secret}"

    def rotate_key(
        self, principal_id: str, *, actor: Principal = OPERATOR, channel: str = "cli"
    ) -> str:
        """Issue a new key for a principal; the old one stops working at once in this process
        and within ``check_seconds`` in every other (see :meth:`authenticate`)."""
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        with self.store.write() as tx:
            record = tx.get_principal(principal_id)
            if record is None:
                raise NotFound(f"no principal {principal_id}", field="principal_id")
            tx.set_principal_key(principal_id, key_id, _digest(secret))
            tx.bump_principals_version()
            staged = tx.stage_audit(
                [_registered(self.clock.now(), actor, record.principal, channel)]
            )
        self._forget(principal_id)
        self.audit.log_staged(staged)
        return f"swk_{key_id}_{secret}"

    def set_active(
        self,
        principal_id: str,
        active: bool,
        *,
        alert_id: str | None = None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> Principal:
        """Suspend (``active=False``) or reinstate a principal, e.g. while an alert on it is
        investigated. A suspended principal's key stops authenticating at once in this process
        and within ``check_seconds`` in every other; custody refuses its reads
        (``principal_inactive``); its tickets, assignments and grants stay for the record.
        ``alert_id`` names the alert behind the decision (an id, never free text)."""
        if alert_id is not None:
            alert_id = normalize.record_id(alert_id, "alert_id")
        if actor.principal_id == principal_id and not active:
            raise ValidationError("a principal cannot suspend itself", field="principal_id")
        with self.store.write() as tx:
            record = tx.get_principal(principal_id)
            if record is None:
                raise NotFound(f"no principal {principal_id}", field="principal_id")
            tx.set_principal_active(principal_id, active)
            tx.bump_principals_version()
            subject = record.principal
            staged = tx.stage_audit(
                [
                    access_event(
                        self.clock.now(),
                        actor,
                        Action.PRINCIPAL_STATUS,
                        Decision.ALLOW,
                        "principal_reinstated" if active else "principal_suspended",
                        channel=channel,
                        extra={
                            "principal": subject.principal_id,
                            "principal_role": subject.role.value,
                            "alert": alert_id or "",
                        },
                    )
                ]
            )
        self._forget(principal_id)
        self.audit.log_staged(staged)
        return replace(subject, active=active)

    def _check_version(self) -> None:
        """Drop the whole cache if the shared principals version moved since the last check.

        The check time is taken *before* the read, so a version read as unchanged was read
        before any later commit: a cached key is never trusted longer than ``check_seconds``
        after a change committed elsewhere.
        """
        started = self._monotonic()
        if self._checked_at + self.check_seconds > started:
            return
        with self.store.read() as tx:
            version = tx.principals_version()
        with self._lock:
            if started < self._checked_at:
                return  # a later check finished first and holds a newer version
            if version != self._version:
                self._cache = {}
                self._version = version
            self._checked_at = started

    def _forget(self, principal_id: str) -> None:
        """Drop a principal's cached keys: the next request reads the database."""
        with self._lock:
            self._cache = {
                k: v for k, v in self._cache.items() if v[2].principal_id != principal_id
            }

    def get(self, principal_id: str) -> Principal:
        with self.store.read() as tx:
            record = tx.get_principal(principal_id)
        if record is None:
            raise NotFound(f"no principal {principal_id}", field="principal_id")
        return record.principal

    def list(self) -> list[Principal]:
        with self.store.read() as tx:
            return [r.principal for r in tx.list_principals()]

    def authenticate_cached(self, api_key: str | None) -> Principal | None:
        """The principal if ``api_key`` is valid and in the cache; None when the cache cannot
        tell (then call :meth:`authenticate`). Never touches the database."""
        match = _KEY.fullmatch(api_key or "")
        if not match:
            raise AuthenticationFailed()
        now = self._monotonic()
        if self._checked_at + self.check_seconds <= now:
            return None  # the shared version is due for a check: only the database can tell
        cached = self._cache.get(match.group(1))
        if cached is None or cached[0] <= now:
            return None
        _, stored, principal = cached
        if not hmac.compare_digest(_digest(match.group(2)), stored) or not principal.active:
            raise AuthenticationFailed()
        return principal

    def authenticate(self, api_key: str | None) -> Principal:
        """The principal owning ``api_key``; :class:`AuthenticationFailed` for anything else.

        Keys are cached for ``cache_seconds``, but the cache is trusted only while the shared
        principals version, read at most every ``check_seconds``, has not moved: a suspension
        or key rotation in any process (another worker, the CLI) bumps it in the same
        transaction, so every worker refuses the old key within ``check_seconds`` of the commit.
        """
        match = _KEY.fullmatch(api_key or "")
        if not match:
            raise AuthenticationFailed()
        key_id, secret = match.groups()
        offered = _digest(secret)
        self._check_version()
        now = self._monotonic()
        cached = self._cache.get(key_id)
        if cached is not None and cached[0] > now:
            _, stored, principal = cached
        else:
            with self.store.read() as tx:
                version = tx.principals_version()  # first: the record read after it is as new
                record = tx.principal_by_key_id(key_id)
            if record is None or record.key_hash is None:
                hmac.compare_digest(offered, bytes(32))  # same work whether or not the id exists
                raise AuthenticationFailed()
            stored, principal = record.key_hash, record.principal
            with self._lock:
                if version == self._version:  # else a change is in flight: do not cache
                    self._cache[key_id] = (now + self.cache_seconds, stored, principal)
        if not hmac.compare_digest(offered, stored) or not principal.active:
            raise AuthenticationFailed()
        return principal


def _registered(now: datetime, actor: Principal, subject: Principal, channel: str) -> AccessEvent:
    return access_event(
        now,
        actor,
        Action.PRINCIPAL_ADD,
        Decision.ALLOW,
        "principal_key_issued",
        channel=channel,
        extra={"principal": subject.principal_id, "principal_role": subject.role.value},
    )
