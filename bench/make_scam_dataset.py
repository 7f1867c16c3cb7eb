"""Expand the hand-written scam/genuine message bases into the labelled script dataset.

Reads ``bench/data/scam_bases_*.yaml`` (one base text per group, with ``{slot}`` placeholders) and
writes ``src/shieldwall/contact/scam/data/scripts.jsonl``: three variants per group, slots filled
from fixed pools with a per-group seed, so the output is identical on every run.

The split is fixed by the *group* before any tuning: a group is in ``test`` when the first 32 bits
of SHA-256 of its id, modulo 10, are below 3 (about 30 % of groups). All variants of a base share
its split, so no near-duplicate of a test text is ever seen in training.

    python bench/make_scam_dataset.py            # rewrite the dataset
    python bench/make_scam_dataset.py --check    # exit 1 if the shipped file is out of date
"""

from __future__ import annotations

import hashlib
import json
import random
import string
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src/shieldwall/contact/scam/data/scripts.jsonl"
VARIANTS = 3
TEST_BUCKETS = 3  # of 10

NAMES_ZH = [
    "张先生",
    "李女士",
    "王先生",
    "刘女士",
    "陈先生",
    "杨女士",
    "赵先生",
    "黄女士",
    "周先生",
    "吴女士",
    "徐先生",
    "孙女士",
    "马先生",
    "朱女士",
    "胡先生",
    "郭女士",
]
NAMES_EN = [
    "Mr. Smith",
    "Ms. Chen",
    "Sarah",
    "David",
    "Mrs. Patel",
    "James",
    "Emily",
    "Mr. Wang",
    "Linda",
    "Michael",
    "Ms. Lopez",
    "Tom",
]
ITEMS_ZH = [
    "小米空气净化器",
    "华为FreeBuds耳机",
    "三只松鼠坚果礼盒",
    "美的电饭煲",
    "优衣库羽绒服",
    "李宁跑鞋",
    "戴森吹风机",
    "兰蔻精华液",
    "九阳豆浆机",
    "飞利浦电动牙刷",
    "罗技无线鼠标",
    "苏泊尔炒锅",
    "小天才电话手表",
    "倍思充电宝",
    "格力电风扇",
    "森海塞尔耳机",
]
ITEMS_EN = [
    "wireless earbuds",
    "air fryer",
    "running shoes",
    "4K monitor",
    "espresso machine",
    "robot vacuum",
    "winter jacket",
    "phone case",
    "electric toothbrush",
    "smartwatch",
    "blender",
    "desk lamp",
    "Bluetooth speaker",
    "hair dryer",
]
COURIERS_ZH = ["顺丰", "中通", "圆通", "韵达", "京东物流", "申通", "极兔"]
COURIERS_EN = ["UPS", "FedEx", "DHL", "USPS", "Royal Mail"]
COURIER_PEOPLE = ["王师傅", "李师傅", "小张", "刘师傅", "陈师傅"]
AMOUNTS = [
    "29.9",
    "59",
    "89.9",
    "128",
    "199",
    "258",
    "299",
    "368",
    "499",
    "699",
    "899",
    "1299",
    "1599",
    "2399",
    "3499",
]
SCAM_URLS = [
    "http://shieldmart-refund.top/claim",
    "https://kf-shieldmart.com/tk/{r}",
    "http://shie1dmart.cn/pay?id={r}",
    "https://refund.shieldmart.com.claim-center.xyz/",
    "http://t.cn/A6{r}",
    "https://sm-aftersales.vip/{r}",
    "http://tuikuan-center.cc/s/{r}",
    "http://115.29.48.{n}:8080/refund",
    "https://shieldmart.lipei-kefu.com/{r}",
    "https://www.shieldmart-service.net/claim/{r}",
    "http://xn--shieldmrt-m2a.com/{r}",
    "https://bit.ly/{r}",
]
OFFICIAL_URLS = [
    "https://www.shieldmart.com/sale",
    "https://m.shieldmart.com/a/{r}",
    "https://s.shieldmart.com/{r}",
    "https://shieldmart.com/app",
]
WX_IDS = [
    "kf_service88",
    "shouhou2024",
    "sm_kefu_01",
    "lipei_zhuanyuan",
    "refund_desk7",
    "vip_kefu666",
    "after_sales_amy",
    "tk_center9",
]
HOTLINES = ["400-820-1234", "400-606-8866"]


def _digits(rng: random.Random, n: int, first: str = "123456789") -> str:
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return prefix + str((10 - total % 10) % 10)


def _slots(rng: random.Random, lang: str) -> dict[str, str]:
    r = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(6))
    order = _digits(rng, rng.choice([12, 14, 16]))
    card = _luhn_complete("62" + _digits(rng, rng.choice([15, 17]), string.digits))
    if rng.random() < 0.5:
        card = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    mobile = "1" + rng.choice("3456789") + _digits(rng, 9, string.digits)
    if lang == "zh":
        phone = mobile if rng.random() < 0.6 else f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    else:
        phone = rng.choice(
            [
                f"+1 646 555 01{rng.randint(10, 99)}",
                f"+44 7700 900{rng.randint(100, 999)}",
                f"+86 {mobile}",
            ]
        )
    return {
        "name": rng.choice(NAMES_ZH if lang == "zh" else NAMES_EN),
        "item": rng.choice(ITEMS_ZH if lang == "zh" else ITEMS_EN),
        "amount": rng.choice(AMOUNTS),
        "order": order,
        "order4": order[-4:],
        "days": str(rng.randint(2, 7)),
        "courier": rng.choice(COURIERS_ZH if lang == "zh" else COURIERS_EN),
        "courier_person": rng.choice(COURIER_PEOPLE),
        "phone": phone,
        "qq": _digits(rng, rng.randint(6, 10)),
        "wx": rng.choice(WX_IDS),
        "url": rng.choice(SCAM_URLS).format(r=r, n=rng.randint(2, 250)),
        "url_official": rng.choice(OFFICIAL_URLS).format(r=r),
        "card": card,
        "card4": card.replace(" ", "")[-4:],
        "tracking": rng.choice(["SF", "YT", "JD"]) + _digits(rng, 12, string.digits),
        "pickup": f"{rng.randint(1, 9)}-{rng.randint(1, 5)}-{rng.randint(1000, 9999)}",
        "code": _digits(rng, 6, string.digits),
        "hotline": rng.choice(HOTLINES),
    }


def split_of(group: str) -> str:
    bucket = int.from_bytes(hashlib.sha256(group.encode()).digest()[:4], "big") % 10
    return "test" if bucket < TEST_BUCKETS else "train"


def build() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted((HERE / "data").glob("scam_bases_*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        lang, label = doc["lang"], doc["label"]
        for base in doc["groups"]:
            group = f"{lang}-{label}-{base['g']}"
            rng = random.Random(hashlib.sha256(group.encode()).digest())
            seen: set[str] = set()
            for v in range(VARIANTS):
                slots = _slots(rng, lang)
                text = base["t"].format(**slots)
                if text in seen:  # a base without slots yields one text only
                    continue
                seen.add(text)
                rows.append(
                    {
                        "id": f"{group}-{v}",
                        "group": group,
                        "lang": lang,
                        "label": 1 if label == "scam" else 0,
                        "kind": f"{label}_{base['k']}",
                        "split": split_of(group),
                        "text": text,
                        "facts": {
                            "order_ids": [slots["order"]] if "{order" in base["t"] else [],
                            "items": [slots["item"]] if "{item}" in base["t"] else [],
                            "amounts": [slots["amount"]] if "{amount}" in base["t"] else [],
                        },
                    }
                )
    return rows


def render(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def main(argv: list[str]) -> int:
    body = render(build())
    if "--check" in argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != body:
            print(f"{OUT} is out of date; run python bench/make_scam_dataset.py")
            return 1
        return 0
    OUT.write_text(body, encoding="utf-8")
    print(f"wrote {OUT} ({body.count(chr(10))} examples)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
