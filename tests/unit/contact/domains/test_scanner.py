"""The lookalike scanner: official vs lookalike vs clean, technique by technique."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.config import DomainSettings
from shieldwall.contact.domains.brands import Brand, BrandBook
from shieldwall.contact.domains.scanner import LookalikeScanner, edit_score, length_factor

from .conftest import BOOK


def test_official_domains_and_subdomains(scanner: LookalikeScanner) -> None:
    """An official domain or any subdomain of one is official, with its brand."""
    for line in ("jd.com", "WWW.JD.COM", "a.b.jd.hk", "https://item.jd.com/1.html", "360buy.com"):
        verdict = scanner.scan(line)
        assert (verdict.verdict, verdict.brand) == ("official", "JD"), line


def test_foreign_domain_wearing_an_official_one(scanner: LookalikeScanner) -> None:
    """jd.com written inside someone else's domain is a lookalike (brand_in_subdomain)."""
    for line in ("jd.com.refund-center.xyz", "www.jd.com-refund.xyz", "jd.com.cn.evil.top"):
        verdict = scanner.scan(line)
        assert verdict.verdict == "lookalike" and verdict.brand == "JD", line
        assert "brand_in_subdomain" in verdict.techniques
        assert verdict.registrable_domain != "jd.com"


@pytest.mark.parametrize(
    ("line", "brand", "technique"),
    [
        ("jingdon.com", "JD", "omission"),
        ("jingdongg.com", "JD", "repetition"),
        ("jingdnog.com", "JD", "transposition"),
        ("jingdonf.com", "JD", "bitsquatting"),
        ("jing-dong.com", "JD", "hyphenation"),
        ("jungdong.com", "JD", "vowel_swap"),
        ("jimgdong.com", "JD", "keyboard_typo"),
        ("taobao.net", "Taobao", "tld_swap"),
        ("jingdong.xyz", "JD", "brand_as_domain"),
        ("jd-kefu.com", "JD", "combosquatting"),
        ("jdtuikuan.cn", "JD", "combosquatting"),
        ("京东客服.com", "JD", "combosquatting"),
        ("paypal-verify.net", "PayPal", "combosquatting"),
        ("paypa1.com", "PayPal", "homoglyph"),
        ("rnicrosoft.com", "Microsoft", "homoglyph"),
        ("vvww.microsoft-help.com", "Microsoft", "combosquatting"),
        ("раураl.com", "PayPal", "homoglyph"),
        ("xn--pypal-4ve.com", "PayPal", "punycode"),
        ("paypaτ.com", "PayPal", "homoglyph"),
        ("晶东客服.com", "JD", "homophone"),
        ("http://jd.com@login-check.top/", "JD", "userinfo_impersonation"),
        ("paypal.login-verify.net", "PayPal", "brand_in_subdomain"),
        ("micrsoft-center.net", "Microsoft", "omission"),
        ("mei-crosoft.com", "Microsoft", "insertion"),
        ("jimgdomg.com", "JD", "keyboard_typo"),
        ("jingdon-kefu.com", "JD", "combosquatting"),
        ("taob-ao-kefu.com", "Taobao", "hyphenation"),
        ("jcl.com", "JD", "homoglyph"),
    ],
)
def test_each_technique_is_detected(
    scanner: LookalikeScanner, line: str, brand: str, technique: str
) -> None:
    """A lookalike made with each technique is flagged with that brand and technique."""
    verdict = scanner.scan(line)
    assert verdict.verdict == "lookalike", verdict
    assert verdict.brand == brand
    assert technique in verdict.techniques, verdict.techniques
    assert verdict.reasons


@pytest.mark.parametrize(
    "line",
    [
        "jdsports.com",  # short brand + an ordinary word
        "jdi.com",  # one edit from a two-letter brand
        "jb.com",
        "jd123.com",  # short brand + digits: configure '618' etc. as keywords to catch these
        "jd.example.org",  # short brand as a bare subdomain label, no lure word
        "apple.com",
        "example.com",
        "taobaoxiaozhan.org",  # long compound, brand concatenated with unknown letters (L=6)
        "helpdesk-refund.com",  # lure words without any brand
        "oliver.com",
    ],
)
def test_near_misses_stay_clean(scanner: LookalikeScanner, line: str) -> None:
    """Legitimate-looking names close to a brand are not flagged (false alarms kept low)."""
    verdict = scanner.scan(line)
    assert verdict.verdict == "clean", verdict
    assert verdict.brand is None and verdict.techniques == ()


def test_popular_domains_are_not_judged_on_their_label(scanner: LookalikeScanner) -> None:
    """A domain on the shipped popular list (paypal.me) is clean, but still not a shield."""
    assert scanner.scan("paypal.me").verdict == "clean"
    assert scanner.scan("jd.com.blogspot.com").verdict == "lookalike"
    bare = LookalikeScanner(BOOK, DomainSettings(popular_allowlist=False))
    assert bare.scan("paypal.me").verdict == "lookalike"


def test_configured_allow_list_and_threshold() -> None:
    """Allowed domains are clean; a higher threshold turns weak findings clean."""
    allow = LookalikeScanner(BOOK, DomainSettings(allow=("jingdon.com",)))
    assert allow.scan("jingdon.com").verdict == "clean"
    strict = LookalikeScanner(BOOK, DomainSettings(threshold=0.95))
    assert strict.scan("jingdon.com").verdict == "clean"
    assert strict.scan("jd.com.refund-center.xyz").verdict == "lookalike"


def test_extra_keywords_from_the_brand_book() -> None:
    """A store's own lure word (here '618') makes brand+word a combosquat."""
    book = BrandBook(BOOK.brands, keywords=("618",))
    assert LookalikeScanner(book).scan("jd-618.com").verdict == "lookalike"


def test_two_far_edits_only_below_default_threshold() -> None:
    """Two edits on far-apart keys (cost 2) score 0.95 - 2 * 0.32 = 0.31: clean by default,
    flagged at threshold 0.3."""
    line = "mizrosofp.com"
    assert LookalikeScanner(BOOK).scan(line).verdict == "clean"
    loose = LookalikeScanner(BOOK, DomainSettings(threshold=0.3)).scan(line)
    assert loose.verdict == "lookalike" and loose.techniques == ("edit_distance",)


def test_scores_scale_with_brand_length() -> None:
    """Edits count for nothing on 3-letter brands and fully from 8 letters on."""
    assert length_factor(2) == length_factor(3) == 0.0
    assert length_factor(4) <= length_factor(5) < length_factor(6) < length_factor(7) < 1.0
    assert length_factor(8) == length_factor(12) == 1.0
    assert edit_score(0.5, 8) > edit_score(1.0, 8) > edit_score(2.0, 8)


def test_scanner_needs_a_brand() -> None:
    """An empty brand book is refused."""
    with pytest.raises(ValueError, match="at least one brand"):
        LookalikeScanner(BrandBook(()))


labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20).filter(
    lambda s: not s.startswith("-") and not s.endswith("-")
)


@settings(max_examples=200)
@given(st.lists(labels, max_size=3), st.sampled_from(["jd.com", "jd.hk", "360buy.com"]))
def test_any_subdomain_of_an_official_domain_is_official(
    scanner: LookalikeScanner, sub: list[str], domain: str
) -> None:
    """Property: official domain with any subdomain labels is always official."""
    verdict = scanner.scan(".".join([*sub, domain]))
    assert verdict.verdict == "official" and verdict.brand == "JD"


@settings(max_examples=300)
@given(st.lists(labels, min_size=1, max_size=3), st.sampled_from(["com", "cn", "xyz", "com.cn"]))
def test_verdicts_are_well_formed(scanner: LookalikeScanner, parts: list[str], tld: str) -> None:
    """Property: score in [0, 1]; lookalikes name a brand, techniques and reasons; clean do not."""
    verdict = scanner.scan(".".join([*parts, tld]))
    assert 0.0 <= verdict.score <= 1.0
    if verdict.verdict == "lookalike":
        assert verdict.brand and verdict.techniques and verdict.reasons
        assert verdict.score >= scanner.threshold
    elif verdict.verdict == "clean":
        assert verdict.brand is None and not verdict.techniques
        assert verdict.score < scanner.threshold


@settings(max_examples=200)
@given(st.lists(labels, min_size=1, max_size=3), st.sampled_from(["com", "cn", "net"]))
def test_fast_path_never_hides_a_lookalike(
    scanner: LookalikeScanner, parts: list[str], tld: str
) -> None:
    """Property: when the fast path says clean, the full analysis finds nothing above threshold."""
    host = ".".join([*parts, tld])
    if scanner._may_match(host):
        return
    from shieldwall.contact.domains.names import parse_observed

    name = parse_observed(host)
    findings = scanner._findings(name, scanner._splitter.split(name.labels))
    assert all(f.score < scanner.threshold for f in findings), findings


def test_fast_path_agrees_on_known_lookalikes(scanner: LookalikeScanner) -> None:
    """Every lookalike example above passes the fast-path prefilter (no silent drop)."""
    for host in ("jingdon.com", "jd-kefu.com", "paypa1.com", "micrsoft-center.net", "jcl.com"):
        assert scanner._may_match(host), host


def test_official_subdomain_does_not_claim_its_parent() -> None:
    """Protecting weixin.qq.com makes neither qq.com nor qq.net a lookalike of it."""
    book = BrandBook((Brand("WeChat", ("weixin.qq.com",), ("weixin",)),))
    scanner = LookalikeScanner(book)
    assert scanner.scan("open.weixin.qq.com").verdict == "official"
    assert scanner.scan("qq.com").verdict == "clean"
    assert scanner.scan("qq.net").verdict == "clean"
    assert scanner.scan("weixin-kefu.com").verdict == "lookalike"


def test_one_brand_word_only() -> None:
    """A brand with only a CJK word still works (pinyin is derived for homophones)."""
    scanner = LookalikeScanner(BrandBook((Brand("Suning", ("suning.com",), ("苏宁",)),)))
    assert scanner.scan("苏宁客服.com").verdict == "lookalike"
    assert scanner.scan("suning-kefu.com").verdict == "lookalike"
