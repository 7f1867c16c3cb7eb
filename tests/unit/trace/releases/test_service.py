"""The release service on a real SQLite store: optional subsets and address forms follow the
recipient's code and agree across its releases, canaries are unique and never customers,
analysts get pseudonyms without grants, files round-trip in every format, writes are atomic."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shieldwall.config import Settings
from shieldwall.core.clock import ManualClock
from shieldwall.core.events import Action
from shieldwall.sim.people import PeopleFactory
from shieldwall.trace.attribution.leakparse import detect, extract, rows
from shieldwall.trace.releases.errors import ReleaseInvalid
from shieldwall.trace.releases.exporter import write_atomic
from shieldwall.trace.releases.service import ReleaseRequest
from shieldwall.wiring import Services, build, initialize

PEOPLE = PeopleFactory(41).customers(80)
IDS = [c.customer_id for c in PEOPLE]
FIELDS = ["name", "phone", "address"]


@pytest.fixture
def svc(sqlite_settings: Settings, clock: ManualClock) -> Iterator[Services]:
    initialize(sqlite_settings, clock)
    services = build(sqlite_settings, clock)
    custody = services.custody
    for pid, role in (("p-a", "partner"), ("p-b", "partner"), ("bi", "analyst")):
        custody.principals.add(pid, role, unit=pid)
    report = custody.importer.customers(
        [
            (n, {f: getattr(c, f) for f in ("customer_id", "name", "phone", "email", "address",
                                             "national_id")})
            for n, c in enumerate(PEOPLE, 1)
        ]
    )  # fmt: skip
    assert report.imported == 80
    yield services
    services.close()


def table(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def test_optional_subset_and_forms_follow_the_code(svc: Services) -> None:
    """Two releases to one partner carry the same optional subset and address forms; another
    partner gets a different subset."""
    req = ReleaseRequest("p-a", IDS[:20], FIELDS, optional_ids=IDS[20:], canaries=0)
    one, two = svc.releases.create(req), svc.releases.create(req)
    other = svc.releases.create(ReleaseRequest("p-b", IDS[:20], FIELDS, optional_ids=IDS[20:]))
    rows_one = sorted(table(one.file.content), key=lambda r: r["phone"])
    assert rows_one == sorted(table(two.file.content), key=lambda r: r["phone"])
    assert 10 < one.release.optional_included < 50
    assert {r["phone"] for r in rows_one} != {r["phone"] for r in table(other.file.content)}
    rel = one.release
    assert rel.record_count == 20 + rel.optional_included and rel.marked


def test_canaries_are_unique_and_never_customers(svc: Services) -> None:
    """Trap contacts differ between releases, resolve to their own release, and no customer
    lookup finds them."""
    a = svc.releases.create(ReleaseRequest("p-a", IDS[:10], FIELDS, canaries=5))
    b = svc.releases.create(ReleaseRequest("p-a", IDS[:10], FIELDS, canaries=5))
    real = {c.phone for c in PEOPLE}
    traps_a = {r["phone"] for r in table(a.file.content)} - real
    traps_b = {r["phone"] for r in table(b.file.content)} - real
    assert len(traps_a) == len(traps_b) == 5 and not traps_a & traps_b
    for phone in traps_a:
        assert svc.releases.canary(phone).release.release_id == a.release.release_id
        assert phone.startswith(("+861703", "+861705"))
        with svc.custody.vault.store.read() as tx:
            assert tx.find_customers("phone", svc.custody.sealer.index.digest("phone", phone)) == []
    assert svc.releases.canary(traps_b.pop()).release.release_id == b.release.release_id


def test_analyst_extract_is_pseudonymous_and_ungranted(svc: Services) -> None:
    """An analyst gets pseudonyms and masked addresses, no grant, no marks; EXPORT is audited."""
    out = svc.releases.create(ReleaseRequest("bi", IDS[:5], FIELDS, kind="extract", canaries=1))
    assert out.release.columns == {"name": "pseudonym", "phone": "pseudonym", "address": "masked"}
    assert out.grant_count == 0 and not out.release.marked
    got = table(out.file.content)
    assert all(r["phone"].startswith("ps_") for r in got)
    actions = [r.event.action for r in svc.audit.read(-1, 1000)]
    assert Action.GRANT not in actions and Action.EXPORT in actions


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_every_format_reads_back(svc: Services, tmp_path: Path, fmt: str) -> None:
    """CSV, JSON and XLSX files parse back to the released phones."""
    out = svc.releases.create(ReleaseRequest("p-a", IDS[:6], FIELDS, file_format=fmt, canaries=1))
    path = tmp_path / f"f{out.file.suffix}"
    write_atomic(path, out.file.content)
    phones = {
        p
        for row in rows(detect(path), max_rows=100, max_cell_chars=1000)
        for p in extract(row.cells).phones
    }
    assert {c.phone for c in PEOPLE[:6]} <= phones and len(phones) == 7
    if fmt == "json":
        assert len(json.loads(out.file.content)) == 7


def test_bad_requests(svc: Services) -> None:
    """Duplicated required/optional ids, bad kind/format/ids and a missing id are refused."""
    cases = [
        (ReleaseRequest("p-a", IDS[:2], FIELDS, optional_ids=IDS[1:3]), "optional_ids"),
        (ReleaseRequest("p-a", IDS[:2], FIELDS, kind="dump"), "kind"),
        (ReleaseRequest("p-a", IDS[:2], FIELDS, file_format="pdf"), "format"),
        (ReleaseRequest("p-a", ["bad id!"], FIELDS), "customer_ids"),
        (ReleaseRequest("p-a", IDS[:2], []), "fields"),
        (ReleaseRequest("p-a", IDS[:2], FIELDS, canaries=-1), "canaries"),
    ]
    for request, field in cases:
        with pytest.raises(ReleaseInvalid) as err:
            svc.releases.create(request)
        assert err.value.field == field
    assert svc.releases.list() == []


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    """The target holds the old or the new content, never a temporary file left behind."""
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")
    write_atomic(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with pytest.raises(ReleaseInvalid):
        write_atomic(tmp_path / "missing" / "x.csv", b"x")
