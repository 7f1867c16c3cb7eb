"""Planning warnings: who, in which order, why; then into the outbox exactly once.

No duplicates, by two rules checked in the same transaction as the insert:

1. a customer gets at most one notification per trigger (leak or campaign id), ever: the
   outbox has a unique key on (customer, trigger) and re-running a plan adds nothing;
2. a customer is warned at most once per ``cooldown_days`` across all triggers: a second leak
   a day after the first does not warn the same customer again.

Dead-lettered notifications do not count for rule 2 (the customer was never warned), but do
for rule 1 (re-run the send, not the plan).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shieldwall.config import WarningSettings
from shieldwall.contact.ledger.errors import InvalidInput
from shieldwall.contact.warnings.model import (
    Candidate,
    Notification,
    NotificationStatus,
    Trigger,
    TriggerKind,
)
from shieldwall.contact.warnings.ports import OrderFacts, OutboxStore
from shieldwall.contact.warnings.priority import Prioritizer, last_activity
from shieldwall.contact.warnings.sources import CampaignTargets
from shieldwall.core.clock import Clock
from shieldwall.core.ids import new_id
from shieldwall.custody.ports import SealedOrder

CHUNK = 500
_TRIGGER_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    """Ignore progress."""


def make_trigger(kind: TriggerKind | str, trigger_id: str) -> Trigger:
    try:
        kind = TriggerKind(kind)
    except ValueError:
        raise InvalidInput("must be leak or campaign", field="trigger") from None
    if not isinstance(trigger_id, str) or not _TRIGGER_ID.fullmatch(trigger_id):
        raise InvalidInput("must be 1-128 letters, digits or _ . : -", field=kind.value)
    return Trigger(kind, trigger_id)


@dataclass(frozen=True, slots=True)
class Plan:
    trigger: Trigger
    candidates: tuple[Candidate, ...]  # highest score first
    unknown: tuple[str, ...] = ()  # ids that are not customers of the store


@dataclass(frozen=True, slots=True)
class EnqueueReport:
    trigger: Trigger
    queued: int
    already_planned: int
    warned_recently: int
    unknown: int
    queued_ids: tuple[str, ...] = field(default=(), repr=False)


class WarningPlanner:
    def __init__(
        self,
        facts: OrderFacts,
        outbox: OutboxStore,
        clock: Clock,
        settings: WarningSettings,
        campaigns: CampaignTargets | None = None,
    ) -> None:
        self.facts = facts
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.campaigns = campaigns
        self.prioritizer = Prioritizer(settings)

    def plan_leak(
        self, leak_id: str, customer_ids: Iterable[str], progress: Progress = _no_progress
    ) -> Plan:
        trigger = make_trigger(TriggerKind.LEAK, leak_id)
        return self._plan(trigger, dict.fromkeys(customer_ids), progress)

    def plan_campaign(
        self,
        campaign_id: str,
        targets: CampaignTargets | None = None,
        progress: Progress = _no_progress,
    ) -> Plan:
        trigger = make_trigger(TriggerKind.CAMPAIGN, campaign_id)
        source = targets or self.campaigns
        if source is None:
            raise InvalidInput("no campaign source is configured; pass targets", field="campaign")
        seen: dict[str, datetime | None] = dict(source.customers(campaign_id))
        return self._plan(trigger, seen, progress)

    def _plan(
        self, trigger: Trigger, people: dict[str, datetime | None], progress: Progress
    ) -> Plan:
        now = self.clock.now()
        since = self.prioritizer.horizon(now)
        ids = list(people)
        scored: list[tuple[Candidate, datetime | None]] = []
        unknown: list[str] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            known = self.facts.existing(chunk)
            unknown.extend(c for c in chunk if c not in known)
            by_customer: dict[str, list[SealedOrder]] = {}
            for o in self.facts.orders([c for c in chunk if c in known], since):
                by_customer.setdefault(o.customer_id, []).append(o)
            for cid in chunk:
                if cid in known:
                    orders = by_customer.get(cid, [])
                    cand = self.prioritizer.score(trigger, cid, orders, now, people[cid])
                    scored.append((cand, last_activity(orders)))
            progress(len(chunk))
        epoch = datetime.min.replace(tzinfo=now.tzinfo)
        scored.sort(key=lambda x: (-x[0].score, -(x[1] or epoch).timestamp(), x[0].customer_id))
        return Plan(trigger, tuple(c for c, _ in scored), tuple(unknown))

    def enqueue(
        self,
        plan: Plan,
        *,
        channel: str | None = None,
        locale: str | None = None,
        progress: Progress = _no_progress,
    ) -> EnqueueReport:
        """Write the plan's notifications to the outbox, skipping duplicates; idempotent."""
        channel = channel or self.settings.channel
        locale = locale or self.settings.locale
        if channel not in ("sms", "email"):
            raise InvalidInput("must be sms or email", field="channel")
        if locale not in ("zh", "en"):
            raise InvalidInput("must be zh or en", field="locale")
        now = self.clock.now()
        cooldown_since = now - timedelta(days=self.settings.cooldown_days)
        queued: list[str] = []
        already = recent = 0
        cands = plan.candidates
        for start in range(0, len(cands), CHUNK):
            chunk = cands[start : start + CHUNK]
            ids = [c.customer_id for c in chunk]
            with self.outbox.write() as tx:
                tx.lock()
                planned = tx.planned(plan.trigger, ids)
                warned = (
                    tx.warned_since(ids, cooldown_since)
                    if self.settings.cooldown_days > 0
                    else set()
                )
                rows = []
                for rank, c in enumerate(chunk, start):
                    if c.customer_id in planned:
                        already += 1
                    elif c.customer_id in warned:
                        recent += 1
                    else:
                        rows.append(self._row(plan.trigger, c, rank, channel, locale, now))
                tx.insert(rows)
            queued.extend(r.customer_id for r in rows)
            progress(len(chunk))
        return EnqueueReport(
            plan.trigger, len(queued), already, recent, len(plan.unknown), tuple(queued)
        )

    @staticmethod
    def _row(
        trigger: Trigger, c: Candidate, rank: int, channel: str, locale: str, now: datetime
    ) -> Notification:
        return Notification(
            notification_id=new_id("ntf"),
            customer_id=c.customer_id,
            trigger=trigger,
            channel=channel,
            locale=locale,
            score=c.score,
            signals=c.signals,
            status=NotificationStatus.PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            rank=rank,
        )
