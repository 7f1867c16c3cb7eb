"""Watch settings: defaults hold together, bad values are refused naming the setting."""

from __future__ import annotations

import pytest

from shieldwall.config import WATCH_DETECTORS, WatchSettings, load_settings
from shieldwall.core.errors import ConfigError
from shieldwall.trace.watch.detectors import REGISTRY, build
from shieldwall.trace.watch.errors import UnknownDetector


def test_every_configured_detector_is_registered() -> None:
    """The names in config and the registry are the same set, and build follows the order."""
    assert set(WATCH_DETECTORS) == set(REGISTRY)
    built = build(WatchSettings(detectors=("volume", "harvesting")))
    assert [d.kind for d in built] == ["volume", "harvesting"]


@pytest.mark.parametrize(
    ("watch", "field"),
    [
        ({"detectors": ["harvesting", "mind_reading"]}, "trace.watch.detectors"),
        ({"timezone": "Mars/Olympus_Mons"}, "trace.watch.timezone"),
        ({"alert_score": 0}, "trace.watch.alert_score"),
        ({"window_days": 0}, "trace.watch.window_days"),
        ({"surprise": 1}, "trace.watch.surprise"),
    ],
)
def test_bad_watch_settings_name_the_setting(watch: dict[str, object], field: str) -> None:
    """Unknown detectors and zones, out-of-range numbers and unknown keys are ConfigErrors."""
    with pytest.raises(ConfigError) as err:
        load_settings({}, overrides={"trace": {"watch": watch}})
    assert err.value.field == field


def test_per_detector_scores_override_the_default() -> None:
    """``scores`` sets one detector's alert score; the others keep ``alert_score``."""
    s = WatchSettings(alert_score=7, scores={"volume": 9})
    assert s.score_for("volume") == 9 and s.score_for("harvesting") == 7


def test_build_refuses_an_unregistered_name() -> None:
    """Settings built without validation still cannot smuggle in an unknown detector."""
    s = WatchSettings.model_construct(detectors=("nope",))
    with pytest.raises(UnknownDetector):
        build(s)
