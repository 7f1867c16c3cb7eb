"""Shared brands and scanner for the lookalike-domain tests (built once per session)."""

from __future__ import annotations

import pytest

from shieldwall.contact.domains.brands import Brand, BrandBook
from shieldwall.contact.domains.scanner import LookalikeScanner

BOOK = BrandBook(
    (
        Brand("JD", ("jd.com", "jd.hk", "360buy.com"), ("jd", "jingdong", "京东")),
        Brand("Taobao", ("taobao.com",), ("taobao", "淘宝")),
        Brand("PayPal", ("paypal.com",), ("paypal",)),
        Brand("Microsoft", ("microsoft.com",), ("microsoft",)),
    )
)


@pytest.fixture(scope="session")
def scanner() -> LookalikeScanner:
    return LookalikeScanner(BOOK)
