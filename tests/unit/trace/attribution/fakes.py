"""In-memory fakes of the release ledger, the blind-index lookup and the audit sink, and a small
world of marked releases built from the domain functions alone."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shieldwall.config import ReleaseSettings
from shieldwall.core.clock import ManualClock
from shieldwall.core.events import AccessEvent
from shieldwall.core.model import Customer
from shieldwall.core.paging import Position
from shieldwall.custody.blind_index import BlindIndex
from shieldwall.sim.people import PeopleFactory
from shieldwall.trace.attribution.file import FileAttribution
from shieldwall.trace.releases import marks
from shieldwall.trace.releases.canaries import CanaryFactory, TrapPool
from shieldwall.trace.releases.model import Canary, Holding, IndexedCustomer, Release, ReleaseRecord
from shieldwall.trace.releases.tardos import TardosKeys

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Secrets:
    def secret(self, purpose: str) -> bytes:
        return purpose.encode().ljust(32, b"\0")


class FakeReleases:
    def __init__(self) -> None:
        self.releases: dict[str, Release] = {}
        self.records: list[ReleaseRecord] = []
        self.canaries: dict[bytes, Canary] = {}

    def insert_release(
        self, release: Release, records: Sequence[ReleaseRecord], canaries: Sequence[Canary]
    ) -> None:
        self.releases[release.release_id] = release
        self.records.extend(records)
        self.canaries.update((c.digest, c) for c in canaries)

    def get_release(self, release_id: str) -> Release | None:
        return self.releases.get(release_id)

    def list_releases(
        self, recipient_id: str | None, limit: int, after: Position | None = None
    ) -> list[Release]:
        return list(self.releases.values())[:limit]

    def canaries_known(self, digests: Iterable[bytes]) -> set[bytes]:
        return set(digests) & set(self.canaries)

    def canary_hits(self, digests: Iterable[bytes]) -> dict[bytes, Canary]:
        return {d: self.canaries[d] for d in digests if d in self.canaries}

    def holdings(self, customer_ids: Iterable[str]) -> list[Holding]:
        wanted = set(customer_ids)
        return [
            Holding(
                r.customer_id,
                r.release_id,
                self.releases[r.release_id].recipient_id,
                r.included,
                r.optional,
                self.releases[r.release_id].marked,
            )
            for r in self.records
            if r.customer_id in wanted
        ]


class FakeIndex:
    def __init__(self, index: BlindIndex, people: Sequence[Customer]) -> None:
        self.rows: dict[str, dict[bytes, list[IndexedCustomer]]] = {
            "phone": {},
            "email": {},
            "national_id": {},
        }
        self.phone: dict[str, bytes] = {}
        for c in people:
            ph = index.digest("phone", c.phone)
            self.phone[c.customer_id] = ph
            for f in self.rows:
                value = getattr(c, f)
                if value:
                    d = index.digest(f, value)
                    self.rows[f].setdefault(d, []).append(IndexedCustomer(c.customer_id, ph))

    def by_index(self, field: str, digests: Iterable[bytes]) -> dict[bytes, list[IndexedCustomer]]:
        return {d: self.rows[field][d] for d in digests if d in self.rows[field]}

    def phone_indexes(self, customer_ids: Iterable[str]) -> dict[str, bytes]:
        return {c: self.phone[c] for c in customer_ids}


@dataclass
class ListAudit:
    events: list[AccessEvent] = field(default_factory=list)

    def append(self, events: Sequence[AccessEvent]) -> Sequence[int]:
        start = len(self.events)
        self.events.extend(events)
        return list(range(start, len(self.events)))


@dataclass
class World:
    people: list[Customer]
    store: FakeReleases
    index: FakeIndex
    blind: BlindIndex
    code: TardosKeys
    canaries: CanaryFactory
    audit: ListAudit
    attribution: FileAttribution
    copies: dict[str, list[dict[str, str]]]  # recipient -> rows of its file


def make_world(
    recipients: int = 6,
    customers: int = 300,
    share: float = 0.5,
    optional: int = 40,
    canaries: int = 2,
    seed: int = 1,
    settings: ReleaseSettings | None = None,
) -> World:
    """Each recipient gets a random ``share`` of the customers plus a keyed subset of an optional
    pool, with marked addresses and ``canaries`` trap rows, as the release service would."""
    rng = random.Random(seed)
    people = PeopleFactory(seed).customers(customers)
    secrets = Secrets()
    blind = BlindIndex(secrets)
    code = TardosKeys(b"t" * 32, 5)
    pool = TrapPool(("1703", "1705"), 11, "mail.example.com")
    factory = CanaryFactory(b"c" * 32, pool)
    store = FakeReleases()
    index = FakeIndex(blind, people)
    s = settings or ReleaseSettings()
    audit = ListAudit()
    attribution = FileAttribution(store, index, blind, code, factory, audit, ManualClock(NOW), s)
    copies: dict[str, list[dict[str, str]]] = {}
    for j in range(recipients):
        rid = f"partner-{j}"
        rc = code.recipient(rid)
        release_id = f"rel_{j}"
        required = rng.sample(people, int(share * customers))
        pool_people = rng.sample([p for p in people if p not in required], optional)
        got_optional = [
            p for p in pool_people
            if rc.bit(code.position(marks.PRESENCE, blind.digest("phone", p.phone)))
        ]  # fmt: skip
        rows = []
        for p in required + got_optional:
            natural = blind.digest("phone", p.phone)
            address = p.address or ""
            bits = {ch: rc.bit(code.position(ch, natural)) for ch in marks.applicable(address)}
            rows.append({"name": p.name, "phone": p.phone, "address": marks.apply(address, bits)})
        traps = []
        for i in range(canaries):
            fake = factory.make(release_id, i)
            assert fake.email is not None
            rows.append({"name": fake.name, "phone": fake.phone, "address": fake.address or ""})
            traps += [
                Canary(factory.digest("phone", fake.phone), release_id, "phone", NOW),
                Canary(factory.digest("email", fake.email), release_id, "email", NOW),
            ]
        records = [ReleaseRecord(release_id, p.customer_id, True, False) for p in required] + [
            ReleaseRecord(release_id, p.customer_id, p in got_optional, True) for p in pool_people
        ]
        release = Release(
            release_id, rid, "partner", "partner_fulfilment", "export",
            ("name", "phone", "address"), {"name": "clear", "phone": "clear", "address": "clear"},
            "csv", len(rows), len(required) + len(got_optional), optional, len(got_optional),
            canaries, True, "0" * 64, "operator", NOW,
        )  # fmt: skip
        store.insert_release(release, records, traps)
        rng.shuffle(rows)
        copies[rid] = rows
    return World(people, store, index, blind, code, factory, audit, attribution, copies)


def write_csv(path: Path, rows: Sequence[dict[str, str]], columns: Sequence[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path
