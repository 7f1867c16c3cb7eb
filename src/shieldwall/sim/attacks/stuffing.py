"""(d) Credential stuffing with passwords reused from another site's leak.

Every login goes through the store's login service, which asks shieldwall first
(``POST /v1/logins/assess``: account, address, user agent, device, SHA-1 of the password) and
reports whether the password was right (``POST /v1/logins/outcome``).

- **Benign**: from the first day, customers log in from their usual network (a home /16 of
  their own, their own device id, their phone's app), mostly by day; one in thirty mistypes the
  password first. A customer asked for a challenge passes it (``POST /v1/logins/step-up``).
- **Combo list**: another site's leak holds (mobile, password) pairs: a third of the store's
  customers are in it and a quarter of those reuse that password here; the rest of the list
  are accounts the store does not have.
- **classic**: on the attack day at 02:00 local, two hosting addresses try 300 pairs at about
  two a second with a scripting user agent;
- **distributed**: from the next day's 10:00, 60 residential-looking addresses try 240 pairs,
  each address once every 5 to 15 minutes, with browser user agents (low and slow).

An attacker who is challenged or denied gets nothing; one who is allowed with a reused
password takes the account over (a lost account). A benign customer denied is a false alert;
challenged, friction.
"""

from __future__ import annotations

import functools
import hashlib
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shieldwall.sim.attacks.base import Attack, Observed, hours
from shieldwall.sim.truth import GroundTruth
from shieldwall.sim.world import APP, HOURLY

if TYPE_CHECKING:
    from shieldwall.sim.engine import Play

APP_UA = "StoreApp/5.12.1 (iOS 17.4; iPhone15,2)"
BROWSER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 Version/17.3 Safari",
)
BOT_UA = "python-requests/2.31.0"
LOGINS_PER_CUSTOMER_DAY = 0.4  # an active store; the wave detector needs 20 an hour
CLASSIC, DISTRIBUTED = 300, 240  # pairs each wave tries


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - the k-anonymity API's hash


def plant(play: Play, rng: random.Random) -> GroundTruth:
    w = play.world
    cfg = w.config
    start = cfg.t0 + timedelta(days=cfg.attack_day, hours=2)
    truth = GroundTruth("stuffing", "credential stuffing with reused passwords", (), start, cfg.end)
    rows: list[dict[str, Any]] = []
    truth.facts["rows"] = rows
    home = {c.customer_id: (rng.randrange(1, 223), rng.randrange(256)) for c in w.customers}
    password = {c.customer_id: f"pw-{rng.getrandbits(48):012x}" for c in w.customers}
    in_leak = rng.sample(w.customers, len(w.customers) // 3)
    combo: list[tuple[str, str, str | None]] = []  # (account, password, customer id or None)
    for c in in_leak:
        reused = rng.random() < 0.25
        leaked = password[c.customer_id] if reused else f"old-{rng.getrandbits(40):010x}"
        combo.append((c.phone, leaked, c.customer_id))
    for _ in range(max(len(in_leak) * 2, CLASSIC + DISTRIBUTED - len(in_leak))):
        combo.append((f"+86139{rng.randrange(10**8):08d}", f"x{rng.getrandbits(32):08x}", None))
    rng.shuffle(combo)

    def attempt(
        kind: str, account: str, pw: str, cid: str | None, ip: str, ua: str, device: str | None
    ) -> None:
        h = play.harness
        body = {"account": account, "ip": ip, "user_agent": ua, "password_sha1": sha1(pw)}
        if device is not None:
            body["device_id"] = device
        a = h.post("/v1/logins/assess", APP, body).body
        correct = cid is not None and password[cid] == pw
        row = {
            "kind": kind,
            "at": play.now,
            "customer_id": cid,
            "correct": correct,
            "decision": a["decision"],
            "reasons": [r["code"] for r in a.get("reasons", [])],
        }
        rows.append(row)
        if a["decision"] == "deny":
            return
        if a["decision"] == "challenge":
            if kind != "benign":
                return  # the bot cannot pass the challenge
            h.post("/v1/logins/step-up", APP, {"account": account, "ip": ip}, expect=(200, 204))
        h.post(
            "/v1/logins/outcome",
            APP,
            {
                "assessment_id": a["assessment_id"],
                "success": correct,
                "account_known": cid is not None,
            },
        )
        if correct and kind != "benign" and cid is not None:
            truth.expose(cid, play.now)

    def benign_login(cid: str) -> None:
        c = w.by_id[cid]
        a, b = home[cid]
        ip = f"{a}.{b}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        device = f"dev-{cid}"
        if rng.random() < 1 / 30:
            attempt("benign", c.phone, "typo" + password[cid], cid, ip, APP_UA, device)
        attempt("benign", c.phone, password[cid], cid, ip, APP_UA, device)

    daily = max(20.0, len(w.customers) * LOGINS_PER_CUSTOMER_DAY)
    for day in range(cfg.days):
        for hour in range(24):
            n = round(daily * HOURLY[hour] / sum(HOURLY))
            for _ in range(n):
                at = cfg.t0 + timedelta(days=day, hours=hour, seconds=rng.uniform(0, 3600))
                play.at(at, functools.partial(benign_login, rng.choice(w.customers).customer_id))

    classic_ips = [f"47.100.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(2)]
    t: datetime = start
    for account, pw, owner in combo[:CLASSIC]:
        t += timedelta(seconds=rng.uniform(0.2, 0.8))
        ip = rng.choice(classic_ips)
        play.at(t, functools.partial(attempt, "classic", account, pw, owner, ip, BOT_UA, None))
    slow_start = cfg.t0 + timedelta(days=cfg.attack_day + 1, hours=10)
    slow_ips = [
        f"{rng.choice((36, 27, 123, 221))}.{rng.randrange(256)}.{rng.randrange(256)}"
        f".{rng.randrange(1, 255)}"
        for _ in range(60)
    ]
    clock = dict.fromkeys(slow_ips, slow_start)
    for account, pw, owner in combo[CLASSIC : CLASSIC + DISTRIBUTED]:
        ip = rng.choice(slow_ips)
        clock[ip] += timedelta(minutes=rng.uniform(5, 15))
        ua = rng.choice(BROWSER_UAS)
        play.at(
            clock[ip], functools.partial(attempt, "distributed", account, pw, owner, ip, ua, None)
        )
    truth.facts["starts"] = {"classic": start, "distributed": slow_start}
    truth.notes.append((start, "classic stuffing from two hosting addresses"))
    truth.notes.append((slow_start, "distributed low-and-slow stuffing from 60 addresses"))
    return truth


def score(truth: GroundTruth, seen: Observed) -> dict[str, Any]:
    rows: list[dict[str, Any]] = truth.facts["rows"]
    out: dict[str, Any] = {}
    for kind in ("classic", "distributed"):
        mine = [r for r in rows if r["kind"] == kind]
        start = truth.facts["starts"][kind]
        first = next((r["at"] for r in mine if r["decision"] != "allow"), None)
        at_risk = [r for r in mine if r["correct"]]
        out[kind] = {
            "attempts": len(mine),
            "detected": first is not None,
            "time_to_detect_h": hours(start, first) if first else None,
            "detected_at": first.isoformat() if first else None,
            "accounts_at_risk": len(at_risk),
            "accounts_lost": sum(1 for r in at_risk if r["decision"] == "allow"),
            "lost_before_detection": sum(
                1
                for r in at_risk
                if r["decision"] == "allow" and (first is None or r["at"] < first)
            ),
            "accounts_saved": sum(1 for r in at_risk if r["decision"] != "allow"),
            "denied": sum(1 for r in mine if r["decision"] == "deny"),
            "challenged": sum(1 for r in mine if r["decision"] == "challenge"),
        }
    benign = [r for r in rows if r["kind"] == "benign" and r["correct"]]
    firsts = [out[k]["time_to_detect_h"] for k in out if out[k]["time_to_detect_h"] is not None]
    stops = [out[k]["detected_at"] for k in out if out[k]["detected_at"] is not None]
    return {
        "detected": all(out[k]["detected"] for k in out),
        "time_to_detect_h": max(firsts) if len(firsts) == len(out) else None,
        # both waves stopped: when the later one was (ISO strings of one offset sort as times)
        "detected_at": max(stops) if len(stops) == len(out) else None,
        "records_exposed": len(truth.exposed),
        "records_lost_before_detection": sum(out[k]["lost_before_detection"] for k in out),
        "accounts_lost": sum(out[k]["accounts_lost"] for k in out),
        "accounts_saved": sum(out[k]["accounts_saved"] for k in out),
        "by_kind": out,
        "benign_logins": len(benign),
        "false_alerts": sum(1 for r in benign if r["decision"] == "deny"),
        "benign_challenged": sum(1 for r in benign if r["decision"] == "challenge"),
        "attribution_rank": None,
        "p_value": None,
    }


ATTACK = Attack(
    "stuffing",
    "credential stuffing",
    plant,
    score,
    needs=("POST /v1/logins/assess", "POST /v1/logins/outcome"),
)
