"""The simulation's report: one self-contained HTML file, its charts inline SVG drawn here.

No script, no stylesheet or font from elsewhere: it opens from disk in any browser, offline.
Everything in it comes from the scorecard, the ground truth and the alerts shieldwall returned;
personal data never appears (customers are named by id).

Sections, harm first: what was lost (accounts taken over, customers deceived, records exposed
before and after detection) and what was saved (:mod:`.harm`); then detection (the scorecard);
every alert with its id and the commands that follow it (:mod:`.next_steps`); a timeline of
each attack (span, every record it exposed, the alerts on its insiders) over the world's
day-night activity, its time zone named; records exposed over time against the moment of
detection; the attribution ranking with each alert's reasons; the scam wave's customers;
logins; the leaked file and the victims' list, partners by their registered names; attacks not
run and why; how to read the numbers. A score or p-value at a limit is explained where shown
(:mod:`.notation`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shieldwall.sim.next_steps import command_line, next_steps
from shieldwall.sim.notation import notes_for, p_text, score_capped
from shieldwall.sim.world import LOCAL, LOCAL_ZONE

if TYPE_CHECKING:
    from shieldwall.sim.attacks.base import Observed
    from shieldwall.sim.engine import Play

COLOURS = {
    "harvest": "#c0392b",
    "outlet": "#d68910",
    "partner": "#7d3c98",
    "stuffing": "#1f618d",
    "scam": "#117864",
    "victims": "#5d6d7e",
}
W, LEFT, RIGHT = 960, 150, 20
EXPOSED_WORDS = {"scam": "customers reached", "stuffing": "accounts taken over"}
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;
margin:24px auto;max-width:1000px;color:#1c2833;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5d8dc}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
th,td{border-bottom:1px solid #e5e7e9;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f4f6f7;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.n{white-space:nowrap}
.yes{color:#1e8449;font-weight:600}.no{color:#c0392b;font-weight:600}.muted{color:#7b7d7d}
.card{display:inline-block;border:1px solid #d5d8dc;border-radius:6px;padding:8px 12px;
margin:4px 8px 4px 0}
.card b{font-size:20px;display:block}.card.lost b{color:#c0392b}.card.saved b{color:#1e8449}
svg{display:block;margin:6px 0}
code{background:#f4f6f7;padding:1px 4px;border-radius:3px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:4px 0}
.cards .card{margin:0}
pre.cmd{background:#f4f6f7;padding:3px 6px;margin:1px 0 4px;white-space:pre-wrap;
word-break:break-all;font-size:12px}
td.steps{padding:0 6px 8px 24px;border-bottom:1px solid #d5d8dc}
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: object, suffix: str = "") -> str:
    if value is None:
        return '<span class="muted">–</span>'
    if isinstance(value, bool):
        return '<span class="yes">yes</span>' if value else '<span class="no">no</span>'
    if isinstance(value, float):
        text = f"{value:.2g}" if value < 1e-3 else f"{value:,.2f}"
        return esc(text + suffix)
    return esc(f"{value}{suffix}")


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    th = "".join(
        f'<th class="{"n" if i in numeric else ""}">{esc(h)}</th>' for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"n" if i in numeric else ""}">{c}</td>' for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{th}</tr>{body}</table>"


class Axis:
    """Simulated time to x pixels."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.span = (end - start).total_seconds()

    def x(self, t: datetime) -> float:
        f = (t - self.start).total_seconds() / self.span
        return round(LEFT + max(0.0, min(1.0, f)) * (W - LEFT - RIGHT), 1)

    def grid(self, top: float, bottom: float) -> str:
        """Night shading (22:00-07:00 local) and a label at each local midnight."""
        out = []
        day = self.start
        n = 1
        while day < self.end:
            night0, night1 = day - timedelta(hours=2), day + timedelta(hours=7)
            out.append(
                f'<rect x="{self.x(night0)}" y="{top}" width="{self.x(night1) - self.x(night0)}"'
                f' height="{bottom - top}" fill="#eaecee"/>'
            )
            out.append(
                f'<line x1="{self.x(day)}" x2="{self.x(day)}" y1="{top}" y2="{bottom}"'
                ' stroke="#aab7b8" stroke-width="0.6"/>'
            )
            label = day.astimezone(LOCAL).strftime("%a %d %b")
            out.append(
                f'<text x="{self.x(day) + 3}" y="{bottom + 12}" font-size="10" fill="#566573">'
                f"day {n} · {esc(label)}</text>"
            )
            day += timedelta(days=1)
            n += 1
        return "".join(out)


def _svg(height: float, body: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%"'
        f' role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>{body}</svg>'
    )


def timeline(play: Play, seen: Observed, card: dict[str, Any]) -> str:
    """One row per attack: its span, each exposure, its insiders' alerts (raised and seen);
    a row of all other alerts (false alerts); a row of warning runs; the hourly request volume
    behind them all."""
    cfg = play.world.config
    axis = Axis(cfg.t0, cfg.end)
    rows: list[tuple[str, str]] = []
    row_h, top = 34, 70
    truths = play.truths
    attackers = {p for t in truths.values() for p in t.principals}
    for name, t in truths.items():
        rows.append((name, t.title))
    rows.append(("other", "alerts on other principals"))
    rows.append(("warn", "warnings queued"))
    height = top + row_h * len(rows) + 30
    parts = [axis.grid(20, height - 30)]
    # hourly activity as a bar strip along the top
    counts = play.harness.per_hour
    peak = max(counts.values(), default=1)
    h0 = int(cfg.t0.timestamp() // 3600)
    for hour in range(cfg.days * 24):
        n = counts.get(h0 + hour, 0)
        if not n:
            continue
        at = cfg.t0 + timedelta(hours=hour)
        x0, x1 = axis.x(at), axis.x(at + timedelta(hours=1))
        bar = 40 * n / peak
        parts.append(
            f'<rect x="{x0}" y="{60 - bar}" width="{max(0.5, x1 - x0 - 0.4)}" height="{bar}"'
            ' fill="#85929e"/>'
        )
    parts.append(
        '<text x="6" y="44" font-size="11" fill="#566573">requests / hour</text>'
        f'<text x="6" y="57" font-size="10" fill="#7b7d7d">peak {peak}</text>'
    )
    for i, (name, label) in enumerate(rows):
        y = top + i * row_h + row_h / 2
        colour = COLOURS.get(name, "#566573")
        parts.append(
            f'<text x="6" y="{y + 4}" font-size="12" fill="{colour}" font-weight="600">'
            f"{esc(name)}</text>"
        )
        parts.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y}" y2="{y}" stroke="#d5d8dc"'
            ' stroke-dasharray="2,3"/>'
        )
        row_truth = truths.get(name)
        if row_truth is not None:
            truth = row_truth
            x0, x1 = axis.x(truth.start), axis.x(truth.end)
            parts.append(
                f'<rect x="{x0}" y="{y - 9}" width="{x1 - x0}" height="18" fill="{colour}"'
                f' fill-opacity="0.12"><title>{esc(label)}</title></rect>'
            )
            for at in truth.exposed.values():
                parts.append(
                    f'<line x1="{axis.x(at)}" x2="{axis.x(at)}" y1="{y - 7}" y2="{y + 7}"'
                    f' stroke="{colour}" stroke-width="0.7" stroke-opacity="0.7"/>'
                )
            mine = [a for a in seen.alerts if a["principal_id"] in truth.principals]
            for a in mine:
                parts.append(_diamond(axis, a, y, colour))
            score = card["attacks"].get(name, {})
            ttd = score.get("time_to_detect_h")
            if ttd is not None:
                xd = axis.x(truth.start + timedelta(hours=ttd))
                parts.append(
                    f'<line x1="{xd}" x2="{xd}" y1="{y - 14}" y2="{y + 14}" stroke="#1c2833"'
                    ' stroke-width="1.6"><title>detected</title></line>'
                )
        elif name == "other":
            for a in seen.alerts:
                if a["principal_id"] not in attackers:
                    parts.append(_diamond(axis, a, y, "#566573"))
        else:
            for run in play.warn_runs:
                r = 2 + min(6, run["queued"] ** 0.5)
                parts.append(
                    f'<circle cx="{axis.x(run["at"])}" cy="{y}" r="{r:.1f}"'
                    f' fill="#2e86c1" fill-opacity="0.6"><title>{run["queued"]} queued at'
                    f" {esc(run['at'].astimezone(LOCAL).strftime('%d %H:%M'))}</title></circle>"
                )
    return _svg(height, "".join(parts), "timeline of attacks, alerts and warnings")


def _diamond(axis: Axis, a: dict[str, Any], y: float, colour: str) -> str:
    x = axis.x(datetime.fromisoformat(a["raised_at"]))
    tip = (
        f"{a['alert_id']}: {a['kind']} on {a['principal_id']},"
        f" score {float(a['score']):.1f}, {a['severity']}"
    )
    return (
        f'<path d="M{x},{y - 8} L{x + 6},{y} L{x},{y + 8} L{x - 6},{y} Z" fill="{colour}"'
        f' stroke="#1c2833" stroke-width="0.8"><title>{esc(tip)}</title></path>'
    )


def exposure_chart(play: Play, card: dict[str, Any]) -> str:
    """Cumulative customers exposed per attack, with the detection time marked on each."""
    cfg = play.world.config
    axis = Axis(cfg.t0, cfg.end)
    height, top, bottom = 230, 16, 196
    peak = max((len(t.exposed) for t in play.truths.values()), default=0) or 1
    parts = [axis.grid(top, bottom)]
    for frac in (0.0, 0.5, 1.0):
        y = bottom - frac * (bottom - top)
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4}" font-size="10" text-anchor="end"'
            f' fill="#566573">{round(frac * peak)}</text>'
        )
    legend_y = top + 4
    for name, truth in play.truths.items():
        if not truth.exposed:
            continue
        colour = COLOURS.get(name, "#566573")
        times = sorted(truth.exposed.values())
        pts = [f"{axis.x(truth.start)},{bottom}"]
        for n, t in enumerate(times, 1):
            y = round(bottom - n / peak * (bottom - top), 1)
            pts.append(f"{axis.x(t)},{pts[-1].split(',')[1]}")
            pts.append(f"{axis.x(t)},{y}")
        pts.append(f"{axis.x(cfg.end)},{pts[-1].split(',')[1]}")
        parts.append(
            f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        ttd = card["attacks"].get(name, {}).get("time_to_detect_h")
        if ttd is not None:
            xd = axis.x(truth.start + timedelta(hours=ttd))
            parts.append(
                f'<line x1="{xd}" x2="{xd}" y1="{top}" y2="{bottom}" stroke="{colour}"'
                ' stroke-dasharray="4,3" stroke-width="1.4"/>'
            )
        parts.append(
            f'<text x="{LEFT + 8}" y="{legend_y + 10}" font-size="11" fill="{colour}">'
            f"{esc(name)}: {len(truth.exposed)} {EXPOSED_WORDS.get(name, 'customers exposed')}"
            f"{'; dashed: detected' if ttd is not None else ''}</text>"
        )
        legend_y += 14
    return _svg(height, "".join(parts), "customers exposed over time")


def scam_chart(score: dict[str, Any]) -> str:
    """The scam wave's customers: warned before it reached them or not; saved or deceived."""
    groups = [
        ("warned before", score["warned_before_reached"], "#2e86c1"),
        ("warned after", score["warned_after_reached"], "#aed6f1"),
        ("never warned", score["never_warned"], "#d5d8dc"),
    ]
    outcome = [
        ("saved", score["saved"], "#1e8449"),
        ("deceived", score["deceived"], "#c0392b"),
    ]
    total = max(1, score["customers_reached"])
    parts = []
    for row, (label, items) in enumerate((("warning", groups), ("outcome", outcome))):
        y = 20 + row * 40
        parts.append(f'<text x="6" y="{y + 15}" font-size="12" fill="#1c2833">{label}</text>')
        x = float(LEFT)
        for name, n, colour in items:
            width = (W - LEFT - RIGHT) * n / total
            if n:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="22" fill="{colour}">'
                    f"<title>{esc(name)}: {n}</title></rect>"
                )
                if width > 60:
                    parts.append(
                        f'<text x="{x + 5:.1f}" y="{y + 15}" font-size="11" fill="#1c2833">'
                        f"{esc(name)} {n}</text>"
                    )
            x += width
    return _svg(110, "".join(parts), "scam wave: warnings and outcomes")


def _source(card: dict[str, Any], source: str, partners: dict[str, str]) -> str:
    """A victims' trace source: a release by the partner it went to, a principal by name."""
    partner = partners.get(source)
    if partner is None:
        return named(card, source)
    return f"the release given to {named(card, partner)}"


def _other_sections(card: dict[str, Any]) -> list[str]:
    """Logins (accounts saved and lost), the leaked file's trace, the victims' trace."""
    out: list[str] = []
    attacks = card["attacks"]
    stuffing = attacks.get("stuffing")
    if stuffing is not None:
        out.append("<h2>Logins: accounts saved and lost</h2>")
        rows = [
            [
                esc(kind),
                _fmt(k["attempts"]),
                _fmt(k["accounts_at_risk"]),
                f'<span class="yes">{k["accounts_saved"]}</span>',
                f'<span class="no">{k["accounts_lost"]}</span>',
                _fmt(k["challenged"]),
                _fmt(k["denied"]),
                _fmt(k["time_to_detect_h"], " h"),
            ]
            for kind, k in stuffing["by_kind"].items()
        ]
        out.append(
            _table(
                [
                    "wave",
                    "tries",
                    "accounts at risk (reused password)",
                    "saved",
                    "lost",
                    "challenged",
                    "denied",
                    "first stopped after",
                ],
                rows,
                set(range(1, 8)),
            )
        )
        out.append(
            f'<p class="muted">{stuffing["benign_logins"]} benign logins with the right'
            f" password: {stuffing['false_alerts']} denied, {stuffing['benign_challenged']}"
            " challenged (friction). An attempt allowed with a reused password is an account"
            " taken over; one challenged or denied, an account saved.</p>"
        )
    for name in ("partner", "collusion"):
        p = attacks.get(name)
        if p is None:
            continue
        out.append(f"<h2>The leaked file ({esc(name)})</h2>")
        out.append(
            _table(
                [
                    "sold by (truth)",
                    "rows in the leak",
                    "shieldwall accused",
                    "rank of the leaker",
                    "p-value",
                    "canary rows",
                    "wrongly accused",
                ],
                [
                    [
                        ", ".join(named(card, x) for x in p.get("principals", [])),
                        _fmt(p.get("leak_rows")),
                        ", ".join(named(card, x) for x in p.get("accused", [])) or "nobody",
                        _fmt(p.get("attribution_rank")),
                        esc(p_text(p.get("p_value"))),
                        _fmt(p.get("canary_rows")),
                        _fmt(p.get("false_alerts")),
                    ]
                ],
                {1, 3, 4, 5, 6},
            )
        )
    v = attacks.get("victims")
    if v is not None:
        out.append("<h2>The victims' list</h2>")
        out.append(
            _table(
                [
                    "victims listed",
                    "matched to customers",
                    "sources shieldwall named",
                    "rank of a true leaker",
                    "p-value (adjusted)",
                    "wrongly named",
                ],
                [
                    [
                        _fmt(v.get("victims")),
                        _fmt(v.get("resolved")),
                        ", ".join(
                            _source(card, s, v.get("source_partners", {}))
                            for s in v.get("sources", [])
                        )
                        or "none",
                        _fmt(v.get("attribution_rank")),
                        esc(p_text(v.get("p_value"))),
                        _fmt(v.get("false_alerts")),
                    ]
                ],
                {0, 1, 3, 4, 5},
            )
        )
    return out


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals (integer arithmetic: no float holds money)."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def response_section(resp: dict[str, Any]) -> list[str]:
    """Cases, the hours from each attack's first harm to case, containment and notification,
    and money lost against compensated (``simulate --respond``)."""
    if "cases" not in resp:
        return []
    out = ["<h2>After detection: cases, notices, compensation</h2>"]
    rows = [
        [
            esc(name),
            esc(t["first_harm"][:16].replace("T", " ")) if t["first_harm"] else "no harm done",
            esc(", ".join(t["cases"]) or "–"),
            _fmt(t["to_case_h"], " h"),
            _fmt(t["to_contained_h"], " h"),
            _fmt(t["to_notified_h"], " h"),
        ]
        for name, t in resp["timing"].items()
    ]
    out.append(
        _table(
            ["attack", "first harm (UTC)", "cases", "→ case", "→ contained", "→ notified"],
            rows,
            {3, 4, 5},
        )
    )
    m = resp["money"]
    out.append(
        f"<p><b>Money</b>: {_fmt(m['deceived'])} customers deceived lost"
        f" {esc(yuan(m['lost_fen']))}; {_fmt(m['claims'])} claims, {_fmt(m['claims_paid'])} paid"
        f" and {_fmt(m['claims_open'])} open; compensated {esc(yuan(m['compensated_fen']))}"
        f" (of which advanced before liability was settled, 先行赔付:"
        f" {esc(yuan(m['advanced_fen']))}); ledger trial balance {esc(m['trial_balance_fen'])}"
        " fen.</p>"
    )
    out.append(
        '<p class="muted">The team works on for '
        f"{esc(resp['days_after'])} simulated days after the attacks. Notices are recorded, not"
        " sent (breach notices are their own work); the case moves to <code>notified</code>"
        " through the case state machine. Losses are the simulation's ground truth; what was"
        " paid is read back from shieldwall's ledger (<code>GET /v1/claims:report</code>).</p>"
    )
    return out


def zone_label() -> str:
    """``times in Asia/Shanghai (UTC+08:00)``: the zone every local time in the report is in."""
    offset = datetime(2026, 1, 1, tzinfo=LOCAL).strftime("%z")
    return f"times in {LOCAL_ZONE} (UTC{offset[:3]}:{offset[3:]})"


def local_time(at: datetime | str | None) -> str:
    """A moment as the store's local day and time, e.g. ``Tue 03 Mar 14:05``."""
    if at is None:
        return "–"
    t = datetime.fromisoformat(at) if isinstance(at, str) else at
    return t.astimezone(LOCAL).strftime("%a %d %b %H:%M")


def named(card: dict[str, Any], principal: str) -> str:
    """A partner by its registered display name (its id beside it); anyone else by id."""
    name = card.get("names", {}).get(principal)
    return (
        f"{esc(name)} <code>{esc(principal)}</code>" if name else f"<code>{esc(principal)}</code>"
    )


def _cards(items: Sequence[tuple[object, str, str]], tone: str = "") -> str:
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card {tone}"><b>{esc(n)}</b>{esc(label)}<br><span class="muted">'
            f"{esc(sub)}</span></div>"
            for n, label, sub in items
        )
        + "</div>"
    )


def harm_section(card: dict[str, Any]) -> list[str]:
    """What was lost, what was saved, and each attack's take split at its detection."""
    lost, saved = card["harm"]["lost"], card["harm"]["saved"]
    out = ["<h2>What was lost</h2>"]
    records = lost["records_exposed_before_detection"] + lost["records_exposed_after_detection"]
    out.append(
        _cards(
            [
                (lost["accounts_taken_over"], "accounts taken over", "reused password let in"),
                (
                    lost["customers_deceived"],
                    "customers deceived",
                    f"{lost['deceived_though_warned']} of them had been warned",
                ),
                (
                    lost["records_exposed_before_detection"],
                    "records exposed before detection",
                    f"{records} in all; {lost['records_exposed_after_detection']} after it",
                ),
                (
                    "–" if lost["money_lost_fen"] is None else yuan(lost["money_lost_fen"]),
                    "money lost",
                    "transferred by the deceived customers",
                ),
            ],
            "lost",
        )
    )
    out.append("<h2>What was saved</h2>")
    if saved["records_not_exposed_after_suspension"] is None:
        kept = ("–", "records kept by suspending", "run with --respond to suspend on alerts")
    else:
        kept = (
            saved["records_not_exposed_after_suspension"],
            "records kept by suspending",
            f"{saved['attempts_stopped_by_suspension']} attempts refused after suspension",
        )
    out.append(
        _cards(
            [
                (saved["accounts_defended"], "accounts defended", "reused password challenged"),
                (saved["attempts_blocked"], "attempts blocked", "refused, challenged or denied"),
                kept,
                (
                    saved["customers_warned_before_scam"],
                    "warned before the scam call",
                    f"of {saved['customers_reached_by_scam']} the gang reached;"
                    f" {saved['customers_told_not_us']} told “not us”",
                ),
            ],
            "saved",
        )
    )
    rows = [
        [
            f'<b style="color:{COLOURS.get(a["name"].split(".")[0], "#000")}">{esc(a["name"])}</b>',
            esc(a["what"]),
            f'<span class="no">{a["before"]}</span>',
            _fmt(a["after"]),
            esc(local_time(a["detected_at"]))
            if a["detected_at"]
            else '<span class="no">never</span>',
            _fmt(a["blocked"]),
        ]
        for a in card["harm"]["attacks"]
    ]
    out.append(
        _table(
            [
                "attack",
                "what it took",
                "before detection",
                "after detection",
                "detected",
                "stopped",
            ],
            rows,
            {2, 3, 4, 5},
        )
    )
    out.append(
        f'<p class="muted">{esc(zone_label())}. Counted from the simulation\'s ground truth'
        " (what each attacker actually got, when) against when shieldwall detected it."
        " Stopped: reads custody refused, login tries challenged or denied, attempts refused"
        " after a suspension; for the scam, customers who checked and were told “not us”."
        " Money lost: what each deceived customer transferred, drawn by the simulator.</p>"
    )
    return out


def detection_section(card: dict[str, Any]) -> list[str]:
    """Attacks detected, alerts, false alerts; the scorecard table."""
    al = card["alerts"]
    out = ["<h2>Detection</h2>"]
    out.append(
        _cards(
            [
                (
                    sum(1 for a in card["attacks"].values() if a["detected"]),
                    "attacks detected",
                    f"of {len(card['attacks'])} run",
                ),
                (al["total"], "alerts", f"{al['on_attackers']} on attackers"),
                (
                    al["false"],
                    "false alerts",
                    f"{al['false_per_100_principal_days']} per 100 staff-days",
                ),
                (card["warnings"]["customers_queued"], "customers warned", "queued by the team"),
            ]
        )
    )
    rows = []
    shown: list[tuple[float | None, bool]] = []
    for name, a in card["attacks"].items():
        capped = score_capped(a.get("score"))
        shown.append((a.get("p_value"), capped))
        rows.append(
            [
                f'<b style="color:{COLOURS.get(name, "#000")}">{esc(name)}</b><br>'
                f'<span class="muted">{esc(a["title"])}</span>',
                _fmt(a["detected"]),
                _fmt(a.get("time_to_detect_h"), " h"),
                _fmt(a.get("time_to_notice_h"), " h"),
                f"{_fmt(a['records_lost_before_detection'])} / "
                f"{_fmt(a.get('records_exposed', a.get('customers_reached')))}",
                _fmt(a.get("attribution_rank")),
                esc(p_text(a.get("p_value"), capped)),
                _fmt(a.get("false_alerts")),
            ]
        )
    out.append(
        _table(
            [
                "attack",
                "detected",
                "time to detect",
                "seen by security",
                "lost before / exposed",
                "attribution rank",
                "p-value",
                "false alerts",
            ],
            rows,
            {2, 3, 4, 5, 6, 7},
        )
    )
    out.extend(f'<p class="muted">{esc(line)}</p>' for line in notes_for(shown))
    return out


def alerts_section(
    card: dict[str, Any], seen: Observed, home: Path, program: str, suspended: set[str]
) -> list[str]:
    """Every alert with its id and the commands that follow it."""
    out = ["<h2>Alerts and the next step</h2>"]
    out.append(
        f'<p class="muted">{esc(zone_label())}. Each command runs as printed against this run\'s'
        " shieldwall home.</p>"
    )
    head = "".join(f"<th>{h}</th>" for h in ("alert", "kind", "principal", "severity", "raised"))
    body = []
    for a in sorted(seen.alerts, key=lambda a: (a["raised_at"], a["alert_id"])):
        pid = a["principal_id"]
        body.append(
            f"<tr><td><code>{esc(a['alert_id'])}</code></td><td>{esc(a['kind'])}</td>"
            f"<td>{named(card, pid)} ({esc(seen.roles.get(pid, '?'))})</td>"
            f"<td>{esc(a['severity'])}</td><td>{esc(local_time(a['raised_at']))}</td></tr>"
        )
        steps = "".join(
            f'{esc(s.why)}:<pre class="cmd">{esc(command_line(s.argv, home, program))}</pre>'
            for s in next_steps(a, pid in suspended)
        )
        body.append(f'<tr><td class="steps" colspan="5">{steps}</td></tr>')
    out.append(f"<table><tr>{head}</tr>{''.join(body)}</table>")
    return out


def render(card: dict[str, Any], play: Play, seen: Observed, program: str = "shieldwall") -> str:
    """The report: harm first (lost, saved), then detection, the alerts and their next steps,
    the timeline and the details."""
    w = card["world"]
    attackers = {p for t in play.truths.values() for p in t.principals}
    out = [
        f"<!doctype html><html lang=en><meta charset=utf-8><title>shieldwall simulation, seed"
        f" {esc(card['seed'])}</title><style>{CSS}</style><body>",
        "<h1>shieldwall: the attack chain, end to end, scored</h1>",
        f'<p class="muted">seed {esc(card["seed"])} · {w["customers"]:,} customers ·'
        f" {w['orders']:,} orders · {w['days']} days from {esc(w['start'][:10])} ·"
        f" {w['agents']} agents, {w['couriers']} couriers, {w['analysts']} analysts ·"
        f" {card['run']['requests']:,} API requests, {card['run']['cli_calls']} CLI commands,"
        f" {card['run']['audit_entries']:,} audit entries · {esc(zone_label())}</p>",
    ]
    out.extend(harm_section(card))
    out.extend(detection_section(card))
    if card["not_run"]:
        out.append(
            "<p><b>Not run</b> (this build lacks what they drive; they count as nothing, not as"
            " detected): "
            + "; ".join(f"<code>{esc(k)}</code>: {esc(v)}" for k, v in card["not_run"].items())
            + "</p>"
        )
    resp = card.get("response", {})
    if resp.get("enabled"):
        who = ", ".join(
            f"{named(card, p)} at {esc(local_time(at))}" for p, at in resp["suspended"].items()
        )
        after = ", ".join(
            f"{esc(k)}: {esc(v)}" for k, v in resp["exposed_after_suspension"].items()
        )
        out.append(
            "<p><b>Response</b> (<code>--respond</code>): the security team suspended "
            f"{who or 'nobody'}; the API refused {esc(resp['requests_refused'])} of their later"
            f" requests; customers exposed after the suspension: {after or '-'}.</p>"
        )
        out.extend(response_section(resp))
    out.extend(alerts_section(card, seen, play.harness.home, program, play.harness.suspended))
    out.append("<h2>Timeline</h2>")
    out.append(
        f'<p class="muted"><b>T{esc(zone_label()[1:])}.</b> Grey bars: API requests per'
        " simulated hour (the day-night rhythm; shaded: 22:00–07:00). Each attack's row: its"
        " span, a tick per customer it exposed, ◆ each alert shieldwall raised on its insiders"
        " (hover for kind and score),"
        " a black bar at detection. Blue dots: warnings the security team queued.</p>"
    )
    out.append(timeline(play, seen, card))
    out.append("<h2>Customers exposed over time</h2>")
    out.append(exposure_chart(play, card))
    out.append("<h2>Attribution ranking</h2>")
    out.append(
        '<p class="muted">Every principal shieldwall alerted on, by its highest alert score'
        " (−log10 of a tail bound: the p-value is 10<sup>−score</sup>). The last column is the"
        " simulation's ground truth, not shieldwall's.</p>"
    )
    capped_any = False
    best: dict[str, list[dict[str, Any]]] = {}
    for a in seen.alerts:
        best.setdefault(a["principal_id"], []).append(a)
    ranked = sorted(best.items(), key=lambda kv: (-max(float(a["score"]) for a in kv[1]), kv[0]))
    rows = []
    for n, (pid, alerts) in enumerate(ranked, 1):
        top = max(float(a["score"]) for a in alerts)
        capped_any = capped_any or score_capped(top)
        evidence = "<br>".join(
            f"<b>{esc(a['kind'])}</b> <code>{esc(a['alert_id'])}</code>"
            f" ({esc(a['severity'])}, {len(a['customer_ids'])} customers,"
            f" {len(a['audit_seqs'])} entries): "
            + esc("; ".join(r["detail"] for r in a["reasons"]))
            for a in sorted(alerts, key=lambda a: -float(a["score"]))
        )
        rows.append(
            [
                str(n),
                named(card, pid),
                esc(seen.roles.get(pid, "?")),
                esc(f"{top:.2f}" + (" (cap)" if score_capped(top) else "")),
                evidence,
                '<span class="no">attacker</span>' if pid in attackers else "benign",
            ]
        )
    out.append(
        _table(
            ["#", "principal", "role", "score", "evidence (alert reasons)", "truth"], rows, {0, 3}
        )
    )
    if capped_any:
        out.append(f'<p class="muted">{esc(notes_for([(0.0, True)])[0])}</p>')
    scam = card["attacks"].get("scam")
    if scam is not None:
        out.append("<h2>The scam wave</h2>")
        out.append(scam_chart(scam))
        out.append(
            _table(
                [
                    "customers reached",
                    "checked with the store",
                    "shieldwall said “not us”",
                    "reported",
                    "campaigns",
                    "lookalike links flagged",
                    "genuine calls checked",
                    "genuine calls called a scam",
                ],
                [
                    [
                        _fmt(scam["customers_reached"]),
                        _fmt(scam["checked_with_store"]),
                        _fmt(scam["shieldwall_answered_not_us"]),
                        _fmt(scam["reported"]),
                        _fmt(scam["campaigns"]),
                        f"{_fmt(scam['lookalike_links_flagged'])} / {_fmt(scam['links_reported'])}",
                        _fmt(scam["genuine_calls_checked"]),
                        _fmt(scam["false_alerts"]),
                    ]
                ],
                set(range(8)),
            )
        )
        out.append(
            '<p class="muted">What a customer does is the simulation\'s behaviour model'
            " (a warned customer checks with the store with probability 0.75, one not warned"
            " with 0.2; one who does not check is deceived with probability 0.5). What shieldwall"
            " answered, which reports it joined into a campaign and which links it judged"
            " lookalikes are its own answers through the API.</p>"
        )
    out.extend(_other_sections(card))
    out.append("<h2>How to read this</h2>")
    out.append(
        "<ul><li><b>time to detect</b>: from the attack's first action to the event at which"
        " shieldwall raised its first alert on an insider (the alert's <code>raised_at</code>);"
        " <b>seen by security</b>: when the simulated security team, reading"
        " <code>GET /v1/alerts</code> four times a day, first saw it.</li>"
        "<li><b>lost before</b>: customers whose record the attack had taken in clear before"
        " detection; a read custody refused exposes nothing.</li>"
        "<li><b>false alerts</b>: alerts on principals of the attacker's role who did nothing"
        " planted. Every number is computed from the planted ground truth against what"
        " shieldwall returned through its API and CLI (<code>scorecard.json</code>).</li></ul>"
    )
    out.append("</body></html>")
    return "\n".join(out)
