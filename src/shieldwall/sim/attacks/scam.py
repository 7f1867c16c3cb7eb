"""(e) A scam wave against the leaked customers.

Half a day after a customer's record leaks (the other attacks' ground truth), the gang working
the stolen list reaches them during the day: a call from a number that is not the store's, or
an SMS with a link to a lookalike of the store's domain, both with the same refund script
("quality problem, triple compensation, confirm your bank card"). What a customer does is the
simulation's behaviour model, not shieldwall's doing (stated, so the figures can be read):

- a customer already **warned** (queued by the security team) checks with the store first with
  probability 0.75, one not warned with 0.2;
- checking a call asks ``GET /v1/me/contact-status?incoming=NUMBER``; checking an SMS asks
  ``POST /v1/messages/verify``. The customer hangs up only when shieldwall answers ``not_us`` /
  ``valid: false`` (shieldwall's part), and then reports it with probability 0.6 through the
  store app (``POST /v1/scam/reports``);
- a customer who does not check is deceived with probability 0.5 and reports with 0.1;
- a deceived customer loses money: whole yuan from 500 to 30 000, drawn per customer
  (:func:`~shieldwall.sim.respond.loss_fen`), which ``--respond`` compensates through claims.

Detected when the reports have formed one campaign of at least three; the time is the report
that made it three.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shieldwall.sim.attacks.base import Attack, Observed, hours
from shieldwall.sim.harness import BRAND_DOMAIN
from shieldwall.sim.respond import loss_fen
from shieldwall.sim.truth import GroundTruth
from shieldwall.sim.world import APP, LOCAL

if TYPE_CHECKING:
    from shieldwall.sim.engine import Play

LEAK_SOURCES = ("harvest", "partner", "collusion")
DELAY = timedelta(hours=12)
PER_HOUR = 6
CAMPAIGN_SIZE = 3
P_CHECK_WARNED, P_CHECK, P_REPORT_SAVED, P_DECEIVED, P_REPORT_IGNORED = 0.75, 0.2, 0.6, 0.5, 0.1
SCRIPTS = (
    "您好，我是{brand}客服，您购买的{title}存在质量问题，我们将为您办理三倍赔偿退款，"
    "请提供银行卡号和验证码完成理赔。",
    "【{brand}售后】您的订单{title}因质量问题可申请退款补偿，请点击 {link} 填写银行卡信息办理。",
    "{brand}客服通知：您购买的{title}被检测出质量问题，三倍赔偿，点击 {link} 领取退款，"
    "需验证银行卡验证码。",
)


def _lookalikes(rng: random.Random) -> list[str]:
    stem = BRAND_DOMAIN.split(".")[0]
    return [f"{stem}-kefu.com", f"{stem}-tuikuan.cn", f"{stem}-refund.top"][: rng.randint(2, 3)]


def _numbers(rng: random.Random) -> list[str]:
    return [f"+86171{rng.randrange(10**8):08d}" for _ in range(3)] + [
        f"+86162{rng.randrange(10**8):08d}"
    ]


def plant(play: Play, rng: random.Random) -> GroundTruth:
    cfg = play.world.config
    start = cfg.t0 + timedelta(days=cfg.attack_day) + DELAY
    truth = GroundTruth("scam", "scam wave against the leaked customers", (), start, cfg.end)
    domains, numbers = _lookalikes(rng), _numbers(rng)
    truth.facts.update(domains=domains, numbers=numbers)
    contacts: list[dict[str, Any]] = []
    truth.facts["contacts"] = contacts
    reached: set[str] = set()

    def leaked_now(now: datetime) -> dict[str, str]:
        """Customers the gang holds by now -> the leak it first had them from."""
        out: dict[str, str] = {}
        for name in LEAK_SOURCES:
            t = play.truths.get(name)
            if t is not None:
                for c, at in t.exposed.items():
                    if at + DELAY <= now and c not in reached:
                        out.setdefault(c, name)
        return out

    def contact() -> None:
        now = play.now
        pool = leaked_now(now)
        if not pool:
            return
        cid = rng.choice(sorted(pool))
        reached.add(cid)
        call = rng.random() < 0.5
        orders = play.orders_of(cid)
        title = orders[-1].title if orders else "商品"
        link = f"http://{rng.choice(domains)}/r/{rng.randrange(10**6)}"
        text = rng.choice(SCRIPTS).format(brand="京选商城", title=title, link=link)
        if call:
            text = SCRIPTS[0].format(brand="京选商城", title=title, link=link)
        sender = rng.choice(numbers)
        warned_at = play.warned.get(cid)
        warned = warned_at is not None and warned_at <= now
        row: dict[str, Any] = {
            "customer_id": cid,
            "source": pool[cid],
            "at": now,
            "channel": "call" if call else "sms",
            "warned_before": warned,
            "checked": False,
            "shieldwall_said": None,
            "reported": False,
            "deceived": False,
            "campaign_id": None,
            "lookalike": None,
        }
        contacts.append(row)
        truth.expose(cid, now)
        h = play.harness
        if rng.random() < (P_CHECK_WARNED if warned else P_CHECK):
            row["checked"] = True
            if call:
                status = h.get(
                    "/v1/me/contact-status", APP, params={"subject": cid, "incoming": sender}
                ).body
                row["shieldwall_said"] = status["state"]
                saved = status["state"] == "not_us"
            else:
                check = h.post("/v1/messages/verify", APP, {"customer_id": cid, "text": text}).body
                row["shieldwall_said"] = "valid" if check["valid"] else "not_sent_by_store"
                saved = not check["valid"]
            report = saved and rng.random() < P_REPORT_SAVED
            row["deceived"] = not saved
        else:
            row["deceived"] = rng.random() < P_DECEIVED
            report = not row["deceived"] and rng.random() < P_REPORT_IGNORED
        if row["deceived"]:
            row["loss_fen"] = loss_fen(cfg.seed, cid)
        if report:
            body = {
                "channel": "call" if call else "sms",
                "received_at": now.isoformat(),
                "text": text,
                "sender": sender,
                "links": [] if call else [link],
                "customer_id": cid,
            }
            out = h.post("/v1/scam/reports", APP, body).body
            row["reported"] = True
            row["campaign_id"] = out["campaign_id"]
            row["campaign_size"] = out["campaign_size"]
            verdicts = [i.get("verdict") for i in out["indicators"] if i["kind"] == "domain"]
            row["lookalike"] = ("lookalike" in verdicts) if verdicts else None

    for day in range(cfg.attack_day, cfg.days):
        for hour in range(9, 21):
            t0 = datetime(cfg.start.year, cfg.start.month, cfg.start.day, hour, tzinfo=LOCAL)
            base = t0 + timedelta(days=day)
            if base < start:
                continue
            for _ in range(PER_HOUR):
                play.at(base + timedelta(seconds=rng.uniform(0, 3600)), contact)
    truth.notes.append((start, "the gang starts calling and texting the leaked customers"))
    return truth


def score(truth: GroundTruth, seen: Observed) -> dict[str, Any]:
    rows: list[dict[str, Any]] = truth.facts["contacts"]
    reports = [r for r in rows if r["reported"]]
    sizes: dict[str, int] = {}
    detected_at = None
    for r in sorted(reports, key=lambda r: r["at"]):
        sizes[r["campaign_id"]] = r["campaign_size"]
        if detected_at is None and r["campaign_size"] >= CAMPAIGN_SIZE:
            detected_at = r["at"]
    largest = max(sizes.values(), default=0)
    links = [r for r in reports if r["lookalike"] is not None]
    checked = [r for r in rows if r["checked"]]
    said_right = [r for r in checked if r["shieldwall_said"] in ("not_us", "not_sent_by_store")]
    return {
        "detected": detected_at is not None,
        "time_to_detect_h": hours(truth.start, detected_at) if detected_at else None,
        "detected_at": detected_at.isoformat() if detected_at else None,
        "customers_reached": len(rows),
        "records_lost_before_detection": truth.lost_before(detected_at),
        "warned_before_reached": sum(r["warned_before"] for r in rows),
        "warned_after_reached": sum(
            1 for r in rows if not r["warned_before"] and r["customer_id"] in seen.warned
        ),
        "never_warned": sum(1 for r in rows if r["customer_id"] not in seen.warned),
        "checked_with_store": len(checked),
        "shieldwall_answered_not_us": len(said_right),
        "reported": len(reports),
        "campaigns": len(sizes),
        "largest_campaign": largest,
        "reports_in_largest_campaign_share": round(largest / len(reports), 3) if reports else None,
        "lookalike_links_flagged": sum(1 for r in links if r["lookalike"]),
        "links_reported": len(links),
        "saved": sum(1 for r in rows if not r["deceived"]),
        "deceived": sum(1 for r in rows if r["deceived"]),
        "deceived_warned": sum(1 for r in rows if r["deceived"] and r["warned_before"]),
        "deceived_not_warned": sum(1 for r in rows if r["deceived"] and not r["warned_before"]),
        "lost_fen": sum(r.get("loss_fen", 0) for r in rows),
        "attribution_rank": None,  # who leaked the list is (f)'s question
        "p_value": None,
        # A genuine call the customer checked must never be called a scam.
        "false_alerts": sum(1 for g in seen.genuine_checks if g["state"] != "calling_now"),
        "genuine_calls_checked": len(seen.genuine_checks),
    }


ATTACK = Attack(
    "scam",
    "scam wave against leaked customers",
    plant,
    score,
    needs=("GET /v1/me/contact-status", "POST /v1/scam/reports", "POST /v1/messages/verify"),
    after=LEAK_SOURCES,
)
