"""Respond errors: one root, :class:`RespondError`::

    RespondError
    ├── RespondInvalid          bad input: a field and a reason (HTTP 422)
    │   └── Unbalanced          a ledger posting whose debits and credits differ
    ├── RespondNotFound         no such victim, claim or posting (HTTP 404)
    └── RespondConflict         conflicts with the current state (HTTP 409)
        ├── TransitionRefused   a status change the state machine does not allow
        └── IdempotencyConflict an idempotency key reused with a different body

Messages name fields, identifiers and amounts, never a victim's phone, name or ID number.
"""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class RespondError(ShieldwallError):
    code = "respond_error"


class RespondInvalid(RespondError):
    code = "invalid_input"


class Unbalanced(RespondInvalid):
    code = "unbalanced_posting"


class RespondNotFound(RespondError):
    code = "not_found"


class RespondConflict(RespondError):
    code = "conflict"


class TransitionRefused(RespondConflict):
    code = "transition_refused"


class IdempotencyConflict(RespondConflict):
    code = "idempotency_conflict"
