"""What the app shows, as a pure function of the ledger: time windows, two agents at once,
the number on the customer's screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shieldwall.contact.ledger.model import Channel, Contact, ContactReason, Verification
from shieldwall.contact.ledger.numbers import parse_point
from shieldwall.contact.ledger.status import (
    CALLING_NOW,
    NONE,
    NOT_US,
    RECENT,
    Incoming,
    Status,
    contact_status,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RECENT_WINDOW = timedelta(hours=72)


def contact(
    cid: str = "ctc_1",
    *,
    customer: str = "C1",
    agent: str = "agent-li",
    via: str = "950618",
    start: datetime = T0,
    minutes: float = 60,
    ended: datetime | None = None,
    channel: Channel = Channel.CALL,
    order: str | None = "O0001",
) -> Contact:
    return Contact(
        contact_id=cid,
        customer_id=customer,
        agent_id=agent,
        agent_name="李*",
        channel=channel,
        via=via,
        reason=ContactReason.REFUND,
        order_id=order,
        started_at=start,
        expires_at=start + timedelta(minutes=minutes),
        verification=Verification.BOTH,
        created_by=agent,
        ended_at=ended,
        code_salt=b"s" * 16,
    )


def codes(c: Contact) -> tuple[str | None, str | None]:
    return f"A-{c.contact_id}", f"C-{c.contact_id}"


def status(
    contacts: list[Contact], now: datetime, incoming: Incoming | None = None, customer: str = "C1"
) -> Status:
    return contact_status(
        customer,
        contacts,
        now,
        recent_window=RECENT_WINDOW,
        incoming=incoming,
        codes=codes,
        display=lambda v: v,
    )


def seen(text: str, official: bool) -> Incoming:
    return Incoming(parse_point(text, "CN"), official)


def test_time_windows_of_one_call() -> None:
    """Before the start: nothing; from start until end: now; then recent; then none."""
    c = contact(ended=T0 + timedelta(minutes=5))
    assert status([c], T0 - timedelta(seconds=1)).state == NONE
    assert status([c], T0).state == CALLING_NOW
    assert status([c], T0 + timedelta(minutes=4, seconds=59)).state == CALLING_NOW
    after = status([c], T0 + timedelta(minutes=5))
    assert after.state == RECENT and after.contacts[0].live is False
    assert after.contacts[0].agent_code is None  # codes are shown only while live
    edge = T0 + timedelta(minutes=5) + RECENT_WINDOW
    assert status([c], edge - timedelta(seconds=1)).state == RECENT
    assert status([c], edge).state == NONE


def test_a_call_not_ended_stops_being_live_at_its_maximum() -> None:
    """A call nobody ended is live until start + max duration, then recent."""
    c = contact(minutes=60)
    assert status([c], T0 + timedelta(minutes=59)).state == CALLING_NOW
    assert status([c], T0 + timedelta(minutes=60)).state == RECENT


def test_two_agents_calling_at_once_are_both_reported() -> None:
    """Two live contacts to one customer: both listed, each with its agent, number and codes."""
    a = contact("ctc_a", agent="agent-li", via="950618")
    b = contact("ctc_b", agent="agent-wu", via="+861056321234", start=T0 + timedelta(minutes=1))
    now = T0 + timedelta(minutes=2)
    st = status([a, b], now)
    assert st.state == CALLING_NOW
    assert [v.contact.agent_id for v in st.contacts] == ["agent-wu", "agent-li"]
    assert [v.agent_code for v in st.contacts] == ["A-ctc_b", "A-ctc_a"]
    assert "agent-li" in st.message_zh and "agent-wu" in st.message_zh
    assert "agent-li" in st.message_en and "agent-wu" in st.message_en
    # each number on screen matches its own contact, the other is listed after it
    on_a = status([a, b], now, seen("950618", True))
    assert on_a.state == CALLING_NOW and on_a.contacts[0].contact.contact_id == "ctc_a"
    on_b = status([a, b], now, seen("010 5632 1234", True))
    assert on_b.state == CALLING_NOW and on_b.contacts[0].contact.contact_id == "ctc_b"
    # one ends: the other stays live
    a_ended = contact("ctc_a", agent="agent-li", via="950618", ended=now)
    later = status([a_ended, b], now + timedelta(seconds=1), seen("950618", True))
    assert later.state == NOT_US and later.reason == "no_live_contact_from_number"
    assert [v.contact.contact_id for v in later.contacts if v.live] == ["ctc_b"]


def test_number_on_screen_that_is_not_ours() -> None:
    """A number that is not the store's: hang up, whatever else is going on."""
    st = status([contact()], T0 + timedelta(minutes=1), seen("13812345678", False))
    assert st.state == NOT_US and st.reason == "number_not_official"
    assert "挂断" in st.message_zh and "hang up" in st.message_en
    # the genuine call is still listed, but its customer code is hidden from this screen
    assert st.contacts[0].live and st.contacts[0].customer_code is None
    assert "C-ctc_1" not in st.message_zh + st.message_en


def test_our_number_but_no_live_contact_is_a_forged_caller_id() -> None:
    """The store's own number with nothing live to this customer: the caller id is forged."""
    st = status([], T0, seen("950618", True))
    assert st.state == NOT_US and st.reason == "no_live_contact_from_number"
    assert "伪造" in st.message_zh and "forged" in st.message_en


def test_hidden_caller_id() -> None:
    """The store never calls with a hidden number."""
    st = status([contact()], T0 + timedelta(minutes=1), Incoming(None, False))
    assert st.state == NOT_US and st.reason == "hidden_number"


def test_other_customers_contacts_are_ignored() -> None:
    """A contact to someone else never shows in this customer's status."""
    st = status([contact(customer="C2")], T0 + timedelta(minutes=1), seen("950618", True))
    assert st.state == NOT_US
    assert status([contact(customer="C2")], T0 + timedelta(minutes=1)).state == NONE


def test_messages_are_now_for_a_short_while() -> None:
    """An SMS is 'now' during its short window, then recent."""
    sms = contact(channel=Channel.SMS, via="106900001234", minutes=15)
    assert status([sms], T0 + timedelta(minutes=10), seen("1069 0000 1234", True)).state == (
        CALLING_NOW
    )
    assert status([sms], T0 + timedelta(minutes=16)).state == RECENT


def test_json_shape_for_the_app() -> None:
    """The document the app renders: state, reason, both languages, contacts with codes."""
    doc = status([contact()], T0 + timedelta(minutes=1)).as_dict()
    assert doc["state"] == "calling_now" and doc["reason"] == "live_contact"
    assert set(doc["message"]) == {"zh", "en"}
    (c,) = doc["contacts"]
    assert c["agent"] == {"name": "李*", "staff_no": "agent-li"}
    assert c["order_id"] == "O0001" and c["reason_text"] == {"zh": "退款", "en": "refund"}
    assert c["agent_reads_code"] == "A-ctc_1" and c["customer_reads_code"] == "C-ctc_1"
    assert doc["incoming"] is None
    none = status([], T0).as_dict()
    assert none["state"] == "none" and none["contacts"] == []
    assert "验证码" in none["message"]["zh"]  # what we never ask for
