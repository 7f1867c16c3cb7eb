"""The victims register and compensation through the real HTTP API, on SQLite and PostgreSQL:
a police list matched through the blind indexes and deduplicated, claims through review,
approval (with 先行赔付), payment and recovery, idempotency keys, the report, roles, bad input
as problem documents, and every change in the audit log."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from shieldwall.core.events import Action
from shieldwall.sim.people import PeopleFactory
from tests.functional.conftest import Store, customer_row

PROBLEM = "application/problem+json"
# GB 11643-1999's own example number; its check digit worked by hand: the weighted sum of the
# first 17 digits (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) is 167, 167 mod 11 = 2, and
# remainder 2 maps to X. No customer in the store holds it.
UNKNOWN_ID = "11010519491231002X"
UNKNOWN_PHONE = "13912345678"  # a valid China Mobile number that no customer has


def _rows(store: Store) -> list[dict[str, Any]]:
    c = store.customers
    return [
        # by phone, national format
        {"phone": c[0].phone.removeprefix("+86"), "name": c[0].name, "loss_fen": 150_000},
        # by ID number in lower case, and the same customer again by order number: a duplicate
        {"national_id": (c[1].national_id or "").lower(), "loss_fen": 80_000},
        {"order_id": "O0002", "loss_fen": 80_000},
        # by customer id
        {"customer_id": c[2].customer_id},
        # nobody in the store: kept as keyed hashes
        {"national_id": UNKNOWN_ID, "name": "张三", "loss_fen": 5_000},
        {"phone": UNKNOWN_PHONE},
    ]


def _import(client: TestClient, store: Store, **extra: Any) -> Any:
    body = {"case_id": "case-7", "source": "police", "rows": _rows(store)} | extra
    return client.post("/v1/victims:import", json=body, headers=store.auth("sec-admin"))


def test_a_police_list_is_matched_deduplicated_and_kept_without_plaintext(
    client: TestClient, store: Store
) -> None:
    """Three customers matched (phone, ID number, customer id), the order-number row reported
    as a duplicate, two unmatched rows registered under keyed hashes; the response echoes no
    phone, name or ID number; a second upload registers nothing new."""
    resp = _import(client, store, trace_ref="release:rel-7")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["committed"] is True
    assert (doc["rows"], doc["registered"], doc["matched"], doc["unmatched"]) == (6, 5, 3, 2)
    assert doc["duplicates"] == [{"row": 3, "duplicate_of": 2}]
    c = store.customers
    by_row = {v["row"]: v["customer_id"] for v in doc["victims"]}
    assert by_row == {
        1: c[0].customer_id,
        2: c[1].customer_id,
        4: c[2].customer_id,
        5: None,
        6: None,
    }
    for secret in (c[0].phone.removeprefix("+86"), c[0].name, UNKNOWN_ID, "张三", UNKNOWN_PHONE):
        assert secret not in resp.text
    again = _import(client, store).json()
    assert again["registered"] == 0
    assert again["already_registered"] == [1, 2, 4, 5, 6]
    listed = client.get("/v1/victims?case_id=case-7", headers=store.auth("agent-li")).json()
    victims = listed["items"]
    assert len(victims) == 5
    assert {v["loss_fen"] for v in victims if v["customer_id"] == c[0].customer_id} == {150_000}
    assert all(v["trace_ref"] == "release:rel-7" and v["source"] == "police" for v in victims)


def test_a_strict_list_with_a_bad_row_registers_nothing(client: TestClient, store: Store) -> None:
    """A wrong check digit (GB 11643: 11010519491231002X's is X, not 1) and an unknown customer
    id reject their rows; strict (the default) registers nothing, partial the rest."""
    bad = [
        {"national_id": "110105194912310021"},
        {"customer_id": "C-NOBODY"},
        {"phone": store.customers[0].phone},
    ]
    body = {"case_id": "case-8", "source": "lawyer", "rows": bad}
    admin = store.auth("sec-admin")
    doc = client.post("/v1/victims:import", json=body, headers=admin).json()
    assert doc["committed"] is False and doc["registered"] == 0
    assert doc["rejected"] == [
        {"row": 1, "field": "rows.0.national_id", "reason": "invalid_national_id"},
        {"row": 2, "field": "customer_id", "reason": "unknown_customer"},
    ]
    assert client.get("/v1/victims?case_id=case-8", headers=admin).json()["items"] == []
    doc = client.post("/v1/victims:import", json=body | {"strict": False}, headers=admin).json()
    assert doc["committed"] is True and doc["registered"] == 1


def test_victim_status_and_contacts_follow_the_state_machine(
    client: TestClient, store: Store
) -> None:
    """reported -> confirmed; a contact that reached a confirmed victim makes them contacted;
    a step the machine forbids is a 409; unknown codes are 422 naming the field."""
    doc = _import(client, store).json()
    vid = doc["victims"][0]["victim_id"]
    agent = store.auth("agent-li")
    skip = client.post(f"/v1/victims/{vid}/status", json={"status": "compensated"}, headers=agent)
    assert skip.status_code == 409 and skip.json()["code"] == "transition_refused"
    ok = client.post(f"/v1/victims/{vid}/status", json={"status": "confirmed"}, headers=agent)
    assert ok.json()["status"] == "confirmed"
    contact = {"channel": "phone", "outcome": "reached"}
    got = client.post(f"/v1/victims/{vid}/contacts", json=contact, headers=agent)
    assert got.status_code == 201, got.text
    assert got.json()["status"] == "contacted"
    assert [(c["channel"], c["outcome"], c["by"]) for c in got.json()["contacts"]] == [
        ("phone", "reached", "agent-li")
    ]
    bad = client.post(
        f"/v1/victims/{vid}/contacts", json={"channel": "fax", "outcome": "reached"}, headers=agent
    )
    assert bad.status_code == 422 and bad.json()["field"] == "channel"
    notes = client.post(
        f"/v1/victims/{vid}/contacts", json=contact | {"note": "called at home"}, headers=agent
    )
    assert notes.status_code == 422  # no free text
    assert client.get("/v1/victims/vic_nope", headers=agent).status_code == 404


def _claim(client: TestClient, store: Store, amount: int, who: int = 0) -> dict[str, Any]:
    body = {
        "case_id": "case-7",
        "customer_id": store.customers[who].customer_id,
        "amount_fen": amount,
        "evidence_ref": "ev-123",
    }
    resp = client.post("/v1/claims", json=body, headers=store.auth("agent-li"))
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def audit_events(store: Store) -> list[dict[str, Any]]:
    """Every entry in the audit log, as logged."""
    with store.services.audit_store.read() as tx:
        return [json.loads(r.body) for r in tx.iter_entries()]


def _key(n: int) -> dict[str, str]:
    return {"Idempotency-Key": f"key-{n:08d}"}


def test_claims_with_advance_payment_payment_recovery_and_report(
    client: TestClient, store: Store
) -> None:
    """Two claims: one approved to expense and paid in two parts, one approved as an advance
    (先行赔付) and paid, then half recovered from the partner. The report and the balances add
    up by hand; the trial balance is zero; the victim became compensated."""
    _import(client, store)
    admin = {**store.auth("sec-admin")}
    a = _claim(client, store, 150_000, 0)
    b = _claim(client, store, 80_000, 1)
    assert a["victim_id"] is not None and a["status"] == "submitted"
    for claim in (a, b):
        r = client.post(f"/v1/claims/{claim['claim_id']}/review", headers=admin)
        assert r.json()["status"] == "under_review"
    r = client.post(
        f"/v1/claims/{a['claim_id']}/approve",
        json={"amount_fen": 120_000},
        headers=admin | _key(1),
    )
    assert r.status_code == 201, r.text
    assert r.json()["posting"]["entries"] == [
        {"account": "compensation_expense", "debit_fen": 120_000, "credit_fen": 0},
        {"account": f"payable:{a['claim_id']}", "debit_fen": 0, "credit_fen": 120_000},
    ]
    r = client.post(
        f"/v1/claims/{b['claim_id']}/approve", json={"advance": True}, headers=admin | _key(2)
    )
    assert r.json()["posting"]["entries"][0] == {
        "account": "recoverable:case-7",
        "debit_fen": 80_000,
        "credit_fen": 0,
    }
    for n, (claim, amount) in enumerate([(a, 100_000), (a, 20_000), (b, 80_000)], start=3):
        r = client.post(
            f"/v1/claims/{claim['claim_id']}/pay",
            json={"amount_fen": amount},
            headers=admin | _key(n),
        )
        assert r.status_code == 201, r.text
    assert r.json()["claim"]["status"] == "paid"
    over = client.post(
        f"/v1/claims/{a['claim_id']}/pay", json={"amount_fen": 1}, headers=admin | _key(9)
    )
    assert over.status_code == 409
    r = client.post(
        "/v1/ledger/recoveries",
        json={"case_id": "case-7", "amount_fen": 50_000},
        headers=admin | _key(10),
    )
    assert r.status_code == 201, r.text
    too_much = client.post(
        "/v1/ledger/recoveries",
        json={"case_id": "case-7", "amount_fen": 30_001},
        headers=admin | _key(11),
    )
    assert too_much.status_code == 409 and too_much.json()["field"] == "amount_fen"

    report = client.get("/v1/claims:report?case_id=case-7", headers=store.auth("analyst-he"))
    assert report.status_code == 200, report.text
    rep = report.json()
    assert (rep["claimed_fen"], rep["approved_fen"], rep["paid_fen"]) == (230_000, 200_000, 200_000)
    assert (rep["advanced_fen"], rep["recovered_fen"], rep["recoverable_fen"]) == (
        80_000,
        50_000,
        30_000,
    )
    assert rep["claims"]["paid"] == 2 and rep["open_claims"] == []
    bal = client.get("/v1/ledger/balances", headers=store.auth("analyst-he")).json()
    # cash: -100000 -20000 -80000 +50000; expense 120000; receivable 80000 - 50000.
    assert bal["balances"] == {
        "cash": -150_000,
        "compensation_expense": 120_000,
        "recoverable:case-7": 30_000,
    }
    assert bal["trial_balance_fen"] == 0
    victim = client.get(f"/v1/victims/{b['victim_id']}", headers=store.auth("agent-li")).json()
    assert victim["status"] == "reported"  # not confirmed yet: the machine did not skip a step
    postings = client.get("/v1/ledger/postings?case_id=case-7", headers=admin).json()["items"]
    assert sorted(p["kind"] for p in postings) == [
        "advance",
        "approval",
        "payment",
        "payment",
        "payment",
        "recovery",
    ]
    newest_first = [(p["created_at"], p["posting_id"]) for p in postings]
    assert newest_first == sorted(newest_first, reverse=True)
    audit = audit_events(store)
    claims_audited = [e["reason"] for e in audit if e["action"] == Action.CLAIM]
    assert claims_audited.count("claim_pay") == 3 and claims_audited.count("claim_approve") == 2
    assert [e["reason"] for e in audit if e["action"] == Action.LEDGER] == ["ledger_recovery"]
    pay = next(e for e in audit if e["reason"] == "claim_pay")
    assert pay["customer_ids"] == [a["customer_id"]] and pay["extra"]["case_id"] == "case-7"


def test_a_paid_claim_makes_a_confirmed_victim_compensated(
    client: TestClient, store: Store
) -> None:
    """Paying a claim in full moves its victim from confirmed to compensated, audited."""
    doc = _import(client, store).json()
    vid = doc["victims"][0]["victim_id"]
    agent, admin = store.auth("agent-li"), store.auth("sec-admin")
    client.post(f"/v1/victims/{vid}/status", json={"status": "confirmed"}, headers=agent)
    claim = _claim(client, store, 10_000, 0)
    client.post(f"/v1/claims/{claim['claim_id']}/review", headers=admin)
    client.post(f"/v1/claims/{claim['claim_id']}/approve", json={}, headers=admin | _key(1))
    paid = client.post(
        f"/v1/claims/{claim['claim_id']}/pay", json={"amount_fen": 10_000}, headers=admin | _key(2)
    )
    assert paid.json()["claim"]["status"] == "paid"
    assert client.get(f"/v1/victims/{vid}", headers=agent).json()["status"] == "compensated"


def test_idempotency_keys_replay_or_conflict(client: TestClient, store: Store) -> None:
    """The same key and body: 200 with the original posting and nothing posted twice; the same
    key with another body: 409; no key: 422 naming the header."""
    admin = store.auth("sec-admin")
    claim = _claim(client, store, 50_000)
    cid = claim["claim_id"]
    client.post(f"/v1/claims/{cid}/review", headers=admin)
    client.post(f"/v1/claims/{cid}/approve", json={}, headers=admin | _key(1))
    first = client.post(
        f"/v1/claims/{cid}/pay", json={"amount_fen": 20_000}, headers=admin | _key(2)
    )
    again = client.post(
        f"/v1/claims/{cid}/pay", json={"amount_fen": 20_000}, headers=admin | _key(2)
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    assert again.json()["posting"] == first.json()["posting"]
    assert again.json()["claim"]["paid_fen"] == 20_000
    other = client.post(
        f"/v1/claims/{cid}/pay", json={"amount_fen": 30_000}, headers=admin | _key(2)
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    approve_again = client.post(f"/v1/claims/{cid}/approve", json={}, headers=admin | _key(1))
    assert approve_again.status_code == 200 and approve_again.json()["replayed"] is True
    missing = client.post(f"/v1/claims/{cid}/pay", json={"amount_fen": 1}, headers=admin)
    assert missing.status_code == 422 and missing.json()["field"] == "Idempotency-Key"
    postings = client.get(f"/v1/ledger/postings?claim_id={cid}", headers=admin).json()
    assert sorted(p["total_fen"] for p in postings["items"]) == [20_000, 50_000]


def test_claim_state_machine_and_separation_of_duties(client: TestClient, store: Store) -> None:
    """Approve before review, pay before approval and review after rejection are 409s; the
    admin who submitted a claim cannot approve it; one open claim per customer and case."""
    admin = store.auth("sec-admin")
    claim = _claim(client, store, 10_000)
    cid = claim["claim_id"]
    early = client.post(f"/v1/claims/{cid}/approve", json={}, headers=admin | _key(1))
    assert early.status_code == 409 and early.json()["code"] == "transition_refused"
    unpaid = client.post(f"/v1/claims/{cid}/pay", json={"amount_fen": 1}, headers=admin | _key(2))
    assert unpaid.status_code == 409
    dup = client.post(
        "/v1/claims",
        json={"case_id": "case-7", "customer_id": claim["customer_id"], "amount_fen": 5},
        headers=store.auth("app"),
    )
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_claim"
    client.post(f"/v1/claims/{cid}/review", headers=admin)
    rejected = client.post(
        f"/v1/claims/{cid}/reject", json={"reason": "insufficient_evidence"}, headers=admin
    )
    assert rejected.json()["status"] == "rejected"
    assert client.post(f"/v1/claims/{cid}/review", headers=admin).status_code == 409
    own = client.post(
        "/v1/claims",
        json={"case_id": "case-9", "customer_id": claim["customer_id"], "amount_fen": 5},
        headers=admin,
    ).json()
    client.post(f"/v1/claims/{own['claim_id']}/review", headers=admin)
    self_approved = client.post(
        f"/v1/claims/{own['claim_id']}/approve", json={}, headers=admin | _key(3)
    )
    assert self_approved.status_code == 409 and self_approved.json()["field"] == "approved_by"


def test_money_is_integer_fen_and_input_is_bounded(client: TestClient, store: Store) -> None:
    """A float, a string, zero, a negative and a huge amount are 422s naming amount_fen; an
    over-approval names amount_fen; unknown customers are 404."""
    agent = store.auth("agent-li")
    base = {"case_id": "case-7", "customer_id": store.customers[0].customer_id}
    for amount in (100.5, 100.0, "100", 0, -5, 10**14, True):
        r = client.post("/v1/claims", json=base | {"amount_fen": amount}, headers=agent)
        assert r.status_code == 422, (amount, r.text)
        assert r.headers["content-type"] == PROBLEM and r.json()["field"] == "amount_fen"
    r = client.post(
        "/v1/claims", json=base | {"customer_id": "C-NOBODY", "amount_fen": 5}, headers=agent
    )
    assert r.status_code == 404 and r.json()["field"] == "customer_id"
    r = client.post(
        "/v1/claims", json=base | {"case_id": "bad case", "amount_fen": 5}, headers=agent
    )
    assert r.status_code == 422 and r.json()["field"] == "case_id"
    claim = _claim(client, store, 1_000)
    admin = store.auth("sec-admin")
    client.post(f"/v1/claims/{claim['claim_id']}/review", headers=admin)
    over = client.post(
        f"/v1/claims/{claim['claim_id']}/approve",
        json={"amount_fen": 1_001},
        headers=admin | _key(1),
    )
    assert over.status_code == 422 and over.json()["field"] == "amount_fen"
    rows = [{"phone": "1"}] * 10_001
    big = client.post(
        "/v1/victims:import", json={"case_id": "c", "source": "police", "rows": rows}, headers=admin
    )
    assert big.status_code in (413, 422)
    bad_source = client.post(
        "/v1/victims:import",
        json={"case_id": "c", "source": "rumour", "rows": [{"phone": "13912345678"}]},
        headers=admin,
    )
    assert bad_source.status_code == 422 and bad_source.json()["field"] == "source"


def test_roles(client: TestClient, store: Store) -> None:
    """Lists and decisions are for admins, the register for admins and agents, the ledger for
    admins and analysts; no key is 401."""
    body = {"case_id": "c", "source": "police", "rows": [{"phone": "13912345678"}]}
    assert client.post("/v1/victims:import", json=body).status_code == 401
    for who in ("agent-li", "analyst-he", "partner-sf", "app", "courier-wang"):
        r = client.post("/v1/victims:import", json=body, headers=store.auth(who))
        assert r.status_code == 403, who
    for who in ("analyst-he", "partner-sf", "app"):
        assert client.get("/v1/victims", headers=store.auth(who)).status_code == 403, who
    for who in ("agent-li", "partner-sf", "app"):
        assert client.get("/v1/ledger/balances", headers=store.auth(who)).status_code == 403, who
    claim = _claim(client, store, 100)
    r = client.post(f"/v1/claims/{claim['claim_id']}/review", headers=store.auth("agent-li"))
    assert r.status_code == 403
    r = client.post(
        "/v1/ledger/recoveries",
        json={"case_id": "c", "amount_fen": 1},
        headers=store.auth("analyst-he") | _key(1),
    )
    assert r.status_code == 403


def _upload(
    client: TestClient,
    store: Store,
    csv_text: str | bytes,
    who: str = "sec-admin",
    **fields: str,
) -> Any:
    data = {"case_id": "case-up", "source": "customer"} | fields
    content = csv_text.encode() if isinstance(csv_text, str) else csv_text
    return client.post(
        "/v1/victims:upload",
        data=data,
        files={"file": ("victims.csv", content, "text/csv")},
        headers=store.auth(who),
    )


def test_a_victims_csv_uploaded_as_a_form_is_matched(client: TestClient, store: Store) -> None:
    """A CSV sent as multipart/form-data: a phone in national format and a customer id match,
    an ID number nobody holds is kept unmatched; the answer echoes no phone or ID number."""
    c = store.customers
    text = (
        "phone,customer_id,national_id,loss_yuan\n"
        f"{c[0].phone.removeprefix('+86')},,,1500\n"
        f",{c[2].customer_id},,\n"
        f",,{UNKNOWN_ID},50.5\n"
    )
    resp = _upload(client, store, text)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert (doc["rows"], doc["registered"], doc["matched"], doc["unmatched"]) == (3, 3, 2, 1)
    by_row = {v["row"]: v["customer_id"] for v in doc["victims"]}
    assert by_row == {2: c[0].customer_id, 3: c[2].customer_id, 4: None}  # file lines
    for secret in (c[0].phone.removeprefix("+86"), UNKNOWN_ID):
        assert secret not in resp.text
    listed = client.get("/v1/victims?case_id=case-up", headers=store.auth("agent-li")).json()
    losses = {v["customer_id"]: v["loss_fen"] for v in listed["items"]}
    assert losses[c[0].customer_id] == 150_000 and losses[None] == 5_050


def test_a_bad_victims_csv_is_a_problem_naming_the_line(client: TestClient, store: Store) -> None:
    """Malformed CSV (an unclosed quote on line 3), a refused row (GB 11643 check digit wrong,
    line 3) in a strict upload, a missing field, a body that is no form, an unknown form field:
    422 problem documents naming the field and the line, and nothing registered. ``partial``
    registers the good row and lists the refused one."""
    good = store.customers[0].phone
    cases = [
        (_upload(client, store, f'phone\n{good}\n"139\n'), "file", "line 3"),
        (
            _upload(client, store, f"national_id\n{UNKNOWN_ID}\n110105194912310021\n"),
            "file",
            "line 3",
        ),
        (
            client.post(
                "/v1/victims:upload",
                data={"source": "customer"},
                files={"file": ("v.csv", b"phone\n", "text/csv")},
                headers=store.auth("sec-admin"),
            ),
            "case_id",
            "required",
        ),
        (
            client.post(
                "/v1/victims:upload",
                json={"case_id": "case-up"},
                headers=store.auth("sec-admin"),
            ),
            "content-type",
            "multipart",
        ),
        (_upload(client, store, "phone\n", colour="red"), "colour", "unknown"),
    ]
    for resp, field, words in cases:
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == PROBLEM
        assert resp.json()["field"] == field and words in resp.json()["detail"], resp.json()
    listed = client.get("/v1/victims?case_id=case-up", headers=store.auth("agent-li")).json()
    assert listed["items"] == []
    text = f"national_id\n{UNKNOWN_ID}\n110105194912310021\n"
    doc = _upload(client, store, text, partial="true").json()
    assert doc["registered"] == 1 and [p["row"] for p in doc["rejected"]] == [3]


def test_a_victims_upload_is_bounded_and_for_admins(client: TestClient, store: Store) -> None:
    """A body well over the register's 8 MiB bound is refused while it streams in (413); a
    file just over it passes the body bound and the CSV reader refuses it (422); an agent may
    not upload."""
    from shieldwall.respond.victims import MAX_BYTES

    big = b"phone\n" + b"13912345678\n" * ((MAX_BYTES + 128 * 1024) // 12)
    resp = _upload(client, store, big)  # beyond the body bound: refused as it streams in
    assert resp.status_code == 413 and resp.headers["content-type"] == PROBLEM
    just_over = b"phone\n" + b"1" * (MAX_BYTES - 6) + b"\n"
    resp = _upload(client, store, just_over)
    assert resp.status_code == 422 and "larger than" in resp.json()["detail"]
    assert _upload(client, store, "phone\n", who="agent-li").status_code == 403


def test_a_customer_import_matches_the_victims_kept_unmatched(
    client: TestClient, store: Store
) -> None:
    """Victims named by a phone and by an ID number nobody held are kept unmatched; once the
    store imports those customers (``POST /v1/customers:import``), the register links them
    to the new customer ids, drops the keyed hashes, and logs the re-match."""
    late = [
        {**customer_row(c), "customer_id": f"C-LATE-{n}"}
        for n, c in enumerate(PeopleFactory(4242).customers(2))
    ]
    body = {
        "case_id": "case-late",
        "source": "police",
        "rows": [{"phone": late[0]["phone"]}, {"national_id": late[1]["national_id"]}],
    }
    admin = store.auth("sec-admin")
    doc = client.post("/v1/victims:import", json=body, headers=admin).json()
    assert (doc["registered"], doc["matched"]) == (2, 0)
    imported = client.post("/v1/customers:import", json={"customers": late}, headers=admin)
    assert imported.status_code == 200 and imported.json()["imported"] == 2, imported.text
    listed = client.get("/v1/victims?case_id=case-late", headers=store.auth("agent-li")).json()
    assert sorted(v["customer_id"] for v in listed["items"]) == ["C-LATE-0", "C-LATE-1"]
    assert all(v["matched"] for v in listed["items"])
    rematched = [e for e in audit_events(store) if e["reason"] == "victim_rematch"]
    assert len(rematched) == 1
    assert sorted(rematched[0]["customer_ids"]) == ["C-LATE-0", "C-LATE-1"]
