"""Masked views: the documented shapes, and never more than the rule allows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.custody import masking
from shieldwall.sim.people import PeopleFactory


def test_documented_examples() -> None:
    """The shapes the policy promises: 138****5678, 110105********123X, 张*, z***@example.com."""
    assert masking.phone("+8613812345678") == "138****5678"
    assert masking.national_id("11010519880101123X") == "110105********123X"
    assert masking.name("张三") == "张*"
    assert masking.name("欧阳娜娜") == "欧***"
    assert masking.name("Li Wei") == "L* W**"
    assert masking.email("zhang@example.com") == "z***@example.com"


def test_card_and_document_masks() -> None:
    """Cards keep their last four digits only; documents their letter and last two."""
    assert masking.bank_card("6200 0000 0000 0005") == "************0005"
    assert masking.bank_card("1234") == "***"
    assert masking.travel_document("E12345678") == "E******78"
    assert masking.travel_document("E1") == "***"


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("北京市朝阳区建国路88号", "北京市朝阳区***"),
        ("浙江省杭州市西湖区文三路100号", "浙江省杭州市西湖区***"),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放路1号", "新疆维吾尔自治区乌鲁木齐市天山区***"),
        ("江苏省苏州市昆山市玉山镇", "江苏省苏州市昆山市***"),
        ("上海市浦东新区陆家嘴环路1000号", "上海市浦东新区***"),
        ("10 Downing Street, London", "***"),
    ],
)
def test_address_to_district(address: str, masked: str) -> None:
    """Addresses are cut at the district (county) level; unparseable ones are hidden."""
    assert masking.address(address) == masked


@given(st.text(max_size=40))
def test_masks_are_total(value: str) -> None:
    """Every masker returns a string for any input and never returns a long input whole."""
    fields = ("phone", "national_id", "name", "address", "email", "bank_card", "passport")
    for field in (*fields, "unknown"):
        out = masking.mask(field, value)
        assert isinstance(out, str)
        if len(value.strip()) > 4:
            assert out != value.strip()


@given(st.integers(min_value=0, max_value=10_000))
def test_generated_people_mask_within_rules(seed: int) -> None:
    """On realistic data, a masked phone shows 7 digits, a masked ID 10, an address no street."""
    c = PeopleFactory(seed).customer("C1")
    phone = masking.phone(c.phone)
    assert sum(ch.isdigit() for ch in phone) == 7 and phone.count("*") == 4
    assert c.national_id is not None
    nid = masking.national_id(c.national_id)
    assert nid[:6] == c.national_id[:6] and nid[-4:] == c.national_id[-4:] and nid[6:14] == "*" * 8
    assert c.address is not None
    addr = masking.address(c.address)
    assert addr.endswith("***") and "号" not in addr and c.address.startswith(addr[:-3])
