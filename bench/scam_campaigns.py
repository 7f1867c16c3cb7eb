"""Synthetic scam campaigns with ground truth, for the clustering evaluation and benchmarks.

A *gang* owns one or two scripts (hand-written scam bases from ``bench/data``) and a pool of
indicators: callback numbers, QQ and WeChat ids, lookalike domains, a mule card. Each report is
one victim's copy: the script with this victim's name, item, order number and amount, and one or
two of the gang's indicators in the slots (or, for 30 % of reports, none at all: the victim
reports only the words), with the noise real reports have (digits spaced out,
``[.]`` in links, a transcript cut short, a sentence added, a caller id spoofed to a bank's 95xxx
number). Mixed in are misreports: genuine store messages reported by mistake, each its own truth
cluster, carrying the store's official links and hotline. Gangs never share a base script or an
indicator, but they do share the weak things (screen-sharing apps, 95xxx spoofs, the store's own
domain), which must not join them.
"""

from __future__ import annotations

import hashlib
import random
import string
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_scam_dataset import _luhn_complete, _slots  # noqa: E402 - sibling script

OFFICIAL_DOMAINS = ("shieldmart.com", "shieldmart.cn")
OFFICIAL_NUMBERS = ("+864008201234", "+864006068866")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
BARE = 0.3  # share of reports that carry none of the gang's indicators


@dataclass(frozen=True)
class Base:
    group: str
    lang: str
    text: str


@dataclass(frozen=True)
class SyntheticReport:
    truth: str  # gang id, or "genuine-<template>" for a misreport
    channel: str
    received_at: datetime
    text: str
    sender: str | None
    customer_id: str


def load_bases(label: str) -> list[Base]:
    out = []
    for path in sorted((HERE / "data").glob(f"scam_bases_*_{label}.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        out += [Base(f"{doc['lang']}-{b['g']}", doc["lang"], b["t"]) for b in doc["groups"]]
    return out


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice(string.digits) for _ in range(9))


def _domain(rng: random.Random) -> str:
    stem = rng.choice(["shieldmart", "sm", "shie1dmart", "shieldmarts", "dunqiang"])
    word = rng.choice(["refund", "kefu", "tuikuan", "claim", "lipei", "shouhou", "vip", "pay"])
    tld = rng.choice(["top", "xyz", "vip", "cc", "com", "cn", "shop"])
    tag = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(3))
    return rng.choice([f"{stem}-{word}{tag}.{tld}", f"{word}{tag}-{stem}.{tld}"])


@dataclass
class Gang:
    gang_id: str
    scripts: list[Base]
    phones: list[str]
    qqs: list[str]
    wechats: list[str]
    domains: list[str]
    card: str


def make_gangs(rng: random.Random, n: int, bases: list[Base], *, reuse: bool) -> list[Gang]:
    pool = list(bases)
    rng.shuffle(pool)
    gangs = []
    for g in range(n):
        k = 2 if rng.random() < 0.3 else 1
        if reuse:
            scripts = [rng.choice(bases) for _ in range(k)]
        else:
            scripts = [pool.pop() for _ in range(min(k, len(pool)))]
            if not scripts:
                raise ValueError("not enough distinct base scripts for that many gangs")
        tag = f"g{g}"
        gangs.append(
            Gang(
                gang_id=tag,
                scripts=scripts,
                phones=[_mobile(rng) for _ in range(rng.randint(1, 3))],
                qqs=[str(rng.randint(10_000, 9_999_999_999)) for _ in range(rng.randint(1, 2))],
                wechats=[f"kf_{tag}_{rng.randint(10, 99)}" for _ in range(rng.randint(1, 2))],
                domains=[_domain(rng) for _ in range(rng.randint(1, 2))],
                card=_luhn_complete("62" + "".join(rng.choice(string.digits) for _ in range(15))),
            )
        )
    return gangs


def _noisy(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.15:
        return text.replace(".", "[.]", 1)
    if r < 0.25:
        cut = int(len(text) * rng.uniform(0.6, 0.9))
        return text[:cut]
    if r < 0.35:
        extra = rng.choice(
            ["喂?听得到吗?", "您先别挂,我看一下系统.", "Hello? Are you there?", "好的好的."]
        )
        return extra + text if rng.random() < 0.5 else text + extra
    return text


def reports(
    rng: random.Random, gangs: list[Gang], per_gang: tuple[int, int], misreports: int
) -> Iterator[SyntheticReport]:
    out: list[SyntheticReport] = []
    victim = 0
    for gang in gangs:
        for _ in range(rng.randint(*per_gang)):
            victim += 1
            base = rng.choice(gang.scripts)
            slots = _slots(rng, base.lang)
            slots["phone"] = rng.choice(gang.phones)
            slots["qq"] = rng.choice(gang.qqs)
            slots["wx"] = rng.choice(gang.wechats)
            slots["url"] = f"http://{rng.choice(gang.domains)}/{rng.choice(['c', 'r', 'pay'])}"
            slots["card"] = gang.card
            bare = rng.random() < BARE
            if bare:  # the victim reports the words only: the script must carry the link
                for key in ("phone", "qq", "wx", "url", "card"):
                    slots[key] = ""
            text = _noisy(rng, base.text.format(**slots))
            channel = rng.choice(["call", "sms", "chat"])
            sender: str | None = None
            if channel in ("call", "sms") and not bare:
                sender = (
                    rng.choice(gang.phones)
                    if rng.random() < 0.6
                    else rng.choice(["95588", "95533", "10086", None])
                )
            if rng.random() < 0.25:
                text += rng.choice(
                    [" 下载向日葵", " 打开腾讯会议", " install AnyDesk", " 钉钉视频"]
                )
            when = T0 + timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            out.append(SyntheticReport(gang.gang_id, channel, when, text, sender, f"C{victim}"))
    genuine = load_bases("genuine")
    for _ in range(misreports):
        victim += 1
        base = rng.choice(genuine)
        slots = _slots(rng, base.lang)
        slots["hotline"] = rng.choice(["400-820-1234", "400-606-8866"])
        text = base.text.format(**slots)
        when = T0 + timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        sender = rng.choice(["+864008201234", "+864006068866", "106900001234", None])
        # Misreports of one genuine template belong together (same text), not with any gang.
        out.append(
            SyntheticReport(f"genuine-{base.group}", "sms", when, text, sender, f"C{victim}")
        )
    out.sort(key=lambda r: r.received_at)
    yield from out


def seeded(seed: int) -> random.Random:
    return random.Random(hashlib.sha256(f"scam-campaigns|{seed}".encode()).digest())


# --- clustering metrics -------------------------------------------------------------------------


def _pairs(sizes: dict[object, int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def cluster_metrics(truth: list[str], predicted: list[str]) -> dict[str, float]:
    """Purity, inverse purity and pairwise precision/recall/F1 of a clustering."""
    n = len(truth)
    joint: dict[tuple[str, str], int] = {}
    by_pred: dict[str, int] = {}
    by_true: dict[str, int] = {}
    for t, p in zip(truth, predicted, strict=True):
        joint[(t, p)] = joint.get((t, p), 0) + 1
        by_pred[p] = by_pred.get(p, 0) + 1
        by_true[t] = by_true.get(t, 0) + 1
    best_true: dict[str, int] = {}
    best_pred: dict[str, int] = {}
    for (t, p), c in joint.items():
        best_true[p] = max(best_true.get(p, 0), c)
        best_pred[t] = max(best_pred.get(t, 0), c)
    tp = _pairs(joint)  # type: ignore[arg-type]
    pred_pairs = _pairs(by_pred)  # type: ignore[arg-type]
    true_pairs = _pairs(by_true)  # type: ignore[arg-type]
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "reports": n,
        "true_clusters": len(by_true),
        "predicted_clusters": len(by_pred),
        "purity": sum(best_true.values()) / n,
        "inverse_purity": sum(best_pred.values()) / n,
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": f1,
    }
