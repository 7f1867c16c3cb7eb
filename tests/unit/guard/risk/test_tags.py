"""The engine's keyed tags: HMAC-SHA-256 exactly, on RFC 4231's vectors and against ``hmac``."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.model import LoginAttempt
from shieldwall.guard.risk.ports import AssessOps, AssessView
from shieldwall.guard.risk.tags import KeyedSha256
from tests.unit.guard.risk.conftest import KEY

_LONG_KEY = b"\xaa" * 131
# RFC 4231, section 4: test cases 1, 2, 3, 4, 6 and 7 (5 truncates the output; not a case here).
RFC_4231 = [
    (
        b"\x0b" * 20,
        b"Hi There",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        b"\xaa" * 20,
        b"\xdd" * 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        bytes(range(1, 26)),
        b"\xcd" * 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
    (
        _LONG_KEY,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        _LONG_KEY,
        b"This is a test using a larger than block-size key and a larger than block-size data."
        b" The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
]


@pytest.mark.parametrize(("key", "message", "expected"), RFC_4231)
def test_rfc_4231_vectors(key: bytes, message: bytes, expected: str) -> None:
    """Each RFC 4231 HMAC-SHA-256 vector, including keys longer than a block."""
    assert KeyedSha256(key).digest(message).hex() == expected


def test_one_key_many_messages_do_not_interfere() -> None:
    """The pads' states are copied, never consumed: the same message gives the same tag after
    others, under the engine's test key."""
    mac = KeyedSha256(KEY)
    first = mac.digest(b"i1.2.3.4")
    mac.digest(b"a" * 1000)
    assert mac.digest(b"i1.2.3.4") == first == hmac.digest(KEY, b"i1.2.3.4", "sha256")


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_equals_the_standard_library(key: bytes, message: bytes) -> None:
    """Any key and message: the standard library's HMAC gives the same digest."""
    assert KeyedSha256(key).digest(message) == hmac.new(key, message, hashlib.sha256).digest()


def test_engine_keys_are_the_standard_hmac_tags(engine: RiskEngine) -> None:
    """The state's keys do not change with the implementation (Redis keeps them across
    upgrades): an account's key is ``a:`` and the first 10 bytes of the standard library's
    HMAC-SHA-256 of ``b"a"`` and the folded name, in hex."""
    expected = hmac.digest(KEY, b"a" + b"alice@example.com", "sha256")[:10].hex()
    assert engine.account_key(" Alice@Example.com ") == "a:" + expected


class _RecordingState:
    """The engine's state, with each attempt's operations kept for the test to read."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.ops: list[AssessOps] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def assess(self, now: float, ops: AssessOps) -> AssessView:
        self.ops.append(ops)
        view: AssessView = self.inner.assess(now, ops)
        return view


def test_agent_and_device_keys_are_the_standard_hmac_tags(engine: RiskEngine) -> None:
    """A user agent's and a device's profile fields are their standard HMAC tags, the first
    time, when the engine has kept the agent's tag, and when either is absent (the tag of "")."""
    state = _RecordingState(engine.state)
    engine.state = state

    def tag(kind: bytes, value: str) -> str:
        return hmac.digest(KEY, kind + value.encode(), "sha256")[:10].hex()

    agent = "Mozilla/5.0 (X11; Linux x86_64) Ünïcode"
    for _ in range(2):  # computed, then kept
        engine.assess(LoginAttempt("alice", "1.2.3.4", agent, "dev-1"))
    engine.assess(LoginAttempt("alice", "1.2.3.4", None, None))
    engine.assess(LoginAttempt("alice", "1.2.3.4", "", ""))
    agents = [ops.fields[3] for ops in state.ops]
    devices = [ops.fields[4] for ops in state.ops]
    assert agents == ["u:" + tag(b"u", agent)] * 2 + ["u:" + tag(b"u", "")] * 2
    assert devices == ["d:" + tag(b"d", "dev-1")] * 2 + ["d:" + tag(b"d", "")] * 2
    assert "d:" + tag(b"d", "dev-1") in state.ops[0].entities
