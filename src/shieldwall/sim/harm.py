"""What a simulated run lost and what it saved: the harm summary the report leads with.

Pure: it reads the run's ground truth (:class:`~shieldwall.sim.truth.GroundTruth`, recorded as
each attack happened) and when shieldwall detected each attack, and returns numbers; no I/O, no
clock. The same summary goes into ``scorecard.json`` (``harm``), the HTML report's first
section and the terminal scorecard, so a console reading the scorecard shows the same figures.

**Lost**: accounts taken over (a stuffing try allowed with the customer's reused password),
customers deceived by the scam wave, and customer records an attack exposed in clear, split at
the attack's detection (before it: what detection could not have saved; after it: what a
response could have). Money: what the deceived customers transferred (``loss_fen`` on each
deceived contact, drawn by the simulator; integer fen); ``None`` when the run's contacts carry
no amount, rather than an invented figure.

**Saved**: accounts whose reused password was tried but challenged or denied; attempts that
exposed nothing (reads custody refused, stuffing tries challenged or denied, requests the API
refused after the attacker was suspended); with ``--respond``, the records the suspended
attackers did not get (each stopped attempt counted at the attacker's own rate of new records
per attempt before it was suspended: a harvester whose every read was served, 1; couriers
custody refused every time, 0); scam targets warned before the gang reached them, and those who
checked with the store and were told the call or message was not the store's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from shieldwall.sim.truth import GroundTruth

# Attacks whose exposures are customer records leaving in clear (not accounts, not calls).
RECORD_LEAKS = ("harvest", "outlet", "partner", "collusion")
STUFFING_WAVES = ("classic", "distributed")
WHAT = {"stuffing": "accounts taken over", "scam": "customers reached"}


@dataclass(frozen=True)
class AttackHarm:
    """One attack (a stuffing wave each on its own): what it got before and after detection."""

    name: str  # "harvest", "stuffing.classic", ...
    what: str  # the unit of ``before`` / ``after``
    detected_at: datetime | None
    before: int  # exposures before detection (all of them when never detected)
    after: int  # exposures at or after detection
    blocked: int  # attempts that exposed nothing (the scam: targets told "not us" on checking)


@dataclass(frozen=True)
class Lost:
    accounts_taken_over: int
    customers_deceived: int
    deceived_though_warned: int
    money_lost_fen: int | None  # None: the contacts carry no amount
    records_exposed_before_detection: int
    records_exposed_after_detection: int


@dataclass(frozen=True)
class Saved:
    accounts_defended: int
    attempts_blocked: int
    attempts_stopped_by_suspension: int | None  # None: the team suspended nobody (no --respond)
    records_not_exposed_after_suspension: int | None
    customers_warned_before_scam: int
    customers_reached_by_scam: int
    customers_told_not_us: int


@dataclass(frozen=True)
class HarmSummary:
    lost: Lost
    saved: Saved
    attacks: tuple[AttackHarm, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: times as ISO 8601 strings."""
        out = asdict(self)
        for row in out["attacks"]:
            at = row["detected_at"]
            row["detected_at"] = at.isoformat() if at is not None else None
        return out


def _split(times: list[datetime], detected: datetime | None) -> tuple[int, int]:
    if detected is None:
        return len(times), 0
    before = sum(1 for t in times if t < detected)
    return before, len(times) - before


def _record_leak(name: str, truth: GroundTruth, detected: datetime | None) -> AttackHarm:
    before, after = _split(list(truth.exposed.values()), detected)
    return AttackHarm(
        name, "customer records", detected, before, after, truth.refused + truth.stopped
    )


def _not_exposed_after_suspension(truth: GroundTruth) -> int:
    """Stopped attempts at the rate of new records per attempt the attacker had before."""
    tried = truth.attempts - truth.stopped
    if not truth.stopped or not tried:
        return 0
    return round(truth.stopped * len(truth.exposed) / tried)


def _stuffing(
    truth: GroundTruth, detected_at: Mapping[str, datetime | None]
) -> tuple[list[AttackHarm], int]:
    """A row per wave, and the accounts defended (reused password tried, not allowed)."""
    rows: list[dict[str, Any]] = truth.facts.get("rows", [])
    out: list[AttackHarm] = []
    defended = 0
    for wave in STUFFING_WAVES:
        mine = [r for r in rows if r["kind"] == wave]
        if not mine:
            continue
        taken = [r["at"] for r in mine if r["correct"] and r["decision"] == "allow"]
        defended += sum(1 for r in mine if r["correct"] and r["decision"] != "allow")
        detected = detected_at.get(f"stuffing.{wave}")
        before, after = _split(taken, detected)
        blocked = sum(1 for r in mine if r["decision"] != "allow")
        out.append(
            AttackHarm(f"stuffing.{wave}", WHAT["stuffing"], detected, before, after, blocked)
        )
    return out, defended


def summarize(
    truths: Mapping[str, GroundTruth],
    detected_at: Mapping[str, datetime | None],
    respond: bool,
) -> HarmSummary:
    """The harm summary of a run.

    ``detected_at`` maps an attack's name (a stuffing wave as ``stuffing.classic``) to when
    shieldwall detected it, ``None`` (or absent) when it never did; ``respond`` says whether
    the security team suspended principals on alerts (``--respond``)."""
    attacks: list[AttackHarm] = []
    records_before = records_after = defended = 0
    taken_over = deceived = deceived_warned = warned = reached = told = 0
    stopped = not_exposed = money = 0
    priced = False
    for name, truth in truths.items():
        if name in RECORD_LEAKS:
            row = _record_leak(name, truth, detected_at.get(name))
            attacks.append(row)
            records_before += row.before
            records_after += row.after
            stopped += truth.stopped
            not_exposed += _not_exposed_after_suspension(truth)
        elif name == "stuffing":
            waves, saved = _stuffing(truth, detected_at)
            attacks.extend(waves)
            defended += saved
            taken_over += sum(w.before + w.after for w in waves)
        elif name == "scam":
            contacts: list[dict[str, Any]] = truth.facts.get("contacts", [])
            before, after = _split([c["at"] for c in contacts], detected_at.get(name))
            unmasked = sum(1 for c in contacts if c["checked"] and not c["deceived"])
            attacks.append(
                AttackHarm(name, WHAT["scam"], detected_at.get(name), before, after, unmasked)
            )
            reached += len(contacts)
            deceived += sum(1 for c in contacts if c["deceived"])
            money += sum(int(c.get("loss_fen", 0)) for c in contacts if c["deceived"])
            priced = priced or any("loss_fen" in c for c in contacts)
            deceived_warned += sum(1 for c in contacts if c["deceived"] and c["warned_before"])
            warned += sum(1 for c in contacts if c["warned_before"])
            told += unmasked
    blocked = sum(a.blocked for a in attacks if a.name != "scam")
    return HarmSummary(
        Lost(
            accounts_taken_over=taken_over,
            customers_deceived=deceived,
            deceived_though_warned=deceived_warned,
            money_lost_fen=money if priced else None,
            records_exposed_before_detection=records_before,
            records_exposed_after_detection=records_after,
        ),
        Saved(
            accounts_defended=defended,
            attempts_blocked=blocked,
            attempts_stopped_by_suspension=stopped if respond else None,
            records_not_exposed_after_suspension=not_exposed if respond else None,
            customers_warned_before_scam=warned,
            customers_reached_by_scam=reached,
            customers_told_not_us=told,
        ),
        tuple(attacks),
    )


def detections(scores: Mapping[str, Mapping[str, Any]]) -> dict[str, datetime | None]:
    """When each attack (and each stuffing wave) was detected, from the scorecard's
    ``detected_at`` fields."""

    def when(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    out = {name: when(score.get("detected_at")) for name, score in scores.items()}
    for wave, score in scores.get("stuffing", {}).get("by_kind", {}).items():
        out[f"stuffing.{wave}"] = when(score.get("detected_at"))
    return out
