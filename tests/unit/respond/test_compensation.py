"""Compensation, pure: money is integer fen, postings balance, claims follow their machine, and
any sequence of valid operations keeps the trial balance at zero (a Hypothesis property)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.respond.compensation import (
    CASH,
    CLAIM_TRANSITIONS,
    EXPENSE,
    MAX_FEN,
    Claim,
    ClaimStatus,
    Entry,
    RejectReason,
    approval_entries,
    balances,
    check_balanced,
    fen,
    parse_yuan,
    payment_entries,
    recoverable,
    recovery_entries,
    request_digest,
    write_off_entries,
)
from shieldwall.respond.errors import RespondInvalid, TransitionRefused, Unbalanced

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def claim(amount: int = 10_000, claim_id: str = "clm-1", by: str = "agent-li") -> Claim:
    return Claim(claim_id, "case-7", "C1", amount, None, ClaimStatus.SUBMITTED, by, T0, T0)


@pytest.mark.parametrize("value", [1.0, 100.5, "100", True, None, 0, -1, MAX_FEN + 1])
def test_fen_refuses_anything_but_a_positive_int(value: object) -> None:
    """Floats (even whole), strings, bools, zero, negatives and absurd sizes are refused."""
    with pytest.raises(RespondInvalid):
        fen(value, "amount_fen")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("12", 1200), ("12.5", 1250), ("12.05", 1205), ("0.01", 1), (" 7.10 ", 710)],
)
def test_parse_yuan_reads_digits(text: str, expected: int) -> None:
    """Yuan to fen digit by digit: 12.05 is 1205 (a float would say 1204.9999...)."""
    assert parse_yuan(text, "loss_yuan") == expected


@pytest.mark.parametrize("text", ["12.345", "-1", "1e3", "12,00", "", "¥12", "1.2.3"])
def test_parse_yuan_refuses_other_spellings(text: str) -> None:
    with pytest.raises(RespondInvalid):
        parse_yuan(text, "loss_yuan")


def test_check_balanced() -> None:
    """A posting needs two or more non-zero lines on real accounts that sum to zero."""
    assert check_balanced([Entry(EXPENSE, 5), Entry(CASH, -3), Entry(CASH, -2)]) == 5
    for bad in (
        [Entry(EXPENSE, 5)],
        [Entry(EXPENSE, 5), Entry(CASH, -4)],
        [Entry(EXPENSE, 0), Entry(CASH, 0)],
        [Entry("bank", 5), Entry(CASH, -5)],
        [Entry("payable:", 5), Entry(CASH, -5)],
        [Entry(EXPENSE, True), Entry(CASH, -1)],  # type: ignore[arg-type]
    ):
        with pytest.raises(Unbalanced):
            check_balanced(bad)


@pytest.mark.parametrize("start", list(ClaimStatus))
@pytest.mark.parametrize("step", ["review", "approve", "reject", "pay"])
def test_claim_state_machine(start: ClaimStatus, step: str) -> None:
    """Each step is allowed from exactly the states the table lists, refused from the rest."""
    c = Claim("clm-1", "case-7", "C1", 100, None, start, "agent-li", T0, T0, amount_approved=100)
    target = {
        "review": ClaimStatus.UNDER_REVIEW,
        "approve": ClaimStatus.APPROVED,
        "reject": ClaimStatus.REJECTED,
        "pay": ClaimStatus.PAID,
    }[step]
    allowed = target in CLAIM_TRANSITIONS[start]
    act = {
        "review": lambda: c.review(T0),
        "approve": lambda: c.approve(100, advance=False, by="sec-admin", at=T0),
        "reject": lambda: c.reject(RejectReason.WITHDRAWN, by="sec-admin", at=T0),
        "pay": lambda: c.pay(100, T0),
    }[step]
    if allowed:
        assert act().status is target
    else:
        with pytest.raises(TransitionRefused):
            act()


def test_partial_payments_and_limits() -> None:
    """An approved claim is paid in parts; it is paid when nothing is outstanding; paying more
    than outstanding, approving more than claimed and approving one's own claim are refused."""
    c = claim(10_000).review(T0)
    with pytest.raises(RespondInvalid):
        c.approve(10_001, advance=False, by="sec-admin", at=T0)
    with pytest.raises(TransitionRefused):
        c.approve(10_000, advance=False, by="agent-li", at=T0)
    c = c.approve(8_000, advance=False, by="sec-admin", at=T0)
    c = c.pay(5_000, T0)
    assert (c.status, c.outstanding) == (ClaimStatus.APPROVED, 3_000)
    with pytest.raises(TransitionRefused):
        c.pay(3_001, T0)
    c = c.pay(3_000, T0)
    assert (c.status, c.outstanding) == (ClaimStatus.PAID, 0)


def test_postings_by_hand() -> None:
    """Approval to expense, approval as advance, payment, recovery, write-off: the accounts."""
    c = claim()
    assert approval_entries(c, 700, advance=False) == (
        Entry(EXPENSE, 700),
        Entry("payable:clm-1", -700),
    )
    assert approval_entries(c, 700, advance=True)[0] == Entry("recoverable:case-7", 700)
    assert payment_entries(c, 700) == (Entry("payable:clm-1", 700), Entry(CASH, -700))
    assert recovery_entries("case-7", 5) == (Entry(CASH, 5), Entry("recoverable:case-7", -5))
    assert write_off_entries("case-7", 5) == (Entry(EXPENSE, 5), Entry("recoverable:case-7", -5))


def test_request_digest_binds_every_field() -> None:
    a = request_digest("claim.pay", {"claim_id": "c", "amount_fen": 5})
    assert a == request_digest("claim.pay", {"amount_fen": 5, "claim_id": "c"})
    assert a != request_digest("claim.pay", {"claim_id": "c", "amount_fen": 6})
    assert a != request_digest("claim.approve", {"claim_id": "c", "amount_fen": 5})


_op = st.one_of(
    st.tuples(st.just("submit"), st.integers(1, 10**9), st.booleans()),
    st.tuples(st.just("pay"), st.integers(0, 50), st.integers(1, 10**9)),
    st.tuples(st.just("recover"), st.integers(1, 10**9), st.booleans()),
)


@given(st.lists(_op, max_size=60))
def test_any_sequence_of_valid_operations_keeps_the_trial_balance_at_zero(
    ops: list[tuple[str, int, object]],
) -> None:
    """Claims approved (to expense or as advances), paid in parts, advances recovered or
    written off, in any order and amounts the domain accepts: after every posting the accounts
    sum to zero, every amount is an int, and no payable or receivable goes negative."""
    claims: list[Claim] = []
    entries: list[Entry] = []
    for op in ops:
        posting: tuple[Entry, ...] = ()
        if op[0] == "submit":
            c = claim(op[1], f"clm-{len(claims)}", "agent-li").review(T0)
            c = c.approve(op[1], advance=bool(op[2]), by="sec-admin", at=T0)
            posting = approval_entries(c, op[1], advance=c.advance)
            claims.append(c)
        elif op[0] == "pay" and claims:
            i = int(op[1]) % len(claims)
            amount = min(int(op[2]), claims[i].outstanding)  # type: ignore[call-overload]
            if amount > 0:
                posting = payment_entries(claims[i], amount)
                claims[i] = claims[i].pay(amount, T0)
        elif op[0] == "recover":
            left = balances(entries).get(recoverable("case-7"), 0)
            amount = min(int(op[1]), left)
            if amount > 0:
                build = recovery_entries if op[2] else write_off_entries
                posting = build("case-7", amount)
        if posting:
            check_balanced(posting)
            entries.extend(posting)
        b = balances(entries)
        assert sum(b.values()) == 0
        assert all(type(v) is int for v in b.values())
        assert all(v <= 0 for a, v in b.items() if a.startswith("payable:"))
        assert b.get(recoverable("case-7"), 0) >= 0
    for c in claims:
        assert -balances(entries).get(f"payable:{c.claim_id}", 0) == c.outstanding
