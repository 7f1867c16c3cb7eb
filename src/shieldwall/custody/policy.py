"""The access policy: role x purpose -> per-field view, bound to a relationship.

A policy is a readable YAML file (the default ships as ``default_policy.yaml``), validated at load
with errors that name the place in the file. :func:`decide` is pure: it takes the principal, the
purpose and the relationship facts the vault gathered, and returns an :class:`AccessDecision`
with the view of every field and machine-readable reasons. It runs in microseconds, so it is
safe on every read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from shieldwall.core.model import OrderField, PiiField, Principal, Purpose, Relationship, Role, View
from shieldwall.custody.errors import PolicyError

F = TypeVar("F", PiiField, OrderField)
E = TypeVar("E", Role, Purpose, View, PiiField, OrderField)
RelationshipKind = Literal["ticket", "assignment", "grant", "self", "none"]
RELATIONSHIPS: tuple[str, ...] = ("ticket", "assignment", "grant", "self", "none")

# Strength order used to cap views (risk, grants): a stronger view never replaces a weaker one.
STRENGTH = {View.HIDDEN: 0, View.PSEUDONYM: 1, View.RELAY: 1, View.MASKED: 2, View.CLEAR: 3}
REASON_MIN = 8
REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class Rule:
    role: Role
    purpose: Purpose
    relationship: RelationshipKind
    customer: Mapping[PiiField, View]
    order: Mapping[OrderField, View]
    reveal: frozenset[str] = frozenset()
    requires_reason: bool = False
    pseudonymous_ids: bool = False
    on_risk: View | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    rules: Mapping[tuple[Role, Purpose], Rule]
    break_glass_roles: frozenset[Role]
    break_glass_min_reason: int
    digest: str
    source: str

    def rule(self, role: Role, purpose: Purpose) -> Rule | None:
        return self.rules.get((role, purpose))


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """What a principal may see. ``reasons`` explain an allow (``via_ticket``) or a deny."""

    allowed: bool
    reasons: tuple[str, ...]
    customer: Mapping[PiiField, View] = field(default_factory=dict)
    order: Mapping[OrderField, View] = field(default_factory=dict)
    pseudonymous_ids: bool = False

    @property
    def reason(self) -> str:
        return ", ".join(self.reasons)


DENY_TEXT = {
    "principal_inactive": "the principal is deactivated",
    "purpose_not_allowed": "this role may not read for this purpose",
    "no_open_ticket": "no open ticket of this agent for this customer",
    "ticket_expired": "the ticket has expired",
    "ticket_mismatch": "the ticket is for another customer, order or agent",
    "not_assigned": "the courier is not assigned to this order",
    "assignment_ended": "the delivery grace period is over",
    "no_grant": "no release granted this partner this customer",
    "not_self": "the service may only read the logged-in customer",
    "reason_required": f"a reason of {REASON_MIN}-{REASON_MAX} characters is required",
    "order_required": "this purpose reads through an order",
    "field_not_revealable": "this field may not be revealed for this purpose",
    "break_glass_not_allowed": "this role may not use break-glass access",
    "lookup_not_allowed": "this role may not look customers up for this purpose",
    "ticket_required": "an agent looks up only within one of its open tickets (ticket_id)",
    "subject_required": "the service looks up only for the logged-in customer (subject)",
    "rate_limited": "too many lookups; retry later",
}


def describe(reasons: tuple[str, ...]) -> str:
    """A sentence for people from machine-readable reason codes."""
    return "; ".join(DENY_TEXT.get(r, r) for r in reasons)


def reason_ok(reason: str | None, minimum: int = REASON_MIN) -> bool:
    return reason is not None and minimum <= len(reason.strip()) <= REASON_MAX


def decide(
    policy: Policy,
    principal: Principal,
    purpose: Purpose,
    rel: Relationship,
    *,
    reason: str | None = None,
    risky: bool = False,
) -> AccessDecision:
    """Decide what ``principal`` may see for ``purpose`` given the relationship facts."""
    if not principal.active:
        return AccessDecision(False, ("principal_inactive",))
    rule = policy.rules.get((principal.role, purpose))
    if rule is None:
        return AccessDecision(False, ("purpose_not_allowed",))
    denied = _relationship_denial(rule.relationship, rel)
    if denied:
        return AccessDecision(False, (denied,))
    if rule.requires_reason and not reason_ok(reason):
        return AccessDecision(False, ("reason_required",))
    customer: Mapping[PiiField, View] = rule.customer
    order: Mapping[OrderField, View] = rule.order
    reasons = [f"via_{rule.relationship}"]
    if rule.relationship == "grant":
        customer = {
            f: v if f.value in rel.granted_fields else View.HIDDEN for f, v in customer.items()
        }
        order = {f: v if f.value in rel.granted_fields else View.HIDDEN for f, v in order.items()}
    if risky and rule.on_risk is not None:
        cap = rule.on_risk
        customer = {f: _cap(v, cap) for f, v in customer.items()}
        order = {f: _cap(v, cap) for f, v in order.items()}
        reasons.append("risk_capped")
    return AccessDecision(True, tuple(reasons), customer, order, rule.pseudonymous_ids)


def decide_reveal(
    policy: Policy,
    principal: Principal,
    purpose: Purpose,
    field_name: str,
    rel: Relationship,
    *,
    reason: str | None,
    risky: bool = False,
) -> AccessDecision:
    """May ``principal`` see ``field_name`` in clear, once, for ``purpose`` and ``reason``?"""
    base = decide(policy, principal, purpose, rel, reason=reason, risky=risky)
    if not base.allowed:
        return base
    rule = policy.rules[(principal.role, purpose)]
    if field_name not in rule.reveal:
        return AccessDecision(False, ("field_not_revealable",))
    if not reason_ok(reason):
        return AccessDecision(False, ("reason_required",))
    if risky and rule.on_risk is not None:
        return AccessDecision(False, ("risk_capped",))
    return AccessDecision(True, (*base.reasons, "reveal_with_reason"))


# Who may find a customer by phone, e-mail or ID number, read from the rule the role has for
# the purpose (least privilege; docs/custody.md "Lookups"):
#   ticket  (agent)    only naming one of its open tickets; answers only whether the value is
#                      that ticket's customer's, never who else owns it
#   self    (service)  only naming the logged-in customer (subject); same yes-or-no answer
#   none    (admin)    any customer, with the reason the rule requires (investigation)
#   assignment, grant, pseudonymous ids (courier, partner, analyst): never
LOOKUP_SCOPES = frozenset({"ticket", "self", "none"})


def decide_lookup(
    policy: Policy,
    principal: Principal,
    purpose: Purpose,
    *,
    ticket_id: str | None,
    subject: str | None,
    reason: str | None,
) -> AccessDecision:
    """May ``principal`` look customers up for ``purpose`` at all? Decided on the role, the
    purpose and what the request names, never on the value looked up, so a refusal says
    nothing about whether the value belongs to a customer."""
    if not principal.active:
        return AccessDecision(False, ("principal_inactive",))
    rule = policy.rules.get((principal.role, purpose))
    if rule is None:
        return AccessDecision(False, ("purpose_not_allowed",))
    if rule.relationship not in LOOKUP_SCOPES or rule.pseudonymous_ids:
        return AccessDecision(False, ("lookup_not_allowed",))
    if rule.relationship == "ticket" and not ticket_id:
        return AccessDecision(False, ("ticket_required",))
    if rule.relationship == "self" and not subject:
        return AccessDecision(False, ("subject_required",))
    if rule.requires_reason and not reason_ok(reason):
        return AccessDecision(False, ("reason_required",))
    return AccessDecision(True, (f"via_{rule.relationship}",))


def decide_break_glass(policy: Policy, principal: Principal, reason: str | None) -> AccessDecision:
    """Break-glass: all in clear, for the listed roles, with a long reason; always alerted."""
    if not principal.active:
        return AccessDecision(False, ("principal_inactive",))
    if principal.role not in policy.break_glass_roles:
        return AccessDecision(False, ("break_glass_not_allowed",))
    if not reason_ok(reason, policy.break_glass_min_reason):
        return AccessDecision(False, ("reason_required",))
    return AccessDecision(
        True,
        ("break_glass",),
        dict.fromkeys(PiiField, View.CLEAR),
        dict.fromkeys(OrderField, View.CLEAR),
    )


def _relationship_denial(kind: str, rel: Relationship) -> str | None:
    if kind == "ticket" and not rel.open_ticket:
        return "ticket_expired" if rel.ticket_expired else "no_open_ticket"
    if kind == "assignment" and not (rel.assignment_active or rel.assignment_in_grace):
        return "not_assigned"
    if kind == "grant" and not rel.granted_fields:
        return "no_grant"
    if kind == "self" and not rel.is_self:
        return "not_self"
    return None


def _cap(view: View, cap: View) -> View:
    return view if STRENGTH[view] <= STRENGTH[cap] else cap


# -- loading and validation ----------------------------------------------------------------------


def load_default_policy() -> Policy:
    text = resources.files("shieldwall.custody").joinpath("default_policy.yaml").read_text("utf-8")
    return parse_policy(text, source="default_policy.yaml")


def load_policy(path: Path | None) -> Policy:
    """Load ``path``, or the shipped default when ``path`` is None."""
    if path is None:
        return load_default_policy()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"policy file {path} cannot be read: {exc}") from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError(f"{source} is not valid YAML{where}") from None
    if not isinstance(doc, dict):
        raise PolicyError(f"{source} must be a mapping with 'version' and 'rules'")
    _only(doc, {"version", "rules", "break_glass"}, "")
    if doc.get("version") != 1:
        raise PolicyError("unsupported policy version; expected 1", field="version")
    rules_doc = doc.get("rules")
    if not isinstance(rules_doc, dict) or not rules_doc:
        raise PolicyError("must map roles to purposes", field="rules")
    rules: dict[tuple[Role, Purpose], Rule] = {}
    for role_name, purposes in rules_doc.items():
        role = _enum(Role, role_name, f"rules.{role_name}", "role")
        if not isinstance(purposes, dict) or not purposes:
            raise PolicyError("must map purposes to rules", field=f"rules.{role_name}")
        for purpose_name, body in purposes.items():
            where = f"rules.{role_name}.{purpose_name}"
            purpose = _enum(Purpose, purpose_name, where, "purpose")
            rules[(role, purpose)] = _rule(role, purpose, body, where)
    glass = doc.get("break_glass", {}) or {}
    if not isinstance(glass, dict):
        raise PolicyError("must be a mapping", field="break_glass")
    _only(glass, {"roles", "min_reason_length"}, "break_glass")
    roles = glass.get("roles", [])
    if not isinstance(roles, list):
        raise PolicyError("must be a list of roles", field="break_glass.roles")
    minimum = glass.get("min_reason_length", 20)
    if not isinstance(minimum, int) or not REASON_MIN <= minimum <= REASON_MAX:
        raise PolicyError(
            f"must be a whole number from {REASON_MIN} to {REASON_MAX}",
            field="break_glass.min_reason_length",
        )
    return Policy(
        rules=rules,
        break_glass_roles=frozenset(_enum(Role, r, "break_glass.roles", "role") for r in roles),
        break_glass_min_reason=minimum,
        digest=hashlib.sha256(text.encode()).hexdigest(),
        source=source,
    )


def _rule(role: Role, purpose: Purpose, body: Any, where: str) -> Rule:
    if not isinstance(body, dict):
        raise PolicyError("must be a mapping", field=where)
    allowed_keys = {"relationship", "customer", "order", "reveal", "requires_reason"}
    _only(body, allowed_keys | {"pseudonymous_ids", "on_risk"}, where)
    relationship = body.get("relationship")
    if relationship not in RELATIONSHIPS:
        raise PolicyError(
            f"must be one of {', '.join(RELATIONSHIPS)}", field=f"{where}.relationship"
        )
    customer = _views(PiiField, body.get("customer"), f"{where}.customer")
    order = _views(OrderField, body.get("order"), f"{where}.order")
    for fname, view in customer.items():
        if view is View.RELAY and fname is not PiiField.PHONE:
            raise PolicyError("relay applies to phone only", field=f"{where}.customer.{fname}")
    if any(v is View.RELAY for v in order.values()):
        raise PolicyError("relay applies to phone only", field=f"{where}.order")
    reveal = body.get("reveal", [])
    known = {f.value for f in PiiField} | {f.value for f in OrderField}
    if not isinstance(reveal, list) or any(r not in known for r in reveal):
        raise PolicyError(
            f"must list fields among {', '.join(sorted(known))}", field=f"{where}.reveal"
        )
    on_risk = body.get("on_risk")
    for flag in ("requires_reason", "pseudonymous_ids"):
        if not isinstance(body.get(flag, False), bool):
            raise PolicyError("must be true or false", field=f"{where}.{flag}")
    return Rule(
        role=role,
        purpose=purpose,
        relationship=relationship,
        customer=customer,
        order=order,
        reveal=frozenset(reveal),
        requires_reason=bool(body.get("requires_reason", False)),
        pseudonymous_ids=bool(body.get("pseudonymous_ids", False)),
        on_risk=None if on_risk is None else _enum(View, on_risk, f"{where}.on_risk", "view"),
    )


def _views(kind: type[F], body: Any, where: str) -> dict[F, View]:
    if not isinstance(body, dict):
        raise PolicyError("must map every field to a view", field=where)
    views: dict[F, View] = {}
    for name, view in body.items():
        fname = _enum(kind, name, f"{where}.{name}", "field")
        views[fname] = _enum(View, view, f"{where}.{name}", "view")
    missing = [f.value for f in kind if f not in views]
    if missing:
        raise PolicyError(f"no view for {', '.join(missing)}", field=where)
    return views


def _enum(kind: type[E], value: Any, where: str, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        options = ", ".join(e.value for e in kind)
        raise PolicyError(
            f"unknown {what} {value!r}; expected one of {options}", field=where
        ) from None


def _only(doc: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in doc:
        if key not in allowed:
            place = f"{where}.{key}" if where else str(key)
            raise PolicyError(
                f"unknown key; expected one of {', '.join(sorted(allowed))}", field=place
            )
