"""The password check: NIST SP 800-63B-4 §3.1.1.2 rules, with reasons a customer understands.

A password is judged after NFKC normalisation (800-63B-4 asks verifiers to normalise before
hashing) and its length counted in Unicode code points. It is rejected when:

- ``too_short``: shorter than 15 when the password is the only factor, 8 with a second factor
  (both configurable, never below 8); ``too_long``: longer than the configured maximum (at
  least 64, as NIST requires verifiers to permit); when either applies nothing else is computed;
- ``invalid_characters``: it contains control characters (every printable ASCII character,
  the space and all other Unicode is accepted; there are no composition rules);
- ``breached``: the breached corpus has seen it (as typed or normalised) at least
  ``breached_threshold`` times;
- ``contains_name`` / ``contains_phone`` / ``contains_birthday`` / ``contains_national_id`` /
  ``contains_email`` / ``contains_store_name``: it contains a context token (see
  :mod:`.context`), compared NFKC case-folded with separators removed;
- ``repetitive`` / ``sequential``: at least half of it is runs of 3+ repeated characters or a
  repeated block (``aaaa``, ``abcabc``), or runs of 3+ consecutive characters (``1234``,
  ``cba``);
- ``too_guessable``: zxcvbn, given the context tokens as user inputs, scores it below
  ``min_guess_score`` (0-4).

Every reason that applies is reported, each with a stable code and a message in Chinese and
English; messages never repeat the password or the personal data it matched.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol

from zxcvbn import zxcvbn

from shieldwall.config import PasswordSettings
from shieldwall.guard.passwords.context import (
    ContextKind,
    CustomerContext,
    context_tokens,
    fold,
)


class BreachLookup(Protocol):
    """How often a password was seen in breaches (the SHA-1 corpus implements it)."""

    @property
    def has_data(self) -> bool: ...

    def count_password(self, password: str) -> int: ...


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


@dataclass(frozen=True, slots=True)
class PasswordVerdict:
    accepted: bool
    reasons: tuple[Reason, ...]
    length: int
    min_length: int
    breach_count: int | None  # None when no corpus was consulted (none imported yet)
    guess_score: int | None  # zxcvbn 0-4; None when the length check stopped the check

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "reasons": [r.as_dict() for r in self.reasons],
            "length": self.length,
            "min_length": self.min_length,
            "breach_count": self.breach_count,
            "guess_score": self.guess_score,
        }


_CONTEXT_MESSAGES = {
    ContextKind.NAME: (
        "密码中包含您的姓名或姓名拼音，掌握您资料的人很容易猜到。",
        "The password contains your name or its pinyin;"
        " anyone holding your details could guess it.",
    ),
    ContextKind.PHONE: (
        "密码中包含您的手机号码或其中一段数字。",
        "The password contains your phone number or part of it.",
    ),
    ContextKind.BIRTHDAY: (
        "密码中包含您的生日。",
        "The password contains your date of birth.",
    ),
    ContextKind.NATIONAL_ID: (
        "密码中包含您的身份证号码或其中一段。",
        "The password contains your ID card number or part of it.",
    ),
    ContextKind.EMAIL: (
        "密码中包含您的邮箱用户名。",
        "The password contains the name part of your email address.",
    ),
    ContextKind.STORE_NAME: (
        "密码中包含本店的名称，这是攻击者最先尝试的词之一。",
        "The password contains the store's name, one of the first words attackers try.",
    ),
}


def too_short(minimum: int) -> Reason:
    return Reason(
        "too_short", f"密码至少需要 {minimum} 个字符。", f"Use at least {minimum} characters."
    )


def too_long(maximum: int) -> Reason:
    return Reason(
        "too_long", f"密码不能超过 {maximum} 个字符。", f"Use at most {maximum} characters."
    )


INVALID_CHARACTERS = Reason(
    "invalid_characters",
    "密码中包含无法使用的控制字符（如换行或制表符）。",
    "The password contains control characters (such as a line break or tab) that cannot be used.",
)
REPETITIVE = Reason(
    "repetitive",
    "密码大部分是重复的字符（例如 aaaa 或 abab）。",
    "Most of the password is repeated characters (like aaaa or abab).",
)
SEQUENTIAL = Reason(
    "sequential",
    "密码大部分是连续的字符（例如 1234 或 abcd）。",
    "Most of the password is a run of consecutive characters (like 1234 or abcd).",
)
TOO_GUESSABLE = Reason(
    "too_guessable",
    "这个密码太容易被猜到。试试把几个不相关的词连在一起。",
    "This password is too easy to guess. Try several unrelated words together.",
)


def breached(count: int) -> Reason:
    return Reason(
        "breached",
        f"这个密码已在数据泄露中出现过 {count:,} 次，盗号者会优先尝试它，请换一个。",
        f"This password has appeared in data breaches {count:,} times; attackers try such"
        " passwords first. Please choose another.",
    )


def context_reason(kind: ContextKind) -> Reason:
    zh, en = _CONTEXT_MESSAGES[kind]
    return Reason(f"contains_{kind.value}", zh, en)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


def repeated_share(text: str) -> float:
    """Share of characters in runs of 3+ equal characters, or in a repeated block."""
    n = len(text)
    if n == 0:
        return 0.0
    for size in range(1, n // 2 + 1):
        reps = n // size
        if reps >= 2 and text == (text[:size] * (reps + 1))[:n]:
            return 1.0
    covered = 0
    run = 1
    for i in range(1, n + 1):
        if i < n and text[i] == text[i - 1]:
            run += 1
            continue
        if run >= 3:
            covered += run
        run = 1
    return covered / n


def sequential_share(text: str) -> float:
    """Share of characters in runs of 3+ consecutive code points, up or down."""
    n = len(text)
    covered = [False] * n
    i = 0
    while i < n - 1:
        step = ord(text[i + 1]) - ord(text[i])
        if step not in (1, -1):
            i += 1
            continue
        j = i + 1
        while j < n - 1 and ord(text[j + 1]) - ord(text[j]) == step:
            j += 1
        if j - i >= 2:
            covered[i : j + 1] = [True] * (j - i + 1)
        i = j  # the run's last character may begin a run in the other direction
    return sum(covered) / n if n else 0.0


_ZXCVBN_LOCK = threading.Lock()  # zxcvbn keeps the user inputs in a module global


class PasswordChecker:
    """Judges candidate passwords; pure apart from the breach lookup it is given."""

    def __init__(
        self, settings: PasswordSettings, breaches: BreachLookup | None, *, store_name: str
    ) -> None:
        self.settings = settings
        self.breaches = breaches
        self.store_name = store_name

    def check(
        self, password: str, *, mfa: bool = False, context: CustomerContext | None = None
    ) -> PasswordVerdict:
        s = self.settings
        normalized = unicodedata.normalize("NFKC", password)
        length = len(normalized)
        minimum = s.min_length_mfa if mfa else s.min_length
        if length > s.max_length:
            return PasswordVerdict(False, (too_long(s.max_length),), length, minimum, None, None)
        if length < minimum:
            return PasswordVerdict(False, (too_short(minimum),), length, minimum, None, None)
        reasons: list[Reason] = []
        if _has_control(normalized):
            reasons.append(INVALID_CHARACTERS)
        count: int | None = None
        if self.breaches is not None and self.breaches.has_data:
            count = self.breaches.count_password(password)
            if normalized != password:
                count = max(count, self.breaches.count_password(normalized))
            if count >= s.breached_threshold:
                reasons.append(breached(count))
        folded = fold(normalized)
        tokens = context_tokens(context, self.store_name)
        seen: set[ContextKind] = set()
        for token in tokens:
            if token.kind not in seen and token.text in folded:
                seen.add(token.kind)
                reasons.append(context_reason(token.kind))
        if repeated_share(normalized) >= 0.5:
            reasons.append(REPETITIVE)
        if sequential_share(normalized) >= 0.5:
            reasons.append(SEQUENTIAL)
        with _ZXCVBN_LOCK:
            result = zxcvbn(
                normalized, user_inputs=[t.text for t in tokens], max_length=s.max_length
            )
        score = int(result["score"])
        if score < s.min_guess_score:
            reasons.append(TOO_GUESSABLE)
        return PasswordVerdict(not reasons, tuple(reasons), length, minimum, count, score)
