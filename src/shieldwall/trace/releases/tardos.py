"""Tardos fingerprinting codes, derived from keys instead of stored, with a calibrated tail bound.

**Code** (Tardos 2003, "Optimal probabilistic fingerprint codes"): every position ``i`` has a
secret bias ``p_i`` drawn from the arcsine density ``1 / (pi * sqrt(p (1 - p)))`` cut off to
``[t, 1 - t]`` with ``t = 1 / (300 c)``; recipient ``j`` holds bit ``X_ji = 1`` with probability
``p_i``, independently. Here a *position* is a mark channel of one record, named by a keyed HMAC
of the record's natural identifier (the phone's blind index), so the code is as long as the data
it marks and nothing per record is stored: ``p_i`` and ``X_ji`` are HMAC outputs under keys
derived from custody's ``trace.releases`` secret. A recipient's bits are the same in every
release it gets (two of its own copies agree, so comparing them reveals nothing).

**Score** (symmetric version, Škorić, Katzenbeisser and Celik 2008, "Symmetric Tardos
fingerprinting codes for arbitrary alphabet sizes"): over the positions observed in the leak,
``S_j = sum g(X_ji, y_i, p_i)`` with ``g(1, 1) = sqrt((1-p)/p)``, ``g(0, 1) = -sqrt(p/(1-p))``,
``g(0, 0) = sqrt(p/(1-p))``, ``g(1, 0) = -sqrt((1-p)/p)``. An innocent recipient's bits are
independent of the leak, so each term has mean 0 and variance 1 whatever the colluders did.

**p-value**: instead of Tardos' fixed threshold ``Z = 20 c k`` (which assumes the full code
length) we bound ``P(S_j >= s | innocent)`` for the positions actually observed with a Chernoff
bound on the *exact* two-point distribution of every term: ``min over lambda > 0 of
exp(-lambda s) * prod_i (p_i exp(lambda a_i) + (1 - p_i) exp(lambda b_i))``. It is a true upper
bound (no normal approximation), holds conditionally on which positions survived and on every
leaked bit, and so tolerates missing positions, subsets and any coalition strategy. Accusing at
``p <= eps`` falsely accuses a given innocent recipient with probability at most ``eps``.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_SCALE = float(1 << 64)


def cutoff(c: int) -> float:
    """Tardos' bias cut-off ``t = 1 / (300 c)`` for coalitions of up to ``c``."""
    return 1.0 / (300.0 * c)


def code_length(c: int, eps: float) -> int:
    """Tardos' original length ``100 c^2 ceil(ln(1/eps))`` (for reference; positions here are
    as many as the leak carries)."""
    return int(100 * c * c * math.ceil(math.log(1.0 / eps)))


def _unit(mac: bytes) -> float:
    """The first 64 bits of a MAC as a number in [0, 1)."""
    return int.from_bytes(mac[:8], "big") / _SCALE


class TardosKeys:
    """The keys of one store's code: where positions are, their biases, each recipient's bits."""

    def __init__(self, secret: bytes, c: int = 5) -> None:
        self.c = c
        self._position_key = self._key(secret, "position")
        self._bias_key = self._key(secret, "bias")
        self._recipient_key = self._key(secret, "recipient")
        self._low = math.asin(math.sqrt(cutoff(c)))

    @staticmethod
    def _key(secret: bytes, label: str) -> bytes:
        return hmac.digest(secret, b"tardos\x1f" + label.encode(), "sha256")

    def position(self, channel: str, natural_id: bytes) -> bytes:
        """The position of a mark channel of the record whose natural identifier (the phone's
        blind index) is ``natural_id``: 16 bytes, equal for every recipient."""
        msg = channel.encode() + b"\x1f" + natural_id
        return hmac.digest(self._position_key, msg, "sha256")[:16]

    def bias(self, position: bytes) -> float:
        """``p_i = sin^2(r)``, ``r`` uniform on ``[t', pi/2 - t']``, ``t' = asin(sqrt(t))``."""
        u = _unit(hmac.digest(self._bias_key, position, "sha256"))
        return math.sin(self._low + (math.pi / 2 - 2 * self._low) * u) ** 2

    def recipient(self, recipient_id: str) -> RecipientCode:
        key = hmac.digest(self._recipient_key, recipient_id.encode(), "sha256")
        return RecipientCode(key, self)


@dataclass(frozen=True, slots=True)
class RecipientCode:
    """One recipient's codeword: ``bit(position) = 1`` with probability ``bias(position)``."""

    key: bytes
    keys: TardosKeys

    def bit(self, position: bytes, bias: float | None = None) -> int:
        """The bit at ``position``; pass its ``bias`` when already computed."""
        u = _unit(hmac.digest(self.key, position, "sha256"))
        return int(u < (self.keys.bias(position) if bias is None else bias))


def term(x: int, y: int, p: float) -> float:
    """The symmetric Tardos score of one position (see the module docstring)."""
    up, down = math.sqrt((1 - p) / p), math.sqrt(p / (1 - p))
    if y:
        return up if x else -down
    return down if not x else -up


@dataclass(frozen=True, slots=True)
class ScoreResult:
    positions: int
    score: float
    log10_p: float  # log10 of the Chernoff bound on P(score >= observed | innocent)

    @property
    def p_value(self) -> float:
        return float(10.0**self.log10_p)


def score(bits: Sequence[int], leaked: Sequence[int], biases: Sequence[float]) -> ScoreResult:
    """Score one recipient's bits against the leaked bits and bound the false-accusation tail."""
    if not (len(bits) == len(leaked) == len(biases)):
        raise ValueError("bits, leaked and biases must have the same length")
    if not bits:
        return ScoreResult(0, 0.0, 0.0)
    p = np.asarray(biases, dtype=np.float64)
    y = np.asarray(leaked, dtype=np.int8)
    x = np.asarray(bits, dtype=np.int8)
    up, down = np.sqrt((1 - p) / p), np.sqrt(p / (1 - p))
    a = np.where(y == 1, up, -up)  # the term when the recipient's bit is 1
    b = np.where(y == 1, -down, down)  # the term when it is 0
    s = float(np.sum(np.where(x == 1, a, b)))
    return ScoreResult(len(bits), s, chernoff_log10(s, a, b, p))


def chernoff_log10(s: float, a: np.ndarray, b: np.ndarray, p: np.ndarray) -> float:
    """log10 of ``min_lambda exp(-lambda s) prod(p e^{lambda a} + (1-p) e^{lambda b})``.

    The log-MGF is convex in lambda, so a bounded scalar minimisation finds the minimum; for
    ``s <= 0`` the bound is 1 (lambda = 0).
    """
    if s <= 0:
        return 0.0
    log_p, log_q = np.log(p), np.log1p(-p)

    def objective(lam: float) -> float:
        mgf = np.logaddexp(log_p + lam * a, log_q + lam * b)
        return float(-lam * s + np.sum(mgf))

    span = float(np.max(np.abs(np.concatenate([a, b]))))
    upper = max(1e-6, 60.0 / span)
    from scipy.optimize import minimize_scalar  # noqa: PLC0415 - a slow import, paid only when used

    best = minimize_scalar(objective, bounds=(0.0, upper), method="bounded")
    value = min(0.0, float(best.fun), objective(upper))
    return value / math.log(10)
