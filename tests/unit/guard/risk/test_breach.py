"""The old-breached-password signal: the tweak list (worked by hand), the combo-list reader
(errors name lines, never values), the tags kept (keyed, per account, never the SHA-1) and the
``breach_tweak`` score on the engine."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.breach import MAX_CANDIDATES, MIN_TWEAK, Combo, read_combos, tweaks
from shieldwall.guard.risk.errors import BreachFileError
from shieldwall.guard.risk.model import Decision, LoginAttempt
from shieldwall.storage.risk_state_memory import MemoryRiskState
from tests.unit.guard.risk.conftest import login, make_engine, sha1

# tweaks("abcd"), worked out by hand from the rules in tweaks()'s docstring: its case forms;
# the last character dropped ("abc", too short); each suffix appended; leet of the stem
# ("@bcd", then with 1, 123, !); then the two next case forms of each of those (Abcd1, ABCD1,
# ...; "@bcd"'s capitalised form is itself, so only "@BCD"); shorter than 4 dropped.
SUFFIXES = (
    "1",
    "12",
    "123",
    "1234",
    "!",
    ".",
    "@",
    "#",
    "!@#",
    "@123",
    "520",
    "1314",
    "666",
    "888",
)
ABCD = (
    ["abcd", "Abcd", "ABCD"]
    + ["abcd" + s for s in SUFFIXES]
    + ["@bcd", "@bcd1", "@bcd123", "@bcd!"]
    + [f for s in SUFFIXES for f in ("Abcd" + s, "ABCD" + s)]
    + ["@BCD", "@BCD1", "@BCD123", "@BCD!"]
)


def test_tweaks_of_a_plain_word_worked_by_hand() -> None:
    """The whole list for "abcd", in order, as worked out by hand (53 candidates)."""
    assert len(ABCD) == 53
    assert tweaks("abcd") == ABCD


def test_tweaks_of_a_name_year_and_symbol() -> None:
    """For "wang1985!" (stem "wang", number "1985", symbol "!"): the year moved by one and two,
    its two-digit form, the symbol dropped or moved before the year, a suffix on the stem, and
    leet of the stem; the leaked password comes first."""
    got = tweaks("wang1985!")
    assert got[:3] == ["wang1985!", "Wang1985!", "WANG1985!"]
    for want in (
        "wang1986!",
        "wang1984!",
        "wang1987!",
        "wang85!",
        "wang1985",
        "wang!1985",
        "wang1985!123",
        "wang520",
        "wang1314",
        "w@ng1985!",
        "W@ng1985!",
        "Wang1986!",
    ):
        assert want in got, want
    assert "1wang1985!" not in got  # a digit in front is not among the rules


def test_unleet_recovers_the_dictionary_word() -> None:
    """ "p@ssw0rd" undone by UNLEET is "password"; with the usual suffixes."""
    got = tweaks("p@ssw0rd")
    assert {"password", "password1", "password123", "Password"} <= set(got)


@given(st.text(min_size=1, max_size=40))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_tweaks_are_distinct_bounded_and_long_enough(password: str) -> None:
    """Every candidate is distinct, at least MIN_TWEAK long, at most MAX_CANDIDATES of them,
    and the leaked password itself comes first when it is long enough."""
    got = tweaks(password)
    assert len(got) == len(set(got))
    assert len(got) <= MAX_CANDIDATES
    assert all(len(p) >= MIN_TWEAK for p in got)
    if len(password) >= MIN_TWEAK:
        assert got[0] == password


def test_read_combos_splits_at_the_first_colon_and_skips_comments() -> None:
    """A password may hold ':'; blank lines and '#' comments are skipped; CRLF is stripped."""
    combos = read_combos([b"# leak 2019\n", b"\n", b"13812345678:ab:cd\r\n", b" Bob@x.cn :pw1\n"])
    assert combos == [Combo(3, "13812345678", "ab:cd"), Combo(4, "Bob@x.cn", "pw1")]


def test_read_combos_names_bad_lines_never_their_content() -> None:
    """Each bad line is named by number and reason; the secret on it is not in the message."""
    lines = [b"ok:fine\n", b"no-separator-Secret99\n", b":Secret98\n", b"x:\n", b"\xff:Secret97\n"]
    with pytest.raises(BreachFileError) as got:
        read_combos(lines)
    text = str(got.value)
    assert "line 2: no ':'" in text and "line 3: empty login" in text
    assert "line 4: empty password" in text and "line 5: not UTF-8" in text
    assert "Secret" not in text and "separator" not in text
    assert got.value.code == "invalid_input" and got.value.field == "file"
    with pytest.raises(BreachFileError, match="no login:password line"):
        read_combos([b"# only a comment\n"])


def test_stored_tags_are_keyed_per_account_and_never_the_sha1(clock: ManualClock) -> None:
    """The same leaked password on two accounts gives disjoint tag sets; no tag is, contains or
    is contained in the hex SHA-1 of any candidate; the state holds tags only."""
    state = MemoryRiskState()
    engine = make_engine(clock, state, breach_tweaks=True)
    tags = engine.breach_tags(
        [Combo(1, "13800000001", "wang1985!"), Combo(2, "a@b.cn", "wang1985!")]
    )
    first, second = tags.values()
    assert len(first) == len(tweaks("wang1985!")) and not first & second
    digests = {sha1(p) for p in tweaks("wang1985!")}
    for t in first | second:
        assert all(t not in d and d not in t for d in digests)
    engine.import_breach([Combo(1, "13800000001", "wang1985!")])
    held = state._breach[engine.account_key("13800000001")][1]
    assert held == first


@given(st.text(min_size=4, max_size=20), st.text(min_size=1, max_size=20))
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
def test_no_tag_equals_the_sha1_of_what_it_tags(password: str, login_name: str) -> None:
    """Property: whatever the pair, a stored tag is never the candidate's SHA-1 (hex or a
    prefix of it)."""
    engine = make_engine(ManualClock())
    (tags,) = engine.breach_tags([Combo(1, login_name, password)]).values()
    for candidate in tweaks(password):
        digest = hashlib.sha1(candidate.encode(), usedforsecurity=False).hexdigest()
        assert all(not digest.startswith(t) and t != digest for t in tags)


STRANGER = LoginAttempt("13812345678", "36.101.7.9", "Mozilla/5.0 (Windows NT 10.0)")
HOME = LoginAttempt("13812345678", "1.80.3.4", "StoreApp/5.12.1", "dev-zs", sha1("Wang1986!"))


def test_stranger_trying_a_tweak_of_the_leak_is_challenged(clock: ManualClock) -> None:
    """A stranger tries "wang1986!" (the leak's year plus one) from a new network: challenged
    with breach_tweak, 3.0 points more than an unrelated password from the same place."""
    engine = make_engine(clock, breach_tweaks=True)
    got = engine.import_breach([Combo(1, "13812345678", "wang1985!"), Combo(2, "x@y.cn", "abcd")])
    assert got.as_dict() == {"lines": 2, "accounts": 2, "tags": len(tweaks("wang1985!")) + 53}
    for _ in range(5):
        login(engine, HOME, True)
        clock.advance(86_400)
    a = engine.assess(replace(STRANGER, password_sha1=sha1("wang1986!")))
    assert a.decision is Decision.CHALLENGE
    assert "breach_tweak" in {r.code for r in a.reasons}
    b = engine.assess(replace(STRANGER, password_sha1=sha1("pw-8f3a9c1b2d4e")))
    assert b.decision is Decision.ALLOW and "breach_tweak" not in {r.code for r in b.reasons}
    assert a.score - b.score == pytest.approx(3.0 * (0.35 + 0.65 * 1.0), abs=0.35)


def test_owner_typing_the_tweaked_password_at_home_is_allowed_then_reset(
    clock: ManualClock,
) -> None:
    """The owner's current password is itself a tweak of the leak ("Wang1986!"): on their
    phone at home it is familiar, so the match adds no points and the login is allowed; the
    reason is given and the successful outcome asks for a password change (the attacker holds
    the leak). An unrelated password from home asks for nothing."""
    engine = make_engine(clock, breach_tweaks=True)
    for _ in range(5):
        login(engine, replace(HOME, password_sha1=sha1("pw-own-1")), True)
        clock.advance(86_400)
    engine.import_breach([Combo(1, "13812345678", "wang1985!")])
    a = engine.assess(HOME)
    assert a.decision is Decision.ALLOW and a.score < 0.5
    assert "breach_tweak" in {r.code for r in a.reasons} and a.force_password_reset
    assert engine.outcome(a.assessment_id, success=True).force_password_reset
    b = engine.assess(replace(HOME, password_sha1=sha1("pw-own-1")))
    assert b.score == a.score and not b.force_password_reset
    assert not engine.outcome(b.assessment_id, success=True).force_password_reset


def test_off_by_default_and_other_accounts_unaffected(clock: ManualClock) -> None:
    """With breach_tweaks off (the default) the import is kept but never scored; on, another
    account trying the same tweak is not flagged (tags are per account)."""
    off = make_engine(clock)
    off.import_breach([Combo(1, "13812345678", "wang1985!")])
    a = off.assess(replace(STRANGER, password_sha1=sha1("wang1986!")))
    assert "breach_tweak" not in {r.code for r in a.reasons}
    on = make_engine(clock, breach_tweaks=True)
    on.import_breach([Combo(1, "13812345678", "wang1985!")])
    b = on.assess(replace(STRANGER, account="13900000000", password_sha1=sha1("wang1986!")))
    assert "breach_tweak" not in {r.code for r in b.reasons}
    c = on.assess(replace(STRANGER, account=" 13812345678 ", password_sha1=sha1("wang1985!")))
    assert "breach_tweak" in {r.code for r in c.reasons}  # keyed as account_key keys it


def test_tags_expire_after_breach_ttl(clock: ManualClock) -> None:
    """An import is kept breach_ttl_days; after that the match is gone."""
    engine = make_engine(clock, breach_tweaks=True, breach_ttl_days=2.0)
    engine.import_breach([Combo(1, "13812345678", "wang1985!")])
    guess = replace(STRANGER, password_sha1=sha1("wang1985!"))
    assert "breach_tweak" in {r.code for r in engine.assess(guess).reasons}
    clock.advance(2 * 86_400 + 1)
    assert "breach_tweak" not in {r.code for r in engine.assess(guess).reasons}
