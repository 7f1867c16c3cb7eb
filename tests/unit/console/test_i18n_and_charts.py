"""The message catalog has the same keys in both languages; SVG charts escape their text and
draw bars in proportion."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from shieldwall.console import charts
from shieldwall.console.i18n import CATALOG, text


def test_both_languages_hold_the_same_keys() -> None:
    assert set(CATALOG["en"]) == set(CATALOG["zh"])


def test_lookup_falls_back_to_english_then_to_the_key() -> None:
    assert text("zh", "alerts") == "告警"
    assert text("fr", "alerts") == "Alerts"
    assert text("en", "no-such-key") == "no-such-key"


def test_bars_are_proportional_and_labels_escaped() -> None:
    """Values 10 and 5: the second bar is half the first (worked by hand: 390 and 195 px)."""
    svg = charts.bars([("<b>x</b>", 10.0), ("y & z", 5.0)], title="t<")
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths == [390.0, 195.0]  # 640 - 170 label - 80 room for the value
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg and "y &amp; z" in svg
    assert "<title>t&lt;</title>" in svg


def test_bars_of_nothing_and_of_zeros() -> None:
    assert "<rect" not in charts.bars([], title="empty")
    assert 'width="0.0"' in charts.bars([("a", 0.0)], title="zero")


def test_timeline_places_ticks_in_time_and_names_the_zone() -> None:
    """A tick at the middle of the span sits halfway along the axis (x0 170, x1 630: 400)."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    svg = charts.timeline(
        [("harvesting", [start + timedelta(hours=12)])],
        title="alerts",
        start=start,
        end=start + timedelta(days=1),
        zone="UTC",
    )
    assert 'x1="400.0"' in svg
    assert "(UTC)" in svg


def test_window_spans_the_times_with_padding_not_up_to_now() -> None:
    """Times 10:00 and 20:00: padded by 30 min each side (10 h / 20 = 30 min)."""
    t0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert charts.window([t0, t0 + timedelta(hours=10)], now) == (
        t0 - timedelta(minutes=30),
        t0 + timedelta(hours=10, minutes=30),
    )
    assert charts.window([], now) == (now - timedelta(days=1), now)
