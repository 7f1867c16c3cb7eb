"""The password check: each NIST rule, its reason code and its message."""

from __future__ import annotations

import pytest

from shieldwall.config import PasswordSettings
from shieldwall.guard.passwords.context import CustomerContext
from shieldwall.guard.passwords.policy import (
    PasswordChecker,
    repeated_share,
    sequential_share,
)

CUSTOMER = CustomerContext(
    name="张伟", phone="+8613912345678", national_id="11010119900307123X", email="zw.home@qq.com"
)
GOOD = "correct horse battery staple"


class FakeBreaches:
    """The breach lookup interface over a dict (the corpus is tested on its own)."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.asked: list[str] = []

    @property
    def has_data(self) -> bool:
        return True

    def count_password(self, password: str) -> int:
        self.asked.append(password)
        return self.counts.get(password, 0)


def checker(breaches: FakeBreaches | None = None, **settings: object) -> PasswordChecker:
    return PasswordChecker(PasswordSettings(**settings), breaches, store_name="盾墙商城")  # type: ignore[arg-type]


def codes(password: str, c: PasswordChecker | None = None, **kw: object) -> list[str]:
    return [r.code for r in (c or checker()).check(password, context=CUSTOMER, **kw).reasons]  # type: ignore[arg-type]


def test_good_password_accepted() -> None:
    """A long passphrase without personal data passes, with a zxcvbn score reported."""
    v = checker(FakeBreaches({})).check(GOOD, context=CUSTOMER)
    assert v.accepted and v.reasons == () and v.guess_score == 4 and v.breach_count == 0


def test_length_single_factor_and_mfa() -> None:
    """15 code points minimum alone, 8 with MFA; configurable."""
    assert codes("fourteen chars") == ["too_short"]
    assert codes("purple ladder", mfa=True) == []
    assert codes("short12", mfa=True) == ["too_short"]
    assert codes("fourteen chars", checker(min_length=12)) == []


def test_length_counts_code_points_after_nfkc() -> None:
    """Chinese characters count one each; NFKC turns the ligature ﬁ into two letters."""
    v = checker().check("天青色等烟雨而我在等你啊啊朋友", context=None)
    assert v.length == 15
    assert checker().check("ﬁ" * 8, mfa=True).length == 16


def test_max_length() -> None:
    """At least 64 accepted; past the configured maximum, too_long and nothing else."""
    long_ok = "a quiet river " * 4 + "bends"
    assert len(long_ok) >= 60 and "too_long" not in codes(long_ok)
    assert codes("x" * 129) == ["too_long"]
    assert codes("x" * 65, checker(max_length=64)) == ["too_long"]


def test_no_composition_rules_unicode_and_spaces_allowed() -> None:
    """Lower-case letters and spaces alone, or all Chinese, or emoji, are not refused for that."""
    assert codes("zebra kettle violin mango") == []
    assert codes("我喜欢在下雨天听周杰伦的老歌曲") == []
    assert codes("🐉 dragons fly over lakes 🌊") == []


def test_control_characters_refused() -> None:
    """Tabs, newlines and NULs are invalid_characters."""
    assert "invalid_characters" in codes("correct horse\tbattery staple")
    assert "invalid_characters" in codes("correct horse\x00battery staple")


def test_breached_as_typed_or_normalized() -> None:
    """A breached password is refused with its count; the NFKC form is looked up too."""
    fake = FakeBreaches({GOOD: 3})
    v = checker(fake).check(GOOD)
    assert [r.code for r in v.reasons] == ["breached"] and v.breach_count == 3
    assert "3 times" in v.reasons[0].en and "3 次" in v.reasons[0].zh
    wide = "ｃorrect horse battery staple"  # full-width c: NFKC makes it GOOD
    v = checker(fake).check(wide)
    assert v.breach_count == 3 and fake.asked[-2:] == [wide, GOOD]


def test_breach_threshold() -> None:
    """breached_threshold sets how often a password must have been seen."""
    fake = FakeBreaches({GOOD: 3})
    assert checker(fake, breached_threshold=4).check(GOOD).accepted


def test_without_corpus_breach_count_is_none() -> None:
    """With no corpus the verdict says so (breach_count None) instead of claiming 0."""
    assert checker(None).check(GOOD).breach_count is None


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("ZhangWei loves green tea", "contains_name"),
        ("张伟喜欢喝绿茶还有红茶和花茶叶", "contains_name"),
        ("my number 13912345678 ok", "contains_phone"),
        ("blue whale 5678 swims far", "contains_phone"),
        ("sunny day 19900307 at sea", "contains_birthday"),
        ("quiet library 0307 evening", "contains_birthday"),
        ("default 07123X plus words", "contains_national_id"),
        ("zw.home plus more words here", "contains_email"),
        ("dunqiang shangcheng forever", "contains_store_name"),
        ("盾墙商城是我最喜欢的网上商店呀", "contains_store_name"),
    ],
)
def test_context_words(password: str, code: str) -> None:
    """Each kind of personal or store word is named by its reason code."""
    assert code in codes(password)


def test_context_messages_do_not_repeat_the_data() -> None:
    """The message names the kind of data, never the digits or name it matched."""
    v = checker().check("blue whale 5678 swims far", context=CUSTOMER)
    (reason,) = [r for r in v.reasons if r.code == "contains_phone"]
    assert "5678" not in reason.zh + reason.en and "手机号码" in reason.zh


def test_repetitive_and_sequential() -> None:
    """Mostly repeats or mostly runs are refused; a little of either is not."""
    assert "repetitive" in codes("aaaaaaaaaaaaaaaa")
    assert "repetitive" in codes("abcabcabcabcabcabc")
    assert "sequential" in codes("abcdefghijklmnop")
    assert "sequential" in codes("9876543210zyxwvu")
    assert "repetitive" not in codes("green kettle aaa on the hob")
    assert repeated_share("aaab") == 0.75 and repeated_share("") == 0.0
    assert sequential_share("abcba") == 1.0 and sequential_share("ab") == 0.0


def test_guessability() -> None:
    """zxcvbn below min_guess_score is too_guessable; the threshold is configurable."""
    assert "too_guessable" in codes("passwordpassword1")
    assert codes("Tr0ub4dor&3xyzq", checker(min_guess_score=0)) == []


def test_all_reasons_reported_in_both_languages() -> None:
    """Every applicable reason is listed, each with Chinese and English text."""
    v = checker(FakeBreaches({"zhangwei13912345678": 8})).check(
        "zhangwei13912345678", context=CUSTOMER
    )
    got = [r.code for r in v.reasons]
    assert {"breached", "contains_name", "contains_phone"} <= set(got)
    assert all(r.zh and r.en for r in v.reasons)
    assert v.as_dict()["accepted"] is False
