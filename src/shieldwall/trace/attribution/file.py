"""Who leaked this file: canaries, Tardos mark scores and release overlap, per recipient.

:class:`FileAttribution` streams a leaked file (:mod:`.leakparse`), finds each row's customer
through custody's blind indexes (phone, e-mail, ID number: keyed digests compared in the
database, nothing decrypted), and looks up which releases offered those customers. Then, per
recipient of any such release:

- **canaries**: a trap phone or e-mail in the leak names the one release it was issued in; it was
  never a real customer's contact, so its presence means the file descends from that release.
  A canary hit accuses its recipient outright.
- **marks**: every matched row gives Tardos positions: the address forms still readable
  (:mod:`shieldwall.trace.releases.marks`) for recipients that received the record with marked
  addresses, and the *presence* of records that were optional in their release. The symmetric
  Tardos score and its Chernoff bound (:mod:`shieldwall.trace.releases.tardos`) give
  ``p = P(an innocent recipient scores this high)``; the recipient is accused when
  ``p <= false_accusation`` (1e-6 by default). Channels that read the same form on every row
  (at least ``erased_min_observations`` of them) were normalized away and are not scored.
- **overlap**: how many matched rows the recipient received, and how many no other recipient
  did. Reported as context; it accuses no one, because what a recipient was sent is not
  independent of what others were sent (releases follow business needs), so no honest null
  distribution exists for it.

Running an attribution appends one LOOKUP access event naming the customers the file matched,
as ``system:leak-trace`` with the caller in ``extra.requested_by``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shieldwall.config import ReleaseSettings
from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.blind_index import BlindIndex
from shieldwall.custody.ports import AuditSink
from shieldwall.trace.attribution.leakparse import LeakFileError, detect, extract, rows
from shieldwall.trace.releases import marks
from shieldwall.trace.releases.canaries import CanaryFactory
from shieldwall.trace.releases.model import Holding
from shieldwall.trace.releases.ports import CustomerIndex, ReleaseStore
from shieldwall.trace.releases.tardos import TardosKeys, score

BATCH_ROWS = 5000
# Matching is audited as this system component (like custody's PhoneDirectory), with the person
# who asked in ``extra.requested_by``: the customers a leak names are not read by that person,
# and the insider watch does not score service principals.
LEAK_DESK = Principal("system:leak-trace", Role.SERVICE, None, "leaked-file attribution")

LEAK_FILE_MATCH = "leak_file_match"  # the reason of the audit entry of a traced file


@dataclass(slots=True)
class _Observed:
    """What the leak shows of one customer (the first row that matched it)."""

    natural: bytes  # the phone's blind index
    forms: dict[str, int]


@dataclass(frozen=True, slots=True)
class RecipientFinding:
    recipient_id: str
    releases: tuple[str, ...]
    rows_held: int
    exclusive_rows: int
    canary_hits: int
    canary_releases: tuple[str, ...]
    positions: int
    score: float
    log10_p: float
    channels: dict[str, int]
    accused: bool
    evidence: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipient_id": self.recipient_id,
            "accused": self.accused,
            "p_value": 10.0**self.log10_p,
            "log10_p": round(self.log10_p, 3),
            "releases": list(self.releases),
            "rows_held": self.rows_held,
            "exclusive_rows": self.exclusive_rows,
            "canary_hits": self.canary_hits,
            "canary_releases": list(self.canary_releases),
            "tardos": {
                "positions": self.positions,
                "score": round(self.score, 3),
                "channels": self.channels,
            },
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class FileReport:
    file_format: str
    rows_read: int
    rows_identified: int
    rows_matched: int
    customers_matched: int
    customers_unreleased: int
    canary_rows: int
    channels_observed: dict[str, int]
    channels_erased: tuple[str, ...]
    threshold: float
    recipients: tuple[RecipientFinding, ...]
    audit_seq: int | None = None
    method: str = field(
        default=(
            "p_value bounds P(an innocent recipient's symmetric Tardos score >= observed) by a "
            "Chernoff bound on the exact distribution of each observed position; canary hits "
            "accuse outright; overlap is context only"
        )
    )

    @property
    def accused(self) -> list[str]:
        return [r.recipient_id for r in self.recipients if r.accused]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.file_format,
            "rows_read": self.rows_read,
            "rows_identified": self.rows_identified,
            "rows_matched": self.rows_matched,
            "customers_matched": self.customers_matched,
            "customers_unreleased": self.customers_unreleased,
            "canary_rows": self.canary_rows,
            "channels_observed": self.channels_observed,
            "channels_erased": list(self.channels_erased),
            "threshold": self.threshold,
            "recipients_considered": len(self.recipients),
            "family_wise_bound": min(1.0, self.threshold * max(1, len(self.recipients))),
            "accused": self.accused,
            "recipients": [r.as_dict() for r in self.recipients],
            "audit_seq": self.audit_seq,
            "method": self.method,
        }


class FileAttribution:
    """Attribute a leaked file to release recipients (see the module docstring)."""

    def __init__(
        self,
        releases: ReleaseStore,
        customers: CustomerIndex,
        index: BlindIndex,
        code: TardosKeys,
        canaries: CanaryFactory,
        audit: AuditSink,
        clock: Clock,
        settings: ReleaseSettings,
        *,
        region: str = "CN",
    ) -> None:
        self.releases = releases
        self.customers = customers
        self.index = index
        self.code = code
        self.canaries = canaries
        self.audit = audit
        self.clock = clock
        self.settings = settings
        self.region = region

    def trace(
        self,
        path: Path,
        *,
        file_format: str | None = None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
        progress: Callable[[int], None] | None = None,
    ) -> FileReport:
        source = detect(path, file_format)
        s = self.settings
        observed: dict[str, _Observed] = {}
        canary_releases: dict[str, int] = defaultdict(int)
        read = identified = matched = canary_rows = 0
        batch: list[Any] = []

        def flush() -> None:
            nonlocal matched, canary_rows
            m, c = self._match(batch, observed, canary_releases)
            matched += m
            canary_rows += c
            batch.clear()

        for row in rows(source, max_rows=s.max_leak_rows, max_cell_chars=s.max_cell_chars):
            read += 1
            found = extract(row.cells, self.region)
            if found.identified:
                identified += 1
                batch.append(found)
                if len(batch) >= BATCH_ROWS:
                    flush()
            if progress is not None and read % 1000 == 0:
                progress(1000)
        if batch:
            flush()
        if progress is not None:
            progress(read % 1000)
        if identified == 0:
            raise LeakFileError(
                "no row has a phone number, ID number or e-mail address", field="file"
            )
        holdings = self.releases.holdings(observed)
        report = self._score(observed, holdings, canary_releases)
        seq = None
        if observed:
            seqs = self.audit.append(
                [
                    access_event(
                        self.clock.now(),
                        LEAK_DESK,
                        Action.LOOKUP,
                        Decision.ALLOW,
                        LEAK_FILE_MATCH,
                        channel=channel,
                        purpose="investigation",
                        customer_ids=sorted(observed),
                        extra={
                            "by": "leak_file",
                            "matches": str(len(observed)),
                            "requested_by": actor.principal_id,
                        },
                    )
                ]
            )
            seq = int(seqs[0])
        released = {h.customer_id for h in holdings}
        return FileReport(
            file_format=source.file_format,
            rows_read=read,
            rows_identified=identified,
            rows_matched=matched,
            customers_matched=len(observed),
            customers_unreleased=len(set(observed) - released),
            canary_rows=canary_rows,
            channels_observed=report[0],
            channels_erased=report[1],
            threshold=s.false_accusation,
            recipients=report[2],
            audit_seq=seq,
        )

    # -- matching ----------------------------------------------------------------------------

    def _match(
        self, batch: list[Any], observed: dict[str, _Observed], canary_releases: dict[str, int]
    ) -> tuple[int, int]:
        """Match a batch of rows to customers and canaries; return (rows matched, canary rows)."""
        digests: dict[str, set[bytes]] = {"phone": set(), "email": set(), "national_id": set()}
        trap: set[bytes] = set()
        for found in batch:
            for phone in found.phones:
                digests["phone"].add(self.index.digest("phone", phone))
                trap.add(self.canaries.digest("phone", phone))
            for email in found.emails:
                digests["email"].add(self.index.digest("email", email))
                trap.add(self.canaries.digest("email", email))
            for nid in found.national_ids:
                digests["national_id"].add(self.index.digest("national_id", nid))
        hits = {f: self.customers.by_index(f, d) for f, d in digests.items() if d}
        traps = self.releases.canary_hits(trap) if trap else {}
        matched = canaries = 0
        for found in batch:
            releases = {
                traps[d].release_id
                for d in (
                    [self.canaries.digest("phone", p) for p in found.phones]
                    + [self.canaries.digest("email", e) for e in found.emails]
                )
                if d in traps
            }
            if releases:
                canaries += 1
                for r in releases:
                    canary_releases[r] += 1
                continue
            customer = None
            for f, values in (
                ("phone", found.phones),
                ("national_id", found.national_ids),
                ("email", found.emails),
            ):
                for v in values:
                    people = hits.get(f, {}).get(self.index.digest(f, v), [])
                    if len(people) == 1:  # an ambiguous index value identifies no one
                        customer = people[0]
                        break
                if customer is not None:
                    break
            if customer is None:
                continue
            matched += 1
            if customer.customer_id not in observed:
                forms: dict[str, int] = {}
                for address in found.addresses:
                    forms = marks.read(address)
                    if forms:
                        break
                observed[customer.customer_id] = _Observed(customer.phone_index, forms)
        return matched, canaries

    # -- scoring -----------------------------------------------------------------------------

    def _score(
        self,
        observed: dict[str, _Observed],
        holdings: Iterable[Holding],
        canary_releases: dict[str, int],
    ) -> tuple[dict[str, int], tuple[str, ...], tuple[RecipientFinding, ...]]:
        counts = {ch: [0, 0] for ch in marks.FORM_CHANNELS}
        for obs in observed.values():
            for ch, y in obs.forms.items():
                counts[ch][0] += 1
                counts[ch][1] += y
        erased = tuple(
            ch
            for ch, (n, ones) in counts.items()
            if n >= self.settings.erased_min_observations and ones in (0, n)
        )
        # per recipient and customer: [received, required, offered as optional, marked copy]
        flags: dict[str, dict[str, list[bool]]] = defaultdict(dict)
        release_ids: dict[str, set[str]] = defaultdict(set)
        receivers: dict[str, set[str]] = defaultdict(set)
        for h in holdings:
            f = flags[h.recipient_id].setdefault(h.customer_id, [False, False, False, False])
            release_ids[h.recipient_id].add(h.release_id)
            if h.included:
                f[0] = True
                f[1] = f[1] or not h.optional
                f[3] = f[3] or h.marked
                receivers[h.customer_id].add(h.recipient_id)
            f[2] = f[2] or h.optional
        canary_owner: dict[str, list[str]] = defaultdict(list)
        for release_id in canary_releases:
            found = self.releases_get(release_id)
            if found is not None:
                canary_owner[found].append(release_id)
        log_eps = math.log10(self.settings.false_accusation)
        places: dict[tuple[str, bytes], tuple[bytes, float]] = {}

        def place(channel: str, natural: bytes) -> tuple[bytes, float]:
            """A position and its bias, computed once per leak however many recipients."""
            found = places.get((channel, natural))
            if found is None:
                pos = self.code.position(channel, natural)
                found = places[(channel, natural)] = (pos, self.code.bias(pos))
            return found

        findings = []
        for recipient in set(flags) | set(canary_owner):
            rc = self.code.recipient(recipient)
            bits: list[int] = []
            leaked: list[int] = []
            biases: list[float] = []
            channels: dict[str, int] = defaultdict(int)
            held = exclusive = 0
            for cid, (received, required, offered, marked) in flags.get(recipient, {}).items():
                obs = observed[cid]
                if received:
                    held += 1
                    if len(receivers[cid]) == 1:
                        exclusive += 1
                if offered and not required:
                    pos, bias = place(marks.PRESENCE, obs.natural)
                    bits.append(rc.bit(pos, bias))
                    leaked.append(1)
                    biases.append(bias)
                    channels[marks.PRESENCE] += 1
                if marked:
                    for ch, y in obs.forms.items():
                        if ch in erased:
                            continue
                        pos, bias = place(ch, obs.natural)
                        bits.append(rc.bit(pos, bias))
                        leaked.append(y)
                        biases.append(bias)
                        channels[ch] += 1
            result = score(bits, leaked, biases)
            hits = sum(canary_releases[r] for r in canary_owner.get(recipient, []))
            accused = hits > 0 or result.log10_p <= log_eps
            evidence = []
            if hits:
                evidence.append(
                    f"canary: {hits} row(s) carry trap contacts issued only in release(s) "
                    f"{', '.join(sorted(canary_owner[recipient]))}"
                )
            if result.positions:
                evidence.append(
                    f"marks: {result.positions} positions, score {result.score:.1f}; "
                    f"P(innocent scores this high) <= {10.0**result.log10_p:.2g}"
                )
            evidence.append(
                f"overlap: received {held} of {len(observed)} matched customers,"
                f" {exclusive} released to no other recipient (context, not a test)"
            )
            findings.append(
                RecipientFinding(
                    recipient_id=recipient,
                    releases=tuple(
                        sorted(release_ids[recipient] | set(canary_owner.get(recipient, [])))
                    ),
                    rows_held=held,
                    exclusive_rows=exclusive,
                    canary_hits=hits,
                    canary_releases=tuple(sorted(canary_owner.get(recipient, []))),
                    positions=result.positions,
                    score=result.score,
                    log10_p=result.log10_p,
                    channels=dict(channels),
                    accused=accused,
                    evidence=tuple(evidence),
                )
            )
        findings.sort(key=lambda f: (not f.accused, -f.canary_hits, f.log10_p, -f.rows_held))
        observed_counts = {ch: n for ch, (n, _) in counts.items()}
        return observed_counts, erased, tuple(findings)

    def releases_get(self, release_id: str) -> str | None:
        """The recipient of a release, or None."""
        found = self.releases.get_release(release_id)
        return None if found is None else found.recipient_id
