"""Brands from --brand flags and from TOML brands files, with clear validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldwall.contact.domains.brands import (
    brands_from_domains,
    load_brands_file,
    parse_brands_toml,
)
from shieldwall.contact.domains.errors import BrandsFileError

GOOD = """
keywords = ["shouhou-center"]
allow = ["JDSports.com"]

[[brands]]
name = "JD"
domains = ["jd.com", "JD.HK.", "360buy.com"]
words = ["jd", "JingDong", "京东"]
"""


def test_good_file_is_normalised() -> None:
    """Domains and words are lower-cased, trailing dots dropped, extras kept."""
    book = parse_brands_toml(GOOD)
    (brand,) = book.brands
    assert brand.domains == ("jd.com", "jd.hk", "360buy.com")
    assert brand.words == ("jd", "jingdong", "京东")
    assert book.keywords == ("shouhou-center",) and book.allow == ("jdsports.com",)


def test_flags_merge_domains_that_share_a_label() -> None:
    """--brand jd.com --brand jd.hk make one brand 'jd'; 360buy.com its own."""
    book = brands_from_domains(["jd.com", "jd.hk", "360buy.com"])
    assert [(b.name, b.domains) for b in book.brands] == [
        ("jd", ("jd.com", "jd.hk")),
        ("360buy", ("360buy.com",)),
    ]


def test_flag_for_an_official_subdomain() -> None:
    """--brand weixin.qq.com protects 'weixin', not the parent's label 'qq'."""
    (brand,) = brands_from_domains(["weixin.qq.com"]).brands
    assert (brand.name, brand.domains, brand.words) == (
        "weixin.qq.com",
        ("weixin.qq.com",),
        ("weixin",),
    )


def test_bad_flag_is_refused() -> None:
    """A --brand that is not a domain is a BrandsFileError naming --brand."""
    with pytest.raises(BrandsFileError) as caught:
        brands_from_domains(["not a domain"])
    assert caught.value.field == "--brand"


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("brands = [", None, "not valid TOML"),
        ("[[brands]]\nname='x'\n", "brands[0].domains", "Field required"),
        ("[[brands]]\nname='x'\ndomains=[]\n", "brands[0].domains", "at least 1"),
        ("[[brands]]\nname='x'\ndomains=['jd com']\n", "brands[0].domains", "not a domain"),
        ("[[brands]]\nname='x'\ndomains=['1.2.3.4']\n", "brands[0].domains", "IP address"),
        ("[[brands]]\nname='x'\ndomains=['jd.com']\nwords=['j.d']\n", "brands[0].words", "no dots"),
        ("[[brands]]\nname='x'\ndomains=['jd.com']\ncolour='red'\n", "brands[0].colour", "Extra"),
        ("brands = []\n", "brands", "at least 1"),
        ("surprise = 1\n", "brands", "Field required"),
        (
            "[[brands]]\nname='x'\ndomains=['a.com']\n[[brands]]\nname='x'\ndomains=['b.com']\n",
            "name",
            "appears twice",
        ),
    ],
)
def test_invalid_files_name_the_entry(text: str, field: str | None, reason: str) -> None:
    """Each validation failure names the offending entry and says why."""
    with pytest.raises(BrandsFileError) as caught:
        parse_brands_toml(text)
    assert caught.value.field == field
    assert reason in caught.value.reason


def test_file_problems(tmp_path: Path) -> None:
    """Missing, oversized and non-UTF-8 files are refused with a reason."""
    with pytest.raises(BrandsFileError, match="cannot read"):
        load_brands_file(tmp_path / "missing.toml")
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 1_048_577)
    with pytest.raises(BrandsFileError, match="larger than 1 MiB"):
        load_brands_file(big)
    latin = tmp_path / "latin.toml"
    latin.write_bytes("name = 'caf\u00e9'".encode("latin-1"))
    with pytest.raises(BrandsFileError, match="not UTF-8"):
        load_brands_file(latin)
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    assert load_brands_file(good).brands[0].name == "JD"
