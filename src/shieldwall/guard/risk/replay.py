"""Replay a login log through the engine: what would it have decided?

Events are JSON lines ``{"ts", "account", "ip", "user_agent"?, "device_id"?, "password_sha1"?,
"success", "account_known"?}``; ``ts`` is ISO 8601 (a naive time is UTC) or seconds since the
epoch. Events are replayed in time order (a stable sort, so equal times keep file order) with
the engine's :class:`ManualClock` set to each event's time; each is assessed, then its logged
outcome is reported, so the state learns what really happened. A bad line is reported with its
number and skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.errors import RiskError
from shieldwall.guard.risk.model import Assessment, LoginAttempt
from shieldwall.guard.risk.network import parse_ip


@dataclass(frozen=True, slots=True)
class ReplayEvent:
    line: int
    ts: datetime
    attempt: LoginAttempt
    success: bool
    account_known: bool


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ReplaySummary:
    events: int = 0
    bad_lines: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "bad_lines": self.bad_lines,
            "decisions": dict(self.decisions),
            "reasons": dict(self.reasons.most_common()),
        }


def _ts(value: Any) -> datetime:
    if isinstance(value, bool):
        raise ValueError("ts: not a time")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("ts: out of range") from None
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("ts: not an ISO 8601 time or seconds since the epoch") from None
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    raise ValueError("ts: not a time")


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key}: not a string")
    return value


def parse_event(line: int, text: str) -> ReplayEvent | BadLine:
    """One event from one line, or why it is bad (no value is quoted back)."""
    try:
        data = json.loads(text)
    except ValueError:
        return BadLine(line, "not valid JSON")
    if not isinstance(data, dict):
        return BadLine(line, "not a JSON object")
    for key in ("ts", "account", "ip", "success"):
        if key not in data:
            return BadLine(line, f"{key}: is required")
    try:
        ts = _ts(data["ts"])
        if not isinstance(data["account"], str) or not isinstance(data["ip"], str):
            raise ValueError("account and ip must be strings")
        success = data["success"]
        known = data.get("account_known", True)
        if not isinstance(success, bool) or not isinstance(known, bool):
            raise ValueError("success and account_known must be true or false")
        attempt = LoginAttempt(
            data["account"],
            data["ip"],
            _opt_str(data, "user_agent"),
            _opt_str(data, "device_id"),
            _opt_str(data, "password_sha1"),
        )
        parse_ip(attempt.ip)
    except RiskError as exc:
        return BadLine(line, str(exc))
    except (ValueError, OverflowError, OSError) as exc:
        return BadLine(line, str(exc).split("\n", 1)[0][:120] or "invalid")
    return ReplayEvent(line, ts, attempt, success, known)


def read_events(lines: Iterable[str | bytes]) -> tuple[list[ReplayEvent], list[BadLine]]:
    """Parse every non-blank line (text, or bytes decoded as UTF-8); events sorted by time
    (stable)."""
    events: list[ReplayEvent] = []
    bad: list[BadLine] = []
    for n, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(BadLine(n, "not valid UTF-8"))
                continue
        else:
            text = raw
        if not text.strip():
            continue
        got = parse_event(n, text)
        if isinstance(got, BadLine):
            bad.append(got)
        else:
            events.append(got)
    events.sort(key=lambda e: e.ts)
    return events, bad


def replay(
    engine: RiskEngine, clock: ManualClock, events: Iterable[ReplayEvent]
) -> Iterator[tuple[ReplayEvent, Assessment]]:
    """Assess each event at its time and report its logged outcome; yield the assessments."""
    for event in events:
        clock.set(event.ts)
        assessment = engine.assess(event.attempt)
        engine.outcome(
            assessment.assessment_id, success=event.success, account_known=event.account_known
        )
        yield event, assessment
