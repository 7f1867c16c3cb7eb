"""The incident case state machine, as a pure table.

A case moves forward through ``open → investigating → contained → notified → closed``. The
table also allows the moves an investigation needs in practice, and only those:

- skipping ``investigating`` when the source already proves the cause (a canary hit names the
  release), so ``open → contained``;
- going back to ``investigating`` from ``contained`` or ``notified`` when new harm appears;
- closing from ``open`` or ``investigating`` (a false alarm needs no containment or notice);
- reopening a closed case (``closed → investigating``): new victims of an old leak.

Everything else (staying in place, ``open → notified``, ``closed → contained``...) is refused
with :class:`~shieldwall.respond.errors.InvalidTransition`.
"""

from __future__ import annotations

from enum import StrEnum

from shieldwall.respond.errors import CaseInvalid, InvalidTransition


class CaseState(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    CONTAINED = "contained"
    NOTIFIED = "notified"
    CLOSED = "closed"


TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.OPEN: frozenset({CaseState.INVESTIGATING, CaseState.CONTAINED, CaseState.CLOSED}),
    CaseState.INVESTIGATING: frozenset({CaseState.CONTAINED, CaseState.CLOSED}),
    CaseState.CONTAINED: frozenset({CaseState.INVESTIGATING, CaseState.NOTIFIED, CaseState.CLOSED}),
    CaseState.NOTIFIED: frozenset({CaseState.INVESTIGATING, CaseState.CLOSED}),
    CaseState.CLOSED: frozenset({CaseState.INVESTIGATING}),
}


def parse_state(value: str, field: str = "state") -> CaseState:
    try:
        return CaseState(value)
    except ValueError:
        options = ", ".join(s.value for s in CaseState)
        raise CaseInvalid(f"unknown state; expected one of {options}", field=field) from None


def allowed(current: CaseState, target: CaseState) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: CaseState, target: CaseState) -> None:
    """Raise :class:`InvalidTransition` unless the table allows ``current → target``."""
    if not allowed(current, target):
        options = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        raise InvalidTransition(
            f"a case cannot move from {current.value} to {target.value}"
            f" (from {current.value}: {options})",
            field="state",
        )
