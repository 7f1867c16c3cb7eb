"""A scaled-down, seeded simulated store for the deployment test: the same events for the
single-process run and the multi-process deployment, and the simulator's ground truth.

- **Record reads**: :class:`~shieldwall.sim.access.world.AccessWorld` (1,000 customers, 60
  principals, four days ending at today's local midnight, an agent sweeping phone numbers
  and an admin enumerating customer ids planted on the third day): the reads of its agents,
  analysts and admins, about 10,000 events. The store's systems send the reads it makes (``read``,
  ``lookup``, ``reveal``, ``export`` that were allowed) as access events; the tickets,
  assignments and order moves of the world are not events the intake takes, so they are left
  out of both runs alike.
- **Logins**: :class:`~shieldwall.sim.logins.LoginWorld` (seeded): a credential-stuffing wave
  and benign customers' logins, sent now (the risk engine runs on the wall clock), each
  followed by its outcome (the password check's result), as a store's login page would.
- **Scam reports**: the simulator's refund-scam scripts, numbers and lookalike domains
  (:mod:`shieldwall.sim.attacks.scam`), reported by the store app for customers the planted
  attacks exposed (one gang: one campaign).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.sim.access.attacks import AttackKind, AttackTruth
from shieldwall.sim.access.world import AccessWorld, WorldConfig
from shieldwall.sim.attacks.scam import SCRIPTS, _lookalikes, _numbers
from shieldwall.sim.logins import AttackKind as LoginAttack
from shieldwall.sim.logins import LoginWorld
from shieldwall.sim.logins import WorldConfig as LoginConfig

SEED = 3
DAYS = 4
STORE_ACTIONS = frozenset({Action.READ, Action.LOOKUP, Action.REVEAL, Action.EXPORT})
# The simulator's views as the intake's schema names them (a hidden field was not served).
VIEWS = {"clear": "clear", "masked": "masked", "pseudonym": "derived", "relay": "derived"}
LOCAL = timedelta(hours=8)
# Scaled down: the reads of agents, analysts and admins (the planted insiders' roles and the
# store's own services). Couriers' and partners' reads (40% of the world's) are left out of
# both runs: peers are compared within a role, so no detection here depends on them.
SENDERS = frozenset(
    {Role.AGENT.value, Role.ANALYST.value, Role.ADMIN.value}
)  # the world's and the watch's local time (Asia/Shanghai)


@dataclass(frozen=True)
class SimDay:
    """Everything both runs send, and what the simulator planted."""

    principals: list[Principal]
    reads: list[list[dict[str, Any]]]  # access events, one list per simulated day
    attempts: list[dict[str, Any]]  # login attempts, in the simulator's order
    outcomes: dict[str, tuple[bool, bool]]  # event id -> (password right, account exists)
    attack_attempts: frozenset[str]  # event ids of the stuffing wave's attempts
    reports: list[dict[str, Any]]  # scam reports by the store app
    insiders: list[AttackTruth]
    start: datetime  # the world's first moment (UTC)


def simulated_day() -> SimDay:
    today = (datetime.now(UTC) + LOCAL).date()
    world = AccessWorld(
        WorldConfig(
            seed=SEED,
            customers=1000,
            principals=60,
            days=DAYS,
            start=today - timedelta(days=DAYS),
            attacks=(AttackKind.PHONE_SWEEP, AttackKind.ENUMERATION),
            first_attack_day=DAYS - 2,
            last_attack_day=DAYS - 2,
        )
    )
    days: list[list[dict[str, Any]]] = [[] for _ in range(DAYS)]
    for n, e in enumerate(world.events()):
        if e.action not in STORE_ACTIONS or e.decision is not Decision.ALLOW:
            continue
        if e.role not in SENDERS:
            continue
        event: dict[str, Any] = {
            "event_id": f"w-{n}",
            "ts": e.ts.isoformat(),
            "principal_id": e.actor,
            "action": e.action.value,
            "customer_ids": list(e.customer_ids),
            "order_ids": list(e.order_ids),
            "fields": {f: VIEWS[v] for f, v in e.fields.items() if v in VIEWS},
            "system": "oms",
        }
        if e.purpose:
            event["purpose"] = e.purpose
        if e.ticket_id:
            event["ticket_id"] = e.ticket_id
        days[int((e.ts - world.t0).total_seconds() // 86400)].append(event)

    logins = LoginWorld(
        SEED,
        LoginConfig(customers=120, days=2.05, warmup_days=2.0, attacks=(LoginAttack.STUFFING,)),
    ).events()
    attack = [le for le in logins if le.is_attack][:60]
    benign = [le for le in logins if not le.is_attack][-40:]
    attempts: list[dict[str, Any]] = []
    wave: set[str] = set()
    outcomes: dict[str, tuple[bool, bool]] = {}
    for n, le in enumerate(sorted([*attack, *benign], key=lambda x: x.ts)):
        body: dict[str, Any] = {"event_id": f"l-{n}", "account": le.account, "ip": le.ip}
        body |= {"password_sha1": le.password_sha1}
        if le.user_agent is not None:
            body["user_agent"] = le.user_agent
        if le.device_id is not None:
            body["device_id"] = le.device_id
        attempts.append(body)
        outcomes[body["event_id"]] = (le.correct, le.account_known)
        if le.is_attack:
            wave.add(body["event_id"])

    rng = random.Random(f"{SEED}/scam")
    domains, numbers = _lookalikes(rng), _numbers(rng)
    exposed = sorted({c for t in world.attacks for _, c in t.exposed})
    now = datetime.now(UTC)
    reports = []
    for k, cid in enumerate(rng.sample(exposed, min(8, len(exposed)))):
        link = f"http://{rng.choice(domains)}/r/{rng.randrange(10**6)}"
        reports.append(
            {
                "event_id": f"s-{k}",
                "reporter_id": "svc-orders",
                "channel": "sms",
                "received_at": (now - timedelta(minutes=30 - k)).isoformat(),
                "text": rng.choice(SCRIPTS[1:]).format(brand="京选商城", title="电饭煲", link=link),
                "sender": rng.choice(numbers),
                "links": [link],
                "customer_id": cid,
            }
        )
    return SimDay(
        [p for p in world.principals if p.role.value in SENDERS or p.role is Role.SERVICE],
        days,
        attempts,
        outcomes,
        frozenset(wave),
        reports,
        world.attacks,
        world.t0,
    )
