"""The default policy, every role x purpose, and the validation of policy files."""

from __future__ import annotations

import itertools

import pytest

from shieldwall.core.model import OrderField, PiiField, Principal, Purpose, Relationship, Role, View
from shieldwall.custody.errors import PolicyError
from shieldwall.custody.policy import (
    decide,
    decide_break_glass,
    decide_reveal,
    load_default_policy,
    parse_policy,
)

POLICY = load_default_policy()
C, M, R, P, H = View.CLEAR, View.MASKED, View.RELAY, View.PSEUDONYM, View.HIDDEN

# role, purpose -> (relationship that satisfies it, reason when it is missing,
#                   customer views name/phone/email/address/national_id)
ALLOWED = {
    (Role.AGENT, Purpose.AFTER_SALES): (
        Relationship(open_ticket=True),
        "no_open_ticket",
        (M, M, M, M, H),
    ),
    (Role.COURIER, Purpose.DELIVERY): (
        Relationship(assignment_active=True),
        "not_assigned",
        (M, R, H, H, H),
    ),
    (Role.PARTNER, Purpose.PARTNER_FULFILMENT): (
        Relationship(granted_fields=frozenset(f.value for f in PiiField)),
        "no_grant",
        (C, C, H, C, H),
    ),
    (Role.ANALYST, Purpose.ANALYTICS): (Relationship(), None, (P, P, P, M, H)),
    (Role.ADMIN, Purpose.INVESTIGATION): (Relationship(), "reason_required", (M, M, M, M, M)),
    (Role.ADMIN, Purpose.ANALYTICS): (Relationship(), None, (P, P, P, M, H)),
    (Role.SERVICE, Purpose.ACCOUNT_SELF): (Relationship(is_self=True), "not_self", (C, C, C, C, M)),
}
REASON = "suspected insider export, case 2026-114"


@pytest.mark.parametrize(("role", "purpose"), list(itertools.product(Role, Purpose)))
def test_every_role_and_purpose(role: Role, purpose: Purpose) -> None:
    """Each of the 36 role x purpose pairs is allowed exactly as the policy says, or denied."""
    who = Principal("p1", role)
    expected = ALLOWED.get((role, purpose))
    if expected is None:
        for rel in (
            Relationship(),
            Relationship(open_ticket=True, assignment_active=True, is_self=True),
        ):
            decision = decide(POLICY, who, purpose, rel, reason=REASON)
            assert not decision.allowed and decision.reasons == ("purpose_not_allowed",)
        return
    rel, missing_reason, views = expected
    decision = decide(POLICY, who, purpose, rel, reason=REASON)
    assert decision.allowed
    assert tuple(decision.customer[f] for f in PiiField) == views
    assert decision.pseudonymous_ids == (role is Role.ANALYST or purpose is Purpose.ANALYTICS)
    if missing_reason is not None:
        denied = decide(POLICY, who, purpose, Relationship(), reason=None)
        assert not denied.allowed and denied.reasons == (missing_reason,)


def test_inactive_principal_is_denied_first() -> None:
    """A deactivated principal is denied whatever else holds."""
    who = Principal("a", Role.AGENT, active=False)
    assert decide(POLICY, who, Purpose.AFTER_SALES, Relationship(open_ticket=True)).reasons == (
        "principal_inactive",
    )


def test_expired_ticket_has_its_own_reason() -> None:
    """An agent whose ticket expired is told so, not just 'no ticket'."""
    who = Principal("a", Role.AGENT)
    d = decide(POLICY, who, Purpose.AFTER_SALES, Relationship(ticket_expired=True))
    assert d.reasons == ("ticket_expired",)


def test_courier_grace_period_counts_as_assigned() -> None:
    """A courier within the delivery grace period still reads the waybill."""
    who = Principal("c", Role.COURIER)
    assert decide(POLICY, who, Purpose.DELIVERY, Relationship(assignment_in_grace=True)).allowed


def test_partner_sees_only_granted_fields() -> None:
    """A grant of name and phone shows those two; the address stays hidden."""
    who = Principal("p", Role.PARTNER)
    rel = Relationship(granted_fields=frozenset({"name", "phone"}))
    d = decide(POLICY, who, Purpose.PARTNER_FULFILMENT, rel)
    assert d.customer[PiiField.NAME] is C and d.customer[PiiField.PHONE] is C
    assert d.customer[PiiField.ADDRESS] is H and d.order[OrderField.DELIVERY_ADDRESS] is H


def test_risky_session_is_capped_to_masked() -> None:
    """A session whose login risk is elevated sees its own account masked."""
    who = Principal("app", Role.SERVICE)
    d = decide(POLICY, who, Purpose.ACCOUNT_SELF, Relationship(is_self=True), risky=True)
    assert d.allowed and "risk_capped" in d.reasons
    assert d.customer[PiiField.PHONE] is M and d.customer[PiiField.NATIONAL_ID] is M
    assert not decide_reveal(
        POLICY,
        who,
        Purpose.ACCOUNT_SELF,
        "national_id",
        Relationship(is_self=True),
        reason=REASON,
        risky=True,
    ).allowed


def test_reveal_rules() -> None:
    """Reveals need the base relationship, a revealable field and a reason."""
    agent = Principal("a", Role.AGENT)
    ticket = Relationship(open_ticket=True)
    assert decide_reveal(POLICY, agent, Purpose.AFTER_SALES, "phone", ticket, reason=REASON).allowed
    assert decide_reveal(
        POLICY, agent, Purpose.AFTER_SALES, "phone", ticket, reason="x"
    ).reasons == ("reason_required",)
    assert decide_reveal(
        POLICY, agent, Purpose.AFTER_SALES, "national_id", ticket, reason=REASON
    ).reasons == ("field_not_revealable",)
    assert decide_reveal(
        POLICY, agent, Purpose.AFTER_SALES, "phone", Relationship(), reason=REASON
    ).reasons == ("no_open_ticket",)


def test_break_glass() -> None:
    """Break-glass is for listed roles with a long reason; it shows everything in clear."""
    assert (
        decide_break_glass(POLICY, Principal("s", Role.ADMIN), REASON).customer[
            PiiField.NATIONAL_ID
        ]
        is C
    )
    assert decide_break_glass(POLICY, Principal("c", Role.COURIER), REASON).reasons == (
        "break_glass_not_allowed",
    )
    assert decide_break_glass(POLICY, Principal("s", Role.ADMIN), "too short").reasons == (
        "reason_required",
    )


GOOD_RULE = """
version: 1
rules:
  agent:
    after_sales:
      relationship: ticket
      customer: {name: masked, phone: masked, email: masked, address: masked, national_id: hidden}
      order: {items: clear, delivery_address: masked, amount: clear, status: clear}
"""


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("version: [", None, "not valid YAML at line 1"),
        ("- a list", None, "must be a mapping"),
        ("version: 2\nrules: {}", "version", "unsupported"),
        (GOOD_RULE.replace("agent:", "wizard:"), "rules.wizard", "unknown role 'wizard'"),
        (
            GOOD_RULE.replace("after_sales:", "curiosity:"),
            "rules.agent.curiosity",
            "unknown purpose",
        ),
        (
            GOOD_RULE.replace("name: masked", "name: blurred"),
            "rules.agent.after_sales.customer.name",
            "unknown view",
        ),
        (
            GOOD_RULE.replace("name: masked, ", ""),
            "rules.agent.after_sales.customer",
            "no view for name",
        ),
        (
            GOOD_RULE.replace("email: masked", "email: relay"),
            "rules.agent.after_sales.customer.email",
            "relay applies",
        ),
        (
            GOOD_RULE.replace("relationship: ticket", "relationship: vibes"),
            "rules.agent.after_sales.relationship",
            "must be one of",
        ),
        (
            GOOD_RULE + "      reveal: [password]\n",
            "rules.agent.after_sales.reveal",
            "must list fields",
        ),
        (GOOD_RULE + "      colour: blue\n", "rules.agent.after_sales.colour", "unknown key"),
        (
            GOOD_RULE + "      requires_reason: maybe\n",
            "rules.agent.after_sales.requires_reason",
            "true or false",
        ),
        (
            GOOD_RULE + "break_glass: {roles: [admin], min_reason_length: 2}\n",
            "break_glass.min_reason_length",
            "whole number",
        ),
    ],
)
def test_policy_validation_errors(text: str, field: str | None, message: str) -> None:
    """A bad policy file is refused at load, naming the place in the file and the problem."""
    with pytest.raises(PolicyError, match=message) as err:
        parse_policy(text)
    assert err.value.field == field


def test_minimal_policy_loads_and_denies_the_rest() -> None:
    """A one-rule policy allows that rule and denies everything else."""
    policy = parse_policy(GOOD_RULE)
    assert decide(
        policy, Principal("a", Role.AGENT), Purpose.AFTER_SALES, Relationship(open_ticket=True)
    ).allowed
    assert not decide(
        policy, Principal("c", Role.COURIER), Purpose.DELIVERY, Relationship(assignment_active=True)
    ).allowed
    assert policy.digest != POLICY.digest
