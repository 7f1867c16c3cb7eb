"""Canary customers: plausible synthetic people whose phone and e-mail are trap contacts.

A canary is made by :class:`~shieldwall.custody.synthetic.PeopleFactory` (zh_CN name, a real
county's address) with its phone drawn from the store's trap number range and its e-mail on the
store's trap mail domain. Canaries are never customers: they are not in the customer table, so no
notification, warning or lookup ever reaches them; only the release ledger knows their contacts,
as keyed digests. Each trap contact is unique to one release, so a trap contact in a leak (or a
call or mail to it) names the release it came from.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Sequence
from dataclasses import dataclass

from shieldwall.core.model import Customer
from shieldwall.custody import normalize
from shieldwall.custody.synthetic import PeopleFactory

DIGEST_BYTES = 16


@dataclass(frozen=True, slots=True)
class TrapPool:
    """Where trap contacts come from: number prefixes of a range the store owns, and a mail
    domain whose mailboxes it reads."""

    phone_prefixes: Sequence[str]
    phone_digits: int
    mail_domain: str
    region: str = "CN"


class CanaryFactory:
    """Synthetic customers with trap contacts; deterministic per (key, release, attempt)."""

    def __init__(self, secret: bytes, pool: TrapPool) -> None:
        self._key = hmac.new(secret, b"canary", hashlib.sha256).digest()
        self._seed_key = hmac.new(secret, b"canary-seed", hashlib.sha256).digest()
        self.pool = pool

    def digest(self, kind: str, normal: str) -> bytes:
        """The keyed digest a trap contact is stored and looked up by."""
        return hmac.new(self._key, f"{kind}\x1f{normal}".encode(), hashlib.sha256).digest()[
            :DIGEST_BYTES
        ]

    def contact_digest(self, contact: str) -> tuple[str, bytes]:
        """(kind, digest) of a phone number or e-mail address in any usual spelling."""
        text = contact.strip()
        if "@" in text:
            return "email", self.digest("email", normalize.email(text))
        return "phone", self.digest("phone", normalize.phone(text, self.pool.region))

    def make(self, release_id: str, index: int) -> Customer:
        seed_mac = hmac.new(
            self._seed_key, f"{release_id}\x1f{index}".encode(), hashlib.sha256
        ).digest()
        seed = int.from_bytes(seed_mac[:8], "big")
        person = PeopleFactory(seed).customer(f"canary:{release_id}:{index}")
        rng = random.Random(seed ^ 0x5A5A5A5A)
        prefix = rng.choice(list(self.pool.phone_prefixes))
        rest = self.pool.phone_digits - len(prefix)
        phone = normalize.phone(prefix + f"{rng.randrange(10**rest):0{rest}d}", self.pool.region)
        from pypinyin import lazy_pinyin  # noqa: PLC0415 - a slow import, paid only when used

        local = "".join(lazy_pinyin(person.name)) + str(rng.randrange(10, 9999))
        return Customer(
            customer_id=person.customer_id,
            name=person.name,
            phone=phone,
            email=normalize.email(f"{local}@{self.pool.mail_domain}"),
            address=person.address,
            national_id=None,  # a canary never carries an ID number: it would be a real person's
        )
