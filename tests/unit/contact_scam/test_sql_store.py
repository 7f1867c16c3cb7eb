"""The SQL store behind the report service, on SQLite and PostgreSQL; encryption at rest."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from shieldwall.config import Settings
from shieldwall.contact.scam.memory import MemoryScamStore
from shieldwall.contact.scam.ports import ScamStore
from shieldwall.contact.scam.reports import ReportInput, ScamReports
from shieldwall.core.clock import ManualClock
from shieldwall.custody.errors import InvalidCiphertext
from shieldwall.storage.contact_scam_repo import SqlScamStore
from shieldwall.storage.tables.contact_scam import scam_reports
from shieldwall.wiring import Services, build, initialize
from tests.unit.contact_scam.conftest import T0, FakeCustomers, ServiceFactory

SECRET_TEXT = (
    "张伟先生您好,您住在北京市海淀区中关村大街27号,订单号 202603019999 退款请加QQ 31415926"
)
CARD = "6222021234567890128"


def scenario(svc: ScamReports) -> dict[str, str]:
    """The same sequence on every store: join, near-duplicate, bridge-merge, victims."""

    def put(text: str, minutes: int, **kw: object) -> str:
        out = svc.submit(
            ReportInput("call", T0 + timedelta(minutes=minutes), text, **kw),  # type: ignore[arg-type]
            reporter_kind="agent",
            reporter_id="agent-li",
        )
        return out.campaign_id

    ids = {
        "a": put(SECRET_TEXT, 0, customer_id="C1", sender="13912345678"),
        "b": put("回电 13912345678 办理退款", 5, customer_id="C2"),
        "c": put("加微信 kf_sql_01 领取理赔", 10, victim_phone="13800001111"),
        "d": put("QQ 31415926 或微信 kf_sql_01", 15, customer_id="C3"),
        "e": put(f"转到安全账户 {CARD}", 20),
    }
    return ids


def check(svc: ScamReports, ids: dict[str, str]) -> None:
    assert ids["a"] == ids["b"] == ids["d"]
    assert ids["e"] != ids["a"]
    merged = svc.campaign(ids["c"])  # c was merged into a's campaign by d
    assert merged.campaign_id == ids["a"] and merged.size == 4
    victims = svc.victims(ids["a"])
    assert [(v.customer_id, v.first_contact_at) for v in victims] == [
        ("C1", T0),
        ("C2", T0 + timedelta(minutes=5)),
        ("C9", T0 + timedelta(minutes=10)),
        ("C3", T0 + timedelta(minutes=15)),
    ]
    assert "address" in victims[0].knew and "name" in victims[0].knew
    listed = svc.campaigns().items
    assert [c.campaign_id for c in listed] == [ids["e"], ids["a"]]
    strong = {(i.kind, i.value) for i in listed[1].indicators if i.strong}
    assert {("qq", "31415926"), ("wechat", "kf_sql_01"), ("phone", "+8613912345678")} <= strong


@pytest.fixture
def sql_service(services: Services, make_service: ServiceFactory) -> ScamReports:
    return make_service(
        SqlScamStore(services.engine), customers=FakeCustomers({"+8613800001111": ["C9"]})
    )


def test_sql_store_clusters_like_the_memory_store(
    sql_service: ScamReports, make_service: ServiceFactory
) -> None:
    """The scenario gives the same campaigns on SQL (SQLite, PostgreSQL) and in memory."""
    check(sql_service, scenario(sql_service))
    memory = make_service(MemoryScamStore(), customers=FakeCustomers({"+8613800001111": ["C9"]}))
    check(memory, scenario(memory))


def test_wired_service_round_trips(services: Services) -> None:
    """The service built by wiring stores, clusters and decrypts its own reports."""
    svc = services.scam
    out = svc.submit(
        ReportInput("sms", T0, SECRET_TEXT, customer_id="C1"),
        reporter_kind="customer",
        reporter_id="app",
    )
    assert svc.report_body(out.report_id).text == SECRET_TEXT
    assert svc.campaign(out.campaign_id).size == 1


def test_ciphertext_is_bound_to_its_report(services: Services) -> None:
    """A body copied onto another report's row fails authentication (AD binds the report id)."""
    svc = services.scam
    a = svc.submit(ReportInput("sms", T0, "加QQ 11111111"), reporter_kind="agent", reporter_id="x")
    b = svc.submit(ReportInput("sms", T0, "加QQ 22222222"), reporter_kind="agent", reporter_id="x")
    with services.engine.begin() as conn:
        body = (
            conn.execute(scam_reports.select().where(scam_reports.c.report_id == a.report_id))
            .one()
            .body_ct
        )
        conn.execute(
            scam_reports.update()
            .where(scam_reports.c.report_id == b.report_id)
            .values(body_ct=body)
        )
    with pytest.raises(InvalidCiphertext):
        svc.report_body(b.report_id)


def test_report_text_is_encrypted_at_rest(sqlite_settings: Settings, clock: ManualClock) -> None:
    """Grep the SQLite files' bytes: no report text, name, address or card number in clear."""
    initialize(sqlite_settings, clock)
    svc = build(sqlite_settings, clock)
    try:
        for i in range(3):
            svc.scam.submit(
                ReportInput("call", T0, f"{SECRET_TEXT} 卡号 {CARD} #{i}", customer_id=f"C{i}"),
                reporter_kind="agent",
                reporter_id="agent-li",
            )
        assert svc.scam.campaigns().items[0].size == 3  # stored and clustered (shared QQ)
    finally:
        svc.close()
    files = [p for p in Path(sqlite_settings.home).iterdir() if p.name.startswith("shieldwall.db")]
    blob = b"".join(p.read_bytes() for p in files)
    assert blob, files
    for secret in ("张伟", "中关村大街", "海淀区", CARD, "202603019999", "退款请加"):
        assert secret.encode() not in blob, secret
        assert secret.encode("utf-16-le") not in blob, secret
    # The QQ number clustered the three reports through its keyed hash; it is sealed at rest.
    assert b"31415926" not in blob


def test_concurrent_submissions_agree(services: Services, make_service: ServiceFactory) -> None:
    """Reports sharing one indicator, submitted from several threads, end in one campaign."""
    svc = make_service(SqlScamStore(services.engine))
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for k in range(4):
                svc.submit(
                    ReportInput("sms", T0, f"加QQ 27182818 办理 {n}-{k}"),
                    reporter_kind="agent",
                    reporter_id="x",
                )
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    campaigns = svc.campaigns().items
    assert len(campaigns) == 1 and campaigns[0].size == 16


def test_store_protocol_conformance(services: Services) -> None:
    """The SQL store satisfies the ScamStore protocol (checked statically and at runtime)."""
    store: ScamStore = SqlScamStore(services.engine)
    with store.read() as tx:
        assert tx.count_reports() == 0
        assert tx.campaigns_with_indicators([b"\x00" * 16]) == {}
        assert tx.reports_in_bands([]) == []
