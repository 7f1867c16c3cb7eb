"""Creating, listing and resolving releases.

A release is the only sanctioned way customer data leaves the store in bulk. Creating one:

1. checks the recipient (a partner, or an analyst for an analytics extract) and asks the access
   policy which view of each requested field that role and purpose may get: partners see what the
   release grants, in the views their rule allows; analysts get pseudonyms and masks;
2. decides which *optional* customers this recipient gets from its Tardos code (presence mark);
3. grants the partner the released fields of those customers through custody's
   ``Relations.grant(..., release_id=...)`` (a GRANT entry in the audit log);
4. decrypts only the exported fields, renders them in their views, writes each clear address in
   the forms the recipient's code picks (:mod:`.marks`), mixes in canary customers
   (:mod:`.canaries`) at keyed positions, and renders the file;
5. records the release, its records and canary digests in the ledger (one transaction) and
   appends an EXPORT access event naming every released customer.

Nothing about the code is stored: positions, biases and bits derive from the ``trace.releases``
secret (see :mod:`.tardos`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shieldwall.config import ReleaseSettings
from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.ids import new_id
from shieldwall.core.model import PiiField, Principal, Purpose, Relationship, Role, View
from shieldwall.core.paging import (
    DEFAULT_LIMIT,
    Page,
    Position,
    fetch_page,
)
from shieldwall.custody import normalize
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.blind_index import Pseudonymizer
from shieldwall.custody.errors import ValidationError
from shieldwall.custody.policy import Policy, decide, describe
from shieldwall.custody.ports import CustodyStore, OutboxAuditSink, SealedCustomer
from shieldwall.custody.relations import Relations
from shieldwall.custody.rendering import ViewRenderer, applied_view
from shieldwall.custody.sealing import Sealer
from shieldwall.trace.releases import marks
from shieldwall.trace.releases.canaries import CanaryFactory, TrapPool
from shieldwall.trace.releases.errors import ReleaseInvalid, ReleaseNotFound
from shieldwall.trace.releases.exporter import render
from shieldwall.trace.releases.model import (
    FORMATS,
    KINDS,
    Canary,
    ExportFile,
    Release,
    ReleaseRecord,
)
from shieldwall.trace.releases.ports import ReleaseStore
from shieldwall.trace.releases.tardos import RecipientCode, TardosKeys

COLUMN_ORDER = tuple(f.value for f in PiiField)
RECIPIENT_PURPOSE = {Role.PARTNER: Purpose.PARTNER_FULFILMENT, Role.ANALYST: Purpose.ANALYTICS}
SECRET_PURPOSE = "trace.releases"  # noqa: S105 - a key purpose name, not a secret
RELEASES_LISTING = "releases"


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    recipient_id: str
    customer_ids: Sequence[str]
    fields: Sequence[str]
    optional_ids: Sequence[str] = ()
    kind: str = "export"
    file_format: str = "csv"
    canaries: int | None = None  # None: as many as the settings say
    note: str = ""


@dataclass(frozen=True, slots=True)
class CreatedRelease:
    release: Release
    file: ExportFile
    grant_count: int = 0


@dataclass(frozen=True, slots=True)
class CanaryMatch:
    release: Release
    kind: str


@dataclass
class _Row:
    sort_key: bytes
    values: dict[str, str | None] = field(default_factory=dict)


class Releases:
    """The release ledger's service: create, list, show, and resolve trap contacts."""

    def __init__(
        self,
        store: ReleaseStore,
        custody: CustodyStore,
        sealer: Sealer,
        pseudonyms: Pseudonymizer,
        policy: Policy,
        relations: Relations,
        audit: OutboxAuditSink,
        clock: Clock,
        secret: bytes,
        settings: ReleaseSettings,
        *,
        region: str = "CN",
    ) -> None:
        self.store = store
        self.custody = custody
        self.sealer = sealer
        self.pseudonyms = pseudonyms
        self.renderer = ViewRenderer(pseudonyms)
        self.policy = policy
        self.relations = relations
        self.audit = audit
        self.clock = clock
        self.settings = settings
        self.region = region
        self.code = TardosKeys(secret, settings.collusion)
        self._order_key = hmac.new(secret, b"row-order", hashlib.sha256).digest()
        self.canaries = CanaryFactory(
            secret,
            TrapPool(
                settings.canary_phone_prefixes,
                settings.canary_phone_digits,
                settings.canary_mail_domain,
                region,
            ),
        )

    # -- create ------------------------------------------------------------------------------

    def create(
        self, request: ReleaseRequest, *, actor: Principal = OPERATOR, channel: str = "cli"
    ) -> CreatedRelease:
        """Grant, mark, record and audit a release; return it with its file's bytes."""
        kind, file_format, fields = self._check_request(request)
        required = _ids(request.customer_ids, "customer_ids")
        optional = _ids(request.optional_ids, "optional_ids")
        if set(required) & set(optional):
            raise ReleaseInvalid("a customer is both required and optional", field="optional_ids")
        if not required and not optional:
            raise ReleaseInvalid("name at least one customer", field="customer_ids")
        if len(required) + len(optional) > self.settings.max_records:
            raise ReleaseInvalid(
                f"more than {self.settings.max_records} customers", field="customer_ids"
            )
        recipient, purpose = self._recipient(request.recipient_id)
        columns = self._columns(recipient, purpose, fields)
        sealed = self._load(required + optional)
        rc = self.code.recipient(recipient.principal_id)
        included_optional = [
            c
            for c in optional
            if rc.bit(self.code.position(marks.PRESENCE, _phone_index(sealed[c])))
        ]
        included = required + included_optional
        release_id = new_id("rel")
        now = self.clock.now()
        mark_addresses = self.settings.marks and columns.get("address") == View.CLEAR.value
        rows = [self._row(sealed[c], columns, rc, mark_addresses) for c in included]
        canaries, canary_rows = self._canaries(
            release_id, request.canaries, len(rows), columns, rc, mark_addresses, now
        )
        rows.extend(canary_rows)
        rows.sort(key=lambda r: r.sort_key)
        names = [c for c in COLUMN_ORDER if c in columns]
        file = render(names, [r.values for r in rows], file_format)
        release = Release(
            release_id=release_id,
            recipient_id=recipient.principal_id,
            recipient_role=recipient.role.value,
            purpose=purpose.value,
            kind=kind,
            fields=tuple(fields),
            columns=columns,
            file_format=file_format,
            row_count=len(rows),
            record_count=len(included),
            optional_pool=len(optional),
            optional_included=len(included_optional),
            canary_count=len(canaries) // 2,
            marked=mark_addresses,
            file_sha256=file.sha256,
            created_by=actor.principal_id,
            created_at=now,
            note=request.note[:500],
        )
        inc = set(included)
        records = [ReleaseRecord(release_id, c, True, False) for c in required] + [
            ReleaseRecord(release_id, c, c in inc, True) for c in optional
        ]
        # The export's entry is staged in the release's own transaction, so a recorded release
        # never goes without it. The ledger row first: a failure after it leaves a recorded
        # (and audited) release whose file was never handed out (harmless: only marks found in
        # a leak accuse), never a grant the ledger does not show. The grant stages its own entry
        # in custody's transaction and is logged before the export's, as attribution expects
        # (the grant's entry names the partner behind the release).
        export = access_event(
            now,
            actor,
            Action.EXPORT,
            Decision.ALLOW,
            "release_export",
            channel=channel,
            purpose=purpose.value,
            customer_ids=included,
            fields=columns,
            extra={
                "release": release_id,
                "recipient": recipient.principal_id,
                "rows": str(len(rows)),
                "canaries": str(release.canary_count),
                "format": file_format,
                "sha256": file.sha256,
            },
        )
        staged = self.store.insert_release(release, records, canaries, [export])
        grants = 0
        try:
            if recipient.role is Role.PARTNER and included:
                grants = len(
                    self.relations.grant(
                        recipient.principal_id,
                        included,
                        fields,
                        release_id=release_id,
                        actor=actor,
                        channel=channel,
                    )
                )
        finally:
            self.audit.log_staged(staged)
        return CreatedRelease(release, file, grants)

    def _check_request(self, request: ReleaseRequest) -> tuple[str, str, list[str]]:
        if request.kind not in KINDS:
            raise ReleaseInvalid(f"must be one of {', '.join(KINDS)}", field="kind")
        if request.file_format not in FORMATS:
            raise ReleaseInvalid(f"must be one of {', '.join(FORMATS)}", field="format")
        fields = sorted(set(request.fields), key=_column_rank)
        bad = [f for f in fields if f not in COLUMN_ORDER]
        if bad or not fields:
            raise ReleaseInvalid(
                f"must be among {', '.join(COLUMN_ORDER)} (order fields are not exported)",
                field="fields",
            )
        if request.canaries is not None and not 0 <= request.canaries <= 10_000:
            raise ReleaseInvalid("must be between 0 and 10000", field="canaries")
        return request.kind, request.file_format, fields

    def _recipient(self, recipient_id: str) -> tuple[Principal, Purpose]:
        with self.custody.read() as tx:
            record = tx.get_principal(recipient_id)
        if record is None:
            raise ReleaseNotFound(f"no principal {recipient_id}", field="recipient_id")
        principal = record.principal
        purpose = RECIPIENT_PURPOSE.get(principal.role)
        if purpose is None:
            raise ReleaseInvalid(
                "must be a partner (export) or an analyst (analytics extract)",
                field="recipient_id",
            )
        if not principal.active:
            raise ReleaseInvalid("is deactivated", field="recipient_id")
        return principal, purpose

    def _columns(self, recipient: Principal, purpose: Purpose, fields: list[str]) -> dict[str, str]:
        """The views the policy gives this recipient, for the fields the release grants."""
        rel = (
            Relationship(granted_fields=frozenset(fields))
            if recipient.role is Role.PARTNER
            else Relationship()
        )
        decision = decide(self.policy, recipient, purpose, rel)
        if not decision.allowed:
            raise ReleaseInvalid(
                f"the policy refuses this recipient: {describe(decision.reasons)}",
                field="recipient_id",
            )
        columns = {}
        for f in fields:
            # A file has no courier binding: a relay phone is hidden, so its column is left out.
            view = applied_view(decision.customer.get(PiiField(f), View.HIDDEN))
            if view is View.HIDDEN:
                continue
            columns[f] = view.value
        if not columns:
            raise ReleaseInvalid(
                "the policy shows this recipient none of these fields", field="fields"
            )
        return columns

    def _load(self, ids: list[str]) -> dict[str, SealedCustomer]:
        out: dict[str, SealedCustomer] = {}
        with self.custody.read() as tx:
            for c in ids:
                sealed = tx.get_customer(c)
                if sealed is not None:
                    out[c] = sealed
        missing = len(ids) - len(out)
        if missing:
            raise ReleaseNotFound(f"{missing} customer id(s) do not exist", field="customer_ids")
        return out

    def _row(
        self,
        sealed: SealedCustomer,
        columns: dict[str, str],
        rc: RecipientCode,
        mark_addresses: bool,
    ) -> _Row:
        plain = self.sealer.open_customer(sealed, list(columns))
        natural = _phone_index(sealed)
        values = self._render(columns, plain)
        if mark_addresses and values.get("address"):
            values["address"] = self._mark(values["address"] or "", natural, rc)
        key = hmac.new(self._order_key, natural, hashlib.sha256).digest()
        return _Row(key, values)

    def _mark(self, address: str, natural: bytes, rc: RecipientCode) -> str:
        bits = {
            ch: rc.bit(self.code.position(ch, natural))
            for ch in marks.applicable(marks.canonical(address))
        }
        return marks.apply(address, bits)

    def _render(
        self, columns: dict[str, str], plain: Mapping[str, str | None]
    ) -> dict[str, str | None]:
        """The row's values, rendered the way custody renders a read (:mod:`custody.rendering`)."""
        views = {f: View(v) for f, v in columns.items()}
        return {f: shown.value for f, shown in self.renderer.record(views, plain).items()}

    def _canaries(
        self,
        release_id: str,
        wanted: int | None,
        rows: int,
        columns: dict[str, str],
        rc: RecipientCode,
        mark_addresses: bool,
        now: datetime,
    ) -> tuple[list[Canary], list[_Row]]:
        s = self.settings
        count = (
            wanted
            if wanted is not None
            else min(s.max_canaries, max(s.min_canaries, math.ceil(rows * s.canary_rate)))
        )
        canaries: list[Canary] = []
        out: list[_Row] = []
        index = 0
        while len(out) < count and index < count * 20 + 20:
            person = self.canaries.make(release_id, index)
            index += 1
            assert person.email is not None  # noqa: S101 - canaries always have one
            phone_d = self.canaries.digest("phone", person.phone)
            email_d = self.canaries.digest("email", person.email)
            if self.store.canaries_known([phone_d, email_d]) or self._is_customer(person.phone):
                continue
            canaries += [
                Canary(phone_d, release_id, "phone", now),
                Canary(email_d, release_id, "email", now),
            ]
            plain = {
                "name": person.name,
                "phone": person.phone,
                "email": person.email,
                "address": person.address,
                "national_id": None,
            }
            natural = self.sealer.index.digest("phone", person.phone)
            values = self._render(columns, plain)
            if mark_addresses and values.get("address"):
                values["address"] = self._mark(values["address"] or "", natural, rc)
            out.append(_Row(hmac.new(self._order_key, natural, hashlib.sha256).digest(), values))
        return canaries, out

    def _is_customer(self, phone: str) -> bool:
        with self.custody.read() as tx:
            return bool(tx.find_customers("phone", self.sealer.index.digest("phone", phone)))

    # -- read --------------------------------------------------------------------------------

    def get(self, release_id: str) -> Release:
        found = self.store.get_release(release_id)
        if found is None:
            raise ReleaseNotFound(f"no release {release_id}", field="release_id")
        return found

    def list(self, recipient_id: str | None = None, limit: int = 100) -> list[Release]:
        return self.store.list_releases(recipient_id, max(1, min(limit, 1000)))

    def page(
        self, recipient_id: str | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[Release]:
        """One page of releases, newest first; ``cursor`` is the previous page's ``next_cursor``
        (:class:`~shieldwall.core.paging.InvalidCursor` for one this list did not issue)."""
        return fetch_page(
            RELEASES_LISTING,
            limit,
            cursor,
            lambda n, after: self.store.list_releases(recipient_id, n, after),
            lambda r: Position(r.created_at, r.release_id),
        )

    def canary(self, contact: str) -> CanaryMatch:
        """The release a trap phone number or e-mail address was issued in."""
        try:
            kind, digest = self.canaries.contact_digest(contact)
        except ValidationError as exc:
            raise ReleaseInvalid(
                "is neither a phone number nor an e-mail address", field="contact"
            ) from exc
        hit = self.store.canary_hits([digest]).get(digest)
        if hit is None:
            raise ReleaseNotFound(f"no release issued this trap {kind}", field="contact")
        return CanaryMatch(self.get(hit.release_id), kind)


def _ids(values: Iterable[str], field_name: str) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for v in values:
        try:
            cid = normalize.record_id(v, field_name)
        except ValidationError as exc:
            raise ReleaseInvalid(exc.reason, field=field_name) from None
        if cid not in seen:
            seen.add(cid)
            out.append(cid)
    return out


def _column_rank(name: str) -> int:
    return COLUMN_ORDER.index(name) if name in COLUMN_ORDER else len(COLUMN_ORDER)


def _phone_index(sealed: SealedCustomer) -> bytes:
    digest = sealed.indexes.get("phone")
    if digest is None:  # every customer has a phone (custody requires one)
        raise ReleaseInvalid("a customer has no phone index", field="customer_ids")
    return digest
