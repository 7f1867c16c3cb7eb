"""The principals of the access world and how they work: agents in teams with shifts and a
speciality, couriers in outlets, analysts, the security team's admins, partners, and the
services that act on their behalf (ticketing, dispatch, orders, releases)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shieldwall.core.model import Principal, Role
from shieldwall.sim.access.store import PROVINCES

if TYPE_CHECKING:
    from shieldwall.sim.access.world import WorldConfig


@dataclass(frozen=True, slots=True)
class Shift:
    """A working shift in local hours; ``start + hours`` may run past midnight."""

    start: float
    hours: float

    def covers(self, local_hour: float) -> bool:
        end = self.start + self.hours
        return self.start <= local_hour < end or local_hour + 24 < end


@dataclass(frozen=True, slots=True)
class Staff:
    """A simulated principal: the custody principal plus how it works."""

    principal: Principal
    shift: Shift
    days_off: frozenset[int]  # weekdays 0 (Monday) .. 6
    rate: float  # role-specific intensity (tickets/hour, reads/day, ...)
    reveal_p: float = 0.0
    speciality: str = ""

    @property
    def pid(self) -> str:
        return self.principal.principal_id

    def works(self, weekday: int) -> bool:
        return weekday not in self.days_off


@dataclass(frozen=True, slots=True)
class Roster:
    """Everyone who works on the store, by role; ``services`` by name (``ticketing``, ...)."""

    agents: list[Staff]
    teams: list[str]
    outlets: list[str]
    couriers: list[Staff]
    analysts: list[Staff]
    admins: list[Staff]
    partners: list[Staff]
    services: dict[str, Principal]


def hire(config: WorldConfig, rng: random.Random) -> Roster:
    """The roster of a world: of ``config.principals``, 32% couriers (outlets of about 8), 5%
    analysts, 3% admins and 3% partners (at least 3, 3 and 2), the rest agents in teams of 15."""
    n = config.principals
    n_couriers = round(n * 0.32)
    n_analysts = max(3, round(n * 0.05))
    n_admins = max(3, round(n * 0.03))
    n_partners = max(2, round(n * 0.03))
    n_agents = n - n_couriers - n_analysts - n_admins - n_partners
    agents: list[Staff] = []
    teams: list[str] = []
    team_size = 15
    shifts = {"day": Shift(9, 9), "evening": Shift(13, 9), "night": Shift(21, 9)}
    for t in range(math.ceil(n_agents / team_size)):
        team = f"cs-team-{t + 1:02d}"
        teams.append(team)
        kind = rng.choices(list(shifts), weights=(60, 25, 15))[0]
        # Every fifth team calls customers whose orders are late: it opens its own tickets
        # on paid-but-undelivered orders all day, which is what a harvester does too.
        speciality = "outreach" if t % 5 == 2 else rng.choice(("delivery", "aftersale", "presale"))
        team_reveal = rng.uniform(0.08, 0.25)
        for _ in range(team_size):
            if len(agents) == n_agents:
                break
            i = len(agents) + 1
            base = shifts[kind]
            shift = Shift(base.start + rng.choice((-1, 0, 0, 0, 1)), base.hours)
            # An outreach agent on loan to another team: the declared unit misleads.
            mine = "outreach" if rng.random() < 0.02 else speciality
            agents.append(
                Staff(
                    Principal(f"agent-{i:04d}", Role.AGENT, team),
                    shift,
                    frozenset(rng.sample(range(7), 2)),
                    rate=rng.lognormvariate(math.log(4.5), 0.3),
                    reveal_p=min(0.6, team_reveal * rng.lognormvariate(0, 0.3)),
                    speciality=mine,
                )
            )
    weights = [w for _, w in PROVINCES]
    n_outlets = max(3, math.ceil(n_couriers / 8))
    outlets: list[str] = []
    for o in range(n_outlets):
        code = PROVINCES[rng.choices(range(len(PROVINCES)), weights=weights)[0]][0]
        outlets.append(f"outlet-{code}-{o + 1:03d}")
    couriers = [
        Staff(
            Principal(f"courier-{i + 1:04d}", Role.COURIER, outlets[i % n_outlets]),
            Shift(8, 12),
            frozenset({rng.randrange(7)}),
            rate=1.0,
        )
        for i in range(n_couriers)
    ]
    weekend = frozenset({5, 6})
    analysts = [
        Staff(
            Principal(f"analyst-{i + 1:03d}", Role.ANALYST, f"bi-{i % 3 + 1}"),
            Shift(10, 9),
            weekend,
            rate=rng.lognormvariate(math.log(80), 0.6),
        )
        for i in range(n_analysts)
    ]
    admins = [
        Staff(
            Principal(f"admin-{i + 1:03d}", Role.ADMIN, "security"),
            Shift(rng.choice((9, 10, 14)), 9),
            frozenset(rng.sample(range(7), 2)),
            rate=1.0,
        )
        for i in range(n_admins)
    ]
    partners = [
        Staff(
            Principal(f"partner-{i + 1:03d}", Role.PARTNER, f"partner-co-{i + 1:03d}"),
            Shift(9, 9),
            weekend,
            rate=rng.lognormvariate(math.log(300), 0.8),
        )
        for i in range(n_partners)
    ]
    services = {
        name: Principal(f"svc-{name}", Role.SERVICE, unit)
        for name, unit in (
            ("ticketing", "crm"),
            ("dispatch", "logistics"),
            ("orders", "oms"),
            ("releases", "releases"),
        )
    }
    return Roster(agents, teams, outlets, couriers, analysts, admins, partners, services)
