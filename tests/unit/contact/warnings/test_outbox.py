"""Planning and sending over a real outbox (SQLite and PostgreSQL): order of priority, no
duplicates, rate limits, retries with backoff, dead letters, crashed dispatchers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from shieldwall.contact.errors import ContactError
from shieldwall.contact.ledger.errors import InvalidInput
from shieldwall.contact.warnings.model import NotificationStatus, TriggerKind
from shieldwall.contact.warnings.planner import make_trigger
from shieldwall.contact.warnings.ports import SendFailed
from shieldwall.contact.warnings.sources import FileCampaignTargets
from tests.unit.contact.warnings.conftest import RecordingSender, World, warnings_for

LEAKED = [1, 2, 3, 4, 5, 6]


def leaked_ids(world: World) -> list[str]:
    return [world.cid(i) for i in LEAKED] + ["C999999"]


def statuses(world: World) -> dict[str, int]:
    with world.services.contact_ledger.outbox.read() as tx:
        return {k: v for k, v in tx.counts().items() if v}


def test_plan_puts_the_most_exposed_first(world: World) -> None:
    """In transit, delivered, refunded, fresh order, then members only; unknown ids reported."""
    planner, _ = warnings_for(world)
    plan = planner.plan_leak("leak-1", leaked_ids(world))
    order = [c.customer_id for c in plan.candidates]
    assert order == [world.cid(i) for i in (1, 2, 3, 4, 5, 6)]
    assert plan.unknown == ("C999999",)
    first = plan.candidates[0]
    assert [s.code for s in first.signals] == ["in_leaked_set", "in_transit", "recent_order"]
    assert all(c.score == 40 for c in plan.candidates[4:])
    again = planner.plan_leak("leak-1", list(reversed(leaked_ids(world))))
    assert [c.customer_id for c in again.candidates] == order  # deterministic


def test_enqueue_is_idempotent_and_respects_the_cooldown(world: World) -> None:
    """Re-runs add nothing; a new leak skips the recently warned until the cooldown ends."""
    planner, _ = warnings_for(world)
    first = planner.enqueue(planner.plan_leak("leak-1", leaked_ids(world)))
    assert (first.queued, first.already_planned, first.warned_recently, first.unknown) == (
        6,
        0,
        0,
        1,
    )
    rerun = planner.enqueue(planner.plan_leak("leak-1", leaked_ids(world)))
    assert (rerun.queued, rerun.already_planned) == (0, 6)
    world.clock.advance(timedelta(days=1))
    second = planner.enqueue(planner.plan_leak("leak-2", [world.cid(1), world.cid(7)]))
    assert (second.queued, second.warned_recently) == (1, 1)
    assert second.queued_ids == (world.cid(7),)
    world.clock.advance(timedelta(days=7))
    third = planner.enqueue(planner.plan_leak("leak-3", [world.cid(1)]))
    assert third.queued == 1
    assert statuses(world) == {"pending": 8}


def test_campaign_plans_use_first_sightings(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Campaign targets are planned with the 'recently targeted' signal, deduped per campaign."""
    targets = tmp_path / "t.json"
    seen = (world.clock.now() - timedelta(days=1)).isoformat()
    targets.write_text(
        f'[{{"customer_id": "{world.cid(5)}", "first_seen": "{seen}"}},'
        f' {{"customer_id": "{world.cid(6)}", "first_seen": "2025-01-01T00:00:00Z"}}]'
    )
    planner, _ = warnings_for(world)
    plan = planner.plan_campaign("camp-7", FileCampaignTargets(targets, "camp-7"))
    assert [c.customer_id for c in plan.candidates] == [world.cid(5), world.cid(6)]
    assert [s.code for s in plan.candidates[0].signals] == ["campaign_target", "recently_targeted"]
    assert planner.enqueue(plan).queued == 2
    assert planner.enqueue(plan).already_planned == 2
    with pytest.raises(InvalidInput):
        planner.plan_campaign("camp-7")  # no source configured, none passed


def test_bad_triggers_and_options(world: World) -> None:
    """Trigger ids, channels and locales are checked."""
    planner, _ = warnings_for(world)
    with pytest.raises(InvalidInput) as err:
        planner.plan_leak("leak 1", [])
    assert err.value.field == "leak"
    with pytest.raises(InvalidInput):
        make_trigger("rumour", "x")
    plan = planner.plan_leak("leak-1", [world.cid(1)])
    with pytest.raises(InvalidInput) as err:
        planner.enqueue(plan, channel="fax")
    assert err.value.field == "channel"
    with pytest.raises(InvalidInput) as err:
        planner.enqueue(plan, locale="fr")
    assert statuses(world) == {}


def test_sending_follows_priority_within_rate_limits(world: World) -> None:
    """Two a minute and three an hour: highest scores go first; the rest wait their turn."""
    sender = RecordingSender()
    planner, dispatcher = warnings_for(world, {"sms": sender}, per_minute=2, per_hour=3)
    planner.enqueue(planner.plan_leak("leak-1", leaked_ids(world)))
    first = dispatcher.run()
    assert (first.sent, first.rate_limited, first.due_left) == (2, True, 4)
    assert [m.customer_id for m in sender.sent] == [world.cid(1), world.cid(2)]
    assert dispatcher.run().sent == 0  # same minute: nothing more
    world.clock.advance(61)
    second = dispatcher.run()
    assert (second.sent, second.rate_limited) == (1, True)  # the hourly cap
    world.clock.advance(timedelta(hours=1))
    third = dispatcher.run()
    assert third.sent == 2 and third.due_left == 1
    assert [m.customer_id for m in sender.sent] == [world.cid(i) for i in (1, 2, 3, 4, 5)]
    assert statuses(world) == {"sent": 5, "pending": 1}


def test_messages_carry_a_tag_and_no_request(world: World) -> None:
    """What goes out is the template, in the chosen language, tagged for its recipient."""
    sender = RecordingSender()
    planner, dispatcher = warnings_for(world, {"sms": sender})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1)]), locale="en")
    assert dispatcher.run().sent == 1
    (msg,) = sender.sent
    assert msg.locale == "en" and msg.trigger == "leak:leak-1" and msg.subject is None
    assert msg.text.startswith("[示例商城] Security notice:")
    messages = world.services.contact_ledger.messages
    assert messages.verify(world.cid(1), msg.text).valid
    assert not messages.verify(world.cid(2), msg.text).valid


def test_retries_back_off_then_dead_letter(world: World) -> None:
    """A retryable failure waits 60 s, then 120 s; after three attempts it is a dead letter."""
    failing = RecordingSender(failures=[SendFailed("http_503", retryable=True)] * 3)
    planner, dispatcher = warnings_for(world, {"sms": failing}, max_attempts=3, backoff_seconds=60)
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1)]))
    r1 = dispatcher.run()
    assert (r1.retried, r1.next_due) == (1, world.clock.now() + timedelta(seconds=60))
    world.clock.advance(59)
    assert dispatcher.run().retried == 0  # not due yet
    world.clock.advance(1)
    r2 = dispatcher.run()
    assert (r2.retried, r2.next_due) == (1, world.clock.now() + timedelta(seconds=120))
    world.clock.advance(120)
    assert dispatcher.run().dead == 1
    with world.services.contact_ledger.outbox.read() as tx:
        (n,) = tx.list()
    assert (n.status, n.attempts, n.last_error) == (NotificationStatus.DEAD, 3, "http_503")


def test_permanent_failures_and_missing_senders_dead_letter_at_once(world: World) -> None:
    """A 4xx or a channel without a sender is not retried."""
    failing = RecordingSender(failures=[SendFailed("http_422", retryable=False)])
    planner, dispatcher = warnings_for(world, {"sms": failing})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1)]))
    planner.enqueue(planner.plan_leak("leak-e", [world.cid(7)]), channel="email")
    report = dispatcher.run()
    assert (report.sent, report.dead, report.retried) == (0, 2, 0)
    with world.services.contact_ledger.outbox.read() as tx:
        errors = sorted(n.last_error or "" for n in tx.list())
    assert errors == ["http_422", "no_sender_for_email"]


def test_dead_letters_do_not_count_as_warned(world: World) -> None:
    """A customer whose warning died can be warned for the next leak within the cooldown."""
    failing = RecordingSender(failures=[SendFailed("smtp_550", retryable=False)])
    planner, dispatcher = warnings_for(world, {"sms": failing})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1)]))
    dispatcher.run()
    again = planner.enqueue(planner.plan_leak("leak-2", [world.cid(1)]))
    assert again.queued == 1


def test_a_crashed_dispatcher_is_recovered_after_the_lease(world: World) -> None:
    """Rows claimed by a dispatcher that died are sent by the next run after the lease."""
    sender = RecordingSender()
    planner, dispatcher = warnings_for(world, {"sms": sender}, lease_seconds=300)
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1), world.cid(2)]))
    with world.services.contact_ledger.outbox.write() as tx:
        assert len(tx.claim_due(world.clock.now(), 10)) == 2  # ... and then the process dies
    assert dispatcher.run().sent == 0
    world.clock.advance(301)
    report = dispatcher.run()
    assert (report.released, report.sent) == (2, 2)
    with world.services.contact_ledger.outbox.read() as tx:
        assert {n.attempts for n in tx.list()} == {2}


def test_our_own_failure_stops_the_run_and_requeues(world: World) -> None:
    """A misconfigured sender stops the run; the notification goes back with a backoff."""
    broken = RecordingSender(
        failures=[ContactError("gateway said 401", code="sender_misconfigured")]
    )
    planner, dispatcher = warnings_for(world, {"sms": broken})
    planner.enqueue(planner.plan_leak("leak-1", [world.cid(1), world.cid(2)]))
    with pytest.raises(ContactError):
        dispatcher.run()
    with world.services.contact_ledger.outbox.read() as tx:
        rows = {n.customer_id: n for n in tx.list()}
    stopped = rows[world.cid(1)]
    assert (
        stopped.status is NotificationStatus.PENDING
        and stopped.last_error == "sender_misconfigured"
    )
    assert stopped.next_attempt_at > world.clock.now()
    untried = rows[world.cid(2)]  # claimed in the same batch, put back untried
    assert (untried.status, untried.attempts) == (NotificationStatus.PENDING, 0)
    assert dispatcher.run().sent == 1
    world.clock.advance(61)
    assert dispatcher.run().sent == 1


def test_two_dispatchers_never_send_one_warning_twice(world: World) -> None:
    """Two dispatchers running at once share the queue: every warning goes out exactly once."""
    sent: list[str] = []
    lock = threading.Lock()

    def record(message) -> None:  # type: ignore[no-untyped-def]
        with lock:
            sent.append(message.notification_id)

    planner, a = warnings_for(world, {"sms": RecordingSender(on_send=record)})
    _, b = warnings_for(world, {"sms": RecordingSender(on_send=record)})
    planner.enqueue(planner.plan_leak("leak-1", leaked_ids(world)))
    threads = [threading.Thread(target=d.run) for d in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 6 and len(set(sent)) == 6
    assert statuses(world) == {"sent": 6}


def test_trigger_strings() -> None:
    """A trigger reads as kind:id."""
    assert str(make_trigger(TriggerKind.CAMPAIGN, "camp-7")) == "campaign:camp-7"
