"""What a notice says, checked against the items PIPL art. 57 and GDPR art. 33(3)/34(2) list
(strings written by hand from the texts and the catalogue), the rules that refuse a notice
missing an item, and the PDF read back with pypdf."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from shieldwall.respond.errors import CaseInvalid
from shieldwall.respond.notices import catalogue as cat
from shieldwall.respond.notices.content import (
    NoticeFacts,
    StoreContact,
    check_params,
    notice_content,
)
from shieldwall.respond.notices.letters import render_html
from shieldwall.respond.notices.model import Audience, Exposure, Language, Regime
from shieldwall.respond.notices.pdf import html_blocks, render_pdf

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
STORE = StoreContact(
    name="示例商店",
    email="privacy@shop.example",
    phone="400-820-1234",
    dpo="dpo@shop.example",
    authority_zh="上海市网信办",
    authority_en="Shanghai Cyberspace Administration",
    gdpr_authority="CNIL",
)
PHONE = Exposure("phone", ("clear",), ("release:rel_1",))
NAME = Exposure("name", ("masked",), ("release:rel_1",))


def facts(**changes: object) -> NoticeFacts:
    base = NoticeFacts(
        case_id="case_7",
        regime=Regime.PIPL,
        audience=Audience.AUTHORITY,
        language=Language.ZH,
        discovered_at=NOW - timedelta(hours=5),
        now=NOW,
        exposures=(NAME, PHONE),
        affected=150,
        cause="partner_leak",
        measures=("releases_revoked", "police_report"),
        store=STORE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def html(f: NoticeFacts) -> str:
    return render_html(f.regime, f.audience, f.language, notice_content(f))


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_pipl_authority_notice_in_chinese_has_every_item_of_article_57() -> None:
    """(1) kinds, cause, harm; (2) measures taken and what persons can do; (3) contact."""
    out = html(facts())
    for expected in (
        "致：上海市网信办",
        "第五十七条",
        "约 150 名个人",
        "2026-03-02 09:00 UTC",
        "<li>手机号码</li>",
        "<li>姓名（部分遮蔽）</li>",  # served masked only
        "向合作方（如物流服务商）提供的数据从合作方处泄露",
        "冒充本店客服",  # the harm a phone number brings
        "已停止向涉事合作方提供数据",
        "已向公安机关报案",
        "96110",
        "电话：400-820-1234",
        "privacy@shop.example",
        "事件编号：case_7",
    ):
        assert expected in out, expected
    for heading in ("泄露的个人信息种类", "泄露原因", "可能造成的危害", "补救措施", "联系方式"):
        assert heading in out


def test_gdpr_authority_notice_has_article_33_3_items() -> None:
    """(a) nature with categories and approximate numbers, (b) DPO, (c) consequences,
    (d) measures; addressed to the configured authority."""
    out = html(facts(regime=Regime.GDPR, language=Language.EN))
    for expected in (
        "To: CNIL",
        "(a) Nature of the breach",
        "Data subjects concerned: approximately 150",
        "<li>mobile phone number</li>",
        "<li>name (partly masked)</li>",
        "(b) Data protection officer or contact point",
        "dpo@shop.example",
        "(c) Likely consequences",
        "(d) Measures taken or proposed",
        "the matter has been reported to the police",
    ):
        assert expected in out, expected
    assert "Reasons for the delay" not in out


def test_a_late_gdpr_notice_needs_and_carries_reasons_for_the_delay() -> None:
    """Past 72 hours after discovery, art. 33(1): refused without a reason, carried with one."""
    late = facts(regime=Regime.GDPR, language=Language.EN, discovered_at=NOW - timedelta(hours=73))
    with pytest.raises(CaseInvalid) as caught:
        notice_content(late)
    assert caught.value.field == "delay_reason"
    out = html(replace(late, delay_reason="discovered_late"))
    assert "Reasons for the delay (article 33(1))" in out
    assert "the store only learned of the breach from a third party" in out
    # The 72 hours bind the authority notice only, not letters to persons or PIPL.
    assert notice_content(replace(late, audience=Audience.PERSON, person="张*"))
    assert notice_content(replace(late, regime=Regime.PIPL))


def test_person_letters_address_the_masked_name_in_both_languages() -> None:
    """PIPL and GDPR art. 34 letters: the salutation, what happened, what to do, who to call."""
    zh = html(facts(audience=Audience.PERSON, person="张*"))
    assert "尊敬的张*：" in zh and "您可以采取的措施" in zh
    en = html(facts(audience=Audience.PERSON, language=Language.EN, person="Z*** W**"))
    assert "Dear Z*** W**," in en and "What you can do" in en
    gdpr = html(
        facts(audience=Audience.PERSON, regime=Regime.GDPR, language=Language.EN, person="L*")
    )
    assert "Dear L*," in gdpr and "Our data protection officer: dpo@shop.example" in gdpr
    assert "Data the store provided to a partner" in gdpr  # the cause, capitalised


def test_a_notice_missing_an_item_is_refused() -> None:
    """No kind known (kinds), no measure (measures): each names its field."""
    with pytest.raises(CaseInvalid) as caught:
        notice_content(facts(exposures=()))
    assert caught.value.field == "kinds"
    with pytest.raises(CaseInvalid) as caught:
        notice_content(facts(measures=()))
    assert caught.value.field == "measures"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("blame_intern", [], [], None), "cause"),
        ((None, ["pray"], [], None), "measures"),
        ((None, [], ["blood_type"], None), "kinds"),
        ((None, [], [], "busy"), "delay_reason"),
    ],
)
def test_unknown_codes_name_their_field(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(CaseInvalid) as caught:
        check_params(*args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_codes_repeated_count_once() -> None:
    params = check_params(None, ["police_report", "police_report"], ["phone", "phone"], None)
    assert params.measures == ("police_report",) and params.kinds == ("phone",)


def test_markup_in_a_store_setting_is_escaped() -> None:
    """A store name with markup is text in the HTML, and text in the PDF."""
    out = html(facts(store=replace(STORE, name="<b>A&B</b>")))
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in out and "<b>A&B" not in out
    assert "<b>A&B</b>依据" in pdf_text(render_pdf(out)).replace("\n", "")


def test_pdf_holds_the_chinese_and_english_text() -> None:
    """Read back with pypdf: the title, the addressee, a kind, the contact (CJK text is text,
    not glyph images); same notice, same bytes; the person is not in the metadata."""
    zh = render_pdf(html(facts(audience=Audience.PERSON, person="张*")))
    text = pdf_text(zh).replace("\n", "")
    for expected in ("关于您个人信息泄露的通知", "尊敬的张*：", "手机号码", "400-820-1234"):
        assert expected in text, expected
    assert render_pdf(html(facts(audience=Audience.PERSON, person="张*"))) == zh
    meta = PdfReader(BytesIO(zh)).metadata or {}
    assert "张" not in " ".join(str(v) for v in meta.values())
    en = pdf_text(render_pdf(html(facts(regime=Regime.GDPR, language=Language.EN))))
    flat = " ".join(en.split())
    for expected in ("Notification of a personal data breach (GDPR article 33)", "To: CNIL"):
        assert expected in flat, expected


def test_html_blocks_reads_the_subset() -> None:
    title, blocks = html_blocks(
        "<html><head><title>T</title><style>p{}</style></head>"
        "<body><h1>T</h1><p>a &amp; <b>b</b></p><ul><li>x</li></ul></body></html>"
    )
    assert title == "T"
    assert blocks == [("h1", "T"), ("p", "a & b"), ("li", "x")]


@settings(max_examples=20, deadline=None)
@given(
    kinds=st.sets(st.sampled_from(sorted(cat.KINDS)), min_size=1),
    measures=st.lists(st.sampled_from(sorted(cat.MEASURES)), min_size=1, unique=True),
    regime=st.sampled_from(Regime),
    audience=st.sampled_from(Audience),
    language=st.sampled_from(Language),
)
def test_every_kind_harm_and_measure_reaches_the_letter(
    kinds: set[str],
    measures: list[str],
    regime: Regime,
    audience: Audience,
    language: Language,
) -> None:
    """Whatever the case exposed and the store did, each kind, each harm for those kinds and
    each measure is in the notice, in its language."""
    exposures = tuple(Exposure(k, ("clear",), ("declared",)) for k in sorted(kinds))
    f = facts(
        exposures=exposures,
        measures=tuple(measures),
        regime=regime,
        audience=audience,
        language=language,
        person="张*" if audience is Audience.PERSON else None,
    )
    out = html(f).replace("&#39;", "'")
    lang = language.value
    for k in kinds:
        assert f"<li>{cat.KINDS[k][lang]}</li>" in out
        if k in cat.HARMS:
            assert cat.HARMS[k][lang] in out
    for m in measures:
        assert cat.MEASURES[m][lang] in out
    assert cat.ADVICE["general"][lang] in out
