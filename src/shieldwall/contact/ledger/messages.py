"""Message authenticity tags: a short keyed tag that proves a text came from the store.

A tag is 8 characters of Crockford base32 (40 bits), appended to an SMS or e-mail as
``【防伪码 ABCD-EFGH】``. It is the first 40 bits of

    HMAC-SHA256(key "contact.messages", "shieldwall.msg.v1" | customer id | window | text)

where ``text`` is the message normalized (NFKC, invisible characters removed, runs of white
space collapsed, the tag suffix removed) and ``window`` is the number of the
``tag_window_hours``-long period the message was signed in. A tag therefore binds the exact
wording, the recipient and the time: changing one character, showing the message to another
customer, or checking it after ``tag_valid_windows`` windows all fail.

Verification tries the last ``tag_valid_windows`` windows (7 by default), so each guess of a
forger is right with probability 7 / 2^40; guessing online over the rate-limited API is
hopeless. A tag that matches an older window (up to :data:`EXPIRED_LOOKBACK` more) is reported
as ``expired`` rather than ``mismatch``, which tells a customer "this was ours, but it is old".

Crockford base32 has no I, L, O or U: people type what they see, and ``O``/``0``,
``I``/``L``/``1`` are read as the same character.

The tag is called 防伪码 ("anti-counterfeit code"), never 验证码: customers are rightly taught
never to tell anyone a 验证码.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shieldwall.contact.ledger.errors import InvalidInput
from shieldwall.core.clock import Clock

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TAG_CHARS = 8
EXPIRED_LOOKBACK = 60
MAX_TEXT = 4000
_DECODE = {c: i for i, c in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
_SPACE = re.compile(r"\s+")
_SUFFIX = re.compile(
    r"[【\[]\s*(?:防伪码|check\s*tag)\s*[:：]?\s*([0-9A-Za-z]{4})[\s\-]?([0-9A-Za-z]{4})\s*[】\]]\s*$",
    re.IGNORECASE,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode(data: bytes) -> str:
    """The first 40 bits of ``data`` as 8 Crockford base32 characters."""
    value = int.from_bytes(data[:5], "big")
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(TAG_CHARS)))


def canonical_tag(text: str, field: str = "tag") -> str:
    """A typed tag in canonical form: case, dashes, spaces and O/I/L look-alikes forgiven."""
    compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
    if len(compact) != TAG_CHARS or any(c not in _DECODE for c in compact):
        raise InvalidInput(f"must be {TAG_CHARS} characters of 0-9 and A-Z", field=field)
    return "".join(ALPHABET[_DECODE[c]] for c in compact)


def normalize_text(text: str) -> str:
    """The form a tag is computed over; any rendering of the same words gives the same form."""
    plain = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return _SPACE.sub(" ", plain).strip()


def split_tag(text: str) -> tuple[str, str | None]:
    """Split a message into its body and the tag appended to it (None when there is none)."""
    match = _SUFFIX.search(text)
    if match is None:
        return text, None
    return text[: match.start()], match.group(1) + match.group(2)


def display_tag(tag: str) -> str:
    return f"{tag[:4]}-{tag[4:]}"


@dataclass(frozen=True, slots=True)
class SignedMessage:
    tag: str
    text: str  # the message with the tag appended
    window_start: datetime
    valid_until: datetime


@dataclass(frozen=True, slots=True)
class TagCheck:
    """``reason``: ``valid``, ``expired``, ``mismatch`` (altered, other recipient, forged) or
    ``no_tag``."""

    valid: bool
    reason: str
    signed_window_start: datetime | None = None
    valid_until: datetime | None = None


class MessageAuthenticator:
    def __init__(
        self, secret: bytes, clock: Clock, *, window: timedelta, valid_windows: int
    ) -> None:
        if len(secret) < 32:
            raise ValueError("the message secret must be at least 256 bits")
        self._key = secret
        self.clock = clock
        self.window = window
        self.valid_windows = valid_windows

    def _window_of(self, when: datetime) -> int:
        return int((when - _EPOCH) // self.window)

    def _start(self, window: int) -> datetime:
        return _EPOCH + self.window * window

    def _tag(self, recipient: str, window: int, body: str) -> str:
        message = "\x1f".join(("shieldwall.msg.v1", recipient, str(window), body)).encode()
        return encode(hmac.new(self._key, message, hashlib.sha256).digest())

    def _body(self, text: str, field: str) -> str:
        if not isinstance(text, str):
            raise InvalidInput("must be text", field=field)
        body = normalize_text(text)
        if not body:
            raise InvalidInput("must not be empty", field=field)
        if len(body) > MAX_TEXT:
            raise InvalidInput(f"longer than {MAX_TEXT} characters", field=field)
        return body

    def sign(self, recipient: str, text: str) -> SignedMessage:
        """Tag ``text`` for ``recipient`` (a customer id) now; returns the text to send."""
        body_text, existing = split_tag(text)
        if existing is not None:
            raise InvalidInput("already carries a tag", field="text")
        body = self._body(body_text, "text")
        window = self._window_of(self.clock.now())
        tag = self._tag(recipient, window, body)
        start = self._start(window)
        return SignedMessage(
            tag=tag,
            text=f"{body_text.rstrip()}【防伪码 {display_tag(tag)}】",
            window_start=start,
            valid_until=start + self.window * self.valid_windows,
        )

    def verify(self, recipient: str, text: str, tag: str | None = None) -> TagCheck:
        """Check a message as received; ``tag`` may be given apart or left in the text."""
        body_text, found = split_tag(text)
        if tag is None:
            tag = found
        if tag is None:
            self._body(body_text, "text")
            return TagCheck(False, "no_tag")
        wanted = canonical_tag(tag)
        body = self._body(body_text, "text")
        current = self._window_of(self.clock.now())
        matched = None
        for back in range(self.valid_windows + EXPIRED_LOOKBACK):
            candidate = self._tag(recipient, current - back, body)
            if hmac.compare_digest(candidate.encode(), wanted.encode()):
                matched = back
                break
        if matched is None:
            return TagCheck(False, "mismatch")
        start = self._start(current - matched)
        until = start + self.window * self.valid_windows
        if matched >= self.valid_windows:
            return TagCheck(False, "expired", start, until)
        return TagCheck(True, "valid", start, until)
