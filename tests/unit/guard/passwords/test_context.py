"""Context words from a customer's details and the store's name."""

from __future__ import annotations

from datetime import date

from shieldwall.guard.passwords.context import (
    ContextKind,
    CustomerContext,
    birthday_from_national_id,
    context_tokens,
    fold,
)


def _texts(ctx: CustomerContext | None, store: str = "") -> dict[str, ContextKind]:
    return {t.text: t.kind for t in context_tokens(ctx, store)}


def test_chinese_name_and_pinyin() -> None:
    """A Chinese name gives itself and its pinyin in both orders."""
    t = _texts(CustomerContext(name="欧阳娜娜"))
    assert {"欧阳娜娜", "ouyangnana", "yangnanaou", "yangnana"} <= set(t)
    assert all(k is ContextKind.NAME for k in t.values())


def test_latin_name() -> None:
    """A Latin name gives parts of four letters or more and the parts run together."""
    assert {"john", "smith", "johnsmith", "smithjohn"} <= set(
        _texts(CustomerContext(name="John Smith"))
    )


def test_phone_parts() -> None:
    """An E.164 +86 number gives the national number, last 4, last 6, middle 4, first 7."""
    t = _texts(CustomerContext(phone="+8613812345678"))
    assert {"13812345678", "5678", "345678", "1234", "1381234"} == set(t)


def test_birthday_from_national_id() -> None:
    """The 18- and 15-digit ID numbers give the birth date in the usual written forms."""
    assert birthday_from_national_id("11010119900307123X") == date(1990, 3, 7)
    assert birthday_from_national_id("110101900307123") == date(1990, 3, 7)
    assert birthday_from_national_id("110101199013071234") is None  # month 13
    t = _texts(CustomerContext(national_id="11010119900307123X"))
    assert {"19900307", "900307", "0307", "03071990", "07031990"} <= set(t)
    assert (
        t["11010119900307123x"] is ContextKind.NATIONAL_ID
        and t["07123x"] is ContextKind.NATIONAL_ID
    )


def test_store_name_and_email() -> None:
    """The store name whole, its long words, its pinyin; the email's local part."""
    t = _texts(CustomerContext(email="Li.Lei@example.com"), "盾墙商城")
    assert t["lilei"] is ContextKind.EMAIL
    assert (
        t["盾墙商城"] is ContextKind.STORE_NAME
        and t["dunqiangshangcheng"] is ContextKind.STORE_NAME
    )
    assert {"shieldwalldemostore", "shieldwall"} <= set(_texts(None, "shieldwall demo store"))
    assert "demo" not in _texts(None, "shieldwall demo store")


def test_fold_removes_separators_and_case() -> None:
    """Comparison form: NFKC, case-folded, no separators (full-width letters fold too)."""
    assert fold("Zhang.Wei_1990 ") == "zhangwei1990"
    assert fold("ＺＨＡＮＧ") == "zhang"


def test_longest_first() -> None:
    """Tokens come longest first so a full phone number is reported before its tail."""
    tokens = context_tokens(CustomerContext(phone="13812345678"), "")
    assert [len(t.text) for t in tokens] == sorted((len(t.text) for t in tokens), reverse=True)
