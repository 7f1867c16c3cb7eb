"""File attribution over fakes: the source is accused and innocents are not, erased channels
are detected, canaries accuse, ambiguous matches are dropped, the lookup is audited."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from shieldwall.trace.attribution.leakparse import LeakFileError
from tests.unit.trace.attribution.fakes import make_world, write_csv

COLUMNS = ("name", "phone", "address")


def real_rows(world, recipient: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    phones = {p.phone for p in world.people}
    return [r for r in world.copies[recipient] if r["phone"] in phones]


def test_single_leaker_is_accused_innocents_are_not(tmp_path: Path) -> None:
    """150 rows of one partner's copy: that partner at p <= 1e-6, none of the five others."""
    world = make_world()
    rows = random.Random(3).sample(real_rows(world, "partner-2"), 150)
    report = world.attribution.trace(write_csv(tmp_path / "l.csv", rows, COLUMNS))
    assert report.accused == ["partner-2"]
    top = report.recipients[0]
    assert top.recipient_id == "partner-2" and top.log10_p <= -6 and top.canary_hits == 0
    assert top.channels["digits"] == top.channels["space"] == top.channels["room"] == 150
    assert all(f.log10_p > -6 for f in report.recipients[1:])
    assert report.rows_matched == report.customers_matched == 150
    assert any(line.startswith("marks:") for line in top.evidence)


def test_normalized_leak_erases_channels_but_not_attribution(tmp_path: Path) -> None:
    """NFKC + all spaces removed + phones reformatted: digits and space channels are reported
    erased and not scored; building, room and presence still accuse the source."""
    world = make_world(optional=120)
    rows = []
    for r in real_rows(world, "partner-4"):
        national = r["phone"][3:]
        address = unicodedata.normalize("NFKC", r["address"]).replace(" ", "")
        rows.append({"phone": f"{national[:3]}-{national[3:7]}-{national[7:]}", "address": address})
    report = world.attribution.trace(write_csv(tmp_path / "n.csv", rows, ("phone", "address")))
    assert set(report.channels_erased) == {"digits", "space"}
    top = report.recipients[0]
    assert report.accused == ["partner-4"] and set(top.channels) == {"building", "room", "presence"}


def test_canary_accuses_with_few_rows(tmp_path: Path) -> None:
    """Ten rows, one a canary: the canary's recipient is accused through the canary alone."""
    world = make_world()
    copy = world.copies["partner-1"]
    phones = {p.phone for p in world.people}
    trap = next(r for r in copy if r["phone"] not in phones)
    rows = [*[r for r in copy if r["phone"] in phones][:9], trap]
    report = world.attribution.trace(write_csv(tmp_path / "c.csv", rows, COLUMNS))
    assert report.canary_rows == 1
    assert "partner-1" in report.accused
    finding = next(f for f in report.recipients if f.recipient_id == "partner-1")
    assert finding.canary_hits == 1 and finding.canary_releases == ("rel_1",)


def test_coalition_of_two_both_accused(tmp_path: Path) -> None:
    """Two partners merge copies (a random copy of each shared row): both are accused."""
    world = make_world(recipients=8, customers=600)
    rng = random.Random(11)
    merged: dict[str, dict[str, str]] = {}
    for rid in ("partner-3", "partner-6"):
        for r in real_rows(world, rid):
            if r["phone"] not in merged or rng.random() < 0.5:
                merged[r["phone"]] = r
    rows = list(merged.values())
    report = world.attribution.trace(write_csv(tmp_path / "m.csv", rows, COLUMNS))
    assert sorted(report.accused) == ["partner-3", "partner-6"]


def test_unreleased_and_ambiguous_rows(tmp_path: Path) -> None:
    """Customers never released are counted (an inside leak); an index value shared by two
    customers identifies no one."""
    world = make_world(recipients=1, share=0.3, optional=0, canaries=0)
    released = {r.customer_id for r in world.store.records}
    others = [p for p in world.people if p.customer_id not in released][:25]
    rows = [{"phone": p.phone, "address": p.address or ""} for p in others]
    twin, other = [p for p in world.people if p.customer_id in released][:2]
    world.index.rows["phone"][world.blind.digest("phone", twin.phone)].append(
        world.index.rows["phone"][world.blind.digest("phone", other.phone)][0]
    )
    rows.append({"phone": twin.phone, "address": ""})
    report = world.attribution.trace(write_csv(tmp_path / "u.csv", rows, ("phone", "address")))
    assert report.customers_matched == 25 and report.customers_unreleased == 25
    assert report.accused == []


def test_lookup_is_audited_without_values(tmp_path: Path) -> None:
    """One LOOKUP event names the matched customers and holds no phone or address."""
    world = make_world(recipients=2)
    rows = real_rows(world, "partner-0")[:30]
    report = world.attribution.trace(write_csv(tmp_path / "a.csv", rows, COLUMNS))
    (event,) = world.audit.events
    assert event.action.value == "lookup" and len(event.customer_ids) == 30
    assert event.actor == "system:leak-trace" and event.extra["requested_by"] == "operator"
    assert report.audit_seq == 0
    text = str(event.to_dict())
    assert not any(r["phone"][3:] in text or r["name"] in text for r in rows)


def test_no_identifiers_is_an_error(tmp_path: Path) -> None:
    """A file with rows but no phone, ID number or e-mail is refused with a clear reason."""
    world = make_world(recipients=1)
    path = tmp_path / "x.csv"
    path.write_text("colour,size\nred,12\nblue,14\n", encoding="utf-8")
    with pytest.raises(LeakFileError, match="no row has a phone"):
        world.attribution.trace(path)
