"""Two common defences, modelled for comparison with the risk engine (bench only).

- :class:`LeakyBucketPerIp`: CrowdSec's ``crowdsecurity/http-bf`` style scenario: a leaky bucket
  per address fed by failed logins, capacity 5, leaking one every 10 s; an overflow bans the
  address (CrowdSec's default remediation: 4 hours).
- :class:`AccountFailureCounter`: Keycloak's brute-force detection with its defaults: after 30
  failures (``failureFactor``) on an existing account it is locked temporarily, 1 minute more
  per further 30 (``waitIncrement``), at most 15 minutes (``maxFailureWait``); the count resets
  after 12 hours without failures (``maxDeltaTime``) or on a success.

Both decide before the password check like the engine: ``deny`` or ``allow``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LeakyBucketPerIp:
    capacity: float = 5.0
    leak_seconds: float = 10.0
    ban_seconds: float = 4 * 3600.0
    _level: dict[str, tuple[float, float]] = field(default_factory=dict)  # ip -> (level, t)
    _banned: dict[str, float] = field(default_factory=dict)  # ip -> until

    def allows(self, ip: str, now: float) -> bool:
        return self._banned.get(ip, 0.0) <= now

    def failed(self, ip: str, now: float) -> None:
        level, t = self._level.get(ip, (0.0, now))
        level = max(level - (now - t) / self.leak_seconds, 0.0) + 1.0
        if level > self.capacity:
            self._banned[ip] = now + self.ban_seconds
            level = 0.0
        self._level[ip] = (level, now)


@dataclass
class AccountFailureCounter:
    failure_factor: int = 30
    wait_increment: float = 60.0
    max_wait: float = 900.0
    max_delta: float = 12 * 3600.0
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)  # count, last failure
    _locked: dict[str, float] = field(default_factory=dict)

    def allows(self, account: str, now: float) -> bool:
        return self._locked.get(account, 0.0) <= now

    def outcome(self, account: str, known: bool, success: bool, now: float) -> None:
        if not known:
            return  # Keycloak counts failures of existing users only
        if success:
            self._failures.pop(account, None)
            return
        count, last = self._failures.get(account, (0, now))
        if now - last > self.max_delta:
            count = 0
        count += 1
        self._failures[account] = (count, now)
        if count % self.failure_factor == 0:
            wait = min(self.wait_increment * (count // self.failure_factor), self.max_wait)
            self._locked[account] = now + wait
