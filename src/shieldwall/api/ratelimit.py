"""API rate limits: per principal and per client address, for each route group that needs one.

The counting is the ``limits`` library's moving window (exact: "at most N in any window of this
length", not a fixed window that lets 2N through across its edge), on the storage
:func:`shieldwall.storage.rate_limits.rate_limit_windows` picks. A request is counted in all of
its windows at once (one script run on Redis) or, when any is spent, in none. Groups and their
rates are :class:`~shieldwall.config.RateLimitSettings`:

- ``range``: the HIBP range API, per principal and per address; callers without a key count
  against ``range_anonymous_per_ip`` instead of a principal's limit;
- ``logins``: ``/v1/logins/*``, per principal and per address;
- ``password_check``: ``/v1/passwords/check``, per principal and per address, and
  ``password_check_customer`` for checks against one customer's details, per principal (a
  check against a customer reveals, one guess at a time, whether the password contains their
  birthday or ID digits).

An IPv6 client counts by its /64: a host usually holds a whole /64, so counting single
addresses would let it start a new count at will. Counters are keyed by HMAC tags of the
address and the principal (``api.ratelimit`` secret), so no address reaches Redis.

A refusal is :class:`RateLimited`, answered 429 problem+json with ``Retry-After`` (seconds
until the oldest hit in the window leaves it).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse_many
from limits.errors import StorageError as LimitsStorageError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from shieldwall.config import RateLimitGroup, RateLimitSettings
from shieldwall.core.errors import ShieldwallError, StorageError
from shieldwall.core.model import Principal
from shieldwall.storage.rate_limits import Window, Windows

TAG_PURPOSE = "api.ratelimit"
TAG_BYTES = 12


class RateLimited(ShieldwallError):
    """Too many requests; ``retry_after`` is whole seconds until the next one is accepted."""

    code = "rate_limited"

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def client_address(host: str | None) -> str:
    """What a per-address limit counts: an IPv4 address (also one mapped into IPv6) as is, an
    IPv6 address by its /64; anything else (a test client's name) verbatim."""
    if not host:
        return "-"
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def _items(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec)) if spec.strip() else ()


class RateLimits:
    """The API's limits over one counter; thread-safe (the counter is)."""

    def __init__(self, settings: RateLimitSettings, windows: Windows, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the tag key needs at least 128 bits")
        self.enabled = settings.enabled
        self.windows = windows
        self._key = key
        groups: dict[str, RateLimitGroup] = {
            "range": settings.range,
            "logins": settings.logins,
            "password_check": settings.password_check,
        }
        self._rules: dict[str, tuple[RateLimitItem, ...]] = {}
        for name, group in groups.items():
            self._rules[f"{name}.key"] = _items(group.per_key)
            self._rules[f"{name}.ip"] = _items(group.per_ip)
        self._rules["range.anonymous"] = _items(settings.range_anonymous_per_ip)
        self._rules["password_check.customer"] = _items(settings.password_check_customer)

    @property
    def blocking(self) -> bool:
        """True when a hit waits on the network (an async caller then uses a thread)."""
        return self.windows.blocking

    def _tag(self, value: str) -> str:
        return hmac.digest(self._key, value.encode("utf-8", "surrogatepass"), hashlib.sha256)[
            :TAG_BYTES
        ].hex()

    def hit(self, rule: str, *identity: str) -> None:
        """Count one request against ``rule`` for ``identity``; raise :class:`RateLimited`
        (nothing counted) when any of its rates is spent."""
        self._raise(self._count([[(rule, identity)]])[0])

    def check(self, group: str, host: str | None, caller: Principal | None) -> None:
        """One request of ``group`` from address ``host`` by ``caller`` (None: no key), counted
        against the group's per-address rule and its per-key (or anonymous) rule at once (one
        round trip on Redis); when any rate is spent, raise :class:`RateLimited` and count it
        nowhere (a refused request spends no allowance)."""
        self._raise(self._count([self._rules_of(group, host, caller)])[0])

    def check_many(
        self, group: str, requests: Sequence[tuple[str | None, Principal | None]]
    ) -> list[RateLimited | None]:
        """:meth:`check` for each ``(host, caller)`` in turn, in one round trip on Redis:
        each request's refusal in its place (None: counted)."""
        return self._count([self._rules_of(group, host, caller) for host, caller in requests])

    def _rules_of(
        self, group: str, host: str | None, caller: Principal | None
    ) -> list[tuple[str, Sequence[str]]]:
        address = client_address(host)
        rules: list[tuple[str, Sequence[str]]] = [(f"{group}.ip", (address,))]
        if caller is not None:
            rules.append((f"{group}.key", (caller.principal_id,)))
        elif f"{group}.anonymous" in self._rules:
            rules.append((f"{group}.anonymous", (address,)))
        return rules

    def _count(
        self, requests: Sequence[Sequence[tuple[str, Sequence[str]]]]
    ) -> list[RateLimited | None]:
        """Count each request (a list of ``(rule, identity)``) in all of its rules' windows or,
        when any is spent, in none; its refusal or None, in order."""
        if not self.enabled:
            return [None] * len(requests)
        plans: list[tuple[list[RateLimitItem], list[Window]]] = []
        for rules in requests:
            items: list[RateLimitItem] = []
            windows: list[Window] = []
            for rule, identity in rules:
                tag = self._tag("\x00".join((rule, *identity)))
                for item in self._rules[rule]:
                    items.append(item)
                    windows.append((item.key_for(rule, tag), item.amount, item.get_expiry()))
            plans.append((items, windows))
        counted = [windows for _, windows in plans if windows]
        now = time.time()
        try:
            spents = iter(self.windows.acquire_many(counted, now) if counted else [])
        except LimitsStorageError as exc:
            raise StorageError(
                f"rate-limit storage is unavailable: {type(exc.storage_error).__name__}"
            ) from None
        verdicts: list[RateLimited | None] = []
        for items, windows in plans:
            spent = next(spents) if windows else []
            if not spent:
                verdicts.append(None)
                continue
            wait = max(oldest + windows[i][2] - now for i, oldest in spent)
            verdicts.append(
                RateLimited(
                    f"too many requests ({_describe([items[i] for i, _ in spent])}); retry later",
                    max(1, math.ceil(wait)),
                )
            )
        return verdicts

    @staticmethod
    def _raise(refusal: RateLimited | None) -> None:
        if refusal is not None:
            raise refusal


def _describe(items: Sequence[RateLimitItem]) -> str:
    return ", ".join(
        f"at most {i.amount} per {'' if i.multiples == 1 else f'{i.multiples} '}"
        f"{i.GRANULARITY.name}"
        for i in items
    )


def limits_of(request: Request) -> RateLimits:
    return request.app.state.rate_limits  # type: ignore[no-any-return]


def host_of(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def enforce(request: Request, group: str, caller: Principal | None) -> None:
    """Count this request against ``group``'s limits (for sync routes, in the thread pool)."""
    limits_of(request).check(group, host_of(request), caller)


async def enforce_async(request: Request, group: str, caller: Principal | None) -> None:
    """:func:`enforce` for async routes: inline on process memory, in a thread on Redis."""
    limiter = limits_of(request)
    if limiter.blocking:
        await run_in_threadpool(limiter.check, group, host_of(request), caller)
    else:
        limiter.check(group, host_of(request), caller)
