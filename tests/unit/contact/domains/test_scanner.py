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
    """Two edits on far-apart keys (cost 2) score 0.95 - 2 * 0.4 = 0.15: clean by default,
    flagged at threshold 0.1."""
    line = "mizrosofp.com"
    assert LookalikeScanner(BOOK).scan(line).verdict == "clean"
    loose = LookalikeScanner(BOOK, DomainSettings(threshold=0.1)).scan(line)
    assert loose.verdict == "lookalike" and loose.techniques == ("edit_distance",)


def test_two_edits_need_two_cheap_slips(scanner: LookalikeScanner) -> None:
    """Two neighbour-key slips (cost 1) score 0.95 - 0.4 = 0.55; a drop and a slip (0.75 + 0.5)
    0.45, clean (issue #14: such names were legitimate sites on the real dev lists)."""
    slips = scanner.scan("jimgdomg.com")
    assert slips.verdict == "lookalike" and slips.score == pytest.approx(0.55, abs=0.001)
    drop_and_slip = scanner.scan("micraoft.com")  # 'o' dropped, 's' typed as its neighbour 'a'
    assert drop_and_slip.verdict == "clean"
    assert drop_and_slip.score == pytest.approx(0.45, abs=0.001)


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


# -- issue #14's precision rules, each with a hand-worked example --------------------------------
#
# Scores worked by hand from the documented formulas: one edit scores (0.95 - 0.25 x cost) x
# length factor (0.7 for 6 letters, 0.85 for 7); a cheap slip (swap, doubled letter) costs 0.5, a
# plain replacement 1; an ASCII look-alike scores 0.9 x glyph factor of the brand's own letters.

EVIDENCE_BOOK = BrandBook(
    (
        Brand("Lenovo", ("lenovo.com", "lenovo.com.cn"), ("lenovo",)),
        Brand("Alipay", ("alipay.com",), ("alipay",)),
        Brand("iCloud", ("icloud.com",), ("icloud",)),
        Brand("YouTube", ("youtube.com",), ("youtube",)),
        Brand("Vanguard", ("vanguard.com",), ("vanguard",)),
    )
)


@pytest.fixture(scope="module")
def evidence_scanner() -> LookalikeScanner:
    return LookalikeScanner(EVIDENCE_BOOK)


@pytest.mark.parametrize(
    ("line", "verdict", "score"),
    [
        ("lenvoo.com", "lookalike", 0.5775),  # swap: 0.825 x 0.7
        ("lenvoo.com.cn", "lookalike", 0.5775),  # the brand's own country code
        ("lenvoo.ru", "clean", 0.3465),  # another country's code: x 0.6
        ("boutube.com", "lookalike", 0.595),  # replacement: 0.7 x 0.85
        ("boutube.edu.bd", "clean", 0.0),  # a restricted registry: a school, not a squatter
    ],
)
def test_suffix_weighs_spelling_matches(
    evidence_scanner: LookalikeScanner, line: str, verdict: str, score: float
) -> None:
    """A typo under another country's code counts 0.6; under edu/gov/ac zones nothing."""
    result = evidence_scanner.scan(line)
    assert result.verdict == verdict, result
    assert result.score == pytest.approx(score, abs=0.001), result


def test_suffix_leaves_lure_words_and_official_names_alone(
    evidence_scanner: LookalikeScanner,
) -> None:
    """Brand + lure word under a foreign code, and an official domain inside an edu host, stay."""
    assert evidence_scanner.scan("lenovo-support.ru").verdict == "lookalike"
    assert evidence_scanner.scan("youtube.com.login.example.edu").verdict == "lookalike"
    assert evidence_scanner.scan("youtube-help.edu").verdict == "clean"


@pytest.mark.parametrize(
    ("line", "verdict", "score"),
    [
        ("a1ipay.com", "lookalike", 0.9),  # 1 for i, not words
        ("allpay.site", "clean", 0.45),  # l for i, but reads as all + pay: 0.9 x 0.5
        ("1cloud.com", "lookalike", 0.54),  # icloud's own letters are 'i': 0.9 x 0.6
        ("1cloud.ru", "clean", 0.324),  # and under another country: x 0.6
    ],
)
def test_ascii_lookalikes_weighed_by_own_letters_and_words(
    evidence_scanner: LookalikeScanner, line: str, verdict: str, score: float
) -> None:
    """An ASCII look-alike counts less when it spells words or swaps a generic brand's letter."""
    result = evidence_scanner.scan(line)
    assert result.verdict == verdict, result
    assert result.score == pytest.approx(score, abs=0.001), result


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        ("7youtube.com", "clean"),  # brand + one digit in front
        ("youtubex.com", "clean"),  # brand + one letter at the end
        ("youtubee.com", "lookalike"),  # a doubled last letter is a typing slip: 0.701
    ],
)
def test_edge_insertion_is_brand_plus_a_character(
    evidence_scanner: LookalikeScanner, line: str, verdict: str
) -> None:
    """One character added at either end is the brand joined with a character, not a typo."""
    assert evidence_scanner.scan(line).verdict == verdict


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        ("vanguardshelfsupports.com", "clean"),  # 'shelf' between brand and lure word
        ("vanguardsupport.com", "lookalike"),
        ("vanguard-shelf-support.com", "lookalike"),  # hyphens bound the brand term
    ],
)
def test_lure_word_must_touch_the_brand(
    evidence_scanner: LookalikeScanner, line: str, verdict: str
) -> None:
    """A lure word glued on after other words does not name a long brand term either."""
    assert evidence_scanner.scan(line).verdict == verdict
