"""What the login risk engine takes and gives: :class:`LoginAttempt`, :class:`Assessment`,
:class:`Reason`, :class:`LoginOutcome`, :class:`OutcomeResult`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shieldwall.guard.risk.errors import InvalidAttempt

_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
MAX_ACCOUNT = 320
MAX_USER_AGENT = 1024
MAX_DEVICE_ID = 200
MAX_ONCE = 300


class Decision(StrEnum):
    ALLOW = "allow"
    CHALLENGE = "challenge"  # step-up: CAPTCHA, SMS code, second factor
    DENY = "deny"  # not now: the store does not check the password


class SessionView(StrEnum):
    NORMAL = "normal"
    MASKED = "masked"  # the session sees its own PII masked until it steps up


@dataclass(frozen=True, slots=True)
class Reason:
    """A machine-readable ``code`` and a ``detail`` a person can read (no personal data)."""

    code: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """One login attempt as the store's login service sees it, before checking the password.

    ``password_sha1`` is the SHA-1 of the submitted password in hex (what the store would send
    to a range API anyway); the engine keeps only a keyed HMAC of it.

    ``once`` is an idempotency key: attempts given the same one are counted once by the risk
    state (within ``guard.risk.once_ttl_seconds``), however often they are assessed. The event
    intake sets it from the event's kind and id, so a redelivered event is not counted twice;
    the engine keeps only a keyed HMAC of it. None (the single assess route): always counted.
    """

    account: str
    ip: str
    user_agent: str | None = None
    device_id: str | None = None
    password_sha1: str | None = None
    once: str | None = None

    def __post_init__(self) -> None:
        if not self.account or len(self.account) > MAX_ACCOUNT:
            raise InvalidAttempt(f"must have 1 to {MAX_ACCOUNT} characters", field="account")
        if self.user_agent is not None and len(self.user_agent) > MAX_USER_AGENT:
            raise InvalidAttempt(f"longer than {MAX_USER_AGENT} characters", field="user_agent")
        if self.device_id is not None and len(self.device_id) > MAX_DEVICE_ID:
            raise InvalidAttempt(f"longer than {MAX_DEVICE_ID} characters", field="device_id")
        if self.password_sha1 is not None and not _SHA1.match(self.password_sha1):
            raise InvalidAttempt("must be 40 hexadecimal digits", field="password_sha1")
        if self.once is not None and not 0 < len(self.once) <= MAX_ONCE:
            raise InvalidAttempt(f"must have 1 to {MAX_ONCE} characters", field="once")


@dataclass(frozen=True, slots=True)
class Assessment:
    assessment_id: str
    decision: Decision
    score: float
    reasons: tuple[Reason, ...]
    delay_ms: int
    session_view: SessionView
    force_password_reset: bool
    probability: float = 0.0  # calibrated probability that the attempt is an attack

    def as_dict(self) -> dict[str, Any]:
        return {
            "assessment_id": self.assessment_id,
            "decision": self.decision.value,
            "score": self.score,
            "probability": self.probability,
            "reasons": [r.as_dict() for r in self.reasons],
            "delay_ms": self.delay_ms,
            "session_view": self.session_view.value,
            "force_password_reset": self.force_password_reset,
        }


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """The password check's result for one assessment, as the store reports it (an item of
    ``RiskEngine.outcome_many``; the engine checks ``assessment_id`` and ``once``, item by
    item).

    ``once`` is an idempotency key, as :attr:`LoginAttempt.once`: an outcome given the key
    under which its assessment was already reported (within ``guard.risk.once_ttl_seconds``)
    answers that first report's result again and changes nothing (the first report is
    recorded once), where one without a key (or with another) is refused as already
    reported. The event intake sets it from the
    event's kind and id; the engine keeps only a keyed HMAC of it."""

    assessment_id: str
    success: bool
    account_known: bool = True
    once: str | None = None


@dataclass(frozen=True, slots=True)
class OutcomeResult:
    """What the store does with the session after the password check.

    The same fields whether or not the account exists: a failed login answers identically.
    """

    assessment_id: str
    success: bool
    session_view: SessionView = SessionView.NORMAL
    force_password_reset: bool = False
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "assessment_id": self.assessment_id,
            "recorded": True,
            "session_view": self.session_view.value,
            "force_password_reset": self.force_password_reset,
        }
