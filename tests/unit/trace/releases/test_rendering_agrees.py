"""Custody's read and a release render one customer identically for the same view, relay
included: a relay phone with no courier binding is hidden in both (it was shown as a ``relay``
view with no value by the read, and silently left out by the release)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from shieldwall.config import Settings, load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.core.model import Principal, Role
from shieldwall.sim.people import PeopleFactory
from shieldwall.trace.releases.service import ReleaseRequest
from shieldwall.wiring import Services, build, initialize

PEOPLE = PeopleFactory(43).customers(3)
FIELDS = ["name", "phone", "email", "address", "national_id"]
# The shipped policy, with partners given a relay phone and masked name and address (a masked
# address carries no release marks, so file and read must agree byte for byte).
PARTNER_CLEAR = (
    "customer: {name: clear, phone: clear, email: hidden, address: clear, national_id: hidden}"
)
PARTNER_RELAY = (
    "customer: {name: masked, phone: relay, email: hidden, address: masked, national_id: hidden}"
)


@pytest.fixture
def svc(tmp_path: Path, clock: ManualClock) -> Iterator[Services]:
    text = resources.files("shieldwall.custody").joinpath("default_policy.yaml").read_text("utf-8")
    assert text.count(PARTNER_CLEAR) == 1
    policy = tmp_path / "policy.yaml"
    policy.write_text(text.replace(PARTNER_CLEAR, PARTNER_RELAY), encoding="utf-8")
    settings: Settings = load_settings(
        {"SHIELDWALL_HOME": str(tmp_path / "home"), "SHIELDWALL_POLICY_FILE": str(policy)}
    )
    initialize(settings, clock)
    services = build(settings, clock)
    for pid, role in (("p-a", "partner"), ("bi", "analyst")):
        services.custody.principals.add(pid, role, unit=pid)
    report = services.custody.importer.customers(
        [(n, {f: getattr(c, f) for f in ("customer_id", *FIELDS)}) for n, c in enumerate(PEOPLE, 1)]
    )
    assert report.imported == len(PEOPLE)
    yield services
    services.close()


@pytest.mark.parametrize(
    ("recipient", "kind", "purpose"),
    [
        (Principal("p-a", Role.PARTNER, "p-a"), "export", "partner_fulfilment"),
        (Principal("bi", Role.ANALYST, "bi"), "extract", "analytics"),
    ],
)
def test_read_and_release_render_alike(
    svc: Services, recipient: Principal, kind: str, purpose: str
) -> None:
    """For every field, the release's (column view, cell) equals the read's (view, value); a
    field the release leaves out is one the read shows hidden."""
    for customer in PEOPLE:
        cid = customer.customer_id
        out = svc.releases.create(
            ReleaseRequest(recipient.principal_id, [cid], FIELDS, kind=kind, canaries=0)
        )
        (row,) = list(csv.DictReader(io.StringIO(out.file.content.decode())))
        read = svc.custody.vault.read_customer(recipient, cid, purpose)
        for f in FIELDS:
            view = out.release.columns.get(f, "hidden")
            cell = row.get(f) or None
            shown = read.fields[f]
            assert (view, cell) == (shown.view.value, shown.value), f


def test_relay_phone_is_hidden_in_both(svc: Services) -> None:
    """The partner's relay phone: no column in the file, a hidden field in the read."""
    cid = PEOPLE[0].customer_id
    out = svc.releases.create(ReleaseRequest("p-a", [cid], FIELDS, canaries=0))
    assert out.release.columns == {"name": "masked", "address": "masked"}
    partner = Principal("p-a", Role.PARTNER, "p-a")
    read = svc.custody.vault.read_customer(partner, cid, "partner_fulfilment")
    assert (read.fields["phone"].view.value, read.fields["phone"].value) == ("hidden", None)
    (row,) = list(csv.DictReader(io.StringIO(out.file.content.decode())))
    assert "phone" not in row and read.fields["name"].value == row["name"]
