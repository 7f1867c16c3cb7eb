"""The ledger over a real database (SQLite and PostgreSQL): who may register what, codes both
ways with their limits, status windows and concurrent agents."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from shieldwall.contact.ledger.errors import Conflict, Forbidden, InvalidInput, NotFound
from shieldwall.contact.ledger.model import Verification
from shieldwall.core.clock import ManualClock
from shieldwall.custody.audit_events import OPERATOR
from shieldwall.storage.tables.contact_ledger import contact_ledger
from tests.unit.contact.ledger.conftest import Env


def customer_code(env: Env, contact_id: str) -> str:
    """The code the app shows the customer (what they would read out)."""
    doc = env.ledger.status(env.ledger.get(env.app, contact_id)[0].customer_id).as_dict()
    return next(c["customer_reads_code"] for c in doc["contacts"] if c["contact_id"] == contact_id)


def test_agent_registers_as_themselves_only(env: Env) -> None:
    """An agent registers their own call; naming another agent is refused."""
    cid = env.customers[0].customer_id
    done = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund", order_id="O0001"
    )
    c = done.contact
    assert (c.agent_id, c.agent_name, c.via, c.verification) == (
        "agent-li",
        "李*",
        "950618",
        Verification.AGENT_READS,
    )
    assert done.agent_code is not None and len(done.agent_code) == 6
    with pytest.raises(Forbidden):
        env.ledger.register(
            env.li,
            customer_id=cid,
            channel="call",
            via="950618",
            reason="refund",
            agent_id="agent-wu",
        )


def test_a_contact_needs_the_agents_open_ticket(env: Env, clock: ManualClock) -> None:
    """No open ticket, a closed one or an expired one: refused, whoever registers; a setting
    turns the rule off."""
    custody = env.services.custody
    zhou, _ = custody.principals.add("agent-zhou", "agent", unit="cs-3")
    cid = env.customers[0].customer_id
    call = {"customer_id": cid, "channel": "call", "via": "950618", "reason": "refund"}
    for actor, extra in ((zhou, {}), (env.app, {"agent_id": "agent-zhou"})):
        with pytest.raises(Forbidden) as denied:
            env.ledger.register(actor, **call, **extra)  # type: ignore[arg-type]
        assert denied.value.reasons == ("no_ticket",)
    ticket = custody.relations.open_ticket("agent-zhou", cid)
    assert env.ledger.register(zhou, **call).contact.agent_id == "agent-zhou"  # type: ignore[arg-type]
    custody.relations.close_ticket(ticket.ticket_id)
    with pytest.raises(Forbidden):
        env.ledger.register(zhou, **call)  # type: ignore[arg-type]
    custody.relations.open_ticket("agent-zhou", cid)
    clock.advance(timedelta(hours=env.services.settings.custody.ticket_ttl_hours + 1))
    with pytest.raises(Forbidden):
        env.ledger.register(zhou, **call)  # type: ignore[arg-type]
    env.ledger.settings = env.ledger.settings.model_copy(update={"require_ticket": False})
    assert env.ledger.register(zhou, **call).contact.customer_id == cid  # type: ignore[arg-type]


def test_service_names_an_active_agent(env: Env) -> None:
    """The service must name the agent, and it must be an agent."""
    cid = env.customers[0].customer_id
    done = env.ledger.register(
        env.app,
        customer_id=cid,
        channel="call",
        via="01056320007",
        reason="delivery",
        agent_id="agent-wu",
    )
    assert done.contact.agent_id == "agent-wu" and done.contact.created_by == "app"
    assert done.contact.agent_name == "W* F***"
    for agent_id, field in (
        (None, "agent_id"),
        ("nobody", "agent_id"),
        ("courier-wang", "agent_id"),
    ):
        with pytest.raises(InvalidInput) as err:
            env.ledger.register(
                env.app,
                customer_id=cid,
                channel="call",
                via="950618",
                reason="refund",
                agent_id=agent_id,
            )
        assert err.value.field == field
    with pytest.raises(Forbidden):
        env.ledger.register(
            env.courier, customer_id=cid, channel="call", via="950618", reason="refund"
        )
    with pytest.raises(Forbidden):
        env.ledger.register(
            OPERATOR, customer_id=cid, channel="call", via="950618", reason="refund"
        )


VIA_CASES = [
    ("call", "13812345678", "via", "not one of the store's official numbers"),
    ("call", "010 5633 0001", "via", "not one of the store's official numbers"),
    ("call", "1069 0000 1234", "via", "registered as sms_sender"),
    ("call", "kefu@shop.example.cn", "via", "must be a number"),
    ("sms", "13812345678", "via", "not one of the store's official numbers"),
    ("email", "950618", "via", "e-mail address"),
    ("email", "kefu@evil.example.com", "via", "not one of the store's official numbers"),
    ("call", None, "via", "is required"),
    ("chat", "950618", "via", "in the app"),
    ("call", "95O618", "via", "must be a phone number or short code"),
    ("call", "95-61-8888-8888-8888-8888", "via", "not a phone number"),
    ("fax", "950618", "channel", "must be one of"),
]


def test_contacts_must_use_an_official_number_fit_for_the_channel(env: Env) -> None:
    """Unofficial, unfit or malformed numbers are refused naming the field; nothing is written."""
    for channel, via, field, why in VIA_CASES:
        with pytest.raises(InvalidInput) as err:
            env.ledger.register(
                env.li,
                customer_id=env.customers[0].customer_id,
                channel=channel,
                via=via,
                reason="refund",
            )
        assert err.value.field == field and why in err.value.reason, (channel, via)
    with env.services.engine.connect() as conn:
        assert conn.execute(select(contact_ledger)).first() is None


def test_other_bad_input_is_named(env: Env) -> None:
    """Unknown customer, another customer's order, unknown reason, codes on an SMS."""
    cid = env.customers[0].customer_id
    base = {"customer_id": cid, "channel": "call", "via": "950618", "reason": "refund"}
    cases = [
        ({"customer_id": "C999999"}, "customer_id"),
        ({"customer_id": "C 1"}, "customer_id"),
        ({"order_id": "O0002"}, "order_id"),  # belongs to the second customer
        ({"order_id": "O9999"}, "order_id"),
        ({"reason": "lottery"}, "reason"),
        ({"verification": "sometimes"}, "verification"),
        ({"channel": "sms", "via": "1069 0000 1234", "verification": "both"}, "verification"),
    ]
    for change, field in cases:
        with pytest.raises(InvalidInput) as err:
            env.ledger.register(env.li, **(base | change))  # type: ignore[arg-type]
        assert err.value.field == field, change


def test_every_channel_registers(env: Env) -> None:
    """An SMS from a sender number, an e-mail from a registered domain, a chat in the app."""
    cid = env.customers[1].customer_id
    sms = env.ledger.register(
        env.li, customer_id=cid, channel="sms", via="106900001234", reason="delivery"
    )
    mail = env.ledger.register(
        env.li,
        customer_id=cid,
        channel="email",
        via="Service@Mail.Shop.Example.CN",
        reason="return",
    )
    chat = env.ledger.register(env.li, customer_id=cid, channel="chat", reason="after_sales")
    assert sms.contact.verification is Verification.NONE and sms.agent_code is None
    assert mail.contact.via == "service@mail.shop.example.cn"
    assert chat.contact.via == "app" and chat.agent_code is not None
    st = env.ledger.status(cid)
    assert st.state == "calling_now" and len(st.contacts) == 3


def test_end_is_for_the_owner_and_is_idempotent(env: Env, clock: ManualClock) -> None:
    """Only the agent or the service ends a call; twice is harmless; messages have no end."""
    cid = env.customers[0].customer_id
    c = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund"
    ).contact
    with pytest.raises(Forbidden):
        env.ledger.end(env.wu, c.contact_id)
    clock.advance(120)
    ended = env.ledger.end(env.li, c.contact_id)
    assert ended.ended_at == clock.now()
    clock.advance(5)
    assert env.ledger.end(env.app, c.contact_id).ended_at == ended.ended_at
    assert env.ledger.status(cid).state == "recent"
    sms = env.ledger.register(
        env.li, customer_id=cid, channel="sms", via="106900001234", reason="delivery"
    )
    with pytest.raises(Conflict):
        env.ledger.end(env.li, sms.contact.contact_id)
    with pytest.raises(NotFound):
        env.ledger.end(env.li, "ctc_nope")


def test_agent_reads_code_is_what_the_app_shows(env: Env) -> None:
    """The code the agent's desk gets is the code the customer's app shows."""
    cid = env.customers[0].customer_id
    done = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund"
    )
    (view,) = env.ledger.status(cid).contacts
    assert view.agent_code == done.agent_code
    assert env.ledger.get(env.li, done.contact.contact_id)[1] == done.agent_code
    with pytest.raises(Forbidden):
        env.ledger.get(env.wu, done.contact.contact_id)


def test_customer_reads_code_verifies_once(env: Env) -> None:
    """The right code verifies; then it is spent. The agent never receives it from the ledger."""
    cid = env.customers[0].customer_id
    done = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund", verification="both"
    )
    code = customer_code(env, done.contact.contact_id)
    assert code not in (done.agent_code, None)
    ok = env.ledger.verify(env.li, done.contact.contact_id, code)
    assert (ok.verified, ok.reason, ok.attempts_left) == (True, "verified", 4)
    again = env.ledger.verify(env.li, done.contact.contact_id, code)
    assert (again.verified, again.reason) == (False, "code_used")
    assert env.ledger.status(cid).contacts[0].customer_code is None


def test_wrong_codes_run_out(env: Env) -> None:
    """Each wrong code costs one attempt; after five even the right code fails."""
    cid = env.customers[0].customer_id
    c = env.ledger.register(
        env.li,
        customer_id=cid,
        channel="call",
        via="950618",
        reason="refund",
        verification="customer_reads",
    ).contact
    right = customer_code(env, c.contact_id)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    lefts = [env.ledger.verify(env.li, c.contact_id, wrong) for _ in range(5)]
    assert [(r.verified, r.reason, r.attempts_left) for r in lefts] == [
        (False, "wrong_code", n) for n in (4, 3, 2, 1, 0)
    ]
    final = env.ledger.verify(env.li, c.contact_id, right)
    assert (final.verified, final.reason) == (False, "attempts_exhausted")


def test_malformed_codes_cost_nothing_and_no_code_is_a_conflict(env: Env) -> None:
    """Malformed codes cost no attempt; a contact without a customer code cannot be verified."""
    cid = env.customers[0].customer_id
    c = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund", verification="both"
    ).contact
    for bad in ("12ab56", "12345", ""):
        with pytest.raises(InvalidInput) as err:
            env.ledger.verify(env.li, c.contact_id, bad)
        assert err.value.field == "code"
    assert (
        env.ledger.verify(env.li, c.contact_id, customer_code(env, c.contact_id)).attempts_left == 4
    )
    plain = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund"
    )
    with pytest.raises(Conflict):
        env.ledger.verify(env.li, plain.contact.contact_id, "123456")
    with pytest.raises(Forbidden):
        env.ledger.verify(env.wu, c.contact_id, "123456")


def test_codes_expire_with_the_contact(env: Env, clock: ManualClock) -> None:
    """After the call ends (or runs past its maximum) the code is expired."""
    cid = env.customers[0].customer_id
    c = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund", verification="both"
    ).contact
    code = customer_code(env, c.contact_id)
    clock.advance(timedelta(minutes=60))
    result = env.ledger.verify(env.li, c.contact_id, code)
    assert (result.verified, result.reason) == (False, "expired")
    d = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund", verification="both"
    ).contact
    code = customer_code(env, d.contact_id)
    env.ledger.end(env.li, d.contact_id)
    assert env.ledger.verify(env.li, d.contact_id, code).reason == "expired"


def test_codes_are_not_stored(env: Env) -> None:
    """The database holds a salt, never the codes the app shows."""
    cid = env.customers[0].customer_id
    done = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund", verification="both"
    )
    code = customer_code(env, done.contact.contact_id)
    with env.services.engine.connect() as conn:
        row = conn.execute(select(contact_ledger)).one()._mapping
    flat = " ".join(str(v) for v in row.values())
    assert done.agent_code not in flat and code not in flat
    assert len(row["code_salt"]) == 16


def test_concurrent_guesses_never_exceed_the_limit(env: Env) -> None:
    """Eight threads guessing at once get five attempts between them, not more."""
    cid = env.customers[0].customer_id
    c = env.ledger.register(
        env.li,
        customer_id=cid,
        channel="call",
        via="950618",
        reason="refund",
        verification="customer_reads",
    ).contact
    right = customer_code(env, c.contact_id)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    results = []
    lock = threading.Lock()

    def guess() -> None:
        r = env.ledger.verify(env.app, c.contact_id, wrong)
        with lock:
            results.append(r.reason)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["attempts_exhausted"] * 3 + ["wrong_code"] * 5
    with env.services.engine.connect() as conn:
        assert conn.execute(select(contact_ledger.c.code_attempts)).scalar() == 5


def test_two_agents_call_one_customer_at_the_same_moment(env: Env, clock: ManualClock) -> None:
    """Two racing registrations both land and show, each with its number; one ends, one stays."""
    cid = env.customers[2].customer_id
    done = {}

    def call(agent, via):  # type: ignore[no-untyped-def]
        done[agent.principal_id] = env.ledger.register(
            agent, customer_id=cid, channel="call", via=via, reason="delivery"
        )

    threads = [
        threading.Thread(target=call, args=(env.li, "950618")),
        threading.Thread(target=call, args=(env.wu, "010-5632-0001")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    st = env.ledger.status(cid)
    assert st.state == "calling_now"
    assert {v.contact.agent_id for v in st.contacts} == {"agent-li", "agent-wu"}
    assert {v.agent_code for v in st.contacts} == {d.agent_code for d in done.values()}
    li_call = env.ledger.status(cid, incoming="950618")
    assert li_call.state == "calling_now" and li_call.contacts[0].contact.agent_id == "agent-li"
    wu_call = env.ledger.status(cid, incoming="+86 10 5632 0001")
    assert wu_call.state == "calling_now" and wu_call.contacts[0].contact.agent_id == "agent-wu"
    clock.advance(30)
    env.ledger.end(env.li, done["agent-li"].contact.contact_id)
    clock.advance(1)
    assert env.ledger.status(cid, incoming="950618").state == "not_us"
    assert env.ledger.status(cid, incoming="01056320001").state == "calling_now"


def test_status_windows_over_the_database(env: Env, clock: ManualClock) -> None:
    """Live, recent for 72 h, then none; hidden and foreign numbers are not us; bad input named."""
    cid = env.customers[3].customer_id
    assert env.ledger.status(cid).state == "none"
    c = env.ledger.register(
        env.li, customer_id=cid, channel="call", via="950618", reason="refund"
    ).contact
    assert env.ledger.status(cid, incoming="hidden").reason == "hidden_number"
    assert env.ledger.status(cid, incoming="+44 20 7946 0018").reason == "number_not_official"
    clock.advance(timedelta(minutes=3))
    env.ledger.end(env.li, c.contact_id)
    clock.advance(timedelta(hours=71, minutes=59))
    assert env.ledger.status(cid).state == "recent"
    clock.advance(timedelta(minutes=1))
    assert env.ledger.status(cid).state == "none"
    with pytest.raises(InvalidInput) as err:
        env.ledger.status(cid, incoming="not a number")
    assert err.value.field == "incoming"
    with pytest.raises(InvalidInput) as err:
        env.ledger.status("C 1")
    assert err.value.field == "subject"


def test_registry_rules(env: Env) -> None:
    """Only admins register; duplicates conflict; public suffixes and unfit forms are refused."""
    reg = env.services.contact_ledger.numbers
    with pytest.raises(Forbidden):
        reg.add(env.app, "95618", "hotline")
    with pytest.raises(Conflict):
        reg.add(OPERATOR, "+86 950618", "hotline")
    cases = [
        ("com.cn", "email_domain", "public suffix"),
        ("kefu@shop.example.cn", "email_domain", "domain, not an address"),
        ("shop.example.cn", "hotline", "cannot be registered as hotline"),
        ("JDCOM", "outbound", "cannot be registered as outbound"),
        ("95618", "pager", "must be one of"),
        ("010-XXXX-XXXX", "outbound", "at most 4"),
    ]
    for number, kind, why in cases:
        with pytest.raises(InvalidInput, match=why):
            reg.add(OPERATOR, number, kind)
    entry = reg.add(OPERATOR, "JDCOM", "sms_sender", "  alphanumeric   id ")
    assert entry.label == "alphanumeric id"
    assert reg.check("jdcom").official
    assert [e.value for e in reg.list()][:2] == ["+86105632XXXX", "106900001234"]


def test_registration_is_audited(env: Env) -> None:
    """Who registered which contact is in the tamper-evident audit log, with ids only."""
    cid = env.customers[0].customer_id
    done = env.ledger.register(
        env.app,
        customer_id=cid,
        agent_id="agent-li",
        channel="call",
        via="950618",
        reason="refund",
        order_id="O0001",
    )
    audit = env.services.audit
    entry = audit.entry(audit.size() - 1).event
    assert (entry.action.value, entry.actor, entry.role, entry.reason) == (
        "contact",
        "app",
        "service",
        "contact_registered",
    )
    assert entry.customer_ids == (cid,) and entry.order_ids == ("O0001",)
    assert entry.extra["contact_id"] == done.contact.contact_id
    assert entry.extra["agent_id"] == "agent-li" and entry.extra["via"] == "950618"
    assert done.agent_code not in str(entry.to_dict())
    assert env.customers[0].phone not in str(entry.to_dict())
