"""Server-rendered SVG charts: no script, no chart toolchain, readable at any width.

Each function returns one ``<svg>`` element as a string whose every text is escaped. Charts
scale with their container (``viewBox`` and ``width="100%"``), so they fit a phone and 1280 px.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

_BAR = 22
_GAP = 6
_LABEL = 170


def bars(rows: Sequence[tuple[str, float]], *, title: str, unit: str = "") -> str:
    """Horizontal bars, one per ``(label, value)``, longest bar = the largest value; for
    rankings and counts. An empty ``rows`` draws the title and nothing else."""
    width = 640
    height = 28 + len(rows) * (_BAR + _GAP)
    top = max((v for _, v in rows), default=0.0)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    span = width - _LABEL - 80
    for i, (label, value) in enumerate(rows):
        y = 28 + i * (_BAR + _GAP)
        length = 0.0 if top <= 0 else span * value / top
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y + 15}" text-anchor="end">{escape(label[:24])}</text>'
            f'<rect x="{_LABEL}" y="{y}" width="{length:.1f}" height="{_BAR}" class="bar"/>'
            f'<text x="{_LABEL + length + 6:.1f}" y="{y + 15}">{escape(_fmt(value))}{escape(unit)}'
            "</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def columns(
    series: Sequence[tuple[str, Sequence[float]]], labels: Sequence[str], *, title: str
) -> str:
    """Side-by-side columns per label (one colour per named series), scaled to the largest
    value; for counts over time (login attempts and failures per hour)."""
    width, height, top_pad, bottom = 640, 220, 28, 30
    n = max(len(labels), 1)
    slot = (width - 40) / n
    bar = max(slot / max(len(series), 1) - 1, 1.0)
    peak = max((v for _, values in series for v in values), default=0.0)
    span = height - top_pad - bottom
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for k, (name, values) in enumerate(series):
        parts.append(
            f'<text x="{width - 10}" y="{16 + 14 * k}" text-anchor="end" class="series-{k}">'
            f"{escape(name)} (max {escape(_fmt(max(values, default=0.0)))})</text>"
        )
        for i, v in enumerate(values):
            h = 0.0 if peak <= 0 else span * v / peak
            x = 40 + i * slot + k * bar
            y = height - bottom - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"'
                f' class="col series-{k}"/>'
            )
    step = max(1, n // 6)
    for i in range(0, len(labels), step):
        parts.append(f'<text x="{40 + i * slot:.1f}" y="{height - 10}">{escape(labels[i])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def timeline(
    series: Sequence[tuple[str, Sequence[datetime]]],
    *,
    title: str,
    start: datetime,
    end: datetime,
    zone: str = "UTC",
) -> str:
    """One row of tick marks per named series between ``start`` and ``end``, with the time
    zone named on the axis; for when alerts, campaigns and sign-ins happened."""
    width, row = 640, 30
    height = 40 + len(series) * row + 20
    span = max((end - start).total_seconds(), 1.0)
    x0, x1 = _LABEL, width - 10
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i, (name, times) in enumerate(series):
        y = 40 + i * row
        parts.append(
            f'<text x="{x0 - 6}" y="{y + 5}" text-anchor="end">{escape(name[:24])}</text>'
            f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" class="axis"/>'
        )
        for t in times:
            x = x0 + (x1 - x0) * min(max((t - start).total_seconds() / span, 0.0), 1.0)
            parts.append(
                f'<line x1="{x:.1f}" y1="{y - 8}" x2="{x:.1f}" y2="{y + 8}" class="tick"/>'
            )
    base = 40 + len(series) * row
    parts.append(
        f'<text x="{x0}" y="{base + 8}">{escape(_when(start))}</text>'
        f'<text x="{x1}" y="{base + 8}" text-anchor="end">{escape(_when(end))} ({escape(zone)})'
        "</text></svg>"
    )
    return "".join(parts)


def window(times: Sequence[datetime], now: datetime) -> tuple[datetime, datetime]:
    """A timeline's span: the earliest to the latest time, at least an hour wide (an empty
    timeline: the day before ``now``). Not up to ``now``: a replayed or old incident would
    shrink to a sliver at the left edge."""
    if not times:
        return now - timedelta(days=1), now
    start, end = min(times), max(times)
    pad = max((end - start) / 20, timedelta(minutes=30))
    return start - pad, end + pad


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def _when(t: datetime) -> str:
    return t.strftime("%m-%d %H:%M")
