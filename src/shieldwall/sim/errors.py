"""The simulator's one exception root."""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class PrincipalSuspended(Exception):
    """A request of a principal the security team suspended was refused by the API (401): the
    simulated action it belonged to ends there."""


class SimulationError(ShieldwallError):
    """The simulated world could not be built or driven (bad settings, or an answer from
    shieldwall the simulation did not expect: a bug either here or there)."""

    code = "simulation_failed"
