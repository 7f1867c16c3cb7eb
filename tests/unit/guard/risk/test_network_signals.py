"""Network location, ``new_network``, ``scam_contact`` and the calibrated probability, on
hand-worked examples."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from shieldwall.config import RiskSettings, Settings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.location import UNKNOWN, GeoIP2FastLocator, Location, NoLocation
from shieldwall.guard.risk.model import Assessment, LoginAttempt
from shieldwall.guard.risk.network import AsnTable
from shieldwall.guard.risk.ports import AssessOps, OutcomeOps
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.wiring.guard import network_locator
from tests.unit.guard.risk.conftest import KEY, login

# Two networks as a locator would place them (the engine sees only these answers)
PLACES = {
    "1.80.3.4": Location("CN", "Chinanet"),
    "112.10.1.1": Location("CN", "China Mobile"),
    "104.236.1.1": Location("US", "DIGITALOCEAN-ASN"),
}


class FakeLocator:
    def locate(self, ip: str) -> Location:
        return PLACES.get(ip, UNKNOWN)


class FakeScams:
    def __init__(self, when: dict[str, float]) -> None:
        self.when = when
        self.asked: list[str] = []

    def last_scam_contact(self, account: str) -> float | None:
        self.asked.append(account)
        return self.when.get(account)


def engine_with(clock: ManualClock, **overrides: object) -> RiskEngine:
    scams = overrides.pop("scams", None)
    settings = RiskSettings.model_validate(overrides)
    return RiskEngine(
        settings,
        MemoryRiskState.from_settings(settings),
        KEY,
        clock,
        asn=AsnTable.load(None),
        locator=FakeLocator(),
        scam_contacts=scams,  # type: ignore[arg-type]
    )


HOME = LoginAttempt("carol", "1.80.3.4", "Mozilla/5.0 (iPhone)", "dev-carol")
WEIGHTS = {"new_subnet_points": 1.0, "new_network_points": 2.0, "new_country_points": 3.0}
OFF = {"new_subnet_points": 0.0, "new_network_points": 0.0, "new_country_points": 0.0}


def history(engine: RiskEngine, clock: ManualClock, attempts: list[LoginAttempt]) -> None:
    for a in attempts:
        login(engine, a, True)
        clock.advance(86_400)


def reason(a: Assessment, code: str) -> str | None:
    return next((r.detail for r in a.reasons if r.code == code), None)


# -- the locator over geoip2fast's shipped data ---------------------------------------------------


@pytest.fixture(scope="module")
def geo() -> GeoIP2FastLocator:
    return GeoIP2FastLocator()


@pytest.mark.parametrize(
    ("ip", "country", "as_name"),
    [
        # Google Public DNS (AS15169, Google LLC, US): Google's own documentation of the service
        ("8.8.8.8", "US", "GOOGLE"),
        ("2001:4860:4860::8888", "US", "GOOGLE"),
        # Cloudflare's 1.1.1.1 is announced by AS13335, registered as CLOUDFLARENET
        ("1.1.1.1", None, "CLOUDFLARENET"),
        # 114DNS, the public resolver of Nanjing Xinfeng, in China
        ("114.114.114.114", "CN", None),
    ],
)
def test_locator_places_well_known_resolvers(
    geo: GeoIP2FastLocator, ip: str, country: str | None, as_name: str | None
) -> None:
    """Well-known public resolvers come out with the country and AS their operators publish."""
    got = geo.locate(ip)
    if country is not None:
        assert got.country == country
    else:
        assert got.country is not None and len(got.country) == 2
    if as_name is not None:
        assert got.as_name == as_name
    else:
        assert got.as_name


@pytest.mark.parametrize("ip", ["10.1.2.3", "192.168.0.1", "192.0.2.7", "fe80::1", "::1"])
def test_locator_gives_private_and_documentation_addresses_no_place(
    geo: GeoIP2FastLocator, ip: str
) -> None:
    """RFC 1918, RFC 5737, link-local and loopback addresses have no country and no AS."""
    assert geo.locate(ip) == UNKNOWN


def test_no_location_knows_nothing() -> None:
    """The default locator places no address."""
    assert NoLocation().locate("8.8.8.8") == UNKNOWN


# -- new_network --------------------------------------------------------------------------------


def test_new_network_on_a_stable_account_scores_by_hand(clock: ManualClock) -> None:
    """Eight logins from one home network, then one from another country's hosting network:
    every level is new, stability 1 - (1 + 1) / (8 + 2) = 0.8, so the signal adds
    0.8 * (1 + 2 + 3) = 4.8 points over the same engine with the signal off."""
    on, off = engine_with(clock, **WEIGHTS), engine_with(ManualClock(clock.now()), **OFF)
    for e in (on, off):
        c = e.clock
        assert isinstance(c, ManualClock)
        history(e, c, [HOME] * 8)
    away = replace(HOME, ip="104.236.1.1")
    a, b = on.assess(away), off.assess(away)
    assert a.score - b.score == pytest.approx(4.8, abs=2e-3)
    detail = reason(a, "new_network")
    assert detail is not None and "subnet, network (AS), country" in detail and "80%" in detail
    assert reason(b, "new_network") is None


def test_new_network_only_counts_the_levels_never_seen(clock: ManualClock) -> None:
    """Same country, other AS and subnet: 0.8 * (1 + 2) = 2.4 points (the country is known)."""
    on, off = engine_with(clock, **WEIGHTS), engine_with(ManualClock(clock.now()), **OFF)
    for e in (on, off):
        assert isinstance(e.clock, ManualClock)
        history(e, e.clock, [HOME] * 8)
    mobile = replace(HOME, ip="112.10.1.1")
    assert on.assess(mobile).score - off.assess(mobile).score == pytest.approx(2.4, abs=2e-3)


def test_an_account_that_roams_gets_little(clock: ManualClock) -> None:
    """Eight logins from eight different /24s of one AS: a ninth /24 is new but the history is
    not stable, 1 - (8 + 1) / (8 + 2) = 0.1, so 0.1 * 1 point; AS and country are seen."""
    on, off = engine_with(clock, **WEIGHTS), engine_with(ManualClock(clock.now()), **OFF)
    roams = [replace(HOME, ip=f"1.80.{k}.4") for k in range(8)]
    for ip in roams:
        PLACES.setdefault(ip.ip, Location("CN", "Chinanet"))
    PLACES["1.80.99.4"] = Location("CN", "Chinanet")
    for e in (on, off):
        assert isinstance(e.clock, ManualClock)
        history(e, e.clock, roams)
    ninth = replace(HOME, ip="1.80.99.4")
    assert on.assess(ninth).score - off.assess(ninth).score == pytest.approx(0.1, abs=2e-3)


def test_no_history_no_new_network(clock: ManualClock) -> None:
    """With two successful logins (fewer than three) there is no stable history to leave."""
    e = engine_with(clock, **WEIGHTS)
    history(e, clock, [HOME] * 2)
    assert reason(e.assess(replace(HOME, ip="104.236.1.1")), "new_network") is None


def test_an_unplaced_address_is_never_a_new_country(clock: ManualClock) -> None:
    """An address the locator cannot place (and the sample table does not know) is new only as
    a subnet: 0.8 * 1 point."""
    on, off = engine_with(clock, **WEIGHTS), engine_with(ManualClock(clock.now()), **OFF)
    for e in (on, off):
        assert isinstance(e.clock, ManualClock)
        history(e, e.clock, [HOME] * 8)
    nowhere = replace(HOME, ip="5.5.5.5")  # in no range of the sample table
    assert on.assess(nowhere).score - off.assess(nowhere).score == pytest.approx(0.8, abs=2e-3)


def test_new_network_is_off_by_default_and_then_keeps_existence_hidden(clock: ManualClock) -> None:
    """Off by default, a real account with a stable history and a name that is no account
    score the same from a fresh source. On, they do not (the documented exception): the real
    account gets 0.8 * (1 + 2 + 3) more."""
    for weights, gap in ((OFF, 0.0), (WEIGHTS, 4.8)):
        e = engine_with(ManualClock(clock.now()), **weights)
        assert isinstance(e.clock, ManualClock)
        history(e, e.clock, [HOME] * 8)
        fresh = LoginAttempt("carol", "104.236.1.1", "curl/8", "dev-x")
        unknown = replace(fresh, account="nobody")
        assert e.assess(fresh).score - e.assess(unknown).score == pytest.approx(gap, abs=2e-3)
    assert RiskSettings().new_subnet_points == RiskSettings().new_network_points == 0.0


def test_memory_state_counts_distinct_values_once() -> None:
    """The distinct counter rises when a field's count goes from 0 to 1, not after."""
    state = MemoryRiskState()
    for t, value in enumerate(["o:x", "o:x", "o:y", "o:x", "o:z"]):
        state.record_outcome(
            1000.0 + t, OutcomeOps((), (), True, True, "a:k", (value,), (), 0, ((0, "#o"),))
        )
    view = state.assess(2000.0, AssessOps((), (), "a:k", ("o:x", "o:y", "#o"), (), 0))
    assert view.profile == [5, 3, 1, 3]


# -- scam_contact -------------------------------------------------------------------------------


def test_recent_scam_contact_raises_an_unfamiliar_login(clock: ManualClock) -> None:
    """A contact 10 hours ago, window 72 hours, a fully unfamiliar login (fam = 1): the
    points (2.0 here; off by default) are added whole and the reason names
    the window."""
    now = clock.now().timestamp()
    scams = FakeScams({"carol": now - 10 * 3600})
    e = engine_with(clock, scams=scams, scam_contact_points=2.0, **OFF)
    base = engine_with(ManualClock(clock.now()), **OFF)
    a, b = e.assess(HOME), base.assess(HOME)
    assert a.score - b.score == pytest.approx(2.0)
    assert "72 hours" in (reason(a, "scam_contact") or "")


def test_old_scam_contact_and_familiar_login_are_not_raised(clock: ManualClock) -> None:
    """A contact older than the window adds nothing; a familiar login never asks."""
    now = clock.now().timestamp()
    scams = FakeScams({"carol": now - 100 * 3600})
    e = engine_with(clock, scams=scams, scam_contact_points=2.0, **OFF)
    assert reason(e.assess(HOME), "scam_contact") is None
    history(e, clock, [HOME] * 5)
    scams.when["carol"] = clock.now().timestamp() - 60
    scams.asked.clear()
    assert reason(e.assess(HOME), "scam_contact") is None
    assert scams.asked == []


def test_contact_reported_after_the_login_is_not_raised(clock: ManualClock) -> None:
    """A source that answers with a contact later than the login's time (a report the store
    could not yet have had) adds nothing, though the login is fully unfamiliar: 0 <= now - last
    fails."""
    scams = FakeScams({"carol": clock.now().timestamp() + 60})
    e = engine_with(clock, scams=scams, scam_contact_points=2.0, **OFF)
    base = engine_with(ManualClock(clock.now()), **OFF)
    a = e.assess(HOME)
    assert scams.asked == ["carol"]
    assert reason(a, "scam_contact") is None
    assert a.score == base.assess(HOME).score


# -- calibrated probability ---------------------------------------------------------------------


def test_probability_is_the_fitted_logistic(clock: ManualClock) -> None:
    """slope 1, intercept -3: score 3 is even odds, score 0 is 1 / (1 + e^3) = 0.0474."""
    e = engine_with(clock, probability_slope=1.0, probability_intercept=-3.0)
    assert e.probability(3.0) == 0.5
    assert e.probability(0.0) == pytest.approx(1 / (1 + math.e**3), abs=1e-4)
    assert e.probability(-800.0) == 0.0 and e.probability(800.0) == 1.0
    a = e.assess(HOME)
    assert a.probability == e.probability(a.score) and a.as_dict()["probability"] == a.probability


# -- wiring -------------------------------------------------------------------------------------


def test_wiring_builds_the_configured_locator(tmp_path: Path) -> None:
    """``network_locator = "geoip2fast"`` gives the shipped database; the default none."""
    plain = Settings.model_validate({"home": str(tmp_path)})
    assert isinstance(network_locator(plain), NoLocation)
    geo = Settings.model_validate(
        {"home": str(tmp_path), "guard": {"risk": {"network_locator": "geoip2fast"}}}
    )
    assert network_locator(geo).locate("8.8.8.8").country == "US"
