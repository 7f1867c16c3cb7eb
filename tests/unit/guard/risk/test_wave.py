"""The wave detector: a robust baseline (median and MAD of hourly rates) and a level from 0 to 1."""

from __future__ import annotations

import pytest

from shieldwall.guard.risk.wave import WaveDetector


def hours_of(rows: dict[int, tuple[float, float, float]]):  # type: ignore[no-untyped-def]
    def hours(first: int, last: int) -> list[tuple[int, float, float, float]]:
        return [(h, *rows[h]) for h in range(first, last + 1) if h in rows]

    return hours


def test_level_rises_from_threshold_to_twice_it() -> None:
    """Baseline 5% failures: threshold 8% (median + 3 points); 12% reads 0.5, 16% and more 1."""
    rows = dict.fromkeys(range(1, 30), (100.0, 5.0, 1.0))
    wave = WaveDetector(hours_of(rows), baseline_hours=24, min_hours=6)
    base = wave.baseline(30)
    assert base is not None and base.hours_used == 24
    assert base.failure_median == pytest.approx(0.05)
    assert base.failure_threshold == pytest.approx(0.08)
    assert wave.read(30, 100.0, 8.0, 1.0).level == 0.0
    assert wave.read(30, 100.0, 12.0, 1.0).level == pytest.approx(0.5)
    assert wave.read(30, 100.0, 40.0, 1.0).level == 1.0
    assert wave.read(30, 100.0, 5.0, 30.0).level == 1.0  # unknown accounts alone


def test_a_past_wave_does_not_move_the_baseline() -> None:
    """Three hours at 90% failures among 24 normal ones barely move the median and MAD."""
    rows = {h: (100.0, 5.0 + h % 3, 1.0) for h in range(1, 25)}
    calm = WaveDetector(hours_of(rows), baseline_hours=24).baseline(25)
    rows.update(dict.fromkeys((22, 23, 24), (100.0, 90.0, 40.0)))
    after = WaveDetector(hours_of(rows), baseline_hours=24).baseline(25)
    assert calm is not None and after is not None
    assert after.failure_threshold < calm.failure_threshold + 0.02


def test_no_wave_without_enough_history_or_volume() -> None:
    """Fewer than min_hours busy hours, or a quiet short window: level 0."""
    few = dict.fromkeys(range(1, 5), (100.0, 5.0, 1.0))
    quiet = dict.fromkeys(range(1, 30), (10.0, 5.0, 1.0))  # under 20 attempts an hour
    assert WaveDetector(hours_of(few), min_hours=6).read(30, 100.0, 90.0, 0.0).level == 0.0
    assert WaveDetector(hours_of(quiet)).read(30, 100.0, 90.0, 0.0).level == 0.0
    busy = dict.fromkeys(range(1, 30), (100.0, 5.0, 1.0))
    assert WaveDetector(hours_of(busy), min_attempts=30).read(30, 10.0, 9.0, 0.0).level == 0.0
