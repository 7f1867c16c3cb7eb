"""Planted attacks, one module each, with one shape (:class:`~.base.Attack`).

Each module has ``plant(play, rng) -> GroundTruth``, which picks who attacks and schedules the
attack's actions on the play's timeline, and ``score(truth, observed) -> dict``, which compares
the ground truth with what shieldwall reported through its API and CLI. :data:`REGISTRY` lists
them by name; an attack whose endpoints this build lacks (:attr:`~.base.Attack.needs`) is
skipped and reported as *not run*, never as detected.
"""

from __future__ import annotations

from shieldwall.sim.attacks import harvest, outlet, partner, scam, stuffing, victims
from shieldwall.sim.attacks.base import Attack

REGISTRY: dict[str, Attack] = {
    "harvest": harvest.ATTACK,  # (a)
    "outlet": outlet.ATTACK,  # (b)
    "partner": partner.ATTACK,  # (c) alone
    "collusion": partner.COLLUSION,  # (c) with a second partner
    "stuffing": stuffing.ATTACK,  # (d) classic and distributed
    "scam": scam.ATTACK,  # (e)
    "victims": victims.ATTACK,  # (f)
}
