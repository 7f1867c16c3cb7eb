"""The detector registry: every detector the watch can run, by the alert kind it raises.

Add a detector by writing a class with ``kind`` and ``observe`` (see :mod:`.base`) and listing
it here; switch detectors on and off with ``trace.watch.detectors`` in the configuration.
"""

from __future__ import annotations

from collections.abc import Callable

from shieldwall.config import WatchSettings
from shieldwall.trace.watch.detectors.base import Detector, DetectorContext, RateTest, rate_test
from shieldwall.trace.watch.detectors.rates import (
    OffHours,
    RevealRate,
    UndeliveredPreference,
    Volume,
)
from shieldwall.trace.watch.detectors.relationship import Harvesting, NoRelationship
from shieldwall.trace.watch.detectors.rules import BreakGlass, BulkExport, LookupRefused
from shieldwall.trace.watch.detectors.shape import Enumeration, SearchSweep
from shieldwall.trace.watch.errors import UnknownDetector

REGISTRY: dict[str, Callable[[WatchSettings], Detector]] = {
    d.kind: d
    for d in (
        NoRelationship,
        Harvesting,
        Enumeration,
        SearchSweep,
        UndeliveredPreference,
        RevealRate,
        OffHours,
        Volume,
        BulkExport,
        BreakGlass,
        LookupRefused,
    )
}


def build(settings: WatchSettings) -> list[Detector]:
    """The detectors named in ``settings.detectors``, in that order."""
    out = []
    for name in settings.detectors:
        factory = REGISTRY.get(name)
        if factory is None:
            raise UnknownDetector(f"no detector named {name}", field="trace.watch.detectors")
        out.append(factory(settings))
    return out


__all__ = ["REGISTRY", "Detector", "DetectorContext", "RateTest", "build", "rate_test"]
