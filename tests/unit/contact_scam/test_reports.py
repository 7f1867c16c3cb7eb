"""The report service over the in-memory store: clustering, victims, validation, atomicity."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from shieldwall.contact.scam.errors import (
    CampaignNotFound,
    ReportNotFound,
    ReportRejected,
    TextTooLong,
)
from shieldwall.contact.scam.memory import MemoryScamStore, MemoryScamTx
from shieldwall.contact.scam.reports import ReportInput, ScamReports
from tests.unit.contact_scam.conftest import (
    T0,
    FakeCustomers,
    FakeJudge,
    FakeNumbers,
    ServiceFactory,
)

PARCEL = (
    "您好{name},我是商城售后,您购买的{item}在运输中丢失了,平台给您三倍赔偿,请您{how}办理,名额有限."
)


def parcel(name: str, item: str, how: str) -> str:
    return PARCEL.format(name=name, item=item, how=how)


def submit(svc: ScamReports, text: str, *, minutes: int = 0, **kw: object) -> object:
    fields = {"channel": "call", "received_at": T0 + timedelta(minutes=minutes), "text": text}
    fields.update(kw)
    return svc.submit(ReportInput(**fields), reporter_kind="agent", reporter_id="agent-li")  # type: ignore[arg-type]


def test_shared_callback_number_joins_different_scripts(make_service: ServiceFactory) -> None:
    """Two unrelated scripts from the same callback number are one campaign."""
    svc = make_service()
    a = submit(svc, "您的会员将每月扣费,回电13912345678取消", customer_id="C1")
    b = submit(
        svc, "Your parcel was lost, call back on +86 139 1234 5678 for a refund", customer_id="C2"
    )
    assert b.campaign_id == a.campaign_id and not b.new_campaign and b.campaign_size == 2
    assert [(r.reason, r.kind, r.value) for r in b.joined_by] == [
        ("shared_indicator", "phone", "+8613912345678")
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("加QQ 12345678 办理退款", "请添加扣扣:12345678"),
        ("加微信kf_service88", "VX: kf_service88 理赔"),
        ("点击 http://shieldmart-refund.top/a 填写", "访问 shieldmart-refund[.]top 领取"),
        ("转到安全账户6222021234567890128", "对公账户 6222 0212 3456 7890 128"),
        ("输入会议号 123 456 789", "腾讯会议 会议号:123456789"),
    ],
)
def test_each_strong_indicator_joins(make_service: ServiceFactory, first: str, second: str) -> None:
    """Same QQ, WeChat, domain, mule card or meeting room: one campaign."""
    svc = make_service()
    assert submit(svc, first).campaign_id == submit(svc, second).campaign_id


def test_near_identical_script_joins_without_indicators(make_service: ServiceFactory) -> None:
    """The same script with another victim's name and item joins by MinHash alone."""
    svc = make_service()
    a = submit(svc, parcel("张先生", "美的电饭煲", "下载一个会议软件"))
    b = submit(svc, parcel("李女士", "戴森吹风机", "下载一个会议软件"), minutes=5)
    assert b.campaign_id == a.campaign_id
    assert not [i for i in b.indicators if i.strong]
    (reason,) = b.joined_by
    assert reason.reason == "near_duplicate_script" and reason.report_id == a.report_id
    assert reason.similarity is not None and reason.similarity >= 0.5


def test_unrelated_reports_stay_apart(make_service: ServiceFactory) -> None:
    """Different scripts sharing only weak things (an app, a 95xxx spoof, an amount) do not join."""
    svc = make_service()
    a = submit(svc, "下载向日葵,我帮您关闭会员,先转账300元", sender="95588")
    b = submit(svc, "Install AnyDesk and read me the code, the fee is 300元", sender="95588")
    c = submit(svc, "您的快递丢了,给您赔偿300元,请提供银行卡号", sender="95588")
    assert len({a.campaign_id, b.campaign_id, c.campaign_id}) == 3


def test_bridging_report_merges_campaigns_into_the_oldest(make_service: ServiceFactory) -> None:
    """A report holding indicators of two campaigns merges them; the oldest id survives."""
    svc = make_service()
    a = submit(svc, "加QQ 11112222", minutes=0, customer_id="C1")
    b = submit(svc, "加微信kf_bridge_01", minutes=10, customer_id="C2")
    c = submit(svc, "QQ 11112222 或 微信kf_bridge_01", minutes=20, customer_id="C3")
    assert c.campaign_id == a.campaign_id and c.merged == (b.campaign_id,)
    merged = svc.campaign(b.campaign_id)  # the old id still resolves
    assert merged.campaign_id == a.campaign_id and merged.size == 3
    assert [c.campaign_id for c in svc.campaigns().items] == [a.campaign_id]
    assert [v.customer_id for v in svc.victims(b.campaign_id)] == ["C1", "C2", "C3"]


def test_official_and_shared_things_never_join(make_service: ServiceFactory) -> None:
    """Official domains/numbers, shorteners and SMS gateways never join; a full short URL does."""
    svc = make_service(
        domains=FakeJudge(official={"shieldmart.com"}),
        numbers=FakeNumbers(official={"+864008201234"}),
    )
    a = submit(
        svc, "官网 https://www.shieldmart.com/help 或拨打 400-820-1234", sender="106900001234"
    )
    b = submit(svc, "Help at shieldmart.com, hotline 4008201234", sender="106900001234")
    c = submit(svc, "点 http://t.cn/A6abcd 领取")
    d = submit(svc, "点 http://t.cn/ZZzzzz 领取退款")
    e = submit(svc, "再点 http://t.cn/A6abcd")
    assert a.campaign_id != b.campaign_id
    assert c.campaign_id != d.campaign_id and e.campaign_id == c.campaign_id
    domain = next(i for i in a.indicators if i.kind == "domain")
    assert not domain.strong and domain.verdict == "official"


def test_victims_by_reporter_and_by_phone(make_service: ServiceFactory) -> None:
    """Victims come from the reporter and the reached phone, with first contact and knew."""
    customers = FakeCustomers({"+8613800001111": ["C9", "C1"]})
    svc = make_service(customers=customers)
    a = submit(
        svc,
        "张先生您好,您的订单号 202603011234 需要退款,加QQ 55556666",
        minutes=30,
        customer_id="C1",
    )
    submit(svc, "QQ 55556666, 您购买的手机有质量问题", minutes=10, victim_phone="13800001111")
    victims = {v.customer_id: v for v in svc.victims(a.campaign_id)}
    assert set(victims) == {"C1", "C9"}
    assert victims["C1"].first_contact_at == T0 + timedelta(minutes=10)
    assert set(victims["C1"].knew) == {"name", "order_number", "item"}
    assert victims["C9"].knew == ("item",)


def test_service_serves_campaign_targets_for_warnings(make_service: ServiceFactory) -> None:
    """The service answers the warnings capability's CampaignTargets: (customer, first seen)."""
    from shieldwall.contact.warnings.sources import CampaignTargets

    svc = make_service()
    a = submit(svc, "加QQ 90909090", minutes=20, customer_id="C2")
    submit(svc, "QQ 90909090 退款", minutes=5, customer_id="C1")
    targets: CampaignTargets = svc
    assert targets.customers(a.campaign_id) == [
        ("C1", T0 + timedelta(minutes=5)),
        ("C2", T0 + timedelta(minutes=20)),
    ]


def test_victim_phone_is_not_a_scam_indicator(make_service: ServiceFactory) -> None:
    """The victim's own number quoted in the text is dropped (it would join unrelated scams)."""
    svc = make_service()
    a = submit(svc, "您的手机号13800001111已被冻结", victim_phone="+86 138 0000 1111")
    b = submit(svc, "Totally different: 13800001111 has won", victim_phone="13800001111")
    assert a.campaign_id != b.campaign_id
    assert not [i for i in a.indicators if i.kind == "phone"]
    assert "phone" in a.knew


def test_card_numbers_are_stored_as_tokens(make_service: ServiceFactory) -> None:
    """A card in the text is a token in the indicators and in clear only inside the ciphertext."""
    store = MemoryScamStore()
    svc = make_service(store)
    out = submit(svc, "请转账到 6222021234567890128")
    stored = store.indicators[out.report_id]
    assert [i.kind for i in stored] == ["bank_card"] and stored[0].value.startswith("tok_")
    assert "6222021234567890128" not in repr(store.reports) + repr(store.indicators)
    assert "6222021234567890128" in svc.report_body(out.report_id).text
    assert "6222021234567890128" not in svc.campaign(out.campaign_id).sample


def test_campaign_view(make_service: ServiceFactory) -> None:
    """A campaign shows first/last seen, size, strong indicators first, and a scrubbed sample."""
    svc = make_service()
    submit(svc, "张先生您好,加QQ 77778888,订单号 202603011234", minutes=0, customer_id="C1")
    out = submit(svc, "加QQ 77778888 办理", minutes=60, customer_id="C2")
    view = svc.campaign(out.campaign_id)
    assert (view.first_seen, view.last_seen, view.size, view.victims) == (
        T0,
        T0 + timedelta(hours=1),
        2,
        2,
    )
    assert view.indicators[0].kind == "qq" and view.indicators[0].reports == 2
    assert "张" not in view.sample and "202603011234" not in view.sample
    assert "[order]" in view.sample
    assert svc.campaigns(min_size=3).items == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"received_at": T0.replace(tzinfo=None)}, "received_at"),
        ({"received_at": T0 + timedelta(days=30)}, "received_at"),
        ({"text": "", "links": (), "sender": None}, "text"),
        ({"links": ("x",) * 21}, "links"),
        ({"links": ("",)}, "links[0]"),
        ({"sender": "x" * 200}, "sender"),
        ({"customer_id": "bad id!"}, "customer_id"),
        ({"victim_phone": "12"}, "victim_phone"),
        ({"caller_knew": ("password",)}, "caller_knew"),
    ],
)
def test_bad_input_names_the_field(
    make_service: ServiceFactory, changes: dict[str, object], field: str
) -> None:
    """Each bad input is refused with the field it concerns, and nothing is stored."""
    store = MemoryScamStore()
    svc = make_service(store)
    report = dataclasses.replace(ReportInput("call", T0, "退款请加QQ 12345678"), **changes)
    with pytest.raises(ReportRejected) as info:
        svc.submit(report, reporter_kind="agent", reporter_id="a")
    assert info.value.field == field
    assert not store.reports and not store.campaigns


def test_huge_text_is_refused_clearly(make_service: ServiceFactory) -> None:
    """A text over max_text_chars raises TextTooLong naming the field and the limit."""
    svc = make_service()
    with pytest.raises(TextTooLong) as info:
        submit(svc, "退" * 20_001)
    assert info.value.field == "text" and info.value.limit == 20_000


def test_invalid_characters_are_replaced_and_counted(make_service: ServiceFactory) -> None:
    """Lone surrogates in the text are replaced and counted with the decoder's count."""
    svc = make_service()
    out = svc.submit(
        ReportInput("sms", T0, "加QQ 12345678\ud800", replaced_chars=2),
        reporter_kind="customer",
        reporter_id="app",
    )
    assert out.replaced_chars == 3
    assert svc.report_body(out.report_id).text == "加QQ 12345678\ufffd"


def test_campaign_listing_arguments_are_checked(make_service: ServiceFactory) -> None:
    """Listing refuses a naive `since`, a zero size and an out-of-range limit."""
    svc = make_service()
    for kwargs, field in (
        ({"since": T0.replace(tzinfo=None)}, "since"),
        ({"min_size": 0}, "min_size"),
        ({"limit": 5000}, "limit"),
    ):
        with pytest.raises(ReportRejected) as info:
            svc.campaigns(**kwargs)  # type: ignore[arg-type]
        assert info.value.field == field


def test_reporter_kind_is_checked(make_service: ServiceFactory) -> None:
    """Only customers (through the app) and agents report."""
    with pytest.raises(ReportRejected):
        make_service().submit(ReportInput("sms", T0, "x"), reporter_kind="robot", reporter_id="r")


def test_unknown_ids(make_service: ServiceFactory) -> None:
    """Unknown campaign and report ids are not-found errors."""
    svc = make_service()
    with pytest.raises(CampaignNotFound):
        svc.victims("cmp_nope")
    with pytest.raises(ReportNotFound):
        svc.report_body("rpt_nope")


class _FailingTx(MemoryScamTx):
    def insert_report(self, *args: object, **kwargs: object) -> None:
        super().insert_report(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("disk full")


class _FailingStore(MemoryScamStore):
    def write(self):  # type: ignore[no-untyped-def]
        import contextlib

        @contextlib.contextmanager
        def failing():  # type: ignore[no-untyped-def]
            with super(_FailingStore, self).write() as tx:
                yield _FailingTx(self, tx._undo)

        return failing()


def test_failed_write_leaves_nothing(make_service: ServiceFactory) -> None:
    """An error after the campaign and report were written rolls both back."""
    store = _FailingStore()
    svc = make_service(store)
    with pytest.raises(RuntimeError):
        submit(svc, "加QQ 12345678")
    assert (
        not store.reports and not store.campaigns and not store.by_indicator.get(("qq", "12345678"))
    )
